// Who holds a file lock: for telling a user which process keeps a data
// directory busy.
#pragma once

#include <string>

namespace vellum::core {

// The process holding a flock(2) lock on `path`, as "pid N, NAME" (NAME: the
// process's command name), or "" when the system does not tell (no lock held,
// another PID namespace, or no /proc/locks: Linux only).
std::string LockHolder(const std::string& path);

}  // namespace vellum::core
