#include "app/thread_cpu.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace vellum::app {

std::map<std::string, double> ThreadCpuSecondsByName() {
  std::map<std::string, double> out;
  const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream in(task.path() / "stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;  // the thread ended meanwhile
    // "tid (name) state ppid …": the name may hold spaces and parentheses, so
    // it is what lies between the first '(' and the last ')'. utime and stime
    // are the 14th and 15th fields, the 12th and 13th after the name.
    const size_t open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string skipped;
    for (int i = 0; i < 11; ++i) rest >> skipped;
    long long utime = 0, stime = 0;
    if (!(rest >> utime >> stime)) continue;
    out[stat.substr(open + 1, close - open - 1)] += static_cast<double>(utime + stime) / ticks_per_second;
  }
  return out;
}

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace vellum::app
