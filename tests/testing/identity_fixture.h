// Signed-in principals for tests of the application service (issue 3): every
// data directory starts with a first administrator, and every command needs a
// principal that only sign-in hands out. These helpers create both through the
// product's own path (init, an administrator adding the account, its owner
// choosing a password at first sign-in), never by filling in a Principal.
//
// Cost: argon2id at the policy minimum is ~12 ms per hash; init hashes once,
// each sign-in verifies once, and provisioning a person takes ~4 hashes. Tests
// that need the same set-up many times build it once and copy the directory.
//
// In library vellum_testing_app (links vellum_app); test binaries that use the
// service link it.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/principal.h"
#include "app/vellum.h"
#include "core/status.h"
#include "identity/roles.h"
#include "testing/test_env.h"

namespace vellum::testing {

// The first administrator of every test data directory.
inline constexpr char kAdminId[] = "u-admin";
inline constexpr char kAdminName[] = "Pat Morgan (system administrator)";
inline constexpr char kAdminEmail[] = "u-admin@test.vellum.invalid";
// The workstation test sign-ins are recorded from unless a test names one.
inline constexpr char kTestClient[] = "ws-test";

// The password of test user `user_id`: deterministic (the binary tests write it
// to a password file), 28 characters, not on the common-password list and never
// containing the id, so the policy accepts it.
std::string TestPassword(std::string_view user_id);

// `init` with the test administrator (password TestPassword(kAdminId)) set.
app::InitOptions WithTestAdmin(app::InitOptions init = {});
// Vellum::Init of `dir` with the test administrator.
StatusOr<std::unique_ptr<app::Vellum>> InitWithAdmin(const std::string& dir,
                                                     app::InitOptions init = {},
                                                     const app::OpenOptions& options = {});

// Signs in `user_id` with TestPassword(user_id).
StatusOr<app::Principal> SignInAs(app::Vellum& v, const std::string& user_id,
                                  const std::string& client = kTestClient);
// The same, returning the session (its token is what `vellum login` stores).
StatusOr<app::Session> LoginAs(app::Vellum& v, const std::string& user_id,
                               const std::string& client = kTestClient);
StatusOr<app::Principal> SignInAdmin(app::Vellum& v, const std::string& client = kTestClient);

// A person of a test team.
struct Person {
  std::string id;
  std::string name;
  std::vector<identity::Role> roles;
};

// Creates `person` (by `admin`) with password TestPassword(person.id), as
// ProvisionPerson does: one-time password, first sign-in, own password, sign
// in again. Returns the signed-in principal; its client is `client`.
StatusOr<app::Principal> AddPerson(app::Vellum& v, const app::Principal& admin,
                                   const Person& person, const std::string& client = kTestClient);

// One signed-in person per role. The system administrator is the first
// administrator; the others are "u-<role>" (e.g. u-annotator,
// u-project-manager), named "Test <Role>".
struct Team {
  app::Principal annotator;
  app::Principal reviewer;
  app::Principal adjudicator;
  app::Principal project_manager;
  app::Principal quality;
  app::Principal system_administrator;

  const app::Principal& Of(identity::Role role) const;
};
// The team member of `role` as a Person (id and name as above).
Person TeamMember(identity::Role role);
// Signs the administrator in and provisions the other five roles (~21 hashes).
StatusOr<Team> ProvisionTeam(app::Vellum& v, const std::string& client = kTestClient);

// A service account (DC-1) holding `roles`, with a new API key; returns the
// key's principal and, in `api_key`, the key itself.
StatusOr<app::Principal> AddServiceAccount(app::Vellum& v, const app::Principal& admin,
                                           const std::string& id, const std::string& name,
                                           std::vector<identity::Role> roles,
                                           const std::string& system, const std::string& version,
                                           std::string* api_key,
                                           const std::string& client = kTestClient);

// ---- the `vellum` binary ----

// A data directory used through the binary, with the secrets of its test users
// in a folder beside it: <user>.password (what `init`, `login` and `user add`
// read with --password-file) and <user>.session (the user's
// $VELLUM_SESSION_FILE). Every run sets VELLUM_SESSION_FILE, so no test reads
// or writes ~/.config.
class CliDataDir {
 public:
  CliDataDir(std::string data_dir, std::string secrets_dir);

  const std::string& data() const { return data_; }
  const std::string& secrets() const { return secrets_; }

  // TestPassword(user_id) in a file of mode 0600 (written on first use).
  std::string PasswordFile(const std::string& user_id) const;
  std::string SessionFile(const std::string& user_id) const;
  // VELLUM_SESSION_FILE for a run as `user_id`; for "" a file that never
  // exists: not signed in.
  std::vector<std::string> Env(const std::string& user_id) const;

  // `vellum --data <data> args...` as `user_id` ("" = nobody signed in).
  ProcessResult Run(const std::string& user_id, const std::vector<std::string>& args,
                    const std::string& input = "", const std::vector<std::string>& env = {}) const;
  // `init --admin u-admin --admin-name … --admin-email … --password-file …` and `extra`.
  ProcessResult Init(const std::vector<std::string>& extra = {}) const;
  // `login --user <id> --password-file …`: the user's session file then holds a token.
  ProcessResult Login(const std::string& user_id) const;
  // As ProvisionPerson, through the binary: the (signed-in) administrator
  // `admin_id` runs `user add`; the person signs in with the one-time password,
  // sets TestPassword(id) with `user passwd`, signs out, and signs in again.
  ::testing::AssertionResult AddPerson(const Person& person,
                                       const std::string& admin_id = kAdminId) const;

 private:
  std::string data_;
  std::string secrets_;
};

// Copies the directory `from` to `to` (absent or an empty directory), keeping file modes.
void CopyTree(const std::string& from, const std::string& to);

// A set-up many tests share, built once per process and copied for each test:
// the first call for `key` runs `build` on an empty directory (it may use
// ASSERT_*), later calls reuse it. It is rebuilt when older than ten minutes,
// so sessions opened while building (idle timeout fifteen minutes) are still
// open in every copy. Returns "" when the build failed.
std::string SharedSetUp(const std::string& key,
                        const std::function<void(const std::string& dir)>& build);

}  // namespace vellum::testing
