// Sessions through the binary (AC-7, DESIGN.md "Interfaces users see"):
// `vellum login` keeps the token in a private file, a second login ends the
// session kept before it, `logout` ends the session and forgets the token, and
// a command that changes anything without a session is refused and writes
// nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <vector>
#include <string>

#include "cli/cli_fixture.h"
#include "testing/test_env.h"

namespace vellum::cli_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::vellum::testing::ReadFileOrDie;

class CliSessionTest : public CliTest {
 protected:
  // The events of `type` in the ledger.
  std::vector<boost::json::value> EventsOfType(const std::string& type) const {
    std::vector<boost::json::value> out;
    for (const std::string& line : LogLines()) {
      boost::json::value e = ParseOrFail(line);
      if (Str(e.at("type")) == type) out.push_back(e);
    }
    return out;
  }
};

// AC-7: the saved token is readable by its owner only.
TEST_F(CliSessionTest, LoginKeepsTheTokenInAPrivateFile) {
  Init();
  ProcessResult r = cli_.Login(kRivera.id);
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("Signed in as u-1"));
  struct stat st {};
  ASSERT_EQ(stat(cli_.SessionFile(kRivera.id).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(ReadFileOrDie(cli_.SessionFile(kRivera.id)).empty());
}

// AC-7: signing in again ends the session kept before it (recorded as a
// logout), so an old token copied from the file no longer works.
TEST_F(CliSessionTest, ASecondLoginEndsTheSessionKeptBeforeIt) {
  Init();
  const std::string first_token = ReadFileOrDie(cli_.SessionFile(kRivera.id));
  const size_t logouts_before = EventsOfType("security.logout").size();
  ProcessResult r = cli_.Login(kRivera.id);
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(ReadFileOrDie(cli_.SessionFile(kRivera.id)), first_token);
  std::vector<boost::json::value> logouts = EventsOfType("security.logout");
  ASSERT_EQ(logouts.size(), logouts_before + 1);
  EXPECT_EQ(Str(logouts.back().at("actor")), kRivera.id);

  // The old token, put back in the session file, is refused.
  const std::string new_token = ReadFileOrDie(cli_.SessionFile(kRivera.id));
  ::vellum::testing::WriteFileOrDie(cli_.SessionFile(kRivera.id), first_token);
  ProcessResult stale = Create("note", "n-1", "{\"n\":1}");
  EXPECT_EQ(stale.exit_code, 3) << Describe(stale);
  EXPECT_THAT(stale.err, HasSubstr("vellum login"));
  ::vellum::testing::WriteFileOrDie(cli_.SessionFile(kRivera.id), new_token);
  fs::permissions(cli_.SessionFile(kRivera.id), fs::perms::owner_read | fs::perms::owner_write);
  // The new one works.
  ProcessResult fresh = Create("note", "n-1", "{\"n\":1}");
  EXPECT_EQ(fresh.exit_code, 0) << Describe(fresh);
}

// AC-7: logout ends the session in the ledger and removes the token file;
// after it, changing anything is refused and writes nothing.
TEST_F(CliSessionTest, LogoutEndsTheSessionAndForgetsTheToken) {
  Init();
  const size_t logouts_before = EventsOfType("security.logout").size();
  ProcessResult out = Run({"logout"});
  ASSERT_EQ(out.exit_code, 0) << Describe(out);
  EXPECT_FALSE(fs::exists(cli_.SessionFile(kRivera.id)));
  As(kQuality.id);  // who reads the trail now
  EXPECT_EQ(EventsOfType("security.logout").size(), logouts_before + 1);
  As(kRivera.id);

  const auto before = Snapshot();
  ProcessResult refused = Create("note", "n-1", "{\"n\":1}");
  EXPECT_EQ(refused.exit_code, 3) << Describe(refused);
  EXPECT_THAT(refused.err, HasSubstr("vellum login"));
  EXPECT_EQ(Snapshot(), before) << "a refused command writes nothing";
}

}  // namespace
}  // namespace vellum::cli_test
