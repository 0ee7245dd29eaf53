#include "ledger/append_thread.h"

#include <utility>

#include "core/thread_name.h"
#include "ledger/poll_briefly.h"

namespace vellum::ledger {

AppendThread::AppendThread()
    : thread_([this] {
        core::NameThisThread("vellum-append");
        Loop();
      }) {}

AppendThread::~AppendThread() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void AppendThread::Start(std::function<Status()> job) {
  {
    std::lock_guard lock(mu_);
    job_ = std::move(job);
    state_ = kStarted;
  }
  cv_.notify_all();
}

Status AppendThread::Wait() {
  // The sequencer waits here only when it has nothing else to do: polled first,
  // as a sleeping thread on a virtual machine can take longer to wake than a sync.
  PollBriefly([&] { return state_.load(std::memory_order_acquire) == kDone; });
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return state_ == kDone; });
  state_ = kIdle;
  return std::move(result_);
}

void AppendThread::Loop() {
  for (;;) {
    PollBriefly([&] { return state_.load(std::memory_order_acquire) == kStarted; });
    std::function<Status()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || state_ == kStarted; });
      if (state_ != kStarted) return;  // stopping, nothing started
      job = std::move(job_);
    }
    Status result = job();
    {
      std::lock_guard lock(mu_);
      result_ = std::move(result);
      state_ = kDone;
    }
    cv_.notify_all();
  }
}

}  // namespace vellum::ledger
