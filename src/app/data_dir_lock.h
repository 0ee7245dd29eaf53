// The data directory's lock: one writing process at a time, or any number of
// verifies; a process that finds it held waits for it, and can say why.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/env.h"
#include "core/status.h"

namespace vellum::app {

// Told once when another process holds the data directory and the wait goes
// on past kLockNoticeAfterMs: who holds it ("pid N, NAME", or "" when the
// system does not say) and how long the whole wait may last.
using LockWaitNotice = std::function<void(const std::string& holder, int wait_ms)>;
inline constexpr int kLockNoticeAfterMs = 1000;

// Takes the lock of data directory `dir` (exclusive for a writer, shared for a
// verify), waiting up to `wait_ms` for a process that holds it. Fails with
// kUnavailable naming the holder when the wait runs out.
StatusOr<std::unique_ptr<core::FileLock>> LockDataDirectory(core::Env* env, const std::string& dir, bool exclusive,
                                                            int wait_ms, const LockWaitNotice& notice);

}  // namespace vellum::app
