// Env: every file-system call Vellum makes goes through this interface, so
// tests can substitute a fault-injecting implementation (LevelDB's Env,
// RocksDB's FileSystem). SQLite keeps its own VFS and is the one exception.
//
// Paths are plain strings; relative paths are relative to the process's cwd.
//
// Errors name the operation, the path and the OS reason, e.g.
// "open ledger/segments/x.jsonl: No such file or directory". Codes from errno:
// ENOENT → kNotFound, EEXIST → kAlreadyExists, EACCES/EPERM/EROFS and EAGAIN/EBUSY →
// kUnavailable (kPermissionDenied is kept for the authority check),
// ENOSPC/EDQUOT → kResourceExhausted, ENOTDIR/EISDIR/ENOTEMPTY → kFailedPrecondition,
// anything else → kInternal.
//
// Durability: file contents are durable after WritableFile::Sync(); a newly
// created or renamed name is durable only after SyncDir() of its directory
// (WriteFileAtomic does both itself).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vellum::core {

// Append-only file. Not thread-safe. Data is durable only after Sync().
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Writes all of `data` (retrying short writes). On error part of it may have been written;
  // Size() then reports the file's actual length.
  virtual Status Append(std::string_view data) = 0;
  // fdatasync: everything appended so far is on stable storage when this returns OK.
  virtual Status Sync() = 0;
  // Closes the file (also done by the destructor, which ignores errors). Idempotent;
  // Append and Sync after Close fail with kFailedPrecondition.
  virtual Status Close() = 0;
  // Bytes in the file (existing length at open + appended).
  virtual uint64_t Size() const = 0;
};

// Positional reads; safe to call from several threads at once.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset into *out (resized to what was read; short at EOF).
  virtual Status Read(uint64_t offset, size_t n, std::string* out) const = 0;
  // Reads exactly n bytes into buf, else kDataLoss (file shorter than expected).
  virtual Status ReadExact(uint64_t offset, size_t n, char* buf) const = 0;
  virtual StatusOr<uint64_t> Size() const = 0;
  // Advice that bytes [offset, offset + n) will be read soon: the system may
  // start reading them from the disk now and return at once, so a sequential
  // reader's next read overlaps its work on this one. Only advice: no error,
  // and no effect where unsupported.
  virtual void WillRead(uint64_t /*offset*/, size_t /*n*/) const {}
};

// Holds an advisory lock until destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

// How a WritableFile's appends use the page cache.
enum class AppendCaching {
  // Every append through the page cache.
  kCached,
  // An append of 64 KiB or more writes its whole blocks straight to the device
  // (O_DIRECT) where the file system allows it, for files written in large
  // batches and seldom read back soon (ledger segments), whose copy into the
  // page cache was the largest CPU cost of a durable append. Readers see every
  // appended byte as with kCached; the device's cache still needs Sync().
  kLargeAppendsDirect,
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX implementation. Never destroyed.
  static Env* Default();

  // Opens for appending, creating the file if needed (mode 0644 unless given, less the umask).
  virtual StatusOr<std::unique_ptr<WritableFile>> OpenAppendable(
      const std::string& path, int mode = 0644, AppendCaching caching = AppendCaching::kCached) = 0;
  virtual StatusOr<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& path) = 0;

  virtual StatusOr<std::string> ReadFile(const std::string& path) = 0;
  // Durable replace: write temp file, fsync it, rename over `path`, fsync the directory.
  // `mode` is applied exactly (not masked by the umask). Readers see the old or the new
  // contents, never a mix. A crash can leave a "<path>.tmp.XXXXXX" file behind.
  virtual Status WriteFileAtomic(const std::string& path, std::string_view data, int mode = 0644) = 0;

  virtual bool Exists(const std::string& path) = 0;
  // Names (not paths) of the entries of a directory, sorted.
  virtual StatusOr<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // Creates the directory and missing parents (mode 0755 unless given, less the umask).
  // OK if it already exists as a directory. The new entries are not synced.
  virtual Status CreateDirs(const std::string& dir, int mode = 0755) = 0;
  virtual StatusOr<uint64_t> FileSize(const std::string& path) = 0;
  virtual Status Truncate(const std::string& path, uint64_t size) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // Removes a file, or an empty directory.
  virtual Status Remove(const std::string& path) = 0;
  // fsync of the directory: makes creations, renames and removals in it durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  virtual Status Chmod(const std::string& path, int mode) = 0;
  // Permission bits (st_mode & 07777).
  virtual StatusOr<int> GetMode(const std::string& path) = 0;

  // Exclusive (or shared) advisory lock on `path`, created if needed.
  // Fails with kAborted if another process holds a conflicting lock after `wait_ms`
  // (wait_ms <= 0: try once); a lock file it may not open fails as any file does.
  // A flock(2) lock belongs to one open file description, so a second Lock of the
  // same path in the same process conflicts too. Not inherited by child processes
  // (O_CLOEXEC); released when the FileLock is destroyed.
  virtual StatusOr<std::unique_ptr<FileLock>> Lock(const std::string& path, bool exclusive,
                                                   int wait_ms) = 0;

  // Names the running system's boot: it changes when the machine starts again,
  // after a power cut or a system crash too, which is when data written but not
  // synced may be lost. A process that dies loses none of it (the kernel still
  // holds it), and the boot stays the same. "" when the system does not say.
  virtual std::string BootId();
};

// Joins path components with exactly one '/' between them ("a/" + "/b" → "a/b");
// an empty side yields the other. Unlike std::filesystem, an absolute `b` does not replace `a`.
std::string JoinPath(std::string_view a, std::string_view b);

}  // namespace vellum::core
