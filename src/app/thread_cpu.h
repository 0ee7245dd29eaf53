// How a process's CPU time divides between its threads, by thread name (the
// ledger names its own: core/thread_name.h). `vellum bench` prints it for each
// append run, so every run shows where its CPU went.
#pragma once

#include <map>
#include <string>
#include <utility>

namespace vellum::app {

// CPU time (user + system, in seconds) of this process's live threads, summed
// by name, from /proc/self/task/*/stat. Clock-tick resolution (10 ms on
// Linux): meant for runs of seconds. Empty where /proc cannot be read.
std::map<std::string, double> ThreadCpuSecondsByName();

// The whole process's CPU time (user + system) in seconds: a figure that,
// unlike wall time, other load on a shared machine barely disturbs.
double ProcessCpuSeconds();

// The ledger's own threads, by the names they run under, with the short label
// the benchmarks show their CPU under; the rest is the callers' and anything else.
inline constexpr std::pair<const char*, const char*> kLedgerThreads[] = {
    {"vellum-sequence", "sequencer"}, {"vellum-append", "append"}, {"vellum-project", "projection"}};

}  // namespace vellum::app
