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
//
// Every engine meets the contract below, error codes included;
// tests/storage/log_store_conformance_test.cc checks it for each engine.
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

// Everything among the stored checkpoints: the checkpoints by ascending size, and
// the names of entries that are none (a stray file), kept apart so that `verify`
// can still check every checkpoint and name the stray.
struct CheckpointListing {
  std::vector<StoredCheckpoint> checkpoints;
  std::vector<std::string> unexpected;
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
  // after the last complete one (crash recovery of an unacknowledged tail);
  // durable on return. kInvalidArgument when count > EventCount(). An engine
  // may refuse to cut into events it has sealed (kFailedPrecondition): the
  // ledger only ever cuts events appended since it opened.
  virtual Status TruncateEvents(uint64_t count) = 0;
  // Bytes an interrupted write left after the last complete event (0 when
  // none): not an event; TruncateEvents removes them, and nothing can be
  // appended before it has.
  virtual uint64_t TornTailBytes() const = 0;
  // The line of event `seq`, without the '\n'; kNotFound when seq >= EventCount().
  virtual StatusOr<std::string> ReadEvent(uint64_t seq) const = 0;
  // Where event `seq` is stored (offsets grow with seq within one file); kNotFound as ReadEvent.
  virtual StatusOr<EventLocation> LocateEvent(uint64_t seq) const = 0;
  // Events from `from_seq` to the end as of this call (none when from_seq is
  // past it); events appended after the call are not part of the scan.
  virtual std::unique_ptr<EventCursor> Scan(uint64_t from_seq) const = 0;

  // Merkle subtree hashes. Appends need not be durable: the tree is derived
  // data, rebuilt after a crash from TreeSyncedSize() on. Each node's index must
  // be the next of its level (NodeCount(level) before it), else kInternal.
  virtual Status AppendNodes(std::span<const TreeNode> nodes) = 0;
  // kOutOfRange when the node is not stored.
  virtual StatusOr<core::Hash> Node(int level, uint64_t index) const = 0;
  // Up to `count` consecutive stored hashes of `level` from `first` (fewer at
  // the end, none from past it).
  virtual StatusOr<std::vector<core::Hash>> ReadNodes(int level, uint64_t first, size_t count) const = 0;
  // Number of stored entries at `level`.
  virtual uint64_t NodeCount(int level) const = 0;
  // Makes all nodes for the first `size` leaves durable and records `size`.
  // kInternal when a level holds fewer than size >> level nodes.
  virtual Status SyncTree(uint64_t size) = 0;
  // The tree size whose nodes are known durable. After Open, nodes beyond it
  // have been discarded (NodeCount(level) == TreeSyncedSize() >> level) and
  // must be re-appended by the ledger.
  virtual uint64_t TreeSyncedSize() const = 0;

  // Signed checkpoints, durable on return. One per tree size: kAlreadyExists
  // for a size already stored. Listed by ascending size; Latest is the largest.
  virtual Status PutCheckpoint(uint64_t size, std::string_view note) = 0;
  virtual StatusOr<CheckpointListing> ScanCheckpoints() const = 0;
  // The checkpoints; kDataLoss naming the first entry that is none.
  StatusOr<std::vector<StoredCheckpoint>> ListCheckpoints() const {
    ASSIGN_OR_RETURN(CheckpointListing found, ScanCheckpoints());
    if (!found.unexpected.empty()) {
      return DataLossError("unexpected file " + found.unexpected.front() + " among the checkpoints");
    }
    return std::move(found.checkpoints);
  }
  virtual StatusOr<std::optional<StoredCheckpoint>> LatestCheckpoint() const = 0;
};

}  // namespace vellum::storage
