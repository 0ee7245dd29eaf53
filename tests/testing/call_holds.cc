#include "testing/call_holds.h"

namespace vellum::testing {

void CallHolds::Arm(uint64_t call) {
  std::lock_guard lock(mu_);
  holds_[call] = Hold{};
}

void CallHolds::Pass(uint64_t call) {
  std::unique_lock lock(mu_);
  auto it = holds_.find(call);
  if (it == holds_.end()) return;
  it->second.arrived = true;
  cv_.notify_all();
  // std::map nodes stay put while other holds are armed or erased.
  cv_.wait(lock, [&] { return it->second.released; });
  holds_.erase(it);
}

bool CallHolds::AwaitArrival(uint64_t call, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    auto it = holds_.find(call);
    return it != holds_.end() && it->second.arrived;
  });
}

void CallHolds::Release(uint64_t call) {
  std::lock_guard lock(mu_);
  auto it = holds_.find(call);
  if (it == holds_.end()) return;
  if (it->second.arrived) {
    it->second.released = true;  // Pass erases it
  } else {
    holds_.erase(it);  // not reached yet: it will not stop
  }
  cv_.notify_all();
}

void CallHolds::ReleaseAll() {
  std::lock_guard lock(mu_);
  for (auto it = holds_.begin(); it != holds_.end();) {
    if (it->second.arrived) {
      it->second.released = true;
      ++it;
    } else {
      it = holds_.erase(it);
    }
  }
  cv_.notify_all();
}

}  // namespace vellum::testing
