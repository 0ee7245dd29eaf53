// Thread names, as the operating system shows them (/proc/self/task/<tid>/comm).
#include "core/thread_name.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

namespace vellum::core {
namespace {

std::string NameOfThisThread() {
  std::ifstream comm("/proc/self/task/" + std::to_string(::syscall(SYS_gettid)) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

TEST(ThreadNameTest, NamesTheCallingThreadOnly) {
  const std::string before = NameOfThisThread();
  std::string inside;
  std::thread([&] {
    NameThisThread("vellum-test");
    inside = NameOfThisThread();
  }).join();
  EXPECT_EQ(inside, "vellum-test");
  EXPECT_EQ(NameOfThisThread(), before);
}

TEST(ThreadNameTest, ALongNameIsCutToTheFifteenBytesTheSystemKeeps) {
  std::string inside;
  std::thread([&] {
    NameThisThread("vellum-a-rather-long-name");
    inside = NameOfThisThread();
  }).join();
  EXPECT_EQ(inside, "vellum-a-rather");
}

}  // namespace
}  // namespace vellum::core
