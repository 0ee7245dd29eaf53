// `vellum tiles` (AT-5, AT-9): the ledger published as a C2SP tiled transparency log by the
// real binary (the content is proven in tests/app/tiles_export_test.cc).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "cli/cli_fixture.h"
#include "testing/test_env.h"

namespace vellum::cli_test {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::vellum::testing::ReadFileOrDie;

class CliTilesTest : public CliTest {};

// AT-9: what a static web server serves to standard clients, without signing in.
TEST_F(CliTilesTest, PublishesTheLatestCheckpointAndItsTiles) {
  Init();
  As(kQuality.id);
  RunOk({"checkpoint"});
  const std::string out = tmp_.Sub("site");
  ProcessResult r = RunAs("", {"--format", "json", "tiles", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  json::object got = ParseOrFail(r.out).as_object();
  const uint64_t size = got.at("size").to_number<uint64_t>();
  EXPECT_EQ(size, LogLines().size());
  EXPECT_EQ(got.at("files").to_number<uint64_t>(), 1u);
  EXPECT_EQ(got.at("written").to_number<uint64_t>(), 1u);
  EXPECT_EQ(std::filesystem::file_size(out + "/tile/0/000.p/" + std::to_string(size)), 32 * size);
  EXPECT_EQ(ReadFileOrDie(out + "/checkpoint"), ReadFileOrDie(data_ + "/" + Str(got.at("checkpoint"))));

  ProcessResult again = RunAs("", {"tiles", "--out", out, "--entries"});
  ASSERT_EQ(again.exit_code, 0) << Describe(again);
  EXPECT_THAT(again.out, HasSubstr("the checkpoint and 2 tiles (1 written, 1 already there), 1 of them entry bundles"));
}

TEST_F(CliTilesTest, BadUsageIsRefused) {
  Init();
  ::vellum::testing::WriteFileOrDie(tmp_.Sub("a-file"), "not a directory\n");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"tiles"}, {"tiles", "--out", ""}, {"tiles", "--out", tmp_.Sub("x"), "--size", "999999"},
           {"tiles", "--out", tmp_.Sub("x"), "--size", "-1"}, {"tiles", "--out", data_ + "/site"},
           {"tiles", "--out", data_}, {"tiles", "--out", data_ + "/ledger/../site"},
           {"tiles", "--out", tmp_.Sub("a-file")}}) {
    ProcessResult r = RunAs("", args);
    EXPECT_EQ(r.exit_code, 2) << Describe(r);
    EXPECT_TRUE(r.out.empty());
  }
  EXPECT_FALSE(std::filesystem::exists(tmp_.Sub("x")));
  EXPECT_FALSE(std::filesystem::exists(data_ + "/site"));
}

}  // namespace
}  // namespace vellum::cli_test
