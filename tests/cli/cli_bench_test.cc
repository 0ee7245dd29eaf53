// Smoke test of `vellum bench`: the command runs and reports its figures.
// Timing-dependent values are not asserted. CTest labels these "integration-bench"
// (`ctest -LE bench` leaves them out); GoogleTest: --gtest_filter=-CliBench*.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/cli_fixture.h"
#include "testing/test_env.h"

namespace vellum::cli_test {
namespace {

using ::testing::HasSubstr;

class CliBenchSmokeTest : public CliTest {};

TEST_F(CliBenchSmokeTest, QuickRunPrintsItsFigures) {
  const std::string dir = tmp_.Sub("bench");
  ProcessResult r = ::vellum::testing::RunProcess(
      {::vellum::testing::VellumBinary(), "bench", "--quick", "--dir", dir});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("events/s"));
  EXPECT_THAT(r.out, HasSubstr("MB/s"));
  EXPECT_THAT(r.out, HasSubstr("inclusion proof"));
  // Each append run's CPU, split between the ledger's named threads and the rest.
  EXPECT_THAT(r.out, ::testing::ContainsRegex("CPU us/event by thread: sequencer [0-9.]+, append [0-9.]+, "
                                              "projection [0-9.]+, callers and the rest [0-9.]+"));
  EXPECT_FALSE(std::filesystem::exists(dir)) << "the scratch directory is removed without --keep";

  // A scratch directory that holds something is refused rather than overwritten.
  std::filesystem::create_directories(dir);
  ::vellum::testing::WriteFileOrDie(dir + "/keep-me", "x");
  r = ::vellum::testing::RunProcess(
      {::vellum::testing::VellumBinary(), "bench", "--quick", "--dir", dir});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("is not empty"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/keep-me"));
}

// The shape of the record ids is chosen by name and printed; an unknown one is
// bad usage and runs nothing.
TEST_F(CliBenchSmokeTest, RecordIdShapeIsChosenByName) {
  const std::string dir = tmp_.Sub("bench");
  ProcessResult r = ::vellum::testing::RunProcess({::vellum::testing::VellumBinary(), "bench", "--quick",
                                                   "--producers", "2", "--batch", "8", "--record-ids", "random",
                                                   "--keep", "--dir", dir});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("record ids random (as UUID v4)"));
  EXPECT_THAT(r.out, HasSubstr("durable appends,  2 producer(s) x   8 event(s)/call"));
  // The records it created carry such ids.
  const std::string segment =
      ::vellum::testing::ReadFileOrDie(dir + "/ledger/ledger/segments/00000000000000000000.jsonl");
  EXPECT_THAT(segment, ::testing::ContainsRegex("\"id\":\"a-[0-9a-f]{16}\",\"type\":\"annotation\""));
  EXPECT_THAT(segment, ::testing::Not(HasSubstr("\"id\":\"a-1\",")));
  std::filesystem::remove_all(dir);
  r = ::vellum::testing::RunProcess(
      {::vellum::testing::VellumBinary(), "bench", "--quick", "--record-ids", "uuid", "--dir", dir});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("--record-ids"));
  EXPECT_FALSE(std::filesystem::exists(dir));
}

}  // namespace
}  // namespace vellum::cli_test
