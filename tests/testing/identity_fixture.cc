#include "testing/identity_fixture.h"

#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <filesystem>

#include "app/provision.h"
#include "core/sha256.h"
#include "identity/user.h"

namespace vellum::testing {

std::string TestPassword(std::string_view user_id) {
  // Hex digits and a prefix without '-': a user id (which always has a letter
  // beyond a-f or a '-') can never be a substring, as the policy requires.
  return "pw:" + core::HashToHex(core::Sha256(fmt::format("vellum test password of {}", user_id)))
                     .substr(0, 25);
}

app::InitOptions WithTestAdmin(app::InitOptions init) {
  init.admin = {kAdminId, kAdminName, kAdminEmail, TestPassword(kAdminId)};
  return init;
}

StatusOr<std::unique_ptr<app::Vellum>> InitWithAdmin(const std::string& dir, app::InitOptions init,
                                                     const app::OpenOptions& options) {
  return app::Vellum::Init(dir, WithTestAdmin(std::move(init)), options);
}

StatusOr<app::Principal> SignInAs(app::Vellum& v, const std::string& user_id,
                                  const std::string& client) {
  return app::SignIn(v, user_id, TestPassword(user_id), client);
}

StatusOr<app::Session> LoginAs(app::Vellum& v, const std::string& user_id,
                               const std::string& client) {
  app::LoginRequest r;
  r.user_id = user_id;
  r.password = TestPassword(user_id);
  r.client = client;
  return v.Login(r);
}

StatusOr<app::Principal> SignInAdmin(app::Vellum& v, const std::string& client) {
  return SignInAs(v, kAdminId, client);
}

StatusOr<app::Principal> AddPerson(app::Vellum& v, const app::Principal& admin,
                                   const Person& person, const std::string& client) {
  identity::User u;
  u.id = person.id;
  u.name = person.name;
  u.email = person.id + "@test.vellum.invalid";
  u.roles = person.roles;
  // ProvisionPerson signs the new person in from the administrator's client.
  app::Principal from = admin;
  from.client = client;
  return app::ProvisionPerson(v, from, std::move(u), TestPassword(person.id), "test team member");
}

const app::Principal& Team::Of(identity::Role role) const {
  switch (role) {
    case identity::Role::kAnnotator:
      return annotator;
    case identity::Role::kReviewer:
      return reviewer;
    case identity::Role::kAdjudicator:
      return adjudicator;
    case identity::Role::kProjectManager:
      return project_manager;
    case identity::Role::kQuality:
      return quality;
    case identity::Role::kSystemAdministrator:
      return system_administrator;
  }
  return system_administrator;
}

Person TeamMember(identity::Role role) {
  if (role == identity::Role::kSystemAdministrator) return {kAdminId, kAdminName, {role}};
  std::string name(identity::RoleName(role));
  std::string id = "u-" + name;
  for (char& c : id) c = c == '_' ? '-' : c;
  // "project_manager" → "Test Project Manager"
  std::string printed = "Test ";
  bool start = true;
  for (char c : name) {
    if (c == '_') {
      printed += ' ';
      start = true;
      continue;
    }
    printed += start ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    start = false;
  }
  return {id, printed, {role}};
}

StatusOr<Team> ProvisionTeam(app::Vellum& v, const std::string& client) {
  Team t;
  ASSIGN_OR_RETURN(t.system_administrator, SignInAdmin(v, client));
  for (identity::Role role : identity::kAllRoles) {
    if (role == identity::Role::kSystemAdministrator) continue;
    app::Principal* slot = role == identity::Role::kAnnotator        ? &t.annotator
                           : role == identity::Role::kReviewer       ? &t.reviewer
                           : role == identity::Role::kAdjudicator    ? &t.adjudicator
                           : role == identity::Role::kProjectManager ? &t.project_manager
                                                                     : &t.quality;
    ASSIGN_OR_RETURN(*slot, AddPerson(v, t.system_administrator, TeamMember(role), client));
  }
  return t;
}

StatusOr<app::Principal> AddServiceAccount(app::Vellum& v, const app::Principal& admin,
                                           const std::string& id, const std::string& name,
                                           std::vector<identity::Role> roles,
                                           const std::string& system, const std::string& version,
                                           std::string* api_key, const std::string& client) {
  identity::User u;
  u.id = id;
  u.name = name;
  u.kind = identity::AccountKind::kService;
  u.roles = std::move(roles);
  u.source_system = system;
  u.source_version = version;
  RETURN_IF_ERROR(
      v.CreateUser(admin, std::move(u), "", std::string("test service account")).status());
  ASSIGN_OR_RETURN(std::string key, v.CreateApiKey(admin, id, "test service account key"));
  ASSIGN_OR_RETURN(app::Principal p, v.AuthenticateApiKey(key, client));
  if (api_key != nullptr) *api_key = std::move(key);
  return p;
}

// ---- the `vellum` binary ----

CliDataDir::CliDataDir(std::string data_dir, std::string secrets_dir)
    : data_(std::move(data_dir)), secrets_(std::move(secrets_dir)) {
  std::filesystem::create_directories(secrets_);
  std::filesystem::permissions(secrets_, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);
}

namespace {

void WriteSecretFile(const std::string& path, const std::string& text) {
  WriteFileOrDie(path, text);
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      std::filesystem::perm_options::replace);
}

}  // namespace

std::string CliDataDir::PasswordFile(const std::string& user_id) const {
  std::string path = secrets_ + "/" + user_id + ".password";
  if (!std::filesystem::exists(path)) WriteSecretFile(path, TestPassword(user_id) + "\n");
  return path;
}

std::string CliDataDir::SessionFile(const std::string& user_id) const {
  return secrets_ + "/" + (user_id.empty() ? std::string("nobody") : user_id) + ".session";
}

std::vector<std::string> CliDataDir::Env(const std::string& user_id) const {
  return {"VELLUM_SESSION_FILE=" + SessionFile(user_id)};
}

ProcessResult CliDataDir::Run(const std::string& user_id, const std::vector<std::string>& args,
                              const std::string& input, const std::vector<std::string>& env) const {
  std::vector<std::string> argv{VellumBinary(), "--data", data_};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> full_env = Env(user_id);
  full_env.insert(full_env.end(), env.begin(), env.end());
  return RunProcess(argv, input, full_env);
}

ProcessResult CliDataDir::Init(const std::vector<std::string>& extra) const {
  std::vector<std::string> args{"init",         "--admin",         kAdminId,
                                "--admin-name", kAdminName,        "--admin-email",
                                kAdminEmail,    "--password-file", PasswordFile(kAdminId)};
  args.insert(args.end(), extra.begin(), extra.end());
  return Run("", args);
}

ProcessResult CliDataDir::Login(const std::string& user_id) const {
  return Run(user_id, {"login", "--user", user_id, "--password-file", PasswordFile(user_id)});
}

::testing::AssertionResult CliDataDir::AddPerson(const Person& person,
                                                 const std::string& admin_id) const {
  auto failed = [&](const char* step, const ProcessResult& r) {
    return ::testing::AssertionFailure()
           << "adding " << person.id << ": " << step << " exited " << r.exit_code << "\n"
           << r.out << r.err;
  };
  const std::string one_time = TestPassword(person.id + " (one-time)");
  const std::string one_time_file = secrets_ + "/" + person.id + ".one-time";
  WriteSecretFile(one_time_file, one_time + "\n");
  std::vector<std::string> add{"user",
                               "add",
                               "--id",
                               person.id,
                               "--name",
                               person.name,
                               "--email",
                               person.id + "@test.vellum.invalid",
                               "--password-file",
                               one_time_file,
                               "--reason",
                               "test team member"};
  for (identity::Role r : person.roles) {
    add.push_back("--role");
    add.push_back(std::string(identity::RoleName(r)));
  }
  ProcessResult r = Run(admin_id, add);
  if (r.exit_code != 0) return failed("user add", r);
  r = Run(person.id, {"login", "--user", person.id, "--password-file", one_time_file});
  if (r.exit_code != 0) return failed("first login", r);
  const std::string change_file = secrets_ + "/" + person.id + ".passwd";
  WriteSecretFile(change_file, one_time + "\n" + TestPassword(person.id) + "\n");
  r = Run(person.id, {"user", "passwd", "--password-file", change_file});
  if (r.exit_code != 0) return failed("user passwd", r);
  r = Run(person.id, {"logout"});
  if (r.exit_code != 0) return failed("logout", r);
  r = Login(person.id);
  if (r.exit_code != 0) return failed("login", r);
  return ::testing::AssertionSuccess();
}

void CopyTree(const std::string& from, const std::string& to) {
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

std::string SharedSetUp(const std::string& key,
                        const std::function<void(const std::string& dir)>& build) {
  struct Built {
    std::unique_ptr<TempDir> tmp;
    std::string dir;
    std::chrono::steady_clock::time_point at;
  };
  static std::map<std::string, Built> cache;
  const auto now = std::chrono::steady_clock::now();
  auto it = cache.find(key);
  if (it != cache.end() && now - it->second.at < std::chrono::minutes(10)) return it->second.dir;
  Built b;
  b.tmp = std::make_unique<TempDir>();
  b.at = now;
  const std::string dir = b.tmp->Sub("setup");
  std::filesystem::create_directories(dir);
  build(dir);
  if (::testing::Test::HasFatalFailure() || ::testing::Test::HasNonfatalFailure()) {
    cache.erase(key);
    return "";
  }
  b.dir = dir;
  cache[key] = std::move(b);
  return dir;
}

}  // namespace vellum::testing
