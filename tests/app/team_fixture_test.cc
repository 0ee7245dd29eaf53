// The shared test fixture (testing/identity_fixture.h) makes its people through
// the product's own path: a test that relies on a "quality principal" gets one
// that really signed in, holds that one role and has no password change pending.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/vellum.h"
#include "identity/roles.h"
#include "testing/identity_fixture.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

TEST(TeamFixtureTest, EveryRoleSignedInThroughTheProductPath) {
  TempDir tmp;
  ASSERT_OK_AND_ASSIGN(auto v, InitWithAdmin(tmp.Sub("data")));
  ASSERT_OK_AND_ASSIGN(Team team, ProvisionTeam(*v));
  for (identity::Role role : identity::kAllRoles) {
    SCOPED_TRACE(identity::RoleName(role));
    const app::Principal& p = team.Of(role);
    EXPECT_EQ(p.user_id, TeamMember(role).id);
    EXPECT_THAT(p.roles, ElementsAre(role));
    EXPECT_THAT(p.session_id, StartsWith("s-"));
    EXPECT_FALSE(p.must_change_password);
    // The account as stored: active, one role, its own password chosen.
    ASSERT_OK_AND_ASSIGN(identity::User u, v->GetUser(p, p.user_id));
    EXPECT_EQ(u.status, identity::AccountStatus::kActive);
    EXPECT_FALSE(u.must_change_password);
    EXPECT_TRUE(u.password_changed_at.has_value());
  }
  EXPECT_EQ(team.system_administrator.user_id, kAdminId);
  // Each person's password is TestPassword(id): the binary tests sign in with it.
  ASSERT_OK_AND_ASSIGN(app::Principal again, SignInAs(*v, TeamMember(identity::Role::kQuality).id));
  EXPECT_NE(again.session_id, team.quality.session_id);
}

// A service account acts with its API key, and the key's principal names the
// source system (DC-1).
TEST(TeamFixtureTest, ServiceAccountWithApiKey) {
  TempDir tmp;
  ASSERT_OK_AND_ASSIGN(auto v, InitWithAdmin(tmp.Sub("data")));
  ASSERT_OK_AND_ASSIGN(app::Principal admin, SignInAdmin(*v));
  std::string key;
  ASSERT_OK_AND_ASSIGN(app::Principal svc,
                       AddServiceAccount(*v, admin, "svc-import", "PACS importer",
                                         {identity::Role::kAnnotator}, "pacs-export", "7.1", &key));
  EXPECT_THAT(key, StartsWith("vk_"));
  EXPECT_EQ(svc.kind, identity::AccountKind::kService);
  EXPECT_THAT(svc.session_id, StartsWith("k-"));
  ASSERT_TRUE(svc.source.has_value());
  EXPECT_EQ(svc.source->at("system").as_string(), "pacs-export");
  ASSERT_OK_AND_ASSIGN(
      ledger::Event e,
      v->CreateRecord(svc, {"case", "c-1", {{"study", "1.2.3"}}, std::nullopt, std::nullopt}));
  EXPECT_EQ(e.actor.id, "svc-import");
  ASSERT_TRUE(e.actor.source.has_value());
  EXPECT_EQ(e.actor.source->at("version").as_string(), "7.1");
}

}  // namespace
}  // namespace vellum::testing
