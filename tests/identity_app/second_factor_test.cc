// The optional TOTP second factor (AC-2, RFC 6238) through the application
// service, on a settable clock: enrolment takes effect only once confirmed with
// a current code; then a sign-in needs a code, and a code is never accepted
// twice; enrolment waits until the account's password is its owner's; an
// administrator removes a lost factor with a reason; the secret never reaches
// the ledger.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/totp.h"
#include "identity/accounts.h"
#include "identity_app/identity_fixture.h"
#include "testing/status_matchers.h"

namespace vellum::identity_test {
namespace {

using identity::Role;
using ::testing::_;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPassword[] = "the second factor user's own passphrase";

class SecondFactorTest : public WorldTest {
 protected:
  void SetUp() override {
    WorldTest::SetUp();
    if (HasFatalFailure()) return;
    auto p = w_->AddPerson("u-2f", {Role::kAnnotator}, kPassword);
    ASSERT_OK(p.status());
    user_ = *p;
  }

  // The secret of an otpauth:// URI.
  static std::string SecretOf(const std::string& uri) {
    const size_t at = uri.find("secret=");
    EXPECT_NE(at, std::string::npos) << uri;
    const size_t end = uri.find('&', at);
    auto secret = core::Base32Decode(uri.substr(at + 7, end - at - 7));
    EXPECT_TRUE(secret.ok()) << uri;
    return secret.ok() ? *secret : std::string();
  }

  // The code an authenticator app holding `secret` shows now.
  std::string CodeNow(const std::string& secret) {
    auto code = core::Totp(secret, w_->clock().NowMicros() / 1'000'000);
    EXPECT_TRUE(code.ok());
    return code.ok() ? *code : std::string();
  }

  StatusOr<app::Session> SignIn(std::optional<std::string> code) {
    app::LoginRequest r;
    r.user_id = "u-2f";
    r.password = kPassword;
    r.totp_code = std::move(code);
    r.client = "ws-2f";
    return v().Login(r);
  }

  // Enrols and confirms a second factor for user_; returns its secret.
  std::string Enrol() {
    auto uri = v().BeginTotpEnrollment(user_);
    EXPECT_TRUE(uri.ok()) << uri.status().ToString();
    if (!uri.ok()) return "";
    const std::string secret = SecretOf(*uri);
    EXPECT_OK(v().ConfirmTotpEnrollment(user_, CodeNow(secret)).status());
    return secret;
  }

  app::Principal user_;
};

// AC-2: confirmed with a current code, the factor is recorded; from then on a
// sign-in without a code, or with a wrong one, fails, and with the current code succeeds.
TEST_F(SecondFactorTest, ConfirmedFactorIsNeededToSignIn) {
  const uint64_t from = v().log().EventCount();
  const std::string secret = Enrol();
  ASSERT_FALSE(secret.empty());
  auto changed = EventsOfType(EventsFrom(v(), from), identity::kSecondFactorChanged);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].actor.id, "u-2f");

  EXPECT_THAT(SignIn(std::nullopt).status(), StatusIs(StatusCode::kUnauthenticated, _));
  const std::string now = CodeNow(secret);
  EXPECT_THAT(SignIn(now == "000000" ? "000001" : "000000").status(), StatusIs(StatusCode::kUnauthenticated, _));
  w_->clock().Advance(30LL * 1'000'000);  // the next time step: a code not used yet
  EXPECT_OK(SignIn(CodeNow(secret)).status());
}

// AC-2: a code is accepted once: the same code again, in the same time step, is refused.
TEST_F(SecondFactorTest, CodeIsNeverAcceptedTwice) {
  const std::string secret = Enrol();
  ASSERT_FALSE(secret.empty());
  w_->clock().Advance(30LL * 1'000'000);
  const std::string code = CodeNow(secret);
  ASSERT_OK(SignIn(code).status());
  EXPECT_THAT(SignIn(code).status(), StatusIs(StatusCode::kUnauthenticated, _));
}

// AC-2: an enrolment not confirmed, or confirmed with a wrong code, changes
// nothing: the account signs in with its password alone and nothing is recorded.
TEST_F(SecondFactorTest, UnconfirmedEnrolmentChangesNothing) {
  const uint64_t from = v().log().EventCount();
  auto uri = v().BeginTotpEnrollment(user_);
  ASSERT_OK(uri.status());
  const std::string secret = SecretOf(*uri);
  const std::string wrong = CodeNow(secret) == "123456" ? "654321" : "123456";
  EXPECT_THAT(v().ConfirmTotpEnrollment(user_, wrong).status(), StatusIs(StatusCode::kInvalidArgument, _));
  EXPECT_TRUE(EventsOfType(EventsFrom(v(), from), identity::kSecondFactorChanged).empty());
  EXPECT_OK(SignIn(std::nullopt).status());
}

// AC-2, §11.300: with a password someone else set, the account may only change
// it (and read its own account and the policy, and log out); binding an
// authenticator to it waits, so whoever set the password cannot bind theirs.
// The refusal is recorded.
TEST_F(SecondFactorTest, EnrolmentWaitsForTheOwnersPassword) {
  ASSERT_OK(w_->AddNewPerson("u-new", {Role::kAnnotator}, "one-time password set by the admin"));
  auto session = w_->Login("u-new", "one-time password set by the admin");
  ASSERT_OK(session.status());
  ASSERT_TRUE(session->principal.must_change_password);
  const uint64_t from = v().log().EventCount();
  auto uri = v().BeginTotpEnrollment(session->principal);
  EXPECT_THAT(uri.status(), StatusIs(StatusCode::kPermissionDenied, HasSubstr("must change the password")));
  EXPECT_THAT(v().ConfirmTotpEnrollment(session->principal, "123456").status(),
              StatusIs(StatusCode::kPermissionDenied, _));
  const auto events = EventsFrom(v(), from);
  EXPECT_EQ(EventsOfType(events, "security.access_denied").size(), 2u);
  EXPECT_TRUE(EventsOfType(events, identity::kSecondFactorChanged).empty());

  // Once the owner has chosen their password, enrolment goes ahead.
  const std::string own = "the new user's own chosen passphrase";
  ASSERT_OK(v().ChangeOwnPassword(session->principal, "one-time password set by the admin", own));
  auto again = w_->Login("u-new", own);
  ASSERT_OK(again.status());
  EXPECT_OK(v().BeginTotpEnrollment(again->principal).status());
}

// AC-2: a second enrolment is refused while one is in force; an administrator
// removes a lost factor, with a reason, and the password alone signs in again.
TEST_F(SecondFactorTest, AdministratorRemovesALostFactor) {
  ASSERT_FALSE(Enrol().empty());
  EXPECT_THAT(v().BeginTotpEnrollment(user_).status(), StatusIs(StatusCode::kFailedPrecondition, _));
  EXPECT_THAT(v().ResetTotp(w_->admin(), "u-2f", "").status(), StatusIs(StatusCode::kInvalidArgument, _));
  EXPECT_THAT(v().ResetTotp(user_, "u-2f", "lost phone").status(), StatusIs(StatusCode::kPermissionDenied, _));
  ASSERT_OK(v().ResetTotp(w_->admin(), "u-2f", "lost phone, identity checked in person").status());
  EXPECT_OK(SignIn(std::nullopt).status());
}

// AC-2: the secret goes to auth.db only: no segment of the ledger holds it, in
// base32 (as the URI shows it) or raw.
TEST_F(SecondFactorTest, SecretNeverReachesTheLedger) {
  auto uri = v().BeginTotpEnrollment(user_);
  ASSERT_OK(uri.status());
  const std::string secret = SecretOf(*uri);
  ASSERT_OK(v().ConfirmTotpEnrollment(user_, CodeNow(secret)).status());
  const std::string b32 = core::Base32Encode(secret);
  for (const std::string& file : FilesBelow(w_->dir() + "/ledger")) {
    const std::string bytes = ReadAll(file);
    EXPECT_THAT(bytes, Not(HasSubstr(b32))) << file;
    EXPECT_THAT(bytes, Not(HasSubstr(secret))) << file;
  }
}

}  // namespace
}  // namespace vellum::identity_test
