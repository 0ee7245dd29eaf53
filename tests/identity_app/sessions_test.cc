// Sessions and API keys (AC-7, DC-1) on a settable clock: idle timeout and
// absolute lifetime end a session (security.session_expired) and its token
// stops working; activity within the idle limit keeps it alive; logout ends
// it; tokens are kept only as SHA-256 hashes; every event made in a session
// carries its session id. Service accounts authenticate with their own
// revocable API keys, never with a person's password, and every event they
// cause names the source system and its version.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/sha256.h"
#include "identity/accounts.h"
#include "identity_app/identity_fixture.h"
#include "storage/embedded/sqlite_db.h"
#include "testing/status_matchers.h"

namespace vellum::identity_test {
namespace {

namespace json = boost::json;
using identity::Role;
using ::testing::_;
using ::testing::HasSubstr;

constexpr char kPassword[] = "the session user's own passphrase";
constexpr char kWorkstation[] = "ws-42.reading-room";

class SessionsTest : public WorldTest {
 protected:
  void SetUp() override {
    WorldTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK(w_->AddPerson("u-s", {Role::kAnnotator}, kPassword).status());
  }

  StatusOr<app::Principal> Use(const app::Session& s) {
    return v().Authenticate(s.token, kWorkstation);
  }

  // The session_expired events since `from`.
  std::vector<ledger::Event> Expiries(uint64_t from) {
    return EventsOfType(EventsFrom(v(), from), identity::kSessionExpired);
  }

  // auth.db as bytes, its write-ahead log included.
  std::string AuthDbBytes() {
    const std::string path = app::AuthDbPath(w_->dir());
    return ReadAll(path) + ReadAll(path + "-wal");
  }
};

// AC-7: a session unused for longer than session_idle_minutes ends; use
// within the limit keeps it alive however long it lasts in total.
TEST_F(SessionsTest, IdleTimeoutEndsTheSession) {
  ASSERT_OK(w_->EditPolicy([](identity::SecurityPolicy& p) { p.session_idle_minutes = 10; }));
  ASSERT_OK_AND_ASSIGN(app::Session s, w_->Login("u-s", kPassword, kWorkstation));
  for (int i = 0; i < 5; ++i) {
    w_->clock().Advance(9 * kMinute);
    ASSERT_OK(Use(s)) << "45 minutes in all, never 10 idle";
  }
  w_->clock().Advance(10 * kMinute + 1);
  const uint64_t before = v().Size();
  EXPECT_THAT(Use(s), StatusIs(StatusCode::kUnauthenticated, HasSubstr("inactivity")));
  auto expired = Expiries(before);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(DataString(expired[0], "why"), "idle_timeout");
  EXPECT_EQ(expired[0].actor.id, "u-s");
  EXPECT_EQ(expired[0].actor.session, s.principal.session_id);
  // Ended for good: not revived by a longer limit, and not recorded twice.
  ASSERT_OK(w_->EditPolicy([](identity::SecurityPolicy& p) { p.session_idle_minutes = 120; }));
  const uint64_t after = v().Size();
  EXPECT_THAT(Use(s), StatusIs(StatusCode::kUnauthenticated, _));
  EXPECT_EQ(v().Size(), after);
  // A new sign-in works.
  ASSERT_OK_AND_ASSIGN(app::Session again, w_->Login("u-s", kPassword, kWorkstation));
  EXPECT_OK(Use(again));
  EXPECT_NE(again.principal.session_id, s.principal.session_id);
}

// AC-7: the absolute lifetime (session_max_hours) ends even a busy session.
TEST_F(SessionsTest, AbsoluteLifetimeEndsEvenABusySession) {
  ASSERT_OK(w_->EditPolicy([](identity::SecurityPolicy& p) {
    p.session_idle_minutes = 15;
    p.session_max_hours = 1;
  }));
  ASSERT_OK_AND_ASSIGN(app::Session s, w_->Login("u-s", kPassword, kWorkstation));
  for (int i = 0; i < 6; ++i) {
    w_->clock().Advance(10 * kMinute);
    ASSERT_OK(Use(s)) << "minute " << (i + 1) * 10;
  }
  w_->clock().Advance(1 * kMinute);
  const uint64_t before = v().Size();
  EXPECT_THAT(Use(s), StatusIs(StatusCode::kUnauthenticated, HasSubstr("lifetime")));
  auto expired = Expiries(before);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(DataString(expired[0], "why"), "lifetime");
  EXPECT_EQ(expired[0].actor.session, s.principal.session_id);
  EXPECT_THAT(Use(s), StatusIs(StatusCode::kUnauthenticated, _));
}

// AC-7: logout ends the session (recorded) and its token stops working.
TEST_F(SessionsTest, LogoutEndsTheSession) {
  ASSERT_OK_AND_ASSIGN(app::Session s, w_->Login("u-s", kPassword, kWorkstation));
  ASSERT_OK_AND_ASSIGN(app::Session other, w_->Login("u-s", kPassword, "ws-other"));
  ASSERT_OK_AND_ASSIGN(app::Principal p, Use(s));
  const uint64_t before = v().Size();
  ASSERT_OK(v().Logout(p));
  auto events = EventsFrom(v(), before);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, identity::kLogout);
  EXPECT_EQ(events[0].actor.session, s.principal.session_id);
  EXPECT_THAT(Use(s), StatusIs(StatusCode::kUnauthenticated, _));
  EXPECT_OK(v().Authenticate(other.token, "ws-other")) << "only that session ends";
}

// AC-7: the store keeps SHA-256 hashes of tokens, never the tokens (nor
// their raw bytes); the ledger and records.db hold neither.
TEST_F(SessionsTest, TokensAreStoredOnlyAsHashes) {
  std::vector<std::string> tokens;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(app::Session s, w_->Login("u-s", kPassword, kWorkstation));
    tokens.push_back(s.token);
  }
  ASSERT_OK(w_->AddService("svc-1", {Role::kAnnotator}));
  ASSERT_OK_AND_ASSIGN(std::string key, v().CreateApiKey(w_->admin(), "svc-1", "first key"));
  tokens.push_back(key);

  ASSERT_OK_AND_ASSIGN(auto db,
                       storage::sqlite::Database::Open(app::AuthDbPath(w_->dir()), false, true));
  std::vector<std::string> stored;
  for (const char* sql : {"SELECT token_hash FROM sessions", "SELECT key_hash FROM api_keys"}) {
    ASSERT_OK_AND_ASSIGN(auto q, db->Prepare(sql));
    for (;;) {
      ASSERT_OK_AND_ASSIGN(bool row, q.Step());
      if (!row) break;
      stored.emplace_back(q.ColumnBlob(0));
    }
  }
  const std::string auth = AuthDbBytes();
  std::string elsewhere;
  for (const std::string& path : FilesBelow(w_->dir())) {
    if (path.find("/auth.db") == std::string::npos) elsewhere += ReadAll(path);
  }
  for (const std::string& t : tokens) {
    std::string b64 = t;
    for (char& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
    while (b64.size() % 4 != 0) b64 += '=';
    auto raw = core::Base64Decode(b64);
    EXPECT_EQ(auth.find(t), std::string::npos) << "a token in auth.db";
    if (raw.ok() && raw->size() == 32) {
      EXPECT_EQ(auth.find(*raw), std::string::npos) << "a token's bytes in auth.db";
    }
    EXPECT_EQ(elsewhere.find(t), std::string::npos) << "a token outside auth.db";
    const std::string hash(core::AsBytes(core::Sha256(t)));
    EXPECT_NE(std::find(stored.begin(), stored.end(), hash), stored.end())
        << "its SHA-256 is what is kept";
    EXPECT_EQ(elsewhere.find(core::HexEncode(hash)), std::string::npos)
        << "nor its hash outside auth.db";
  }
}

// AC-7, AT-2: every event written in a session carries its session id and
// workstation: sign-in, records, a refusal, a password change, sign-out.
TEST_F(SessionsTest, EveryEventCarriesItsSession) {
  const uint64_t before = v().Size();
  ASSERT_OK_AND_ASSIGN(app::Session s, w_->Login("u-s", kPassword, kWorkstation));
  ASSERT_OK_AND_ASSIGN(app::Principal p, Use(s));
  ASSERT_OK(v().CreateRecord(p, NewRecord("rec-1")));
  ASSERT_OK(v().ModifyRecord(p, ChangeRecord("rec-1", 1)));
  EXPECT_THAT(v().DeleteRecord(p, RemoveRecord("rec-1")),
              StatusIs(StatusCode::kPermissionDenied, _));
  w_->clock().Advance(1'000'000);
  ASSERT_OK(v().ChangeOwnPassword(p, kPassword, "the session user's next passphrase"));
  ASSERT_OK(v().Logout(p));
  auto events = EventsFrom(v(), before);
  std::vector<std::string> types;
  for (const auto& e : events) {
    types.push_back(e.type);
    EXPECT_EQ(e.actor.id, "u-s") << e.type;
    EXPECT_EQ(e.actor.session, s.principal.session_id) << e.type;
    EXPECT_EQ(e.actor.client, kWorkstation) << e.type;
  }
  EXPECT_THAT(types, ::testing::ElementsAre(identity::kLoginSucceeded, "record.created",
                                            "record.modified", "security.access_denied",
                                            identity::kPasswordChanged, identity::kLogout));
}

// DC-1: a service account's API key authenticates it; every event it causes
// records the source system and version; revocation stops the key at once
// (another key of the same account keeps working: rotation).
TEST_F(SessionsTest, ApiKeysAuthenticateServicesAndRecordTheirSource) {
  ASSERT_OK(w_->AddService("svc-model", {Role::kAnnotator}, "nodule-net", "2.3.0+sha256.9f1c"));
  uint64_t before = v().Size();
  ASSERT_OK_AND_ASSIGN(std::string key,
                       v().CreateApiKey(w_->admin(), "svc-model", "pipeline host A"));
  auto created = EventsOfType(EventsFrom(v(), before), "user.api_key_created");
  ASSERT_EQ(created.size(), 1u);
  const std::string key_id = DataString(created[0], "key_id");
  EXPECT_EQ(created[0].reason, "pipeline host A");
  ASSERT_OK_AND_ASSIGN(std::string second,
                       v().CreateApiKey(w_->admin(), "svc-model", "pipeline host B"));
  EXPECT_NE(key, second);

  ASSERT_OK_AND_ASSIGN(app::Principal svc, v().AuthenticateApiKey(key, "10.0.0.9"));
  EXPECT_EQ(svc.user_id, "svc-model");
  EXPECT_EQ(svc.kind, identity::AccountKind::kService);
  EXPECT_EQ(svc.session_id, "k-" + key_id);
  ASSERT_OK_AND_ASSIGN(ledger::Event e, v().CreateRecord(svc, NewRecord("pre-label-1")));
  ASSERT_TRUE(e.actor.source.has_value());
  EXPECT_EQ(*e.actor.source,
            (json::object{{"system", "nodule-net"}, {"version", "2.3.0+sha256.9f1c"}}));
  EXPECT_EQ(e.actor.session, "k-" + key_id);
  EXPECT_EQ(e.actor.client, "10.0.0.9");
  // As stored in the ledger, not only as returned.
  auto stored = EventsFrom(v(), e.seq);
  ASSERT_FALSE(stored.empty());
  EXPECT_EQ(stored[0].actor.source, e.actor.source);

  before = v().Size();
  ASSERT_OK(v().RevokeApiKey(w_->admin(), key_id, "host A decommissioned"));
  ASSERT_EQ(EventsOfType(EventsFrom(v(), before), "user.api_key_revoked").size(), 1u);
  EXPECT_THAT(v().AuthenticateApiKey(key, "10.0.0.9"), StatusIs(StatusCode::kUnauthenticated, _));
  ASSERT_OK_AND_ASSIGN(app::Principal rotated, v().AuthenticateApiKey(second, "10.0.0.10"));
  EXPECT_OK(v().CreateRecord(rotated, NewRecord("pre-label-2")));

  // A deactivated service account's keys can do nothing.
  ASSERT_OK(v().DeactivateUser(w_->admin(), "svc-model", "model retired"));
  auto late = v().AuthenticateApiKey(second, "10.0.0.10");
  if (late.ok()) {
    EXPECT_THAT(v().CreateRecord(*late, NewRecord("pre-label-3")),
                StatusIs(StatusCode::kPermissionDenied, HasSubstr("deactivated")));
  }
}

// DC-1: credentials do not cross: a person's password is never an API key,
// a service account has no password, and keys and session tokens are not
// interchangeable.
TEST_F(SessionsTest, PasswordsAndKeysDoNotCross) {
  ASSERT_OK(w_->AddService("svc-import", {Role::kAnnotator}));
  ASSERT_OK_AND_ASSIGN(std::string key, v().CreateApiKey(w_->admin(), "svc-import", "importer"));
  ASSERT_OK_AND_ASSIGN(app::Session s, w_->Login("u-s", kPassword, kWorkstation));

  EXPECT_THAT(v().AuthenticateApiKey(kPassword, "x"), StatusIs(StatusCode::kUnauthenticated, _));
  EXPECT_THAT(v().AuthenticateApiKey(kAdminPassword, "x"),
              StatusIs(StatusCode::kUnauthenticated, _));
  EXPECT_THAT(v().AuthenticateApiKey(s.token, "x"), StatusIs(StatusCode::kUnauthenticated, _));
  EXPECT_THAT(v().Authenticate(key, "x"), StatusIs(StatusCode::kUnauthenticated, _));
  EXPECT_THAT(w_->Login("svc-import", key), StatusIs(StatusCode::kUnauthenticated, _));
  // No key for a person, no password for a machine.
  EXPECT_THAT(v().CreateApiKey(w_->admin(), "u-s", "a key for a person"),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("service accounts only")));
  identity::User machine;
  machine.id = "svc-with-password";
  machine.name = "Machine";
  machine.kind = identity::AccountKind::kService;
  machine.roles = {Role::kAnnotator};
  machine.source_system = "importer";
  machine.source_version = "1.0";
  EXPECT_THAT(v().CreateUser(w_->admin(), machine, "a password for a machine", std::string("no")),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("API keys")));
  // A key cannot end a session it does not have.
  ASSERT_OK_AND_ASSIGN(app::Principal svc, v().AuthenticateApiKey(key, "x"));
  EXPECT_THAT(v().Logout(svc), StatusIs(StatusCode::kFailedPrecondition, _));
}

}  // namespace
}  // namespace vellum::identity_test
