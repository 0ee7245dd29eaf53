// LockDataDirectory: one writing process at a time; a command kept waiting by
// another is told who holds the directory, and gives up naming it.
#include "app/data_dir_lock.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "app/vellum.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::app {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class DataDirLockTest : public ::testing::Test {
 protected:
  // What LockHolder says of this process (a lock belongs to one open file
  // description, so this process's own second Lock of the path waits too).
  static std::string ThisProcess() { return ::vellum::testing::LockHolderOfThisBinary(getpid()); }
  StatusOr<std::unique_ptr<core::FileLock>> Lock(bool exclusive, int wait_ms) {
    return LockDataDirectory(env_, dir_.path(), exclusive, wait_ms, [&](const std::string& holder, int wait) {
      notices_.push_back(fmt::format("{} / {}", holder, wait));
    });
  }
  // Holds the directory as another writer would, until `release_after`.
  std::thread HoldFor(std::chrono::milliseconds release_after) {
    auto held = env_->Lock(LockPath(dir_.path()), /*exclusive=*/true, 0);
    EXPECT_OK(held.status());
    return std::thread([held = std::move(*held), release_after]() mutable {
      std::this_thread::sleep_for(release_after);
      held.reset();
    });
  }

  ::vellum::testing::TempDir dir_;
  core::Env* env_ = core::Env::Default();
  std::vector<std::string> notices_;
};

TEST_F(DataDirLockTest, FreeDirectoryIsTakenAtOnceWithoutNotice) {
  ASSERT_OK_AND_ASSIGN(auto lock, Lock(true, 5000));
  EXPECT_TRUE(notices_.empty());
  // Verifies share the directory with each other, not with a writer.
  lock.reset();
  ASSERT_OK_AND_ASSIGN(auto first, Lock(false, 0));
  ASSERT_OK_AND_ASSIGN(auto second, Lock(false, 0));
  EXPECT_THAT(Lock(true, 0), StatusIs(StatusCode::kUnavailable, HasSubstr("in use by another process")));
  EXPECT_TRUE(notices_.empty());
}

// A holder that lets go within a second (another short command) is waited for silently.
TEST_F(DataDirLockTest, ShortWaitIsSilent) {
  std::thread holder = HoldFor(std::chrono::milliseconds(200));
  ASSERT_OK_AND_ASSIGN(auto lock, Lock(true, 5000));
  holder.join();
  EXPECT_TRUE(notices_.empty());
}

// A longer wait is announced once, naming the holder and the whole wait.
TEST_F(DataDirLockTest, LongerWaitIsAnnouncedOnceAndThenSucceeds) {
  std::thread holder = HoldFor(std::chrono::milliseconds(kLockNoticeAfterMs + 300));
  ASSERT_OK_AND_ASSIGN(auto lock, Lock(true, 10000));
  holder.join();
  EXPECT_EQ(notices_, std::vector<std::string>{ThisProcess() + " / 10000"});
}

// When the wait runs out the error names the directory and the holder.
TEST_F(DataDirLockTest, GivingUpNamesTheHolder) {
  std::thread holder = HoldFor(std::chrono::milliseconds(kLockNoticeAfterMs + 800));
  EXPECT_THAT(Lock(false, kLockNoticeAfterMs + 200),
              StatusIs(StatusCode::kUnavailable,
                       AllOf(HasSubstr("the data directory " + dir_.path() + " is in use by another process (" +
                                       ThisProcess() + ")"),
                             HasSubstr("gave up after 1.2 s"))));
  EXPECT_EQ(notices_.size(), 1u);
  // Without a notice to give, the whole wait is silent.
  EXPECT_THAT(LockDataDirectory(env_, dir_.path(), true, 100, nullptr),
              StatusIs(StatusCode::kUnavailable, HasSubstr("in use by another process")));
  holder.join();
}

}  // namespace
}  // namespace vellum::app
