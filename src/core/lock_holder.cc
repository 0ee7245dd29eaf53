#include "core/lock_holder.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace vellum::core {
namespace {

// The command name of process `pid` (/proc/PID/comm), or "".
std::string CommandName(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

}  // namespace

std::string LockHolder(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return "";
  // Each line: "N: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE START END", the
  // device numbers in hex; a lock waited for has "->" after the number.
  std::ifstream locks("/proc/locks");
  std::string line;
  while (std::getline(locks, line)) {
    std::istringstream fields(line);
    std::string number, kind, mode, access, id;
    long pid = 0;
    if (!(fields >> number >> kind) || kind == "->" || kind != "FLOCK") continue;
    // A holder in a PID namespace this process cannot see shows as pid 0.
    if (!(fields >> mode >> access >> pid >> id) || pid <= 0) continue;
    unsigned major_id = 0, minor_id = 0;
    uintmax_t inode = 0;
    if (std::sscanf(id.c_str(), "%x:%x:%" SCNuMAX, &major_id, &minor_id, &inode) != 3) continue;
    if (major_id != major(st.st_dev) || minor_id != minor(st.st_dev) || inode != st.st_ino) continue;
    const std::string name = CommandName(pid);
    return "pid " + std::to_string(pid) + (name.empty() ? "" : ", " + name);
  }
  return "";
}

}  // namespace vellum::core
