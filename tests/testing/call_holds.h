// CallHolds: stops chosen calls of an instrumented operation until the test
// lets them go, so that a test can force one interleaving of threads without
// sleeping or measuring time. Calls are numbered by the instrumented code (1 =
// its first call of that kind); the test arms a number, waits until that call
// has arrived (the thread that made it is then parked), arranges whatever must
// happen meanwhile, and releases it.
//
// Used by FaultInjectionEnv (HoldNth) and ObservedProjectionStore (HoldNthWrite).
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>

namespace vellum::testing {

class CallHolds {
 public:
  // Call number `call` will wait in Pass until Release(call) or ReleaseAll.
  void Arm(uint64_t call);
  // Made by the instrumented operation for its call number `call`, before the
  // call takes effect. Returns at once unless that call is armed.
  void Pass(uint64_t call);
  // Waits until call `call` is parked in Pass; false if it did not arrive within `timeout`.
  bool AwaitArrival(uint64_t call, std::chrono::milliseconds timeout);
  // Lets call `call` go (also if it has not arrived yet: it will then not wait).
  void Release(uint64_t call);
  // Lets every armed call go and disarms them: for tear-down, so no thread stays parked.
  void ReleaseAll();

 private:
  struct Hold {
    bool arrived = false;
    bool released = false;
  };
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Hold> holds_;  // by call number
};

}  // namespace vellum::testing
