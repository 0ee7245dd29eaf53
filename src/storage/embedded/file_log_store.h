// The embedded engine's event log: canonical JSON Lines segments, a
// fixed-width offset index per segment, one hash file per Merkle tree level,
// and signed checkpoints as files. Format: docs/formats/ledger-files.md.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/env.h"
#include "storage/log_store.h"

namespace vellum::storage {

struct FileLogStoreOptions {
  // A segment is sealed (fsync'd, made read-only) once it reaches this size.
  uint64_t max_segment_bytes = 64ull << 20;
};

// What opening the store had to repair after an unclean shutdown. OpenReadOnly
// repairs nothing: there the same fields say what it found and left as it is
// (an incomplete last line is not counted as an event, leftover temporary files
// are skipped; tree entries past the durable size are kept as stored, to be compared).
struct FileLogRecovery {
  uint64_t torn_tail_bytes = 0;  // incomplete last line removed
  std::string torn_tail_file;
  uint64_t torn_tail_offset = 0;
  uint64_t tree_entries_discarded = 0;  // unsynced tree entries dropped for rebuilding
  uint64_t temp_files_removed = 0;      // checkpoint files a crash left half-written
};

// REQUIRES: `env` outlives the store. Holds no lock itself: the ledger's
// owner takes the data directory's lock before opening.
class FileLogStore final : public LogStore {
 public:
  // Creates the directory layout under `ledger_dir` (must not hold segments yet) and opens it.
  static StatusOr<std::unique_ptr<FileLogStore>> Create(core::Env* env, const std::string& ledger_dir,
                                                        const FileLogStoreOptions& options = {});
  // Opens an existing ledger directory, repairing only what a crash can leave
  // behind: a stale or missing offset index of the open segment, tree entries
  // beyond the durable tree size, and temporary files of an interrupted
  // checkpoint write. A torn last line is left out of the events but stays in
  // the file until TruncateEvents removes it (the ledger does once it has
  // found no damage); appends fail until then.
  static StatusOr<std::unique_ptr<FileLogStore>> Open(core::Env* env, const std::string& ledger_dir,
                                                      const FileLogStoreOptions& options = {});
  // Opens for reading only: writes, repairs and removes nothing (`vellum verify`
  // checks the files as a crash or an attacker left them). Every mutating method
  // fails with kFailedPrecondition. REQUIRES: writers are kept out (the data
  // directory's lock) while it is open.
  static StatusOr<std::unique_ptr<FileLogStore>> OpenReadOnly(core::Env* env, const std::string& ledger_dir);
  ~FileLogStore() override;

  const FileLogRecovery& recovery() const { return recovery_; }

  // The segment files and the bytes of the complete event lines they hold.
  struct SegmentTotals {
    uint64_t segments = 0;
    uint64_t bytes = 0;
  };
  SegmentTotals Segments() const;
  // The number of checkpoint files, without reading them.
  StatusOr<uint64_t> CheckpointCount() const;

  uint64_t EventCount() const override;
  Status AppendEvents(std::span<const std::string> lines) override;
  Status TruncateEvents(uint64_t count) override;
  uint64_t TornTailBytes() const override;
  StatusOr<std::string> ReadEvent(uint64_t seq) const override;
  StatusOr<EventLocation> LocateEvent(uint64_t seq) const override;
  std::unique_ptr<EventCursor> Scan(uint64_t from_seq) const override;

  Status AppendNodes(std::span<const TreeNode> nodes) override;
  StatusOr<core::Hash> Node(int level, uint64_t index) const override;
  StatusOr<std::vector<core::Hash>> ReadNodes(int level, uint64_t first, size_t count) const override;
  uint64_t NodeCount(int level) const override;
  Status SyncTree(uint64_t size) override;
  uint64_t TreeSyncedSize() const override;

  Status PutCheckpoint(uint64_t size, std::string_view note) override;
  StatusOr<CheckpointListing> ScanCheckpoints() const override;
  StatusOr<std::optional<StoredCheckpoint>> LatestCheckpoint() const override;

  // Paths, relative names, for messages and for tests that tamper with files.
  static std::string SegmentName(uint64_t first_seq);
  static std::string LevelName(int level);
  static std::string CheckpointName(uint64_t size);
  static std::string OffsetsName(uint64_t first_seq);
  // The number in a name "<20 digits><suffix>" (as the names above), or nullopt.
  static std::optional<uint64_t> ParseNumberedName(std::string_view name, std::string_view suffix);
  // The tree size ledger/tree/synced says is durable (0 when there is none
  // yet); kDataLoss when the file is malformed.
  static StatusOr<uint64_t> ReadTreeSyncedSize(core::Env* env, const std::string& ledger_dir);

  struct Impl;  // internal

 private:
  explicit FileLogStore(std::unique_ptr<Impl> impl);
  static StatusOr<std::unique_ptr<FileLogStore>> OpenAs(core::Env* env, const std::string& ledger_dir,
                                                        const FileLogStoreOptions& options, bool read_only);
  Status CheckWritable() const;
  std::unique_ptr<Impl> impl_;
  FileLogRecovery recovery_;
};

}  // namespace vellum::storage
