// API keys of service accounts through the binary (DC-1): `user apikey create`
// prints the key once on stdout and its id on stderr; the service acts with
// --api-key-file; the account lists the keys in force; revoking by that id
// stops the key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>

#include "cli/cli_fixture.h"
#include "testing/test_env.h"

namespace vellum::cli_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using ::vellum::testing::kAdminId;

class CliApiKeyTest : public CliTest {};

// DC-1, AC-2
TEST_F(CliApiKeyTest, CreateUseListAndRevokeByThePrintedId) {
  Init();
  As(kAdminId);
  RunOk({"user", "add", "--service", "--id", "svc-1", "--name", "DICOM importer", "--role", "annotator",
         "--source-system", "dicom-importer", "--source-version", "3.2.1", "--reason", "imports studies"});
  ProcessResult created = Run({"user", "apikey", "create", "--id", "svc-1", "--reason", "host A"});
  ASSERT_EQ(created.exit_code, 0) << Describe(created);
  const std::vector<std::string> out = Lines(created.out);
  ASSERT_EQ(out.size(), 1u) << "only the key on stdout";
  const std::string key = out[0];
  EXPECT_THAT(created.err, Not(HasSubstr(key))) << "the key is shown once, on stdout";
  std::smatch m;
  ASSERT_TRUE(std::regex_search(created.err, m, std::regex("Key id ([0-9a-f]{16})"))) << created.err;
  const std::string key_id = m[1];

  // The account lists it among the keys in force.
  boost::json::value account = ParseOrFail(RunOk({"--format", "json", "user", "show", "--id", "svc-1"}));
  EXPECT_EQ(Str(account.at("api_keys").at(0)), key_id);

  // A key file every user of the machine can read is refused before anything is
  // opened: the key is not used, not echoed, and nothing is written (DC-1, AC-2).
  const std::string key_file = tmp_.Sub("svc.key");
  ::vellum::testing::WriteFileOrDie(key_file, key + "\n");
  fs::permissions(key_file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                fs::perms::others_read);
  const auto before = Snapshot();
  ProcessResult open_to_all = RunAs("", {"--api-key-file", key_file, "record", "create", "--type", "note", "--id",
                                         "n-0"}, "{\"n\":0}");
  EXPECT_EQ(open_to_all.exit_code, 3) << Describe(open_to_all);
  EXPECT_THAT(open_to_all.err, HasSubstr("every user of this machine (mode 0644)"));
  EXPECT_THAT(open_to_all.err, Not(HasSubstr(key)));
  EXPECT_EQ(Snapshot(), before);

  fs::permissions(key_file, fs::perms::owner_read | fs::perms::owner_write);
  ProcessResult used = RunAs("", {"--api-key-file", key_file, "record", "create", "--type", "note", "--id", "n-1"},
                             "{\"n\":1}");
  EXPECT_EQ(used.exit_code, 0) << Describe(used);

  RunOk({"user", "apikey", "revoke", "--key-id", key_id, "--reason", "host A retired"});
  account = ParseOrFail(RunOk({"--format", "json", "user", "show", "--id", "svc-1"}));
  EXPECT_TRUE(account.at("api_keys").as_array().empty());
  ProcessResult refused = RunAs("", {"--api-key-file", key_file, "record", "create", "--type", "note", "--id",
                                     "n-2"}, "{\"n\":2}");
  EXPECT_EQ(refused.exit_code, 3) << Describe(refused);
  EXPECT_THAT(refused.err, HasSubstr("revoked"));
}

// DC-1: an API key file with no key on its first line (not provisioned yet) is bad
// input naming the file (exit 2); the person signed in on the same machine stays
// signed in: a failed key never ends anyone's session.
TEST_F(CliApiKeyTest, EmptyKeyFileIsBadInputAndEndsNoSession) {
  Init();
  for (const std::string& text : {std::string(), std::string("\nsk-on-the-second-line\n")}) {
    const std::string key_file = tmp_.Sub("empty.key");
    ::vellum::testing::WriteFileOrDie(key_file, text);
    fs::permissions(key_file, fs::perms::owner_read | fs::perms::owner_write);
    ProcessResult r = RunAs(kAdminId, {"--api-key-file", key_file, "log"});
    EXPECT_EQ(r.exit_code, 2) << Describe(r);
    EXPECT_THAT(r.err, HasSubstr("holds no key on its first line"));
    ProcessResult still = RunAs(kAdminId, {"user", "show"});
    EXPECT_EQ(still.exit_code, 0) << Describe(still);
  }
}

}  // namespace
}  // namespace vellum::cli_test
