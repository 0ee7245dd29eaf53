// Thread names, as the operating system shows them (/proc/self/task/<tid>/comm).
#include "core/thread_name.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <string_view>
#include <thread>

namespace vellum::core {
namespace {

std::string NameOfThisThread() {
  std::ifstream comm("/proc/self/task/" + std::to_string(::syscall(SYS_gettid)) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

// The name a new thread has after NameThisThread(name).
std::string NameGivenInANewThread(std::string_view name) {
  std::string given;
  std::thread([&] {
    NameThisThread(name);
    given = NameOfThisThread();
  }).join();
  return given;
}

TEST(ThreadNameTest, NamesTheCallingThreadOnly) {
  const std::string before = NameOfThisThread();
  EXPECT_EQ(NameGivenInANewThread("vellum-test"), "vellum-test");
  EXPECT_EQ(NameOfThisThread(), before);
}

TEST(ThreadNameTest, ALongNameIsCutToTheFifteenBytesTheSystemKeeps) {
  EXPECT_EQ(NameGivenInANewThread("vellum-a-rather-long-name"), "vellum-a-rather");
}

}  // namespace
}  // namespace vellum::core
