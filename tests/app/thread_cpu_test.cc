// ThreadCpuSecondsByName: the per-thread CPU split `vellum bench` prints.
#include "app/thread_cpu.h"

#include <gtest/gtest.h>
#include <time.h>

#include <atomic>
#include <thread>

#include "core/thread_name.h"

namespace vellum::app {
namespace {

double ThisThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// A thread that burns `seconds` of its own CPU under `name`, then waits until
// told to end, so that it is still there to be measured.
class BusyThread {
 public:
  BusyThread(const char* name, double seconds)
      : thread_([this, name, seconds] {
          core::NameThisThread(name);
          volatile unsigned sink = 0;
          while (ThisThreadCpuSeconds() < seconds) sink = sink + 1;
          busy_done_ = true;
          busy_done_.notify_one();
          end_.wait(false);
        }) {
    busy_done_.wait(false);
  }
  ~BusyThread() {
    end_ = true;
    end_.notify_one();
    thread_.join();
  }

 private:
  std::atomic<bool> busy_done_{false}, end_{false};
  std::thread thread_;
};

TEST(ThreadCpuTest, SumsEachNamedThreadsCpu) {
  BusyThread a("cpu-test-a", 0.2);
  // A name may hold spaces and parentheses, which /proc's stat line also uses.
  BusyThread b("x) (y z", 0.1);
  const auto by_name = ThreadCpuSecondsByName();
  ASSERT_TRUE(by_name.count("cpu-test-a"));
  ASSERT_TRUE(by_name.count("x) (y z"));
  // At least what each burnt, less a clock tick (10 ms) of rounding.
  EXPECT_GE(by_name.at("cpu-test-a"), 0.18);
  EXPECT_GE(by_name.at("x) (y z"), 0.08);
}

}  // namespace
}  // namespace vellum::app
