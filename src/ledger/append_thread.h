// A thread that runs one job at a time for the sequencer: the append (write
// and fdatasync) of a group commit, while the sequencer sequences the next
// batch instead of waiting for the disk.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "core/status.h"

namespace vellum::ledger {

class AppendThread {
 public:
  AppendThread();
  // Waits for a running job to end.
  ~AppendThread();
  AppendThread(const AppendThread&) = delete;
  AppendThread& operator=(const AppendThread&) = delete;

  // Starts `job` on the thread. REQUIRES: no job started and not yet waited for.
  void Start(std::function<Status()> job);
  // The started job's result, once it has ended. REQUIRES: a job was started.
  Status Wait();

 private:
  void Loop();

  enum State { kIdle, kStarted, kDone };
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<State> state_{kIdle};  // written under mu_, polled without it
  bool stopping_ = false;
  std::function<Status()> job_;
  Status result_;
  std::thread thread_;
};

}  // namespace vellum::ledger
