#include "storage/embedded/file_log_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <functional>
#include <mutex>
#include <shared_mutex>

namespace vellum::storage {
namespace {

using core::Env;
using core::JoinPath;
using core::RandomAccessFile;
using core::WritableFile;

constexpr int kMaxLevels = 64;
constexpr size_t kHashSize = 32;
constexpr size_t kOffsetSize = 8;
constexpr char kSegmentsDir[] = "segments";
constexpr char kOffsetsDir[] = "offsets";
constexpr char kTreeDir[] = "tree";
constexpr char kCheckpointsDir[] = "checkpoints";
constexpr char kTreeSyncedFile[] = "tree/synced";
constexpr size_t kScanChunk = 1 << 20;
// How far ahead of a scan's reads the disk is asked to read.
constexpr size_t kScanReadAhead = 4 * kScanChunk;

std::string Pad20(uint64_t v) { return fmt::format("{:020}", v); }

void PutFixed64(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out->append(buf, 8);
}

uint64_t GetFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// An offset index held in memory: what OpenReadOnly reads the open segment's
// events through when its index file is stale or missing (it writes none).
class StringFile final : public RandomAccessFile {
 public:
  explicit StringFile(std::string bytes) : bytes_(std::move(bytes)) {}
  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    out->assign(offset < bytes_.size() ? std::string_view(bytes_).substr(offset, n) : std::string_view());
    return OkStatus();
  }
  Status ReadExact(uint64_t offset, size_t n, char* buf) const override {
    if (offset > bytes_.size() || bytes_.size() - offset < n) return DataLossError("offset index is too short");
    std::memcpy(buf, bytes_.data() + offset, n);
    return OkStatus();
  }
  StatusOr<uint64_t> Size() const override { return bytes_.size(); }

 private:
  std::string bytes_;
};

bool IsAtomicWriteLeftover(const std::string& name) { return name.find(".tmp.") != std::string::npos; }

struct Segment {
  uint64_t first_seq = 0;
  uint64_t count = 0;
  uint64_t bytes = 0;  // length covered by complete lines
  std::string rel_path;
  std::unique_ptr<RandomAccessFile> data;
  std::unique_ptr<RandomAccessFile> offsets;
};

// Reads a whole file in chunks and calls fn(offset_of_line_start) for each
// complete line; returns the length covered by complete lines.
StatusOr<uint64_t> ScanLineStarts(const RandomAccessFile& file, const std::function<void(uint64_t)>& fn) {
  ASSIGN_OR_RETURN(uint64_t size, file.Size());
  std::string buf;
  uint64_t pos = 0, line_start = 0;
  while (pos < size) {
    RETURN_IF_ERROR(file.Read(pos, kScanChunk, &buf));
    if (buf.empty()) break;
    const char* p = buf.data();
    const char* end = p + buf.size();
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      if (nl == nullptr) break;
      fn(line_start);
      line_start = pos + static_cast<uint64_t>(nl - buf.data()) + 1;
      p = nl + 1;
    }
    pos += buf.size();
  }
  return line_start;
}

}  // namespace

struct FileLogStore::Impl {
  Env* env;
  std::string dir;
  // OpenReadOnly: nothing is written, repaired or removed.
  bool read_only = false;
  // The open segment ends in an incomplete line of this many bytes. It is cut
  // by TruncateEvents, which the ledger calls once it has found nothing worse
  // (an attacker's cut can look like a torn write); until then nothing is
  // appended after it.
  uint64_t torn_tail = 0;
  FileLogStoreOptions options;

  // Guards `segments` (the vector; entries' files are thread-safe for reads).
  mutable std::shared_mutex mu;
  std::vector<Segment> segments;
  std::atomic<uint64_t> event_count{0};

  // Writer state (sequencer thread only).
  std::unique_ptr<WritableFile> seg_writer;
  std::unique_ptr<WritableFile> idx_writer;

  // Tree.
  std::array<std::atomic<uint64_t>, kMaxLevels> node_count{};
  std::array<std::unique_ptr<WritableFile>, kMaxLevels> level_writers;
  mutable std::mutex level_readers_mu;
  mutable std::array<std::shared_ptr<RandomAccessFile>, kMaxLevels> level_readers;
  uint64_t tree_synced = 0;

  std::string Path(std::string_view rel) const { return JoinPath(dir, rel); }
  std::string SegmentRel(uint64_t first) const {
    return std::string(kSegmentsDir) + "/" + FileLogStore::SegmentName(first);
  }
  std::string OffsetsRel(uint64_t first) const {
    return std::string(kOffsetsDir) + "/" + FileLogStore::OffsetsName(first);
  }
  std::string LevelRel(int level) const {
    return std::string(kTreeDir) + "/" + FileLogStore::LevelName(level);
  }

  Status OpenWriters() {
    const Segment& last = segments.back();
    // Segments take large batches and are read back in whole-file scans, seldom soon.
    ASSIGN_OR_RETURN(seg_writer,
                     env->OpenAppendable(Path(last.rel_path), 0644, core::AppendCaching::kLargeAppendsDirect));
    ASSIGN_OR_RETURN(idx_writer, env->OpenAppendable(Path(OffsetsRel(last.first_seq))));
    return OkStatus();
  }

  Status AddSegment(uint64_t first_seq, bool create) {
    Segment s;
    s.first_seq = first_seq;
    s.rel_path = SegmentRel(first_seq);
    if (create) {
      { ASSIGN_OR_RETURN(auto f, env->OpenAppendable(Path(s.rel_path))); RETURN_IF_ERROR(f->Sync()); }
      { ASSIGN_OR_RETURN(auto f, env->OpenAppendable(Path(OffsetsRel(first_seq)))); }
      RETURN_IF_ERROR(env->SyncDir(Path(kSegmentsDir)));
      RETURN_IF_ERROR(env->SyncDir(Path(kOffsetsDir)));
    }
    ASSIGN_OR_RETURN(s.data, env->OpenRandomAccess(Path(s.rel_path)));
    // A crash inside AddSegment can leave the new segment without its index;
    // recovery rebuilds the open segment's index, and a sealed one must have it.
    if (create || env->Exists(Path(OffsetsRel(first_seq)))) {
      ASSIGN_OR_RETURN(s.offsets, env->OpenRandomAccess(Path(OffsetsRel(first_seq))));
    }
    std::unique_lock lock(mu);
    segments.push_back(std::move(s));
    return OkStatus();
  }

  // Rebuilds the offset index of `seg` from its lines; notes a torn tail.
  Status RecoverOpenSegment(Segment& seg, FileLogRecovery* rec) {
    std::string offsets;
    uint64_t count = 0;
    ASSIGN_OR_RETURN(uint64_t complete, ScanLineStarts(*seg.data, [&](uint64_t off) {
      PutFixed64(&offsets, off);
      ++count;
    }));
    ASSIGN_OR_RETURN(uint64_t size, seg.data->Size());
    seg.count = count;
    seg.bytes = complete;
    if (complete < size) {
      torn_tail = size - complete;
      rec->torn_tail_bytes = size - complete;
      rec->torn_tail_file = "ledger/" + seg.rel_path;
      rec->torn_tail_offset = complete;
    }
    std::string idx_path = Path(OffsetsRel(seg.first_seq));
    if (read_only) {
      // The events are read through the index as it should be; the files stay as they are.
      seg.offsets = std::make_unique<StringFile>(std::move(offsets));
      return OkStatus();
    }
    // A crash between sealing (chmod 0444) and creating the next segment leaves
    // the open segment read-only; it is still the one to append to.
    ASSIGN_OR_RETURN(int mode, env->GetMode(Path(seg.rel_path)));
    if ((mode & 0200) == 0) RETURN_IF_ERROR(env->Chmod(Path(seg.rel_path), 0644));
    if (env->Exists(idx_path)) {
      // Sealing makes the index read-only too; it is appended to again.
      ASSIGN_OR_RETURN(int idx_mode, env->GetMode(idx_path));
      if ((idx_mode & 0200) == 0) RETURN_IF_ERROR(env->Chmod(idx_path, 0644));
    }
    ASSIGN_OR_RETURN(std::string existing, env->Exists(idx_path) ? env->ReadFile(idx_path)
                                                                 : StatusOr<std::string>(std::string()));
    if (existing != offsets || !seg.offsets) {
      RETURN_IF_ERROR(env->WriteFileAtomic(idx_path, offsets));
      ASSIGN_OR_RETURN(seg.offsets, env->OpenRandomAccess(idx_path));
    }
    return OkStatus();
  }

  Status LoadSegments(bool recover, FileLogRecovery* rec) {
    ASSIGN_OR_RETURN(auto names, env->ListDir(Path(kSegmentsDir)));
    std::vector<uint64_t> firsts;
    for (const auto& n : names) {
      auto first = ParseNumberedName(n, ".jsonl");
      if (!first) {
        return DataLossError(fmt::format("unexpected file ledger/{}/{} in the ledger", kSegmentsDir, n));
      }
      firsts.push_back(*first);
    }
    if (firsts.empty()) {
      if (!recover) return DataLossError("ledger has no segments");
      RETURN_IF_ERROR(AddSegment(0, /*create=*/true));
      return OkStatus();
    }
    uint64_t expected_first = 0;
    for (size_t i = 0; i < firsts.size(); ++i) {
      std::string idx_path = Path(OffsetsRel(firsts[i]));
      if (i + 1 == firsts.size() && !read_only && !env->Exists(idx_path)) {
        // A crash inside AddSegment(create) can leave the new segment without its
        // offset index; the open segment's index is rebuilt from its lines below.
        RETURN_IF_ERROR(env->WriteFileAtomic(idx_path, ""));
      }
      RETURN_IF_ERROR(AddSegment(firsts[i], /*create=*/false));
      Segment& seg = segments.back();
      if (seg.first_seq != expected_first) {
        return DataLossError(fmt::format(
            "segment ledger/{} starts at seq {}, but the previous segments end at seq {}",
            seg.rel_path, seg.first_seq, expected_first));
      }
      if (i + 1 == firsts.size()) {
        RETURN_IF_ERROR(RecoverOpenSegment(seg, rec));
      } else {
        if (!seg.offsets) {
          return DataLossError(fmt::format("offset index ledger/{} of a sealed segment is missing",
                                           OffsetsRel(seg.first_seq)));
        }
        ASSIGN_OR_RETURN(uint64_t idx_size, seg.offsets->Size());
        if (idx_size % kOffsetSize != 0) {
          return DataLossError(fmt::format("offset index ledger/{} has a partial entry",
                                           OffsetsRel(seg.first_seq)));
        }
        seg.count = idx_size / kOffsetSize;
        ASSIGN_OR_RETURN(seg.bytes, seg.data->Size());
      }
      expected_first = seg.first_seq + seg.count;
    }
    event_count = expected_first;
    return OkStatus();
  }

  // Env::WriteFileAtomic leaves "<name>.tmp.XXXXXX" behind when the process dies
  // before its rename. Such a file never held anything acknowledged; among the
  // checkpoints it would read as an unexpected file forever. Read-only: counted only.
  Status RemoveAtomicWriteLeftovers(FileLogRecovery* rec) {
    for (const char* sub : {kOffsetsDir, kTreeDir, kCheckpointsDir}) {
      std::string dir_path = Path(sub);
      if (!env->Exists(dir_path)) continue;
      ASSIGN_OR_RETURN(auto names, env->ListDir(dir_path));
      bool removed = false;
      for (const auto& n : names) {
        if (!IsAtomicWriteLeftover(n)) continue;
        ++rec->temp_files_removed;
        if (read_only) continue;
        RETURN_IF_ERROR(env->Remove(JoinPath(dir_path, n)));
        removed = true;
      }
      if (removed) RETURN_IF_ERROR(env->SyncDir(dir_path));
    }
    return OkStatus();
  }

  Status LoadTree(FileLogRecovery* rec) {
    ASSIGN_OR_RETURN(tree_synced, FileLogStore::ReadTreeSyncedSize(env, dir));
    if (tree_synced > event_count) {
      return DataLossError(fmt::format(
          "the tree was made durable for {} events but the ledger holds only {}: "
          "events have been removed", tree_synced, event_count.load()));
    }
    for (int level = 0; level < kMaxLevels; ++level) {
      std::string path = Path(LevelRel(level));
      uint64_t expected = tree_synced >> level;
      if (!env->Exists(path)) {
        if (expected > 0) {
          return DataLossError(fmt::format("tree file ledger/{} is missing", LevelRel(level)));
        }
        continue;
      }
      ASSIGN_OR_RETURN(uint64_t size, env->FileSize(path));
      uint64_t have = size / kHashSize;
      if (have < expected) {
        return DataLossError(fmt::format(
            "tree file ledger/{} holds {} hashes but {} were made durable", LevelRel(level), have,
            expected));
      }
      if (size != expected * kHashSize && read_only) {
        // Entries past the durable tree size stay to be compared (verify tells
        // a crash's leftovers there from damage); a partial entry is left out.
        node_count[level] = have;
        continue;
      }
      if (size != expected * kHashSize) {
        // Entries past the durable tree size are derived data from before a crash: rebuilt.
        rec->tree_entries_discarded += have - expected;
        RETURN_IF_ERROR(env->Truncate(path, expected * kHashSize));
      }
      node_count[level] = expected;
    }
    return OkStatus();
  }

  Status Seal() {
    Segment& last = segments.back();
    RETURN_IF_ERROR(seg_writer->Sync());
    RETURN_IF_ERROR(idx_writer->Sync());
    RETURN_IF_ERROR(seg_writer->Close());
    RETURN_IF_ERROR(idx_writer->Close());
    RETURN_IF_ERROR(env->Chmod(Path(last.rel_path), 0444));
    RETURN_IF_ERROR(env->Chmod(Path(OffsetsRel(last.first_seq)), 0444));
    RETURN_IF_ERROR(AddSegment(event_count, /*create=*/true));
    return OpenWriters();
  }

  const Segment* FindSegment(uint64_t seq) const {
    // REQUIRES: shared lock held.
    auto it = std::upper_bound(segments.begin(), segments.end(), seq,
                               [](uint64_t s, const Segment& seg) { return s < seg.first_seq; });
    if (it == segments.begin()) return nullptr;
    return &*(it - 1);
  }

  // Start and end (exclusive, including '\n') of event `seq`.
  StatusOr<std::pair<uint64_t, uint64_t>> Bounds(const Segment& seg, uint64_t seq) const {
    uint64_t i = seq - seg.first_seq;
    char buf[16];
    if (i + 1 < seg.count) {
      RETURN_IF_ERROR(seg.offsets->ReadExact(i * kOffsetSize, 16, buf));
      return std::make_pair(GetFixed64(buf), GetFixed64(buf + 8));
    }
    RETURN_IF_ERROR(seg.offsets->ReadExact(i * kOffsetSize, 8, buf));
    return std::make_pair(GetFixed64(buf), seg.bytes);
  }

  std::shared_ptr<RandomAccessFile> LevelReader(int level) const {
    std::lock_guard lock(level_readers_mu);
    if (!level_readers[level]) {
      auto f = env->OpenRandomAccess(Path(LevelRel(level)));
      if (!f.ok()) return nullptr;
      level_readers[level] = std::move(f).value();
    }
    return level_readers[level];
  }
};

namespace {

class FileEventCursor final : public EventCursor {
 public:
  FileEventCursor(const FileLogStore::Impl* impl, uint64_t from, uint64_t end)
      : impl_(impl), seq_(from), end_(end) {}

  bool Next() override {
    if (!status_.ok()) return false;
    if (started_) ++seq_;
    started_ = true;
    if (seq_ >= end_) return false;
    if (!line_buf_pos_valid_) {
      if (!Seek()) return false;
    }
    // Find the next '\n' from pos_ in buf_, refilling as needed.
    for (;;) {
      size_t nl = buf_.find('\n', cursor_);
      if (nl != std::string::npos) {
        line_ = std::string_view(buf_).substr(cursor_, nl - cursor_);
        line_offset_ = buf_file_offset_ + cursor_;
        cursor_ = nl + 1;
        if (!CheckIndexed()) return false;
        if (seq_ + 1 >= seg_end_seq_) line_buf_pos_valid_ = false;  // next event is in another segment
        return true;
      }
      if (!Refill()) return false;
    }
  }

  Status status() const override { return status_; }
  uint64_t seq() const override { return seq_; }
  std::string_view line() const override { return line_; }
  EventLocation location() const override { return {"ledger/" + rel_path_, line_offset_}; }
  uint64_t offset() const override { return line_offset_; }

 private:
  bool Seek() {
    std::shared_lock lock(impl_->mu);
    const Segment* seg = impl_->FindSegment(seq_);
    if (seg == nullptr || seq_ >= seg->first_seq + seg->count) {
      status_ = DataLossError(fmt::format("no segment holds seq {}", seq_));
      return false;
    }
    auto bounds = impl_->Bounds(*seg, seq_);
    if (!bounds.ok()) {
      status_ = bounds.status();
      return false;
    }
    file_ = seg->data.get();
    rel_path_ = seg->rel_path;
    file_end_ = seg->bytes;
    seg_end_seq_ = seg->first_seq + seg->count;
    offsets_ = seg->offsets.get();
    seg_first_seq_ = seg->first_seq;
    sealed_ = seg != &impl_->segments.back();
    index_.clear();
    index_first_ = seq_;
    buf_.clear();
    cursor_ = 0;
    buf_file_offset_ = bounds->first;
    next_read_ = bounds->first;
    line_buf_pos_valid_ = true;
    return true;
  }

  // The line just read starts where the segment's offset index says seq_ does,
  // and the last event of a sealed segment ends the file: the index and the
  // segment agree line for line, and no byte of a sealed segment is beyond
  // what the index lists (a line appended there would be read by nothing).
  bool CheckIndexed() {
    const uint64_t i = seq_ - seg_first_seq_;
    if (seq_ < index_first_ || seq_ >= index_first_ + index_.size() / kOffsetSize) {
      const uint64_t n = std::min<uint64_t>(kIndexChunk, seg_end_seq_ - seq_);
      index_.resize(static_cast<size_t>(n * kOffsetSize));
      Status s = offsets_->ReadExact(i * kOffsetSize, index_.size(), index_.data());
      if (!s.ok()) {
        status_ = DataLossError(fmt::format("the offset index of ledger/{} cannot be read at seq {}: {}", rel_path_,
                                            seq_, s.message()));
        return false;
      }
      index_first_ = seq_;
    }
    const uint64_t indexed = GetFixed64(index_.data() + (seq_ - index_first_) * kOffsetSize);
    if (indexed != line_offset_) {
      status_ = DataLossError(fmt::format(
          "the offset index of ledger/{} puts seq {} at byte {}, but its line starts at byte {}", rel_path_, seq_,
          indexed, line_offset_));
      return false;
    }
    if (sealed_ && seq_ + 1 == seg_end_seq_ && buf_file_offset_ + cursor_ != file_end_) {
      status_ = DataLossError(fmt::format(
          "ledger/{} holds {} bytes after its last event (seq {}), which its offset index does not list", rel_path_,
          file_end_ - (buf_file_offset_ + cursor_), seq_));
      return false;
    }
    return true;
  }

  bool Refill() {
    if (next_read_ >= file_end_) {
      status_ = DataLossError(fmt::format("ledger/{} ends inside event {}", rel_path_, seq_));
      return false;
    }
    buf_.erase(0, cursor_);
    buf_file_offset_ += cursor_;
    cursor_ = 0;
    // Read straight behind the unread rest, into the buffer's own storage: a
    // fresh string per read was a large allocation, zero-filled, then copied.
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kScanChunk, file_end_ - next_read_));
    const size_t kept = buf_.size();
    buf_.resize(kept + want);
    Status s = file_->ReadExact(next_read_, want, buf_.data() + kept);
    if (!s.ok()) {
      buf_.resize(kept);
      // A file shorter than when it was opened: named by its place in the ledger.
      status_ = s.code() == StatusCode::kDataLoss
                    ? DataLossError(fmt::format("ledger/{} ends inside event {}", rel_path_, seq_))
                    : std::move(s);
      return false;
    }
    next_read_ += want;
    // The blocks ahead are queued now: their disk reads overlap the work on
    // this one (a first verify after large appends, which bypassed the page
    // cache, reads every segment from the disk).
    if (next_read_ < file_end_) {
      file_->WillRead(next_read_, static_cast<size_t>(std::min<uint64_t>(kScanReadAhead, file_end_ - next_read_)));
    }
    return true;
  }

  const FileLogStore::Impl* impl_;
  uint64_t seq_;
  uint64_t end_;
  bool started_ = false;
  Status status_;
  const RandomAccessFile* file_ = nullptr;
  std::string rel_path_;
  uint64_t file_end_ = 0;
  uint64_t seg_end_seq_ = 0;
  std::string buf_;
  size_t cursor_ = 0;
  uint64_t buf_file_offset_ = 0;
  uint64_t next_read_ = 0;
  bool line_buf_pos_valid_ = false;
  std::string_view line_;
  uint64_t line_offset_ = 0;
  // The segment's offset index, read a chunk at a time as the lines are.
  static constexpr uint64_t kIndexChunk = 4096;
  const RandomAccessFile* offsets_ = nullptr;
  uint64_t seg_first_seq_ = 0;
  bool sealed_ = false;
  std::string index_;
  uint64_t index_first_ = 0;
};

}  // namespace

FileLogStore::FileLogStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FileLogStore::~FileLogStore() = default;

std::string FileLogStore::SegmentName(uint64_t first_seq) { return Pad20(first_seq) + ".jsonl"; }
std::string FileLogStore::LevelName(int level) { return fmt::format("level-{:02}.hash", level); }
std::string FileLogStore::CheckpointName(uint64_t size) { return Pad20(size) + ".note"; }
std::string FileLogStore::OffsetsName(uint64_t first_seq) { return Pad20(first_seq) + ".idx"; }

std::optional<uint64_t> FileLogStore::ParseNumberedName(std::string_view name, std::string_view suffix) {
  if (name.size() != 20 + suffix.size() || name.substr(20) != suffix) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return v;
}

StatusOr<uint64_t> FileLogStore::ReadTreeSyncedSize(core::Env* env, const std::string& ledger_dir) {
  const std::string path = core::JoinPath(ledger_dir, kTreeSyncedFile);
  if (!env->Exists(path)) return uint64_t{0};
  ASSIGN_OR_RETURN(std::string text, env->ReadFile(path));
  // Up to 20 digits (any uint64) and a newline.
  if (text.empty() || text.size() > 21 || text.back() != '\n') {
    return DataLossError("ledger/tree/synced is malformed");
  }
  uint64_t v = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return DataLossError("ledger/tree/synced is malformed");
    const uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    // 20 digits can exceed 2^64 - 1: such a size would wrap to a small one and pass.
    if (v > (UINT64_MAX - digit) / 10) return DataLossError("ledger/tree/synced is malformed (beyond 2^64 - 1)");
    v = v * 10 + digit;
  }
  return v;
}

StatusOr<std::unique_ptr<FileLogStore>> FileLogStore::Create(core::Env* env,
                                                             const std::string& ledger_dir,
                                                             const FileLogStoreOptions& options) {
  std::string seg_dir = JoinPath(ledger_dir, kSegmentsDir);
  if (env->Exists(seg_dir)) {
    ASSIGN_OR_RETURN(auto names, env->ListDir(seg_dir));
    if (!names.empty()) return AlreadyExistsError("a ledger already exists in " + ledger_dir);
  }
  for (const char* sub : {kSegmentsDir, kOffsetsDir, kTreeDir, kCheckpointsDir}) {
    RETURN_IF_ERROR(env->CreateDirs(JoinPath(ledger_dir, sub)));
  }
  RETURN_IF_ERROR(env->SyncDir(ledger_dir));
  return Open(env, ledger_dir, options);
}

StatusOr<std::unique_ptr<FileLogStore>> FileLogStore::Open(core::Env* env,
                                                           const std::string& ledger_dir,
                                                           const FileLogStoreOptions& options) {
  return OpenAs(env, ledger_dir, options, /*read_only=*/false);
}

StatusOr<std::unique_ptr<FileLogStore>> FileLogStore::OpenReadOnly(core::Env* env, const std::string& ledger_dir) {
  return OpenAs(env, ledger_dir, {}, /*read_only=*/true);
}

StatusOr<std::unique_ptr<FileLogStore>> FileLogStore::OpenAs(core::Env* env, const std::string& ledger_dir,
                                                             const FileLogStoreOptions& options, bool read_only) {
  auto impl = std::make_unique<Impl>();
  impl->env = env;
  impl->dir = ledger_dir;
  impl->options = options;
  impl->read_only = read_only;
  if (!env->Exists(JoinPath(ledger_dir, kSegmentsDir))) {
    return NotFoundError("no ledger in " + ledger_dir);
  }
  FileLogRecovery rec;
  RETURN_IF_ERROR(impl->RemoveAtomicWriteLeftovers(&rec));
  RETURN_IF_ERROR(impl->LoadSegments(/*recover=*/!read_only, &rec));
  RETURN_IF_ERROR(impl->LoadTree(&rec));
  if (!read_only) RETURN_IF_ERROR(impl->OpenWriters());
  auto store = std::unique_ptr<FileLogStore>(new FileLogStore(std::move(impl)));
  store->recovery_ = rec;
  return store;
}

Status FileLogStore::CheckWritable() const {
  if (impl_->read_only) return FailedPreconditionError("the ledger was opened read-only");
  return OkStatus();
}

uint64_t FileLogStore::EventCount() const { return impl_->event_count.load(); }

Status FileLogStore::AppendEvents(std::span<const std::string> lines) {
  RETURN_IF_ERROR(CheckWritable());
  if (lines.empty()) return OkStatus();
  Impl& m = *impl_;
  if (m.torn_tail > 0) {
    return FailedPreconditionError(fmt::format(
        "ledger/{} ends in an incomplete line that recovery has not removed", m.segments.back().rel_path));
  }
  if (m.segments.back().bytes >= m.options.max_segment_bytes) RETURN_IF_ERROR(m.Seal());
  Segment& seg = m.segments.back();
  std::string data, offsets;
  size_t total = 0;
  for (const auto& l : lines) total += l.size() + 1;
  data.reserve(total);
  offsets.reserve(lines.size() * kOffsetSize);
  uint64_t pos = seg.bytes;
  for (const auto& l : lines) {
    PutFixed64(&offsets, pos);
    data += l;
    data += '\n';
    pos += l.size() + 1;
  }
  Status s = m.seg_writer->Append(data);
  if (s.ok()) s = m.seg_writer->Sync();
  // The offset index of the open segment is rebuilt on recovery, so it need not be
  // synced here. But reads and the next append locate events through it, so a
  // batch whose entries could not be written is failed and undone like one whose
  // sync failed: otherwise the caller hears "failed" while the events stay in the
  // segment under sequence numbers the ledger hands out again.
  if (s.ok()) s = m.idx_writer->Append(offsets);
  if (!s.ok()) {
    // Leave no partial batch behind (lines, or index entries of a short write); if
    // even that fails the store must be reopened.
    Status undo = m.env->Truncate(m.Path(seg.rel_path), seg.bytes);
    if (undo.ok()) {
      undo = m.env->Truncate(m.Path(m.OffsetsRel(seg.first_seq)), seg.count * kOffsetSize);
    }
    Status reopen = m.OpenWriters();
    // The cut must itself be durable: otherwise a crash could bring back a
    // batch its callers were told had failed.
    if (undo.ok() && reopen.ok()) reopen = m.seg_writer->Sync();
    if (!undo.ok() || !reopen.ok()) {
      return DataLossError("append failed and could not be undone: " + s.message() +
                           "; reopen the ledger to recover");
    }
    return s;
  }
  {
    std::unique_lock lock(m.mu);
    seg.bytes = pos;
    seg.count += lines.size();
  }
  m.event_count += lines.size();
  return OkStatus();
}

Status FileLogStore::TruncateEvents(uint64_t count) {
  RETURN_IF_ERROR(CheckWritable());
  Impl& m = *impl_;
  if (count > m.event_count) return InvalidArgumentError("truncate beyond the end");
  if (count == m.event_count && m.torn_tail == 0) return OkStatus();
  Segment& seg = m.segments.back();
  if (count < seg.first_seq) {
    return FailedPreconditionError("cannot truncate into a sealed segment");
  }
  uint64_t cut = seg.bytes;
  if (count < seg.first_seq + seg.count) {
    ASSIGN_OR_RETURN(auto b, m.Bounds(seg, count));
    cut = b.first;
  }
  RETURN_IF_ERROR(m.env->Truncate(m.Path(seg.rel_path), cut));
  RETURN_IF_ERROR(m.env->Truncate(m.Path(m.OffsetsRel(seg.first_seq)), (count - seg.first_seq) * kOffsetSize));
  {
    std::unique_lock lock(m.mu);
    seg.bytes = cut;
    seg.count = count - seg.first_seq;
  }
  m.event_count = count;
  m.torn_tail = 0;
  RETURN_IF_ERROR(m.OpenWriters());
  // The cut must be durable before anything is appended in its place: a power
  // cut must not bring back the lines it removed (LogStore's contract).
  return m.seg_writer->Sync();
}

uint64_t FileLogStore::TornTailBytes() const { return impl_->torn_tail; }

FileLogStore::SegmentTotals FileLogStore::Segments() const {
  std::shared_lock lock(impl_->mu);
  SegmentTotals t;
  for (const Segment& seg : impl_->segments) {
    ++t.segments;
    t.bytes += seg.bytes;
  }
  return t;
}

StatusOr<std::string> FileLogStore::ReadEvent(uint64_t seq) const {
  std::shared_lock lock(impl_->mu);
  if (seq >= impl_->event_count) return NotFoundError(fmt::format("no event with seq {}", seq));
  const Segment* seg = impl_->FindSegment(seq);
  if (seg == nullptr) return DataLossError(fmt::format("no segment holds seq {}", seq));
  ASSIGN_OR_RETURN(auto b, impl_->Bounds(*seg, seq));
  if (b.second <= b.first || b.second > seg->bytes) {
    return DataLossError(fmt::format("offset index of ledger/{} is inconsistent at seq {}", seg->rel_path, seq));
  }
  std::string line(b.second - b.first, '\0');
  RETURN_IF_ERROR(seg->data->ReadExact(b.first, line.size(), line.data()));
  if (line.back() != '\n') {
    return DataLossError(fmt::format("event {} in ledger/{} does not end a line", seq, seg->rel_path));
  }
  line.pop_back();
  return line;
}

StatusOr<EventLocation> FileLogStore::LocateEvent(uint64_t seq) const {
  std::shared_lock lock(impl_->mu);
  if (seq >= impl_->event_count) return NotFoundError(fmt::format("no event with seq {}", seq));
  const Segment* seg = impl_->FindSegment(seq);
  if (seg == nullptr) return DataLossError(fmt::format("no segment holds seq {}", seq));
  ASSIGN_OR_RETURN(auto b, impl_->Bounds(*seg, seq));
  return EventLocation{"ledger/" + seg->rel_path, b.first};
}

std::unique_ptr<EventCursor> FileLogStore::Scan(uint64_t from_seq) const {
  return std::make_unique<FileEventCursor>(impl_.get(), from_seq, impl_->event_count.load());
}

Status FileLogStore::AppendNodes(std::span<const TreeNode> nodes) {
  RETURN_IF_ERROR(CheckWritable());
  Impl& m = *impl_;
  // Batch per level so each level file gets one write per call.
  std::array<std::string, kMaxLevels> bufs;
  for (const auto& n : nodes) {
    if (n.level < 0 || n.level >= kMaxLevels) return InvalidArgumentError("tree level out of range");
    if (n.index != m.node_count[n.level] + bufs[n.level].size() / kHashSize) {
      return InternalError(fmt::format("tree node {}/{} appended out of order", n.level, n.index));
    }
    bufs[n.level].append(reinterpret_cast<const char*>(n.hash.data()), kHashSize);
  }
  for (int level = 0; level < kMaxLevels; ++level) {
    if (bufs[level].empty()) continue;
    if (!m.level_writers[level]) {
      ASSIGN_OR_RETURN(m.level_writers[level], m.env->OpenAppendable(m.Path(m.LevelRel(level))));
    }
    RETURN_IF_ERROR(m.level_writers[level]->Append(bufs[level]));
    m.node_count[level] += bufs[level].size() / kHashSize;
  }
  return OkStatus();
}

StatusOr<core::Hash> FileLogStore::Node(int level, uint64_t index) const {
  if (level < 0 || level >= kMaxLevels || index >= impl_->node_count[level]) {
    return OutOfRangeError(fmt::format("tree node {}/{} is not stored", level, index));
  }
  auto reader = impl_->LevelReader(level);
  if (!reader) return DataLossError(fmt::format("tree file ledger/{} cannot be read", impl_->LevelRel(level)));
  core::Hash h;
  RETURN_IF_ERROR(reader->ReadExact(index * kHashSize, kHashSize, reinterpret_cast<char*>(h.data())));
  return h;
}

StatusOr<std::vector<core::Hash>> FileLogStore::ReadNodes(int level, uint64_t first, size_t count) const {
  std::vector<core::Hash> out;
  if (level < 0 || level >= kMaxLevels) return out;
  uint64_t have = impl_->node_count[level];
  if (first >= have) return out;
  count = static_cast<size_t>(std::min<uint64_t>(count, have - first));
  auto reader = impl_->LevelReader(level);
  if (!reader) return DataLossError(fmt::format("tree file ledger/{} cannot be read", impl_->LevelRel(level)));
  out.resize(count);
  RETURN_IF_ERROR(reader->ReadExact(first * kHashSize, count * kHashSize, reinterpret_cast<char*>(out.data())));
  return out;
}

uint64_t FileLogStore::NodeCount(int level) const {
  if (level < 0 || level >= kMaxLevels) return 0;
  return impl_->node_count[level];
}

Status FileLogStore::SyncTree(uint64_t size) {
  RETURN_IF_ERROR(CheckWritable());
  Impl& m = *impl_;
  for (int level = 0; level < kMaxLevels; ++level) {
    if ((size >> level) > m.node_count[level]) {
      return InternalError(fmt::format("cannot sync tree to {}: level {} is incomplete", size, level));
    }
    if (m.level_writers[level]) RETURN_IF_ERROR(m.level_writers[level]->Sync());
  }
  RETURN_IF_ERROR(m.env->SyncDir(m.Path(kTreeDir)));
  RETURN_IF_ERROR(m.env->WriteFileAtomic(m.Path(kTreeSyncedFile), fmt::format("{}\n", size)));
  m.tree_synced = size;
  return OkStatus();
}

uint64_t FileLogStore::TreeSyncedSize() const { return impl_->tree_synced; }

Status FileLogStore::PutCheckpoint(uint64_t size, std::string_view note) {
  RETURN_IF_ERROR(CheckWritable());
  std::string rel = std::string(kCheckpointsDir) + "/" + CheckpointName(size);
  std::string path = impl_->Path(rel);
  if (impl_->env->Exists(path)) return AlreadyExistsError("a checkpoint for tree size " + std::to_string(size) + " exists");
  RETURN_IF_ERROR(impl_->env->WriteFileAtomic(path, note, 0444));
  return OkStatus();
}

StatusOr<CheckpointListing> FileLogStore::ScanCheckpoints() const {
  ASSIGN_OR_RETURN(auto names, impl_->env->ListDir(impl_->Path(kCheckpointsDir)));
  CheckpointListing out;
  for (const auto& n : names) {
    // Read-only, what an interrupted checkpoint write left stays (it holds no checkpoint).
    if (impl_->read_only && IsAtomicWriteLeftover(n)) continue;
    auto size = ParseNumberedName(n, ".note");
    std::string rel = std::string("ledger/") + kCheckpointsDir + "/" + n;
    if (!size) {
      out.unexpected.push_back(std::move(rel));
      continue;
    }
    ASSIGN_OR_RETURN(std::string note, impl_->env->ReadFile(impl_->Path(std::string(kCheckpointsDir) + "/" + n)));
    out.checkpoints.push_back({*size, rel, std::move(note)});
  }
  return out;
}

StatusOr<uint64_t> FileLogStore::CheckpointCount() const {
  ASSIGN_OR_RETURN(auto names, impl_->env->ListDir(impl_->Path(kCheckpointsDir)));
  uint64_t n = 0;
  for (const auto& name : names) {
    if (ParseNumberedName(name, ".note")) ++n;
  }
  return n;
}

StatusOr<std::optional<StoredCheckpoint>> FileLogStore::LatestCheckpoint() const {
  ASSIGN_OR_RETURN(auto names, impl_->env->ListDir(impl_->Path(kCheckpointsDir)));
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    auto size = ParseNumberedName(*it, ".note");
    if (!size) continue;
    ASSIGN_OR_RETURN(std::string note, impl_->env->ReadFile(impl_->Path(std::string(kCheckpointsDir) + "/" + *it)));
    return std::optional<StoredCheckpoint>(
        StoredCheckpoint{*size, std::string("ledger/") + kCheckpointsDir + "/" + *it, std::move(note)});
  }
  return std::optional<StoredCheckpoint>();
}

}  // namespace vellum::storage
