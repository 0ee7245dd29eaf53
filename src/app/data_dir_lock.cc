#include "app/data_dir_lock.h"

#include <fmt/format.h>

#include <algorithm>

#include "app/vellum.h"
#include "core/lock_holder.h"

namespace vellum::app {

StatusOr<std::unique_ptr<core::FileLock>> LockDataDirectory(core::Env* env, const std::string& dir, bool exclusive,
                                                            int wait_ms, const LockWaitNotice& notice) {
  const std::string path = LockPath(dir);
  // A lock held for a moment (another short command) is waited for silently;
  // a longer wait is announced once, so that a command does not just hang.
  const int first = notice ? std::min(wait_ms, kLockNoticeAfterMs) : wait_ms;
  // Only a lock held by another (kAborted) is waited for; a lock file this
  // process may not open (kUnavailable) fails at once, naming the file.
  auto lock = env->Lock(path, exclusive, first);
  if (lock.ok() || lock.status().code() != StatusCode::kAborted) return lock;
  if (wait_ms > first) {
    notice(core::LockHolder(path), wait_ms);
    lock = env->Lock(path, exclusive, wait_ms - first);
    if (lock.ok() || lock.status().code() != StatusCode::kAborted) return lock;
  }
  const std::string holder = core::LockHolder(path);
  return UnavailableError(fmt::format("the data directory {} is in use by another process{}; gave up after {:g} s",
                                      dir, holder.empty() ? "" : " (" + holder + ")", wait_ms / 1000.0));
}

}  // namespace vellum::app
