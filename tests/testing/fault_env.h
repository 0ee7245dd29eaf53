// FaultInjectionEnv: an Env for crash and error tests (after RocksDB's
// FaultInjectionTestFS). It forwards every call to a real Env and can
//  (a) fail the Nth call of a kind of operation with a chosen Status, and
//  (b) simulate a power cut: DropUnsyncedData() truncates every file written
//      through it back to its length at the last successful Sync(), optionally
//      keeping a random ("torn") part of the unsynced tail; and
//      DeleteFilesCreatedSinceDirSync() removes files whose directory was not
//      synced after they were created; and
//  (c) hold the Nth call of a kind of operation until the test releases it, to
//      force an interleaving of threads (a sync that is still running while
//      another thread does its part).
//
// Model and limits: a file's length when first opened through this env counts as
// synced; WriteFileAtomic is durable (the wrapped env syncs); Truncate, Rename and
// Remove take effect immediately and are never undone. Paths are compared as given
// (no normalisation beyond trailing slashes), so use one spelling per file.
//
// Thread-safe. The env must outlive every file and lock it returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/env.h"
#include "testing/call_holds.h"

namespace vellum::testing {

enum class FaultOp {
  kOpen,         // OpenAppendable, OpenRandomAccess
  kAppend,       // WritableFile::Append
  kSync,         // WritableFile::Sync
  kClose,        // WritableFile::Close
  kRead,         // RandomAccessFile::Read / ReadExact, Env::ReadFile
  kWriteAtomic,  // WriteFileAtomic
  kListDir,
  kCreateDirs,
  kFileSize,
  kTruncate,
  kRename,
  kRemove,
  kSyncDir,
  kChmod,
  kGetMode,
  kLock,
};
inline constexpr int kFaultOpCount = static_cast<int>(FaultOp::kLock) + 1;

class FaultInjectionEnv final : public core::Env {
 public:
  // `base` must outlive this env.
  explicit FaultInjectionEnv(core::Env* base = core::Env::Default());

  // The `nth` next call of `op` (1 = the very next) fails with `status` and has no effect.
  // REQUIRES: nth >= 1, !status.ok().
  void FailNth(FaultOp op, uint64_t nth, Status status);
  // Like FailNth, but that call and every later call of `op` fail (a dead disk, ENOSPC).
  void FailFromNth(FaultOp op, uint64_t nth, Status status);
  // The `nth` next call of `op` waits, before it does anything (or fails, if a
  // fault is armed for it too), until ReleaseHeld. Returns that call's number,
  // which names it to AwaitHeld and ReleaseHeld. REQUIRES: nth >= 1.
  uint64_t HoldNth(FaultOp op, uint64_t nth);
  // Waits until call `call` of `op` is being held; false if it did not come within `timeout`.
  bool AwaitHeld(FaultOp op, uint64_t call, std::chrono::milliseconds timeout);
  void ReleaseHeld(FaultOp op, uint64_t call);
  // Disarms all pending faults and lets every held call go.
  void ClearFaults();
  // Calls of `op` made so far, failed ones included.
  uint64_t OpCount(FaultOp op) const;

  // Power cut: truncates every tracked file to its last synced length. Writable files
  // still open become unusable (their calls fail with kFailedPrecondition), as after a
  // crash; open them again.
  Status DropUnsyncedData();
  // Like DropUnsyncedData, but each file keeps a pseudo-random prefix (possibly empty,
  // possibly all) of its unsynced bytes: a partially written tail. Same seed, same result.
  Status DropUnsyncedDataTorn(uint64_t seed);
  // Removes files created through this env since the last SyncDir of their directory
  // (a new directory entry is not durable until then).
  Status DeleteFilesCreatedSinceDirSync();
  // Bytes appended to `path` since its last Sync (0 if untracked).
  uint64_t UnsyncedBytes(const std::string& path) const;
  // The read-ahead advice (RandomAccessFile::WillRead) given for `path` so far,
  // in order: {offset, length}.
  std::vector<std::pair<uint64_t, size_t>> ReadAdvice(const std::string& path) const;

  // The boot BootId names from now on ("" for a system that names none): a
  // different one than before a simulated power cut is a machine started again.
  void SetBootId(std::string id);

  // core::Env (default arguments repeat the base's, for calls through this type)
  StatusOr<std::unique_ptr<core::WritableFile>> OpenAppendable(
      const std::string& path, int mode = 0644,
      core::AppendCaching caching = core::AppendCaching::kCached) override;
  StatusOr<std::unique_ptr<core::RandomAccessFile>> OpenRandomAccess(
      const std::string& path) override;
  StatusOr<std::string> ReadFile(const std::string& path) override;
  Status WriteFileAtomic(const std::string& path, std::string_view data, int mode = 0644) override;
  bool Exists(const std::string& path) override;
  StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override;
  Status CreateDirs(const std::string& dir, int mode = 0755) override;
  StatusOr<uint64_t> FileSize(const std::string& path) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Status SyncDir(const std::string& dir) override;
  Status Chmod(const std::string& path, int mode) override;
  StatusOr<int> GetMode(const std::string& path) override;
  StatusOr<std::unique_ptr<core::FileLock>> Lock(const std::string& path, bool exclusive,
                                                 int wait_ms) override;
  std::string BootId() override;

 private:
  class Writable;
  class RandomAccess;
  // Per path, shared with the open Writables of that path. Guarded by mu_.
  struct FileState {
    uint64_t synced = 0;   // durable length
    uint64_t size = 0;     // current length
    bool crashed = false;  // set by a Drop*: open handles are dead
  };
  struct Fault {
    FaultOp op;
    uint64_t first;  // OpCount value at which it fires
    bool sticky;
    Status status;
  };
  // Counts a call of `op` and returns the injected error, if any.
  Status MaybeFail(FaultOp op);
  void Arm(FaultOp op, uint64_t nth, Status status, bool sticky);
  Status Drop(bool torn, uint64_t seed);

  core::Env* const base_;
  mutable std::mutex mu_;
  std::optional<std::string> boot_id_;  // guarded by mu_; unset: the base's
  uint64_t counts_[kFaultOpCount] = {};
  std::vector<Fault> faults_;
  CallHolds holds_[kFaultOpCount];  // own locking: a held call must not block mu_
  std::map<std::string, std::shared_ptr<FileState>> files_;  // by path
  std::set<std::string> created_;                            // not yet covered by a SyncDir
  std::map<std::string, std::vector<std::pair<uint64_t, size_t>>> advice_;  // by path
};

}  // namespace vellum::testing
