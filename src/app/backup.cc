#include "app/backup.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <vector>

#include <boost/json.hpp>

#include "app/config.h"
#include "app/path_within.h"
#include "app/restore_record.h"
#include "app/vellum.h"
#include "app/verify_directory.h"
#include "core/encoding.h"
#include "core/json.h"
#include "core/random.h"
#include "storage/embedded/file_log_store.h"
#include "storage/embedded/sqlite_db.h"
#include "storage/embedded/sqlite_projection.h"

namespace vellum::app {
namespace {

namespace fs = std::filesystem;
using storage::FileLogStore;

constexpr char kManifestFormat[] = "vellum-backup/1";
constexpr size_t kCopyChunk = 4 << 20;
constexpr uint64_t kHashBytes = 32;
constexpr uint64_t kOffsetBytes = 8;
// A manifest lists a few files per 64 MiB segment: 16 MiB is hundreds of terabytes of ledger.
constexpr size_t kMaxManifestBytes = 16 << 20;

// The directories of a data directory, in creation order, with their modes.
constexpr std::pair<const char*, int> kDirs[] = {
    {"keys", 0700},           {"ledger", 0755},      {"ledger/segments", 0755},
    {"ledger/offsets", 0755}, {"ledger/tree", 0755}, {"ledger/checkpoints", 0755},
};

struct ManifestFile {
  std::string path;  // relative to the data directory, '/'-separated
  uint64_t bytes = 0;
  core::Hash sha256{};
  int mode = 0;
};

std::string Pad20(uint64_t v) { return fmt::format("{:020}", v); }

// The number in a name "<20 digits><suffix>", as the ledger names its files.
std::optional<uint64_t> NumberedName(std::string_view name, std::string_view suffix) {
  if (name.size() != 20 + suffix.size() || name.substr(20) != suffix) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return v;
}

// Whether `rel` is a name a data directory holds, so that a manifest can never
// make a restore write anywhere else (no "..", no absolute path, no other file).
bool IsDataDirectoryFile(std::string_view rel) {
  static const std::set<std::string_view> fixed = {"vellum.toml",     "keys/ledger.key", "keys/ledger.pub",
                                                   "records.db",      "auth.db",         "ledger/tree/synced"};
  if (fixed.count(rel)) return true;
  auto numbered = [&](std::string_view dir, std::string_view suffix) {
    return rel.size() > dir.size() && rel.substr(0, dir.size()) == dir &&
           NumberedName(rel.substr(dir.size()), suffix).has_value();
  };
  if (numbered("ledger/segments/", ".jsonl") || numbered("ledger/offsets/", ".idx") ||
      numbered("ledger/checkpoints/", ".note")) {
    return true;
  }
  constexpr std::string_view kLevel = "ledger/tree/level-";
  return rel.size() == kLevel.size() + 7 && rel.substr(0, kLevel.size()) == kLevel &&
         rel.substr(kLevel.size() + 2) == ".hash" && std::isdigit(static_cast<unsigned char>(rel[kLevel.size()])) &&
         std::isdigit(static_cast<unsigned char>(rel[kLevel.size() + 1])) &&
         std::stoi(std::string(rel.substr(kLevel.size(), 2))) < 64;
}

// A directory the result may take the name of: absent, or an empty directory.
Status CheckTarget(const std::string& dir, std::string_view what) {
  if (dir.empty()) return InvalidArgumentError(fmt::format("the {} directory is empty", what));
  std::error_code ec;
  if (!fs::exists(dir, ec)) return OkStatus();
  if (!fs::is_directory(dir, ec)) return InvalidArgumentError(fmt::format("{} is not a directory", dir));
  if (!fs::is_empty(dir, ec)) {
    return InvalidArgumentError(fmt::format("{} is not empty: a {} goes into a new directory", dir, what));
  }
  return OkStatus();
}

// Removes the staging directory unless it was given its final name.
class StagingGuard {
 public:
  explicit StagingGuard(std::string path) : path_(std::move(path)) {}
  ~StagingGuard() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  void Release() { path_.clear(); }

 private:
  std::string path_;
};

// A new directory beside `target`, where the copy is made before it takes
// `target`'s name: an interrupted copy never looks like a finished one.
StatusOr<std::string> MakeStagingDir(core::Env* env, const std::string& target) {
  std::string base = target;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  std::string staging = fmt::format("{}.partial-{}", base, core::HexEncode(core::RandomBytes(4)));
  fs::path parent = fs::path(staging).parent_path();
  if (!parent.empty()) RETURN_IF_ERROR(env->CreateDirs(parent.string()));
  RETURN_IF_ERROR(env->CreateDirs(staging, 0700));
  StagingGuard guard(staging);
  RETURN_IF_ERROR(env->Chmod(staging, 0700));
  for (const auto& [sub, mode] : kDirs) {
    RETURN_IF_ERROR(env->CreateDirs(core::JoinPath(staging, sub), mode));
    RETURN_IF_ERROR(env->Chmod(core::JoinPath(staging, sub), mode));
  }
  guard.Release();
  return staging;
}

// Moves the finished staging directory to `target` (an empty directory there
// is replaced) and makes the new name durable.
Status Publish(core::Env* env, const std::string& staging, const std::string& target) {
  for (const auto& [sub, mode] : kDirs) RETURN_IF_ERROR(env->SyncDir(core::JoinPath(staging, sub)));
  RETURN_IF_ERROR(env->SyncDir(staging));
  std::error_code ec;
  if (fs::exists(target, ec)) RETURN_IF_ERROR(env->Remove(target));
  RETURN_IF_ERROR(env->Rename(staging, target));
  fs::path parent = fs::path(target).parent_path();
  return env->SyncDir(parent.empty() ? "." : parent.string());
}

// Writes files into a directory, keeping what the manifest says of each.
class FileCopier {
 public:
  FileCopier(core::Env* env, std::string root) : env_(env), root_(std::move(root)) {}

  // The first `bytes` bytes of `from` (kDataLoss naming it if it is shorter).
  Status CopyBytes(const std::string& from, const std::string& rel, uint64_t bytes, int mode) {
    return Copy(from, rel, mode, [&](std::string_view chunk, uint64_t done) -> std::optional<size_t> {
      if (done >= bytes) return std::nullopt;
      return static_cast<size_t>(std::min<uint64_t>(chunk.size(), bytes - done));
    }, bytes, fmt::format("{} bytes", bytes));
  }

  // The first `lines` lines of `from`; returns the offset index of the copy
  // (the byte offset of each line, 8 bytes little-endian).
  StatusOr<std::string> CopyLines(const std::string& from, const std::string& rel, uint64_t lines, int mode) {
    std::string offsets;
    offsets.reserve(lines * kOffsetBytes);
    uint64_t seen = 0;
    bool line_start = true;
    auto take = [&](std::string_view chunk, uint64_t done) -> std::optional<size_t> {
      if (seen == lines) return std::nullopt;
      size_t i = 0;
      while (i < chunk.size() && seen < lines) {
        if (line_start) {
          uint64_t at = done + i;
          char le[kOffsetBytes];
          for (size_t b = 0; b < kOffsetBytes; ++b) le[b] = static_cast<char>((at >> (8 * b)) & 0xff);
          offsets.append(le, kOffsetBytes);
          line_start = false;
        }
        const void* nl = std::memchr(chunk.data() + i, '\n', chunk.size() - i);
        if (nl == nullptr) return chunk.size();
        i = static_cast<size_t>(static_cast<const char*>(nl) - chunk.data()) + 1;
        ++seen;
        line_start = true;
      }
      return i;
    };
    RETURN_IF_ERROR(Copy(from, rel, mode, take, std::nullopt, fmt::format("{} events", lines)));
    if (seen != lines) {
      return DataLossError(fmt::format("{} holds {} complete events, {} expected", rel, seen, lines));
    }
    return offsets;
  }

  Status Write(const std::string& rel, std::string_view data, int mode) {
    const std::string path = core::JoinPath(root_, rel);
    ASSIGN_OR_RETURN(auto out, env_->OpenAppendable(path, 0600));
    RETURN_IF_ERROR(out->Append(data));
    RETURN_IF_ERROR(out->Sync());
    RETURN_IF_ERROR(out->Close());
    RETURN_IF_ERROR(env_->Chmod(path, mode));
    files_.push_back({rel, data.size(), core::Sha256(data), mode});
    return OkStatus();
  }

  // A SQLite database, as one consistent snapshot of it.
  Status CopyDatabase(const std::string& from, const std::string& rel, int mode) {
    const std::string path = core::JoinPath(root_, rel);
    RETURN_IF_ERROR(storage::sqlite::CopyDatabase(from, path, mode));
    RETURN_IF_ERROR(env_->Chmod(path, mode));
    core::Sha256Stream sha;
    uint64_t bytes = 0;
    RETURN_IF_ERROR(ReadChunks(path, [&](std::string_view chunk) {
      sha.Update(chunk);
      bytes += chunk.size();
    }));
    files_.push_back({rel, bytes, sha.Finish(), mode});
    return OkStatus();
  }

  const std::vector<ManifestFile>& files() const { return files_; }

 private:
  using Take = std::function<std::optional<size_t>(std::string_view chunk, uint64_t done)>;

  Status ReadChunks(const std::string& path, const std::function<void(std::string_view)>& fn) {
    ASSIGN_OR_RETURN(auto in, env_->OpenRandomAccess(path));
    std::string buf;
    for (uint64_t offset = 0;; offset += buf.size()) {
      RETURN_IF_ERROR(in->Read(offset, kCopyChunk, &buf));
      if (buf.empty()) return OkStatus();
      fn(buf);
    }
  }

  // Copies the chunks of `from` as long as `take` says how much of each to
  // copy; `exact` is the size the copy must reach.
  Status Copy(const std::string& from, const std::string& rel, int mode, const Take& take,
              std::optional<uint64_t> exact, const std::string& wanted) {
    const std::string path = core::JoinPath(root_, rel);
    ASSIGN_OR_RETURN(auto in, env_->OpenRandomAccess(from));
    ASSIGN_OR_RETURN(auto out, env_->OpenAppendable(path, 0600));
    core::Sha256Stream sha;
    uint64_t done = 0;
    std::string buf;
    for (;;) {
      RETURN_IF_ERROR(in->Read(done, kCopyChunk, &buf));
      in->WillRead(done + buf.size(), kCopyChunk);
      std::optional<size_t> n = buf.empty() ? std::nullopt : take(buf, done);
      if (!n) break;
      std::string_view part(buf.data(), *n);
      RETURN_IF_ERROR(out->Append(part));
      sha.Update(part);
      done += part.size();
      if (*n < buf.size()) break;
    }
    if (exact && done != *exact) {
      return DataLossError(fmt::format("{} holds {} bytes, {} expected", rel, done, wanted));
    }
    RETURN_IF_ERROR(out->Sync());
    RETURN_IF_ERROR(out->Close());
    RETURN_IF_ERROR(env_->Chmod(path, mode));
    files_.push_back({rel, done, sha.Finish(), mode});
    return OkStatus();
  }

  core::Env* env_;
  std::string root_;
  std::vector<ManifestFile> files_;
};

// ---- the manifest ----

struct Manifest {
  std::string origin;
  std::string created;
  uint64_t events = 0;
  uint64_t tree_size = 0;
  std::optional<uint64_t> checkpoint;
  std::vector<ManifestFile> files;
};

// A name read from a manifest, for a message: JSON-quoted (no control
// characters reach a terminal) and cut to 100 bytes at a character boundary.
std::string Quoted(std::string_view s) {
  size_t n = std::min<size_t>(s.size(), 100);
  while (n < s.size() && n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  std::string out;
  core::AppendJsonString(s.substr(0, n), &out);
  return n < s.size() ? out + "…" : out;
}

std::string ModeText(int mode) { return fmt::format("{:04o}", mode); }

StatusOr<std::string> EncodeManifest(const Manifest& m) {
  boost::json::array files;
  for (const auto& f : m.files) {
    files.push_back(boost::json::object{{"path", f.path},
                                        {"bytes", f.bytes},
                                        {"sha256", core::HashToHex(f.sha256)},
                                        {"mode", ModeText(f.mode)}});
  }
  boost::json::object o{{"format", kManifestFormat},
                        {"origin", m.origin},
                        {"created", m.created},
                        {"events", m.events},
                        {"tree_size", m.tree_size},
                        {"checkpoint", m.checkpoint ? boost::json::value(*m.checkpoint) : boost::json::value()},
                        {"files", std::move(files)}};
  ASSIGN_OR_RETURN(std::string text, core::CanonicalJson(o));
  return text + "\n";
}

// What a backup or restore reports of the copy, before its verification.
BackupCopyReport ReportOf(const Manifest& m, std::string_view manifest_text) {
  BackupCopyReport report;
  report.events = m.events;
  report.tree_size = m.tree_size;
  report.checkpoint_size = m.checkpoint;
  report.files = m.files.size();
  for (const auto& f : m.files) report.bytes += f.bytes;
  report.manifest_sha256 = core::Sha256(manifest_text);
  return report;
}

// Reads a manifest strictly: a backup directory is input like any other.
class ManifestReader {
 public:
  explicit ManifestReader(std::string name) : name_(std::move(name)) {}

  StatusOr<Manifest> Read(std::string_view text) {
    core::JsonLimits limits;
    limits.max_bytes = kMaxManifestBytes;
    limits.max_depth = 8;
    auto v = core::ParseJson(text, limits);
    if (!v.ok()) return Bad(std::string(v.status().message()));
    if (!v->is_object()) return Bad("it is not a JSON object");
    const auto& o = v->get_object();
    RETURN_IF_ERROR(OnlyKeys(o, "", {"format", "origin", "created", "events", "tree_size", "checkpoint", "files"}));
    Manifest m;
    ASSIGN_OR_RETURN(std::string format, String(o, "format"));
    if (format != kManifestFormat) return Bad(fmt::format("format is {}, not \"{}\"", Quoted(format), kManifestFormat));
    ASSIGN_OR_RETURN(m.origin, String(o, "origin"));
    ASSIGN_OR_RETURN(m.created, String(o, "created"));
    ASSIGN_OR_RETURN(m.events, Number(o, "events"));
    ASSIGN_OR_RETURN(m.tree_size, Number(o, "tree_size"));
    const auto* cp = o.if_contains("checkpoint");
    if (cp == nullptr) return Bad("\"checkpoint\" is missing");
    if (!cp->is_null()) {
      ASSIGN_OR_RETURN(uint64_t size, Number(o, "checkpoint"));
      m.checkpoint = size;
    }
    const auto* files = o.if_contains("files");
    if (files == nullptr || !files->is_array()) return Bad("\"files\" is not an array");
    std::set<std::string> seen;
    for (const auto& f : files->get_array()) {
      if (!f.is_object()) return Bad("an entry of \"files\" is not an object");
      const auto& fo = f.get_object();
      RETURN_IF_ERROR(OnlyKeys(fo, "a file entry", {"path", "bytes", "sha256", "mode"}));
      ManifestFile mf;
      ASSIGN_OR_RETURN(mf.path, String(fo, "path"));
      if (!IsDataDirectoryFile(mf.path)) {
        return Bad(fmt::format("{} is not a file of a data directory", Quoted(mf.path)));
      }
      if (!seen.insert(mf.path).second) return Bad(fmt::format("{} is listed twice", mf.path));
      ASSIGN_OR_RETURN(mf.bytes, Number(fo, "bytes"));
      ASSIGN_OR_RETURN(std::string hex, String(fo, "sha256"));
      auto hash = core::HashFromHex(hex);
      if (!hash.ok()) return Bad(fmt::format("the sha256 of {} is not 64 hex digits", mf.path));
      mf.sha256 = *hash;
      ASSIGN_OR_RETURN(std::string mode, String(fo, "mode"));
      if (mode != "0444" && mode != "0600" && mode != "0644") {
        return Bad(fmt::format("the mode of {} is not 0444, 0600 or 0644", mf.path));
      }
      mf.mode = std::stoi(mode, nullptr, 8);
      m.files.push_back(std::move(mf));
    }
    for (const char* needed : {"vellum.toml", "keys/ledger.pub", "records.db"}) {
      if (!seen.count(needed)) return Bad(fmt::format("it lists no {}", needed));
    }
    return m;
  }

 private:
  Status Bad(const std::string& why) const {
    return InvalidArgumentError(fmt::format("{} is not a Vellum backup manifest: {}", name_, why));
  }
  Status OnlyKeys(const boost::json::object& o, std::string_view where, std::initializer_list<std::string_view> keys) {
    for (const auto& kv : o) {
      if (std::find(keys.begin(), keys.end(), kv.key()) == keys.end()) {
        return Bad(fmt::format("unknown field {}{}{}", Quoted(kv.key()),
                               where.empty() ? "" : " in ", where));
      }
    }
    return OkStatus();
  }
  StatusOr<std::string> String(const boost::json::object& o, std::string_view key) const {
    const auto* v = o.if_contains(key);
    if (v == nullptr || !v->is_string()) return Bad(fmt::format("\"{}\" is not a string", key));
    return std::string(v->get_string());
  }
  StatusOr<uint64_t> Number(const boost::json::object& o, std::string_view key) const {
    const auto* v = o.if_contains(key);
    if (v != nullptr && v->is_uint64()) return v->get_uint64();
    if (v != nullptr && v->is_int64() && v->get_int64() >= 0) return static_cast<uint64_t>(v->get_int64());
    return Bad(fmt::format("\"{}\" is not a non-negative integer", key));
  }
  std::string name_;
};

// ---- backup ----

// The ledger's files in `ledger` up to `events` events and the durable tree,
// copied into `copier`. Returns {tree size, latest checkpoint}.
struct LedgerCut {
  uint64_t tree_size = 0;
  std::optional<uint64_t> checkpoint;
};

StatusOr<LedgerCut> CopyLedger(core::Env* env, const std::string& ledger, uint64_t events, FileCopier& copier) {
  auto path = [&](const std::string& rel) { return core::JoinPath(ledger, rel); };
  // Checkpoints before the tree's durable size: a checkpoint is written only
  // after its tree was made durable, so every one listed here is within the
  // size read next, which only grows.
  std::vector<uint64_t> checkpoints;
  ASSIGN_OR_RETURN(auto cp_names, env->ListDir(path("checkpoints")));
  for (const auto& n : cp_names) {
    auto size = NumberedName(n, ".note");
    if (size && *size <= events) checkpoints.push_back(*size);  // others: newer, or a write's temporary file
  }
  LedgerCut cut;
  if (env->Exists(path("tree/synced"))) {
    ASSIGN_OR_RETURN(std::string text, env->ReadFile(path("tree/synced")));
    uint64_t v = 0;
    bool ok = !text.empty() && text.size() <= 21 && text.back() == '\n';
    for (size_t i = 0; ok && i + 1 < text.size(); ++i) {
      ok = text[i] >= '0' && text[i] <= '9';
      v = v * 10 + static_cast<uint64_t>(text[i] - '0');
    }
    if (!ok) return DataLossError("ledger/tree/synced is malformed");
    cut.tree_size = std::min(v, events);
  }
  for (uint64_t c : checkpoints) {
    if (c > cut.tree_size) {
      return DataLossError(fmt::format("ledger/checkpoints/{}.note is beyond the tree size made durable ({})", Pad20(c),
                                       cut.tree_size));
    }
  }

  // Segments: whole where every event is within the cut, the last one up to it.
  ASSIGN_OR_RETURN(auto seg_names, env->ListDir(path("segments")));
  std::vector<uint64_t> firsts;
  for (const auto& n : seg_names) {
    auto first = NumberedName(n, ".jsonl");
    if (!first) return DataLossError(fmt::format("unexpected file ledger/segments/{} in the ledger", n));
    if (*first <= events) firsts.push_back(*first);
  }
  if (firsts.empty() || firsts.front() != 0) return DataLossError("the ledger has no segment starting at seq 0");
  for (size_t i = 0; i < firsts.size(); ++i) {
    const std::string seg = "segments/" + FileLogStore::SegmentName(firsts[i]);
    const std::string idx = "offsets/" + Pad20(firsts[i]) + ".idx";
    const bool last = i + 1 == firsts.size();
    if (!last) {
      const uint64_t lines = firsts[i + 1] - firsts[i];
      ASSIGN_OR_RETURN(uint64_t bytes, env->FileSize(path(seg)));
      RETURN_IF_ERROR(copier.CopyBytes(path(seg), "ledger/" + seg, bytes, 0444));
      RETURN_IF_ERROR(copier.CopyBytes(path(idx), "ledger/" + idx, lines * kOffsetBytes, 0444));
      continue;
    }
    // The open segment: its lines up to the cut, and an offset index made from them.
    ASSIGN_OR_RETURN(std::string offsets, copier.CopyLines(path(seg), "ledger/" + seg, events - firsts[i], 0644));
    RETURN_IF_ERROR(copier.Write("ledger/" + idx, offsets, 0644));
  }

  // The tree files up to the durable size; the next open recomputes the rest.
  for (int level = 0; level < 64 && (cut.tree_size >> level) > 0; ++level) {
    const std::string rel = "tree/" + FileLogStore::LevelName(level);
    RETURN_IF_ERROR(copier.CopyBytes(path(rel), "ledger/" + rel, (cut.tree_size >> level) * kHashBytes, 0644));
  }
  if (cut.tree_size > 0) RETURN_IF_ERROR(copier.Write("ledger/tree/synced", fmt::format("{}\n", cut.tree_size), 0644));

  for (uint64_t c : checkpoints) {
    const std::string rel = "checkpoints/" + FileLogStore::CheckpointName(c);
    ASSIGN_OR_RETURN(uint64_t bytes, env->FileSize(path(rel)));
    RETURN_IF_ERROR(copier.CopyBytes(path(rel), "ledger/" + rel, bytes, 0444));
  }
  if (!checkpoints.empty()) cut.checkpoint = checkpoints.back();
  return cut;
}

// Verifies the copy in `staging` as `vellum verify` would, then leaves it
// without the lock file that verify made.
StatusOr<ledger::VerifyReport> VerifyCopy(core::Env* env, const std::string& staging,
                                          const BackupCopyOptions& options) {
  DirectoryVerifyOptions v;
  v.env = env;
  v.lock_wait_ms = 0;
  v.progress = options.verify_progress;
  ASSIGN_OR_RETURN(ledger::VerifyReport report, VerifyDirectory(staging, v));
  const std::string lock = core::JoinPath(staging, "LOCK");
  if (env->Exists(lock)) RETURN_IF_ERROR(env->Remove(lock));
  return report;
}

struct LoadedManifest {
  Manifest manifest;
  std::string text;
};

// The manifest of the backup in `backup_dir`, read strictly.
StatusOr<LoadedManifest> LoadManifest(core::Env* env, const std::string& backup_dir) {
  const std::string path = core::JoinPath(backup_dir, kBackupManifestName);
  if (!env->Exists(path)) {
    return NotFoundError(fmt::format("no Vellum backup at {} (it has no {})", backup_dir, kBackupManifestName));
  }
  ASSIGN_OR_RETURN(uint64_t bytes, env->FileSize(path));
  if (bytes > kMaxManifestBytes) {
    return InvalidArgumentError(fmt::format("{} is not a Vellum backup manifest: it holds {} bytes, more than {}",
                                            kBackupManifestName, bytes, kMaxManifestBytes));
  }
  LoadedManifest loaded;
  ASSIGN_OR_RETURN(loaded.text, env->ReadFile(path));
  ASSIGN_OR_RETURN(loaded.manifest, ManifestReader(kBackupManifestName).Read(loaded.text));
  return loaded;
}

// Files of the backup its manifest does not list (the manifest itself and the
// lock file a `verify` of the backup leaves are not among them).
StatusOr<std::vector<std::string>> UnlistedFiles(const std::string& backup_dir, const Manifest& m) {
  std::set<std::string> listed;
  for (const auto& f : m.files) listed.insert(f.path);
  std::vector<std::string> unlisted;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(backup_dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_directory(ec)) continue;
    const std::string rel = fs::relative(it->path(), backup_dir, ec).generic_string();
    if (rel == kBackupManifestName || rel == "LOCK") continue;
    if (!listed.count(rel)) unlisted.push_back(rel);
  }
  if (ec) return DataLossError(fmt::format("the backup {} cannot be listed: {}", backup_dir, ec.message()));
  std::sort(unlisted.begin(), unlisted.end());
  return unlisted;
}

// What is wrong with the backup's copy of `f`, in words that follow its name
// ("" when it is the file the manifest lists).
StatusOr<std::string> FileMismatch(core::Env* env, const std::string& backup_dir, const ManifestFile& f) {
  const std::string path = core::JoinPath(backup_dir, f.path);
  if (!env->Exists(path)) return std::string("missing: its manifest lists it");
  ASSIGN_OR_RETURN(uint64_t bytes, env->FileSize(path));
  if (bytes != f.bytes) return fmt::format("holds {} bytes, its manifest says {}", bytes, f.bytes);
  ASSIGN_OR_RETURN(auto in, env->OpenRandomAccess(path));
  core::Sha256Stream sha;
  std::string buf;
  for (uint64_t offset = 0; offset < bytes; offset += buf.size()) {
    RETURN_IF_ERROR(in->Read(offset, kCopyChunk, &buf));
    if (buf.empty()) break;
    in->WillRead(offset + buf.size(), kCopyChunk);
    sha.Update(buf);
  }
  if (sha.Finish() != f.sha256) {
    return std::string("not the file its manifest lists (its SHA-256 differs)");
  }
  return std::string();
}

}  // namespace

StatusOr<BackupCopyReport> BackupDataDirectory(const std::string& dir, const std::string& out_dir,
                                               const BackupCopyOptions& options) {
  core::Env* env = options.env ? options.env : core::Env::Default();
  core::SystemClock system_clock;
  core::Clock* clock = options.clock ? options.clock : &system_clock;
  RETURN_IF_ERROR(CheckTarget(out_dir, "backup"));
  if (!env->Exists(ConfigPath(dir))) {
    return NotFoundError(fmt::format("no Vellum data directory at {} (create one with `vellum init`)", dir));
  }
  if (IsWithinDirectory(out_dir, dir)) {
    return InvalidArgumentError(fmt::format("{} is inside the data directory {}: back up outside it", out_dir, dir));
  }
  for (const std::string& needed : {PrivateKeyPath(dir), PublicKeyPath(dir), RecordsDbPath(dir), AuthDbPath(dir)}) {
    if (!env->Exists(needed)) return DataLossError(fmt::format("{} is missing: this is no complete data directory",
                                                               needed));
  }
  ASSIGN_OR_RETURN(Config config, LoadConfig(env, ConfigPath(dir)));
  ASSIGN_OR_RETURN(std::string staging, MakeStagingDir(env, out_dir));
  StagingGuard guard(staging);
  FileCopier copier(env, staging);

  // auth.db first: every change of its material (a password, a key, a session)
  // is recorded in the ledger before auth.db is written, so a snapshot of
  // auth.db taken before the cut holds nothing the backup's trail does not
  // record — at worst a change the trail records and auth.db has not reached,
  // which is what a crash between the two writes leaves and what the product
  // already treats safely (a stale password or an unlisted key opens nothing).
  RETURN_IF_ERROR(copier.CopyDatabase(AuthDbPath(dir), "auth.db", 0600));
  // The cut: records.db as of one transaction, and the events it says it applied.
  RETURN_IF_ERROR(copier.CopyDatabase(RecordsDbPath(dir), "records.db", 0644));
  uint64_t events = 0;
  {
    ASSIGN_OR_RETURN(auto copy, storage::SqliteProjectionStore::OpenReadOnly(core::JoinPath(staging, "records.db")));
    ASSIGN_OR_RETURN(events, copy->AppliedCount());
  }
  if (events == 0) return FailedPreconditionError("records.db has applied no events yet: nothing to back up");
  for (const auto& [rel, mode] : std::initializer_list<std::pair<const char*, int>>{
           {"vellum.toml", 0644}, {"keys/ledger.key", 0600}, {"keys/ledger.pub", 0644}}) {
    const std::string from = core::JoinPath(dir, rel);
    ASSIGN_OR_RETURN(uint64_t bytes, env->FileSize(from));
    RETURN_IF_ERROR(copier.CopyBytes(from, rel, bytes, mode));
  }
  ASSIGN_OR_RETURN(LedgerCut cut, CopyLedger(env, LedgerDir(dir), events, copier));

  Manifest m;
  m.origin = config.origin;
  m.created = core::FormatTimestamp(clock->NowMicros());
  m.events = events;
  m.tree_size = cut.tree_size;
  m.checkpoint = cut.checkpoint;
  m.files = copier.files();
  std::sort(m.files.begin(), m.files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  ASSIGN_OR_RETURN(std::string manifest, EncodeManifest(m));
  RETURN_IF_ERROR(env->WriteFileAtomic(core::JoinPath(staging, kBackupManifestName), manifest, 0644));

  BackupCopyReport report = ReportOf(m, manifest);
  ASSIGN_OR_RETURN(report.verify, VerifyCopy(env, staging, options));
  if (!report.verify.ok()) return report;  // the guard removes the copy
  RETURN_IF_ERROR(Publish(env, staging, out_dir));
  guard.Release();
  return report;
}

// ---- restore ----

StatusOr<BackupCopyReport> RestoreDataDirectory(const std::string& backup_dir, const std::string& dir,
                                                const BackupCopyOptions& options) {
  core::Env* env = options.env ? options.env : core::Env::Default();
  RETURN_IF_ERROR(CheckTarget(dir, "restore"));
  if (IsWithinDirectory(dir, backup_dir)) {
    return InvalidArgumentError(fmt::format("{} is inside the backup {}: restore outside it", dir, backup_dir));
  }
  ASSIGN_OR_RETURN(LoadedManifest loaded, LoadManifest(env, backup_dir));
  const Manifest& m = loaded.manifest;
  const std::string& text = loaded.text;
  // Every file of the backup is in the manifest, and nothing else is taken.
  ASSIGN_OR_RETURN(std::vector<std::string> unlisted, UnlistedFiles(backup_dir, m));
  if (!unlisted.empty()) {
    return DataLossError(fmt::format("the backup holds {}, which its manifest does not list", unlisted.front()));
  }

  ASSIGN_OR_RETURN(std::string staging, MakeStagingDir(env, dir));
  StagingGuard guard(staging);
  FileCopier copier(env, staging);
  for (const auto& f : m.files) {
    const std::string from = core::JoinPath(backup_dir, f.path);
    if (!env->Exists(from)) return DataLossError(fmt::format("the backup's {} is missing", f.path));
    ASSIGN_OR_RETURN(uint64_t bytes, env->FileSize(from));
    if (bytes != f.bytes) {
      return DataLossError(fmt::format("the backup's {} holds {} bytes, its manifest says {}", f.path, bytes, f.bytes));
    }
    RETURN_IF_ERROR(copier.CopyBytes(from, f.path, f.bytes, f.mode));
    if (copier.files().back().sha256 != f.sha256) {
      return DataLossError(fmt::format("the backup's {} is not the file its manifest lists (its SHA-256 differs)",
                                       f.path));
    }
  }

  BackupCopyReport report = ReportOf(m, text);
  ASSIGN_OR_RETURN(report.verify, VerifyCopy(env, staging, options));
  if (report.verify.ok() && report.verify.events != m.events) {
    return DataLossError(fmt::format("the backup holds {} events, its manifest says {}", report.verify.events,
                                     m.events));
  }
  if (!report.verify.ok()) return report;
  core::SystemClock system_clock;
  core::Clock* clock = options.clock ? options.clock : &system_clock;
  RETURN_IF_ERROR(WriteRestoreNote(env, staging, {core::HashToHex(report.manifest_sha256), m.created, m.events,
                                                  core::FormatTimestamp(clock->NowMicros())}));
  RETURN_IF_ERROR(Publish(env, staging, dir));
  guard.Release();
  return report;
}

// ---- checking a backup where it is ----

StatusOr<BackupCopyReport> VerifyBackup(const std::string& backup_dir, const BackupCopyOptions& options) {
  core::Env* env = options.env ? options.env : core::Env::Default();
  ASSIGN_OR_RETURN(LoadedManifest loaded, LoadManifest(env, backup_dir));
  const Manifest& m = loaded.manifest;
  BackupCopyReport report = ReportOf(m, loaded.text);
  // Every file is checked and every difference named, as verify names every problem.
  std::vector<ledger::VerifyProblem> files;
  ASSIGN_OR_RETURN(std::vector<std::string> unlisted, UnlistedFiles(backup_dir, m));
  for (const auto& rel : unlisted) {
    files.push_back({"backup", std::nullopt, rel, "not listed in the manifest"});
  }
  for (const auto& f : m.files) {
    ASSIGN_OR_RETURN(std::string mismatch, FileMismatch(env, backup_dir, f));
    if (!mismatch.empty()) files.push_back({"backup", std::nullopt, f.path, mismatch});
  }
  // Then the ledger in it, as `vellum verify` reads a data directory (a
  // backup is laid out as one). The lock file verify takes is removed again
  // unless it was there before: the backup is left as it was found.
  const std::string lock = core::JoinPath(backup_dir, "LOCK");
  const bool had_lock = env->Exists(lock);
  DirectoryVerifyOptions v;
  v.env = env;
  v.lock_wait_ms = 0;
  v.progress = options.verify_progress;
  auto verified = VerifyDirectory(backup_dir, v);
  if (!had_lock && env->Exists(lock)) RETURN_IF_ERROR(env->Remove(lock));
  if (verified.ok()) {
    report.verify = std::move(*verified);
    if (report.verify.events != m.events) {
      files.push_back({"backup", std::nullopt, kBackupManifestName,
                       fmt::format("the manifest says {} events, the backup's ledger holds {}", m.events,
                                   report.verify.events)});
    }
  } else if (verified.status().code() == StatusCode::kDataLoss) {
    files.push_back({"open", std::nullopt, backup_dir, std::string(verified.status().message())});
  } else {
    return verified.status();
  }
  report.verify.problems.insert(report.verify.problems.begin(), files.begin(), files.end());
  return report;
}

}  // namespace vellum::app
