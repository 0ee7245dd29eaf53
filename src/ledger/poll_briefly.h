// Brief polling before a thread sleeps on a condition variable.
#pragma once

#include <chrono>
#include <thread>

namespace vellum::ledger {

// How long the ledger's threads poll for more work before sleeping. On virtual
// machines a sleeping thread can take a millisecond or more to wake, longer
// than a whole group commit; polling briefly keeps a steady stream of commands
// from paying that on every call.
inline constexpr std::chrono::microseconds kPollBeforeSleep{300};

// Returns once `ready()` is true or kPollBeforeSleep has passed.
template <typename Ready>
void PollBriefly(const Ready& ready) {
  const auto until = std::chrono::steady_clock::now() + kPollBeforeSleep;
  while (!ready() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
}

}  // namespace vellum::ledger
