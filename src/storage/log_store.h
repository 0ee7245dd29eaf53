// LogStore: where the ledger's bytes live. The ledger layer decides what to
// write (event lines, Merkle subtree hashes, signed checkpoints); a LogStore
// only stores and returns them. The embedded engine keeps files
// (docs/formats/ledger-files.md); a PostgreSQL engine implements the same
// interface later without touching callers.
//
// Thread safety: one writer (the ledger's sequencer thread) calls the
// mutating methods; ReadEvent/LocateEvent/Scan/Node/ReadNodes/NodeCount may be
// called from any thread, also from several at once (verify's workers each
// read the tree files for their own run of events).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/sha256.h"
#include "core/status.h"

namespace vellum::storage {

// A complete Merkle subtree hash produced by the ledger (see ledger/merkle.h).
struct TreeNode {
  int level = 0;
  uint64_t index = 0;
  core::Hash hash{};
};

// One stored event line and where it lives, for error messages that name a place.
struct EventLocation {
  std::string file;     // e.g. "ledger/segments/00000000000000000000.jsonl"
  uint64_t offset = 0;  // byte offset of the line in that file
};

// Sequential reader over stored events, in sequence order.
class EventCursor {
 public:
  virtual ~EventCursor() = default;
  // Advances to the next event. Returns false at the end or on error (see status()).
  virtual bool Next() = 0;
  virtual Status status() const = 0;
  // Valid after Next() returned true, until the next call to Next().
  virtual uint64_t seq() const = 0;
  virtual std::string_view line() const = 0;  // canonical JSON, without the '\n'
  virtual EventLocation location() const = 0;
  // location().offset without building the file name: a reader that keeps
  // where every line is asks for the name only where a file begins (offset 0).
  virtual uint64_t offset() const = 0;
};

struct StoredCheckpoint {
  uint64_t size = 0;   // tree size the checkpoint commits to
  std::string name;    // storage-specific name for messages (file name)
  std::string note;    // the complete signed note
};

class LogStore {
 public:
  virtual ~LogStore() = default;

  // Number of events stored.
  virtual uint64_t EventCount() const = 0;
  // Appends event lines (no '\n' inside) as sequences EventCount()…; durable
  // (fdatasync'd) when it returns OK. On error nothing of this call remains.
  virtual Status AppendEvents(std::span<const std::string> lines) = 0;
  // Removes every event from `count` on, and whatever an interrupted write left
  // after the last complete one (crash recovery of an unacknowledged tail).
  virtual Status TruncateEvents(uint64_t count) = 0;
  // Bytes an interrupted write left after the last complete event (0 when
  // none): not an event; TruncateEvents removes them, and nothing can be
  // appended before it has.
  virtual uint64_t TornTailBytes() const = 0;
  virtual StatusOr<std::string> ReadEvent(uint64_t seq) const = 0;
  virtual StatusOr<EventLocation> LocateEvent(uint64_t seq) const = 0;
  // Events from `from_seq` to the end as of this call.
  virtual std::unique_ptr<EventCursor> Scan(uint64_t from_seq) const = 0;

  // Merkle subtree hashes. Appends need not be durable: the tree is derived
  // data, rebuilt after a crash from TreeSyncedSize() on.
  virtual Status AppendNodes(std::span<const TreeNode> nodes) = 0;
  virtual StatusOr<core::Hash> Node(int level, uint64_t index) const = 0;
  // Up to `count` consecutive stored hashes of `level` from `first` (fewer at the end).
  virtual StatusOr<std::vector<core::Hash>> ReadNodes(int level, uint64_t first, size_t count) const = 0;
  // Number of stored entries at `level`.
  virtual uint64_t NodeCount(int level) const = 0;
  // Makes all nodes for the first `size` leaves durable and records `size`.
  virtual Status SyncTree(uint64_t size) = 0;
  // The tree size whose nodes are known durable. After Open, nodes beyond it
  // have been discarded and must be re-appended by the ledger.
  virtual uint64_t TreeSyncedSize() const = 0;

  // Signed checkpoints, durable on return. One per tree size.
  virtual Status PutCheckpoint(uint64_t size, std::string_view note) = 0;
  virtual StatusOr<std::vector<StoredCheckpoint>> ListCheckpoints() const = 0;
  virtual StatusOr<std::optional<StoredCheckpoint>> LatestCheckpoint() const = 0;
};

}  // namespace vellum::storage
