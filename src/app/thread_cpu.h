// How a process's CPU time divides between its threads, by thread name (the
// ledger names its own: core/thread_name.h). `vellum bench` prints it for each
// append run, so every run shows where its CPU went.
#pragma once

#include <map>
#include <string>

namespace vellum::app {

// CPU time (user + system, in seconds) of this process's live threads, summed
// by name, from /proc/self/task/*/stat. Clock-tick resolution (10 ms on
// Linux): meant for runs of seconds. Empty where /proc cannot be read.
std::map<std::string, double> ThreadCpuSecondsByName();

}  // namespace vellum::app
