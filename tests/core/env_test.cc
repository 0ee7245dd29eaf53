// The POSIX Env against the real file system of a temporary directory.
#include "core/env.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/lock_holder.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vellum::testing::ReadFileOrDie;
using ::vellum::testing::TempDir;
using ::vellum::testing::WriteFileOrDie;

class EnvTest : public ::testing::Test {
 protected:
  Env* env_ = Env::Default();
  TempDir dir_;
};

// A child process for cross-process tests: runs `body` after fork and reports its exit code.
// The child talks to the parent over pipes only; it never returns into GoogleTest.
class Child {
 public:
  template <typename Body>
  explicit Child(Body body) {
    if (pipe(to_child_) != 0 || pipe(to_parent_) != 0) std::abort();
    pid_ = fork();
    if (pid_ < 0) std::abort();
    if (pid_ == 0) {
      close(to_child_[1]);
      close(to_parent_[0]);
      _exit(body(to_child_[0], to_parent_[1]));
    }
    close(to_child_[0]);
    close(to_parent_[1]);
  }
  ~Child() {
    close(to_child_[1]);
    close(to_parent_[0]);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // Blocks until the child sends one byte (or exits); returns the byte, -1 if none.
  int Receive() {
    char c;
    return read(to_parent_[0], &c, 1) == 1 ? c : -1;
  }
  void Send(char c) { ASSERT_EQ(write(to_child_[1], &c, 1), 1); }
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  pid_t pid() const { return pid_; }

 private:
  int to_child_[2];
  int to_parent_[2];
  pid_t pid_;
};

// Sets the process umask for one scope (modes of new files depend on it).
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(umask(mask)) {}
  ~ScopedUmask() { umask(old_); }

 private:
  mode_t old_;
};

bool SendByte(int fd, char c) { return write(fd, &c, 1) == 1; }
bool ReceiveByte(int fd) {
  char c;
  return read(fd, &c, 1) == 1;
}

TEST_F(EnvTest, DefaultIsASingleton) { EXPECT_EQ(Env::Default(), Env::Default()); }

TEST_F(EnvTest, AppendTracksSizeAndReopenAppendsAtEnd) {
  const std::string path = dir_.Sub("seg.jsonl");
  {
    ASSERT_OK_AND_ASSIGN(auto f, env_->OpenAppendable(path));
    EXPECT_EQ(f->Size(), 0u);
    ASSERT_OK(f->Append("abc"));
    ASSERT_OK(f->Append(""));
    ASSERT_OK(f->Append("defg"));
    EXPECT_EQ(f->Size(), 7u);
    ASSERT_OK(f->Sync());
    ASSERT_OK(f->Close());
    EXPECT_OK(f->Close());  // idempotent
    EXPECT_THAT(f->Append("x"), StatusIs(StatusCode::kFailedPrecondition, HasSubstr(path)));
    EXPECT_THAT(f->Sync(), StatusIs(StatusCode::kFailedPrecondition, HasSubstr(path)));
  }
  EXPECT_EQ(ReadFileOrDie(path), "abcdefg");
  {
    // Size() counts what was already there; the destructor closes without Close().
    ASSERT_OK_AND_ASSIGN(auto f, env_->OpenAppendable(path));
    EXPECT_EQ(f->Size(), 7u);
    ASSERT_OK(f->Append("\nh"));
    EXPECT_EQ(f->Size(), 9u);
  }
  ASSERT_OK_AND_ASSIGN(std::string data, env_->ReadFile(path));
  EXPECT_EQ(data, "abcdefg\nh");
}

std::string RandomBytes(size_t n, unsigned seed) {
  std::string s(n, '\0');
  std::mt19937 rng(seed);
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

TEST_F(EnvTest, AppendWritesLargeBuffersCompletely) {
  const std::string big = RandomBytes(5 << 20, 7);
  ASSERT_OK_AND_ASSIGN(auto f, env_->OpenAppendable(dir_.Sub("big")));
  ASSERT_OK(f->Append(big));
  ASSERT_OK(f->Append(big.substr(0, 123)));
  ASSERT_OK(f->Sync());
  EXPECT_EQ(f->Size(), big.size() + 123);
  ASSERT_OK_AND_ASSIGN(std::string back, env_->ReadFile(dir_.Sub("big")));
  EXPECT_TRUE(back == big + big.substr(0, 123));
}

// A whole-file read is of a regular file only: a device or a directory given where
// a file was meant (`verify --witness /dev/zero`) is refused at once, not read without end.
TEST_F(EnvTest, ReadFileReadsOnlyRegularFiles) {
  EXPECT_THAT(env_->ReadFile("/dev/zero"), StatusIs(StatusCode::kInvalidArgument, HasSubstr("not a regular file")));
  EXPECT_FALSE(env_->ReadFile(dir_.path()).ok());
}

// Whether the file system under `dir` takes O_DIRECT (tmpfs does not).
bool TakesDirectIo(const std::string& dir) {
  const std::string probe = dir + "/direct-probe";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_DIRECT | O_CLOEXEC, 0644);
  if (fd >= 0) ::close(fd);
  ::unlink(probe.c_str());
  return fd >= 0;
}

// Pages of the file now in the page cache.
size_t ResidentPages(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_size == 0) return 0;
  const size_t len = static_cast<size_t>(st.st_size);
  void* map = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return 0;
  const long page = ::sysconf(_SC_PAGESIZE);
  std::vector<unsigned char> in((len + static_cast<size_t>(page) - 1) / static_cast<size_t>(page));
  size_t n = 0;
  if (::mincore(map, len, in.data()) == 0) {
    for (unsigned char c : in) n += c & 1;
  }
  ::munmap(map, len);
  return n;
}

// SR-1: large appends written past the page cache (the ledger segments) land
// byte for byte, between small ones through it, at any alignment, across a
// reopen, and are what a reader opened before them reads.
TEST_F(EnvTest, LargeAppendsDirectKeepEveryByte) {
  const std::string path = dir_.Sub("segment");
  std::string expect;
  ASSERT_OK_AND_ASSIGN(auto reader, [&]() {
    WriteFileOrDie(path, "");
    return env_->OpenRandomAccess(path);
  }());
  {
    ASSERT_OK_AND_ASSIGN(auto f, env_->OpenAppendable(path, 0644, AppendCaching::kLargeAppendsDirect));
    int seed = 1;
    for (size_t n : {size_t{100}, size_t{200'000}, size_t{4096 - 3}, size_t{65'536}, size_t{1}, size_t{3'000'017},
                     size_t{70'000}}) {
      const std::string data = RandomBytes(n, static_cast<unsigned>(seed++));
      ASSERT_OK(f->Append(data));
      expect += data;
      EXPECT_EQ(f->Size(), expect.size());
      std::string back;
      ASSERT_OK(reader->Read(0, expect.size() + 10, &back));
      ASSERT_TRUE(back == expect) << "after appending " << n << " bytes";
    }
    ASSERT_OK(f->Sync());
  }
  ASSERT_OK_AND_ASSIGN(auto f, env_->OpenAppendable(path, 0644, AppendCaching::kLargeAppendsDirect));
  ASSERT_EQ(f->Size(), expect.size());
  const std::string more = RandomBytes(100'003, 99);
  ASSERT_OK(f->Append(more));
  ASSERT_OK(f->Sync());
  expect += more;
  ASSERT_OK_AND_ASSIGN(std::string back, env_->ReadFile(path));
  EXPECT_TRUE(back == expect);
}

TEST_F(EnvTest, LargeAppendsDirectBypassThePageCache) {
  if (!TakesDirectIo(dir_.path())) GTEST_SKIP() << "the file system of " << dir_.path() << " takes no O_DIRECT";
  const std::string data = RandomBytes(4 << 20, 3);
  ASSERT_OK_AND_ASSIGN(auto direct,
                       env_->OpenAppendable(dir_.Sub("direct"), 0644, AppendCaching::kLargeAppendsDirect));
  ASSERT_OK(direct->Append(data));
  ASSERT_OK_AND_ASSIGN(auto cached, env_->OpenAppendable(dir_.Sub("cached")));
  ASSERT_OK(cached->Append(data));
  // 1,024 pages each: all of the cached file's are in the page cache, and at
  // most the direct one's last, partial block.
  EXPECT_LE(ResidentPages(dir_.Sub("direct")), 1u);
  EXPECT_GT(ResidentPages(dir_.Sub("cached")), 1000u);
}

// A scan asks for the blocks ahead of its reads (WillRead): the advice brings
// them into the page cache without a read of its own, and past the end of the
// file it is harmless.
TEST_F(EnvTest, WillReadBringsTheAdvisedBytesIntoThePageCache) {
  if (!TakesDirectIo(dir_.path())) GTEST_SKIP() << "the file system of " << dir_.path() << " takes no O_DIRECT";
  const std::string path = dir_.Sub("segment");
  const std::string data = RandomBytes(4 << 20, 5);
  {
    ASSERT_OK_AND_ASSIGN(auto f, env_->OpenAppendable(path, 0644, AppendCaching::kLargeAppendsDirect));
    ASSERT_OK(f->Append(data));
    ASSERT_OK(f->Sync());
  }
  ASSERT_LE(ResidentPages(path), 1u);
  ASSERT_OK_AND_ASSIGN(auto reader, env_->OpenRandomAccess(path));
  reader->WillRead(1 << 20, 2 << 20);  // 512 pages
  reader->WillRead(8 << 20, 1 << 20);  // past the end
  // The reads are queued, not waited for.
  size_t resident = 0;
  for (int i = 0; i < 500 && resident < 512; ++i) {
    resident = ResidentPages(path);
    if (resident < 512) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(resident, 512u);
  std::string back;
  ASSERT_OK(reader->Read(0, data.size(), &back));
  EXPECT_TRUE(back == data);
}

TEST_F(EnvTest, OpenAppendableAppliesModeToNewFilesOnly) {
  ScopedUmask umask_022(022);
  ASSERT_OK_AND_ASSIGN(auto a, env_->OpenAppendable(dir_.Sub("default")));
  ASSERT_OK_AND_ASSIGN(auto b, env_->OpenAppendable(dir_.Sub("key"), 0600));
  ASSERT_OK_AND_ASSIGN(auto c, env_->OpenAppendable(dir_.Sub("key"), 0666));  // exists: unchanged
  ASSERT_OK_AND_ASSIGN(int mode, env_->GetMode(dir_.Sub("default")));
  EXPECT_EQ(mode, 0644);
  ASSERT_OK_AND_ASSIGN(mode, env_->GetMode(dir_.Sub("key")));
  EXPECT_EQ(mode, 0600);
}

TEST_F(EnvTest, WriteToFullDeviceIsResourceExhausted) {
  ASSERT_OK_AND_ASSIGN(auto f, env_->OpenAppendable("/dev/full"));
  EXPECT_THAT(f->Append("x"), StatusIs(StatusCode::kResourceExhausted,
                                       "write /dev/full: " + std::string(std::strerror(ENOSPC))));
}

TEST_F(EnvTest, RandomAccessReadsAreShortOnlyAtEndOfFile) {
  const std::string path = dir_.Sub("data");
  WriteFileOrDie(path, "0123456789");
  ASSERT_OK_AND_ASSIGN(auto f, env_->OpenRandomAccess(path));
  ASSERT_OK_AND_ASSIGN(uint64_t size, f->Size());
  EXPECT_EQ(size, 10u);

  std::string out = "stale";
  ASSERT_OK(f->Read(2, 3, &out));
  EXPECT_EQ(out, "234");
  ASSERT_OK(f->Read(7, 100, &out));
  EXPECT_EQ(out, "789");
  ASSERT_OK(f->Read(10, 4, &out));
  EXPECT_EQ(out, "");
  ASSERT_OK(f->Read(1000, 4, &out));
  EXPECT_EQ(out, "");
  ASSERT_OK(f->Read(0, 0, &out));
  EXPECT_EQ(out, "");

  char buf[10];
  ASSERT_OK(f->ReadExact(0, 10, buf));
  EXPECT_EQ(std::string(buf, 10), "0123456789");
  ASSERT_OK(f->ReadExact(9, 1, buf));
  EXPECT_EQ(buf[0], '9');
  EXPECT_THAT(
      f->ReadExact(8, 4, buf),
      StatusIs(StatusCode::kDataLoss, HasSubstr("read " + path + ": wanted 4 bytes at offset 8")));
  EXPECT_THAT(f->ReadExact(11, 1, buf), StatusIs(StatusCode::kDataLoss, HasSubstr(path)));

  // Growth after opening is visible: Size() and reads follow the file.
  {
    ASSERT_OK_AND_ASSIGN(auto w, env_->OpenAppendable(path));
    ASSERT_OK(w->Append("ab"));
  }
  ASSERT_OK_AND_ASSIGN(size, f->Size());
  EXPECT_EQ(size, 12u);
  ASSERT_OK(f->ReadExact(8, 4, buf));
  EXPECT_EQ(std::string(buf, 4), "89ab");
}

TEST_F(EnvTest, RandomAccessReadsFromManyThreads) {
  const std::string path = dir_.Sub("data");
  std::string content;
  for (int i = 0; i < 4096; ++i) content += static_cast<char>('a' + i % 26);
  WriteFileOrDie(path, content);
  ASSERT_OK_AND_ASSIGN(auto f, env_->OpenRandomAccess(path));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::string out;
      for (int i = 0; i < 500; ++i) {
        uint64_t off = rng() % content.size();
        size_t n = rng() % 64;
        if (!f->Read(off, n, &out).ok() || out != content.substr(off, n)) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_THAT(mismatches, ElementsAre(0, 0, 0, 0));
}

TEST_F(EnvTest, MissingFilesAreNotFoundWithPathAndReason) {
  const std::string missing = dir_.Sub("ledger/segments/x.jsonl");
  const std::string enoent = std::strerror(ENOENT);
  EXPECT_THAT(env_->OpenRandomAccess(missing),
              StatusIs(StatusCode::kNotFound, "open " + missing + ": " + enoent));
  EXPECT_THAT(env_->OpenAppendable(missing),
              StatusIs(StatusCode::kNotFound, "open " + missing + ": " + enoent));
  EXPECT_THAT(env_->ReadFile(missing), StatusIs(StatusCode::kNotFound, HasSubstr(missing)));
  EXPECT_THAT(env_->FileSize(missing),
              StatusIs(StatusCode::kNotFound, "stat " + missing + ": " + enoent));
  EXPECT_THAT(env_->GetMode(missing), StatusIs(StatusCode::kNotFound, HasSubstr(missing)));
  EXPECT_THAT(env_->Chmod(missing, 0600), StatusIs(StatusCode::kNotFound, HasSubstr(missing)));
  EXPECT_THAT(env_->Truncate(missing, 0), StatusIs(StatusCode::kNotFound, HasSubstr(missing)));
  EXPECT_THAT(env_->Remove(missing), StatusIs(StatusCode::kNotFound, HasSubstr(missing)));
  EXPECT_THAT(env_->Rename(missing, dir_.Sub("y")),
              StatusIs(StatusCode::kNotFound, HasSubstr(missing)));
  EXPECT_THAT(env_->ListDir(missing), StatusIs(StatusCode::kNotFound, HasSubstr(missing)));
  EXPECT_THAT(env_->SyncDir(missing), StatusIs(StatusCode::kNotFound, HasSubstr(missing)));
  EXPECT_THAT(env_->WriteFileAtomic(missing, "x"),
              StatusIs(StatusCode::kNotFound, HasSubstr(missing)));
  EXPECT_THAT(env_->Lock(missing, true, 0), StatusIs(StatusCode::kNotFound, HasSubstr(missing)));
  EXPECT_FALSE(env_->Exists(missing));
}

// Runs `check` with effective uid `nobody` in a child when we are root (root bypasses
// permission bits, so EACCES cannot happen for it). Returns the Status the check produced,
// as "<code name>|<message>".
std::string AsUnprivileged(const std::function<Status()>& check) {
  auto describe = [&] {
    Status s = check();
    return std::string(StatusCodeName(s.code())) + "|" + s.message();
  };
  if (geteuid() != 0) return describe();
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
    std::string r = describe();
    _exit(write(fds[1], r.data(), r.size()) == static_cast<ssize_t>(r.size()) ? 0 : 4);
  }
  close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "child failed";
  return out;
}

// A file the process may not open is the system's failure (kUnavailable, exit 4),
// not a refusal by the authority check (kPermissionDenied, exit 3).
TEST_F(EnvTest, UnreadableFileIsUnavailable) {
  const std::string path = dir_.Sub("secret");
  WriteFileOrDie(path, "x");
  ASSERT_EQ(chmod(path.c_str(), 0), 0);
  ASSERT_EQ(chmod(dir_.path().c_str(), 0755), 0);  // let `nobody` reach the file itself
  const std::string eacces = std::strerror(EACCES);
  Env* env = env_;
  EXPECT_EQ(AsUnprivileged([&] { return env->OpenRandomAccess(path).status(); }),
            "unavailable|open " + path + ": " + eacces);
  EXPECT_EQ(AsUnprivileged([&] { return env->OpenAppendable(path).status(); }),
            "unavailable|open " + path + ": " + eacces);
  EXPECT_EQ(AsUnprivileged([&] { return env->Lock(path, true, 0).status(); }),
            "unavailable|open " + path + ": " + eacces);
}

TEST_F(EnvTest, WriteFileAtomicReplacesWholeFileWithExactMode) {
  const std::string path = dir_.Sub("checkpoint");
  ASSERT_OK(env_->WriteFileAtomic(path, "first", 0600));
  EXPECT_EQ(ReadFileOrDie(path), "first");
  ASSERT_OK_AND_ASSIGN(int mode, env_->GetMode(path));
  EXPECT_EQ(mode, 0600);

  {
    ScopedUmask umask_077(077);  // the mode is exact, not masked
    ASSERT_OK(env_->WriteFileAtomic(path, "second, longer", 0444));
  }
  EXPECT_EQ(ReadFileOrDie(path), "second, longer");
  ASSERT_OK_AND_ASSIGN(mode, env_->GetMode(path));
  EXPECT_EQ(mode, 0444);

  ASSERT_OK(env_->WriteFileAtomic(path, ""));
  EXPECT_EQ(ReadFileOrDie(path), "");
  ASSERT_OK_AND_ASSIGN(auto names, env_->ListDir(dir_.path()));
  EXPECT_THAT(names, ElementsAre("checkpoint"));  // no temp file left behind
}

TEST_F(EnvTest, FailedWriteFileAtomicLeavesTargetAndNoTempFile) {
  const std::string target = dir_.Sub("target");
  ASSERT_OK(env_->CreateDirs(target + "/child"));
  // Renaming a file over a non-empty directory fails after the temp file was written.
  Status s = env_->WriteFileAtomic(target, "data");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(target));
  ASSERT_OK_AND_ASSIGN(auto names, env_->ListDir(dir_.path()));
  EXPECT_THAT(names, ElementsAre("target"));
  ASSERT_OK_AND_ASSIGN(names, env_->ListDir(target));
  EXPECT_THAT(names, ElementsAre("child"));
}

// SR-1: a replaced file is always entirely old or entirely new, even when the writer
// dies at an arbitrary instant.
TEST_F(EnvTest, WriteFileAtomicSurvivesWriterKilledMidway) {
  const std::string path = dir_.Sub("state");
  const std::string a(256 * 1024, 'a');
  const std::string b(300 * 1024, 'b');
  ASSERT_OK(env_->WriteFileAtomic(path, a));
  std::mt19937 rng(42);
  for (int round = 0; round < 15; ++round) {
    Env* env = env_;
    Child child([&](int, int to_parent) {
      SendByte(to_parent, 'r');
      for (int i = 0;; ++i) {
        if (!env->WriteFileAtomic(path, i % 2 ? a : b).ok()) return 1;
      }
    });
    ASSERT_EQ(child.Receive(), 'r');
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 5000));
    kill(child.pid(), SIGKILL);
    child.Wait();
    std::string now = ReadFileOrDie(path);
    ASSERT_TRUE(now == a || now == b) << "round " << round << ": torn file of " << now.size();
  }
}

TEST_F(EnvTest, LockIsExclusivePerOpenFileEvenWithinOneProcess) {
  const std::string path = dir_.Sub("LOCK");
  ASSERT_OK_AND_ASSIGN(auto held, env_->Lock(path, /*exclusive=*/true, 0));
  EXPECT_TRUE(env_->Exists(path));  // created by Lock

  // flock locks belong to the open file description: a second open conflicts.
  EXPECT_THAT(env_->Lock(path, true, 0),
              StatusIs(StatusCode::kAborted, HasSubstr("lock " + path)));
  EXPECT_THAT(env_->Lock(path, false, 0), StatusIs(StatusCode::kAborted, HasSubstr(path)));

  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(env_->Lock(path, true, 80), StatusIs(StatusCode::kAborted, HasSubstr(path)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(80));

  held.reset();
  ASSERT_OK_AND_ASSIGN(auto again, env_->Lock(path, true, 0));
}

TEST_F(EnvTest, SharedLocksCoexistButExcludeWriters) {
  const std::string path = dir_.Sub("LOCK");
  ASSERT_OK_AND_ASSIGN(auto r1, env_->Lock(path, /*exclusive=*/false, 0));
  ASSERT_OK_AND_ASSIGN(auto r2, env_->Lock(path, false, 0));
  EXPECT_THAT(env_->Lock(path, true, 0), StatusIs(StatusCode::kAborted, HasSubstr(path)));
  r1.reset();
  r2.reset();
  EXPECT_OK(env_->Lock(path, true, 0));
}

// Body of a child process that takes an exclusive lock, says 'L', holds the lock until the
// parent sends a byte, releases it, says 'U', and exits after one more byte.
std::function<int(int, int)> LockHoldingChild(Env* env, const std::string& path) {
  return [env, path](int from_parent, int to_parent) {
    auto lock = env->Lock(path, true, 0);
    if (!lock.ok()) return 1;
    SendByte(to_parent, 'L');
    ReceiveByte(from_parent);
    lock->reset();
    SendByte(to_parent, 'U');
    ReceiveByte(from_parent);
    return 0;
  };
}

TEST_F(EnvTest, LockExcludesAnotherProcessAndWaitsForRelease) {
  const std::string path = dir_.Sub("LOCK");
  Child child(LockHoldingChild(env_, path));
  ASSERT_EQ(child.Receive(), 'L');
  EXPECT_THAT(env_->Lock(path, true, 20), StatusIs(StatusCode::kAborted, HasSubstr(path)));
  EXPECT_THAT(env_->Lock(path, false, 0), StatusIs(StatusCode::kAborted, HasSubstr(path)));

  // A waiter gets the lock once the holder lets go within wait_ms.
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    child.Send('r');
  });
  ASSERT_OK_AND_ASSIGN(auto mine, env_->Lock(path, true, 5000));
  releaser.join();
  EXPECT_EQ(child.Receive(), 'U');
  child.Send('x');
  EXPECT_EQ(child.Wait(), 0);
}

// A user kept waiting by a busy data directory is told which process holds it.
TEST_F(EnvTest, LockHolderNamesTheProcessThatHoldsTheLock) {
  const std::string path = dir_.Sub("LOCK");
  EXPECT_EQ(LockHolder(path), "");  // no such file
  Child child(LockHoldingChild(env_, path));
  ASSERT_EQ(child.Receive(), 'L');
  EXPECT_EQ(LockHolder(path), ::vellum::testing::LockHolderOfThisBinary(child.pid()));
  EXPECT_EQ(LockHolder(dir_.Sub("other")), "");
  child.Send('r');
  EXPECT_EQ(child.Receive(), 'U');
  EXPECT_EQ(LockHolder(path), "");  // released: nobody holds it
  child.Send('x');
  EXPECT_EQ(child.Wait(), 0);
}

TEST_F(EnvTest, LockIsReleasedWhenHolderDies) {
  const std::string path = dir_.Sub("LOCK");
  Child child(LockHoldingChild(env_, path));
  ASSERT_EQ(child.Receive(), 'L');
  EXPECT_THAT(env_->Lock(path, true, 0), StatusIs(StatusCode::kAborted, HasSubstr(path)));
  kill(child.pid(), SIGKILL);
  child.Wait();
  EXPECT_OK(env_->Lock(path, true, 1000));
}

TEST_F(EnvTest, ListDirIsSortedAndSkipsDotEntries) {
  for (const char* name : {"c2", "b", "c10", "a", ".hidden"}) WriteFileOrDie(dir_.Sub(name), "");
  ASSERT_OK(env_->CreateDirs(dir_.Sub("sub")));
  ASSERT_OK_AND_ASSIGN(auto names, env_->ListDir(dir_.path()));
  EXPECT_THAT(names, ElementsAre(".hidden", "a", "b", "c10", "c2", "sub"));
  ASSERT_OK_AND_ASSIGN(names, env_->ListDir(dir_.Sub("sub")));
  EXPECT_TRUE(names.empty());
  EXPECT_THAT(env_->ListDir(dir_.Sub("a")),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr(dir_.Sub("a"))));
}

TEST_F(EnvTest, CreateDirsMakesParentsAndIsIdempotent) {
  const std::string deep = dir_.Sub("ledger/segments/x");
  ASSERT_OK(env_->CreateDirs(deep));
  EXPECT_TRUE(env_->Exists(deep));
  EXPECT_OK(env_->CreateDirs(deep));
  EXPECT_OK(env_->CreateDirs(dir_.Sub("ledger//tree/")));
  EXPECT_TRUE(env_->Exists(dir_.Sub("ledger/tree")));

  {
    ScopedUmask umask_022(022);
    ASSERT_OK(env_->CreateDirs(dir_.Sub("private"), 0700));
  }
  ASSERT_OK_AND_ASSIGN(int mode, env_->GetMode(dir_.Sub("private")));
  EXPECT_EQ(mode, 0700);

  WriteFileOrDie(dir_.Sub("file"), "");
  EXPECT_THAT(env_->CreateDirs(dir_.Sub("file")),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr(dir_.Sub("file"))));
  EXPECT_THAT(env_->CreateDirs(dir_.Sub("file/below")),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr(dir_.Sub("file"))));
  EXPECT_THAT(env_->CreateDirs(""), StatusIs(StatusCode::kInvalidArgument, HasSubstr("empty")));
}

TEST_F(EnvTest, TruncateShrinksAndExtends) {
  const std::string path = dir_.Sub("seg");
  WriteFileOrDie(path, "line1\nline2\npartial");
  ASSERT_OK(env_->Truncate(path, 12));
  EXPECT_EQ(ReadFileOrDie(path), "line1\nline2\n");
  ASSERT_OK_AND_ASSIGN(uint64_t size, env_->FileSize(path));
  EXPECT_EQ(size, 12u);
  ASSERT_OK(env_->Truncate(path, 14));
  EXPECT_EQ(ReadFileOrDie(path), std::string("line1\nline2\n\0\0", 14));
  ASSERT_OK(env_->Truncate(path, 0));
  ASSERT_OK_AND_ASSIGN(size, env_->FileSize(path));
  EXPECT_EQ(size, 0u);
}

TEST_F(EnvTest, ChmodAndGetModeRoundTrip) {
  const std::string path = dir_.Sub("sealed.jsonl");
  WriteFileOrDie(path, "x");
  for (int mode : {0444, 0640, 0600, 0755}) {
    ASSERT_OK(env_->Chmod(path, mode));
    ASSERT_OK_AND_ASSIGN(int got, env_->GetMode(path));
    EXPECT_EQ(got, mode);
  }
}

TEST_F(EnvTest, RenameRemoveAndExists) {
  WriteFileOrDie(dir_.Sub("a"), "A");
  WriteFileOrDie(dir_.Sub("b"), "B");
  ASSERT_OK(env_->Rename(dir_.Sub("a"), dir_.Sub("b")));  // replaces
  EXPECT_FALSE(env_->Exists(dir_.Sub("a")));
  EXPECT_EQ(ReadFileOrDie(dir_.Sub("b")), "A");
  ASSERT_OK(env_->Remove(dir_.Sub("b")));
  EXPECT_FALSE(env_->Exists(dir_.Sub("b")));

  ASSERT_OK(env_->CreateDirs(dir_.Sub("d/e")));
  EXPECT_THAT(env_->Remove(dir_.Sub("d")),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr(dir_.Sub("d"))));
  ASSERT_OK(env_->Remove(dir_.Sub("d/e")));  // empty directory
  ASSERT_OK(env_->Remove(dir_.Sub("d")));
  EXPECT_FALSE(env_->Exists(dir_.Sub("d")));
  ASSERT_OK(env_->SyncDir(dir_.path()));
}

TEST(JoinPathTest, JoinsWithExactlyOneSlash) {
  EXPECT_EQ(JoinPath("a", "b"), "a/b");
  EXPECT_EQ(JoinPath("a/", "b"), "a/b");
  EXPECT_EQ(JoinPath("a", "/b"), "a/b");
  EXPECT_EQ(JoinPath("a/", "/b"), "a/b");
  EXPECT_EQ(JoinPath("/", "b"), "/b");
  EXPECT_EQ(JoinPath("", "b"), "b");
  EXPECT_EQ(JoinPath("a", ""), "a");
  EXPECT_EQ(JoinPath("ledger/segments", "00000001.jsonl"), "ledger/segments/00000001.jsonl");
}

}  // namespace
}  // namespace vellum::core
