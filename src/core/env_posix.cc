// The POSIX Env: the only file in Vellum that calls open/pread/write/fsync/rename
// directly. Every descriptor is owned by an RAII object and opened O_CLOEXEC so
// child processes (tests, hooks) never inherit ledger files or locks.
#include <dirent.h>
#include <fmt/format.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <utility>

#include "core/env.h"

namespace vellum::core {
namespace {

StatusCode CodeForErrno(int err) {
  switch (err) {
    case ENOENT:
      return StatusCode::kNotFound;
    case EEXIST:
      return StatusCode::kAlreadyExists;
    // A file the process may not read or write is the system's failure, not a
    // refusal by Vellum's authority check (kPermissionDenied, exit 3).
    case EACCES:
    case EPERM:
    case EROFS:
    case EAGAIN:
    case EBUSY:
      return StatusCode::kUnavailable;
    case ENOSPC:
    case EDQUOT:
      return StatusCode::kResourceExhausted;
    case ENOTDIR:
    case EISDIR:
    case ENOTEMPTY:
      return StatusCode::kFailedPrecondition;
    default:
      return StatusCode::kInternal;
  }
}

// "open ledger/segments/x.jsonl: No such file or directory"
Status ErrnoError(std::string_view op, const std::string& path, int err) {
  std::string m(op);
  m += ' ';
  m += path;
  m += ": ";
  m += std::strerror(err);
  return Status(CodeForErrno(err), std::move(m));
}

// Owns one file descriptor; closes it (ignoring errors) unless released first.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& o) noexcept : fd_(o.Release()) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = o.Release();
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

StatusOr<Fd> OpenFd(const std::string& path, int flags, int mode = 0) {
  for (;;) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0) return Fd(fd);
    if (errno != EINTR) return ErrnoError("open", path, errno);
  }
}

// Writes all of `data`, retrying short writes and EINTR.
Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t w = ::write(fd, data.data(), data.size());
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(w));
  }
  return OkStatus();
}

// Reads up to n bytes at offset, stopping early only at end of file.
StatusOr<size_t> PreadFull(int fd, uint64_t offset, size_t n, char* buf, const std::string& path) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, buf + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read", path, errno);
    }
    if (r == 0) break;  // EOF
    got += static_cast<size_t>(r);
  }
  return got;
}

Status CloseFd(Fd& fd, const std::string& path) {
  // Linux always releases the descriptor, even when close reports EINTR, so never retry.
  if (::close(fd.Release()) != 0 && errno != EINTR) return ErrnoError("close", path, errno);
  return OkStatus();
}

StatusOr<struct stat> Stat(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoError("stat", path, errno);
  return st;
}

std::string DirName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Appends through the page cache, except that, given a descriptor opened
// O_DIRECT (AppendCaching::kLargeAppendsDirect), an append of kDirectMinBytes or
// more writes its whole blocks straight to the device. Why: copying appended
// bytes into new pages of the page cache was the largest single cost of a
// durable append (on a 2-core virtual machine, 0.3 to 1.7 ns of CPU per byte
// depending on the state of memory, against 0.2 ns written direct; see
// docs/performance-history.md). A direct write must start
// and end on block boundaries, so it begins with the file's last partial block
// (read back and rewritten unchanged; writeback of a page rewrites that block
// too) and leaves the new partial block to an ordinary write.
class PosixWritableFile final : public WritableFile {
 public:
  // `direct` is a second descriptor of the file opened O_DIRECT, or invalid.
  PosixWritableFile(std::string path, Fd fd, Fd direct, uint64_t size)
      : path_(std::move(path)), fd_(std::move(fd)), direct_(std::move(direct)), size_(size) {}

  Status Append(std::string_view data) override {
    if (!fd_.valid()) return FailedPreconditionError("append " + path_ + ": file is closed");
    Status s = direct_.valid() && data.size() >= kDirectMinBytes ? AppendDirect(data)
                                                                 : WriteAll(fd_.get(), data, path_);
    if (!s.ok()) {
      // Part of `data` may have reached the file; re-read the length so Size() stays true.
      struct stat st;
      if (::fstat(fd_.get(), &st) == 0) size_ = static_cast<uint64_t>(st.st_size);
      return s;
    }
    size_ += data.size();
    return OkStatus();
  }

  Status Sync() override {
    if (!fd_.valid()) return FailedPreconditionError("sync " + path_ + ": file is closed");
    if (::fdatasync(fd_.get()) != 0) return ErrnoError("fdatasync", path_, errno);
    return OkStatus();
  }

  Status Close() override {
    if (!fd_.valid()) return OkStatus();
    direct_.Reset();
    return CloseFd(fd_, path_);
  }

  uint64_t Size() const override { return size_; }

 private:
  // Block size for direct writes: offsets, lengths and the buffer's address
  // must be multiples of the device's logical block size, which divides 4 KiB.
  static constexpr size_t kBlock = 4096;
  static constexpr size_t kDirectMinBytes = 64 * 1024;
  // Bytes staged per direct write (plus one block for the partial block in front).
  static constexpr size_t kStageBytes = 1 << 20;

  Status AppendDirect(std::string_view data) {
    if (stage_ == nullptr) {
      stage_.reset(static_cast<char*>(std::aligned_alloc(kBlock, kStageBytes + kBlock)));
      if (stage_ == nullptr) return WriteAll(fd_.get(), data, path_);
    }
    // The file's last partial block, which the first direct write rewrites as it is.
    const size_t tail = static_cast<size_t>(size_ % kBlock);
    uint64_t at = size_ - tail;
    ASSIGN_OR_RETURN(size_t got, PreadFull(fd_.get(), at, tail, stage_.get(), path_));
    if (got != tail) {
      return DataLossError("read " + path_ + ": the file is shorter than the " + std::to_string(size_) +
                           " bytes appended to it");
    }
    size_t fill = tail;
    bool wrote = false;
    while (!data.empty()) {
      const size_t n = std::min(data.size(), kStageBytes + kBlock - fill);
      std::memcpy(stage_.get() + fill, data.data(), n);
      fill += n;
      data.remove_prefix(n);
      const size_t whole = fill / kBlock * kBlock;
      if (whole == 0) continue;
      const int err = PwriteAll(direct_.get(), stage_.get(), whole, at, &wrote);
      if (err == EINVAL && !wrote) {
        // A file system that takes O_DIRECT at open but not this write: nothing
        // was written, so this and every later append go through the page cache.
        direct_.Reset();
        RETURN_IF_ERROR(WriteAll(fd_.get(), std::string_view(stage_.get() + tail, fill - tail), path_));
        return WriteAll(fd_.get(), data, path_);
      }
      if (err != 0) return ErrnoError("write", path_, err);
      at += whole;
      fill -= whole;
      std::memmove(stage_.get(), stage_.get() + whole, fill);
    }
    // The new partial block, by the appending descriptor: the file now ends at `at`.
    return WriteAll(fd_.get(), std::string_view(stage_.get(), fill), path_);
  }

  // pwrite of n bytes at `offset`, retrying short writes and EINTR; 0 or the
  // errno. *wrote becomes true once any byte is written.
  static int PwriteAll(int fd, const char* p, size_t n, uint64_t offset, bool* wrote) {
    while (n > 0) {
      const ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(offset));
      if (w < 0) {
        if (errno == EINTR) continue;
        return errno;
      }
      if (w > 0) *wrote = true;
      p += w;
      n -= static_cast<size_t>(w);
      offset += static_cast<uint64_t>(w);
    }
    return 0;
  }

  struct Free {
    void operator()(char* p) const { std::free(p); }
  };

  const std::string path_;
  Fd fd_;
  Fd direct_;
  uint64_t size_;
  std::unique_ptr<char, Free> stage_;  // kBlock-aligned, for direct writes
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, Fd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    out->resize(n);
    auto got = PreadFull(fd_.get(), offset, n, out->data(), path_);
    if (!got.ok()) {
      out->clear();
      return got.status();
    }
    out->resize(*got);
    return OkStatus();
  }

  Status ReadExact(uint64_t offset, size_t n, char* buf) const override {
    ASSIGN_OR_RETURN(size_t got, PreadFull(fd_.get(), offset, n, buf, path_));
    if (got != n) {
      return DataLossError("read " + path_ + ": wanted " + std::to_string(n) + " bytes at offset " +
                           std::to_string(offset) + ", file ends after " + std::to_string(got));
    }
    return OkStatus();
  }

  StatusOr<uint64_t> Size() const override {
    struct stat st;
    if (::fstat(fd_.get(), &st) != 0) return ErrnoError("stat", path_, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  void WillRead(uint64_t offset, size_t n) const override {
    // Queues the reads of the pages not cached yet and returns; a failure only
    // means no read-ahead.
    (void)::posix_fadvise(fd_.get(), static_cast<off_t>(offset), static_cast<off_t>(n), POSIX_FADV_WILLNEED);
  }

 private:
  const std::string path_;
  Fd fd_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(Fd fd) : fd_(std::move(fd)) {}
  // Closing the descriptor releases the flock.

 private:
  Fd fd_;
};

class PosixEnv final : public Env {
 public:
  StatusOr<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& path, int mode,
                                                         AppendCaching caching) override {
    // Read as well as write: a direct write rewrites the last partial block,
    // read back first.
    ASSIGN_OR_RETURN(Fd fd, OpenFd(path, O_RDWR | O_APPEND | O_CREAT, mode));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return ErrnoError("stat", path, errno);
    // Not every file system takes O_DIRECT (tmpfs does not): then every append
    // goes through the page cache.
    Fd direct;
    if (caching == AppendCaching::kLargeAppendsDirect) {
      auto opened = OpenFd(path, O_WRONLY | O_DIRECT);
      if (opened.ok()) direct = std::move(*opened);
    }
    return std::unique_ptr<WritableFile>(
        new PosixWritableFile(path, std::move(fd), std::move(direct), static_cast<uint64_t>(st.st_size)));
  }

  StatusOr<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& path) override {
    ASSIGN_OR_RETURN(Fd fd, OpenFd(path, O_RDONLY));
    return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(path, std::move(fd)));
  }

  StatusOr<std::string> ReadFile(const std::string& path) override {
    ASSIGN_OR_RETURN(Fd fd, OpenFd(path, O_RDONLY));
    // A whole file is read into memory: a device or a pipe (`--witness /dev/zero`)
    // would never end, so only a regular file is read.
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return ErrnoError("stat", path, errno);
    if (!S_ISREG(st.st_mode)) return InvalidArgumentError(fmt::format("{} is not a regular file", path));
    std::string data;
    char buf[64 * 1024];
    for (;;) {
      ssize_t r = ::read(fd.get(), buf, sizeof buf);
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoError("read", path, errno);
      }
      if (r == 0) break;
      data.append(buf, static_cast<size_t>(r));
    }
    return data;
  }

  Status WriteFileAtomic(const std::string& path, std::string_view data, int mode) override {
    // The temp file lives in the same directory so rename() is atomic (same file system).
    std::string tmp = path + ".tmp.XXXXXX";
    int raw = ::mkostemp(tmp.data(), O_CLOEXEC);
    if (raw < 0) return ErrnoError("create", tmp, errno);
    Fd fd(raw);
    Status s = WriteTemp(fd, tmp, data, mode);
    if (s.ok()) s = CloseFd(fd, tmp);
    if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = ErrnoError("rename", path, errno);
    if (!s.ok()) {
      ::unlink(tmp.c_str());  // best effort; the original `path` is untouched
      return s;
    }
    return SyncDir(DirName(path));
  }

  bool Exists(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
  }

  StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override {
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), &::closedir);
    if (!d) return ErrnoError("opendir", dir, errno);
    std::vector<std::string> names;
    for (;;) {
      errno = 0;
      struct dirent* e = ::readdir(d.get());
      if (e == nullptr) {
        if (errno != 0) return ErrnoError("readdir", dir, errno);
        break;
      }
      std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      names.emplace_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  Status CreateDirs(const std::string& dir, int mode) override {
    if (dir.empty()) return InvalidArgumentError("create directory: empty path");
    // Walk every prefix ending before a '/', then the whole path.
    for (size_t pos = 0; pos != std::string::npos;) {
      pos = dir.find('/', pos + 1);
      std::string prefix = dir.substr(0, pos);
      if (prefix.empty() || prefix.back() == '/') continue;  // "//" or trailing '/'
      if (::mkdir(prefix.c_str(), static_cast<mode_t>(mode)) == 0) continue;
      int err = errno;
      if (err != EEXIST) return ErrnoError("mkdir", prefix, err);
      struct stat st;
      if (::stat(prefix.c_str(), &st) != 0) return ErrnoError("stat", prefix, errno);
      if (!S_ISDIR(st.st_mode)) return ErrnoError("mkdir", prefix, ENOTDIR);
    }
    return OkStatus();
  }

  StatusOr<uint64_t> FileSize(const std::string& path) override {
    ASSIGN_OR_RETURN(struct stat st, Stat(path));
    return static_cast<uint64_t>(st.st_size);
  }

  Status Truncate(const std::string& path, uint64_t size) override {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
      return ErrnoError("truncate", path, errno);
    }
    return OkStatus();
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return ErrnoError("rename", from + " to " + to, errno);
    }
    return OkStatus();
  }

  Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) == 0) return OkStatus();
    int err = errno;
    if (err != EISDIR) return ErrnoError("remove", path, err);
    // A directory (Linux reports EISDIR from unlink): remove it if it is empty.
    if (::rmdir(path.c_str()) == 0) return OkStatus();
    return ErrnoError("remove", path, errno);
  }

  Status SyncDir(const std::string& dir) override {
    ASSIGN_OR_RETURN(Fd fd, OpenFd(dir, O_RDONLY | O_DIRECTORY));
    if (::fsync(fd.get()) != 0) return ErrnoError("fsync", dir, errno);
    return CloseFd(fd, dir);
  }

  Status Chmod(const std::string& path, int mode) override {
    if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) {
      return ErrnoError("chmod", path, errno);
    }
    return OkStatus();
  }

  StatusOr<int> GetMode(const std::string& path) override {
    ASSIGN_OR_RETURN(struct stat st, Stat(path));
    return static_cast<int>(st.st_mode & 07777);
  }

  StatusOr<std::unique_ptr<FileLock>> Lock(const std::string& path, bool exclusive,
                                           int wait_ms) override {
    // flock needs no write access, so a read-only lock file can still be locked.
    ASSIGN_OR_RETURN(Fd fd, OpenFd(path, O_RDONLY | O_CREAT, 0644));
    const int op = (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
      if (::flock(fd.get(), op) == 0) break;
      int err = errno;
      if (err == EINTR) continue;
      if (err != EWOULDBLOCK) return ErrnoError("lock", path, err);
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        return AbortedError("lock " + path + ": already locked (waited " +
                                std::to_string(std::max(wait_ms, 0)) + " ms)");
      }
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
      pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(std::move(fd)));
  }

 private:
  static Status WriteTemp(Fd& fd, const std::string& tmp, std::string_view data, int mode) {
    // mkostemp creates 0600; set the requested mode before rename publishes the file.
    if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0) return ErrnoError("chmod", tmp, errno);
    RETURN_IF_ERROR(WriteAll(fd.get(), data, tmp));
    if (::fsync(fd.get()) != 0) return ErrnoError("fsync", tmp, errno);
    return OkStatus();
  }
};

}  // namespace

// Linux gives each boot a random UUID.
std::string Env::BootId() {
  auto id = Default()->ReadFile("/proc/sys/kernel/random/boot_id");
  if (!id.ok()) return "";
  while (!id->empty() && (id->back() == '\n' || id->back() == ' ')) id->pop_back();
  return *id;
}

Env* Env::Default() {
  static Env* const env = new PosixEnv();
  return env;
}

std::string JoinPath(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  std::string out(a);
  bool a_slash = out.back() == '/';
  bool b_slash = b.front() == '/';
  if (a_slash && b_slash) {
    b.remove_prefix(1);
  } else if (!a_slash && !b_slash) {
    out += '/';
  }
  out += b;
  return out;
}

}  // namespace vellum::core
