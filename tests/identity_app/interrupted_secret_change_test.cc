// A change to a secret is two durable writes: the event in the ledger, then
// auth.db. These tests act as a process stopped between the two would leave
// things — the event recorded, auth.db as before (its row put back with SQL) —
// and check that the recorded change still holds (AC-2, AC-7, DC-1): a revoked
// API key authenticates nothing, and a password whose replacement was lost
// opens nothing until an administrator sets a new one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "app/vellum.h"
#include "identity/accounts.h"
#include "identity_app/identity_fixture.h"
#include "storage/embedded/sqlite_db.h"
#include "testing/status_matchers.h"

namespace vellum::identity_test {
namespace {

using identity::Role;
using ::testing::_;

constexpr char kOld[] = "the reader's first chosen passphrase";
constexpr char kNew[] = "a completely different passphrase now";
constexpr char kReset[] = "one-time passphrase set by the admin";

class InterruptedSecretChangeTest : public WorldTest {
 protected:
  // Runs `sql` on auth.db, as the state a stopped process leaves behind.
  void OnAuthDb(const std::string& sql) {
    ASSERT_OK_AND_ASSIGN(auto db, storage::sqlite::Database::Open(app::AuthDbPath(w_->dir()), false));
    ASSERT_OK(db->Exec(sql));
  }
  // The user's current password row, as SQL values "'hash', set_at".
  std::string PasswordRow(const std::string& user) {
    auto db = storage::sqlite::Database::Open(app::AuthDbPath(w_->dir()), false, true);
    EXPECT_OK(db.status());
    if (!db.ok()) return "";
    auto q = (*db)->Prepare("SELECT hash, set_at_us FROM passwords WHERE user_id = '" + user + "'");
    EXPECT_OK(q.status());
    if (!q.ok()) return "";
    auto row = q->Step();
    EXPECT_TRUE(row.ok() && *row);
    return "'" + std::string(q->ColumnText(0)) + "', " + std::to_string(q->ColumnInt(1));
  }
};

// DC-1: the account's record, not auth.db, says which keys are in force; a
// revocation recorded in the ledger holds although auth.db never heard of it.
TEST_F(InterruptedSecretChangeTest, ARecordedKeyRevocationHoldsWithoutAuthDb) {
  ASSERT_OK(w_->AddService("svc-1", {Role::kAnnotator}));
  ASSERT_OK_AND_ASSIGN(std::string key, v().CreateApiKey(w_->admin(), "svc-1", "importer host"));
  const uint64_t before = v().Size();
  ASSERT_OK_AND_ASSIGN(app::Principal svc, v().AuthenticateApiKey(key, "host-a"));
  ASSERT_OK(v().RevokeApiKey(w_->admin(), svc.session_id.substr(2), "host retired"));
  auto revoked = EventsOfType(EventsFrom(v(), before), identity::kApiKeyRevoked);
  ASSERT_EQ(revoked.size(), 1u);
  EXPECT_EQ(DataString(revoked[0], "key_id"), svc.session_id.substr(2));

  // The process stopped before auth.db recorded the revocation.
  OnAuthDb("UPDATE api_keys SET revoked_us = NULL");
  EXPECT_THAT(v().AuthenticateApiKey(key, "host-a"), StatusIs(StatusCode::kUnauthenticated, _));
  // Revoking again is refused (it is revoked) and records nothing.
  const uint64_t size = v().Size();
  EXPECT_THAT(v().RevokeApiKey(w_->admin(), svc.session_id.substr(2), "again"),
              StatusIs(StatusCode::kFailedPrecondition, ::testing::HasSubstr("already revoked")));
  EXPECT_EQ(v().Size(), size);
}

// DC-1: a key id that was never issued is refused before anything is recorded.
TEST_F(InterruptedSecretChangeTest, RevokingAnUnknownKeyRecordsNothing) {
  const uint64_t size = v().Size();
  EXPECT_THAT(v().RevokeApiKey(w_->admin(), "0123456789abcdef", "typo"),
              StatusIs(StatusCode::kNotFound, _));
  EXPECT_EQ(v().Size(), size);
}

// AC-2: the owner's password change was recorded but its hash never stored:
// neither the old password nor the new one opens the account, the attempt is
// recorded with why, and an administrator's reset brings it back.
TEST_F(InterruptedSecretChangeTest, ALostPasswordChangeOpensNothingUntilAReset) {
  ASSERT_OK_AND_ASSIGN(app::Principal reader, w_->AddPerson("u-r", {Role::kReviewer}, kOld));
  const std::string old_row = PasswordRow("u-r");
  ASSERT_OK(v().ChangeOwnPassword(reader, kOld, kNew));
  // The process stopped before auth.db stored the new hash.
  OnAuthDb("UPDATE passwords SET hash = " + old_row.substr(0, old_row.rfind(',')) +
           ", set_at_us = " + old_row.substr(old_row.rfind(',') + 2) + " WHERE user_id = 'u-r'");

  const uint64_t before = v().Size();
  EXPECT_THAT(w_->Login("u-r", kOld), StatusIs(StatusCode::kUnauthenticated, _));
  EXPECT_THAT(w_->Login("u-r", kNew), StatusIs(StatusCode::kUnauthenticated, _));
  auto failures = EventsOfType(EventsFrom(v(), before), identity::kLoginFailed);
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(DataString(failures[0], "failure"), "password_change_incomplete");

  ASSERT_OK(v().ResetPassword(w_->admin(), "u-r", kReset, "password change was cut short"));
  ASSERT_OK_AND_ASSIGN(app::Session s, w_->Login("u-r", kReset));
  EXPECT_TRUE(s.principal.must_change_password);
}

// AC-2: the same for an administrator's reset: the old password does not
// survive a reset whose new hash was lost.
TEST_F(InterruptedSecretChangeTest, ALostResetOpensNothingWithTheOldPassword) {
  ASSERT_OK(w_->AddPerson("u-r", {Role::kReviewer}, kOld).status());
  const std::string old_row = PasswordRow("u-r");
  ASSERT_OK(v().ResetPassword(w_->admin(), "u-r", kReset, "suspected disclosure"));
  OnAuthDb("UPDATE passwords SET hash = " + old_row.substr(0, old_row.rfind(',')) +
           ", set_at_us = " + old_row.substr(old_row.rfind(',') + 2) + " WHERE user_id = 'u-r'");
  EXPECT_THAT(w_->Login("u-r", kOld), StatusIs(StatusCode::kUnauthenticated, _));
}

}  // namespace
}  // namespace vellum::identity_test
