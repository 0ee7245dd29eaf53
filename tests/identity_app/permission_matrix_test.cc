// The permission matrix at the command layer (AC-3, AC-5, AT-8): for every
// (role, action) pair, a user holding exactly that role runs the real
// application-service commands of the action. Allowed ⇔ RoleAllows(role,
// action); a refusal is kPermissionDenied, writes no data and leaves exactly
// one security.access_denied event naming the action (AT-1: the refusal itself
// is on the trail). Then the account states that override any role: deactivated
// and locked accounts can do nothing, a password that must be changed (new
// account, administrator reset, expiry) allows only account.own, and role
// changes take effect at the next action, without a new sign-in.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "app/proofs.h"
#include "app/provision.h"
#include "identity_app/identity_fixture.h"
#include "testing/status_matchers.h"

namespace vellum::identity_test {
namespace {

using identity::Action;
using identity::ActionName;
using identity::Role;
using identity::RoleAllows;
using identity::RoleName;
using ::testing::_;
using ::testing::HasSubstr;

constexpr char kAccessDenied[] = "security.access_denied";

std::string RoleUserId(Role r) { return "u-" + std::string(RoleName(r)); }

// One command run on behalf of the role's user.
struct Attempt {
  std::string command;
  std::function<Status()> act;
};

template <typename T>
Status StatusOf(const StatusOr<T>& r) {
  return r.status();
}

// The identity and records state the whole matrix shares. Provisioning a
// person costs about six argon2id computations, so each is made once per
// suite, and only when a test needs it (under ctest every test is a process).
struct Shared {
  std::unique_ptr<World> world;
  std::map<Role, app::Principal> actor;
  std::map<Role, std::string> password;
  std::optional<app::Principal> preparer;  // a project manager who makes the records others act on
  int counter = 0;

  // The signed-in user holding exactly `role`.
  StatusOr<app::Principal> Actor(Role role) {
    if (auto it = actor.find(role); it != actor.end()) return it->second;
    std::string pw = fmt::format("matrix passphrase for the {} account", RoleName(role));
    ASSIGN_OR_RETURN(app::Principal p, world->AddPerson(RoleUserId(role), {role}, pw));
    password[role] = pw;
    return actor[role] = p;
  }

  std::string Next(std::string_view prefix) { return fmt::format("{}-{}", prefix, ++counter); }

  // A record made by the preparer, for commands that need one to exist.
  StatusOr<std::string> MakeRecord() {
    if (!preparer) {
      ASSIGN_OR_RETURN(preparer, world->AddPerson("u-preparer", {Role::kProjectManager},
                                                  "preparer passphrase for records"));
    }
    std::string id = Next("rec");
    RETURN_IF_ERROR(world->v().CreateRecord(*preparer, NewRecord(id)).status());
    return id;
  }
  // A service account (cheap: no password) as a target of user.manage.
  StatusOr<std::string> MakeService() {
    std::string id = Next("svc");
    RETURN_IF_ERROR(world->AddService(id, {Role::kAnnotator}));
    return id;
  }
  // A person who has chosen their own password (about six argon2id computations).
  StatusOr<std::string> MakeActivePerson() {
    std::string id = Next("person");
    RETURN_IF_ERROR(
        world->AddPerson(id, {Role::kAnnotator}, "passphrase the target chose").status());
    return id;
  }
  // A person's account made by the administrator (one argon2id hash).
  StatusOr<std::string> MakePerson() {
    std::string id = Next("person");
    RETURN_IF_ERROR(world->AddNewPerson(id, {Role::kAnnotator},
                                        "one-time passphrase set by the administrator"));
    return id;
  }
};

Shared* g_shared = nullptr;

// Prepares whatever the commands of `action` need (records, target accounts,
// a fresh session) and returns them ready to run as `role`'s user.
StatusOr<std::vector<Attempt>> AttemptsFor(Shared& s, Role role, Action action) {
  app::Vellum& v = s.world->v();
  ASSIGN_OR_RETURN(const app::Principal p, s.Actor(role));
  std::vector<Attempt> out;
  switch (action) {
    case Action::kRecordRead: {
      ASSIGN_OR_RETURN(std::string id, s.MakeRecord());
      out.push_back(
          {"GetRecord", [&v, p, id] { return StatusOf(v.GetRecord(p, "annotation", id)); }});
      out.push_back({"History", [&v, p, id] { return StatusOf(v.History(p, "annotation", id)); }});
      break;
    }
    case Action::kRecordCreate: {
      std::string one = s.Next("new-rec"), two = s.Next("new-rec"), three = s.Next("new-rec");
      out.push_back(
          {"CreateRecord", [&v, p, one] { return StatusOf(v.CreateRecord(p, NewRecord(one))); }});
      out.push_back({"CreateRecords", [&v, p, two, three] {
                       auto results = v.CreateRecords(p, {NewRecord(two), NewRecord(three)});
                       for (const auto& r : results) {
                         if (!r.ok()) return r.status();
                       }
                       return OkStatus();
                     }});
      break;
    }
    case Action::kRecordModify: {
      ASSIGN_OR_RETURN(std::string id, s.MakeRecord());
      out.push_back({"ModifyRecord",
                     [&v, p, id] { return StatusOf(v.ModifyRecord(p, ChangeRecord(id, 1))); }});
      break;
    }
    case Action::kRecordDelete: {
      ASSIGN_OR_RETURN(std::string id, s.MakeRecord());
      out.push_back(
          {"DeleteRecord", [&v, p, id] { return StatusOf(v.DeleteRecord(p, RemoveRecord(id))); }});
      break;
    }
    case Action::kAuditRead: {
      out.push_back({"QueryEvents", [&v, p] {
                       storage::EventQuery q;
                       q.type = "user.created";
                       int seen = 0;
                       Status st = v.QueryEvents(p, q, [&seen](uint64_t, const std::string&) {
                         ++seen;
                         return OkStatus();
                       });
                       if (st.ok() && seen == 0)
                         return InternalError("the query found no user.created event");
                       return st;
                     }});
      out.push_back({"ReadEvent", [&v, p] { return StatusOf(v.ReadEvent(p, 0)); }});
      out.push_back({"MakeInclusionBundle", [&v, p] {
                       return StatusOf(app::MakeInclusionBundle(v, p, 1, std::nullopt));
                     }});
      break;
    }
    case Action::kLedgerCheckpoint:
      RETURN_IF_ERROR(s.MakeRecord().status());  // something new for the checkpoint to cover
      out.push_back({"MakeCheckpoint", [&v, p] { return StatusOf(v.MakeCheckpoint(p)); }});
      break;
    case Action::kUserRead:
      out.push_back({"ListUsers", [&v, p] { return StatusOf(v.ListUsers(p)); }});
      out.push_back({"GetUser(another)", [&v, p] { return StatusOf(v.GetUser(p, kAdminId)); }});
      break;
    case Action::kUserManage: {
      const std::string fresh = s.Next("fresh");
      out.push_back({"CreateUser", [&v, p, fresh] {
                       return StatusOf(v.CreateUser(p, PersonNamed(fresh, {Role::kReviewer}),
                                                    "one-time passphrase chosen by the admin",
                                                    std::string("joins the reading team")));
                     }});
      ASSIGN_OR_RETURN(std::string roles_target, s.MakeService());
      out.push_back({"SetRoles", [&v, p, roles_target] {
                       return StatusOf(
                           v.SetRoles(p, roles_target, {Role::kAdjudicator}, "now adjudicates"));
                     }});
      ASSIGN_OR_RETURN(std::string leaver, s.MakeService());
      out.push_back({"DeactivateUser", [&v, p, leaver] {
                       return StatusOf(v.DeactivateUser(p, leaver, "decommissioned"));
                     }});
      ASSIGN_OR_RETURN(std::string locked, s.MakePerson());
      for (int i = 0; i < 5; ++i) {
        if (s.world->Login(locked, "certainly not the password of this account").ok()) {
          return InternalError("a wrong password signed in");
        }
      }
      out.push_back({"UnlockUser", [&v, p, locked] {
                       return StatusOf(v.UnlockUser(p, locked, "identity confirmed by phone"));
                     }});
      // One who already chose a password (an unused one-time password can be reset
      // too: AdministratorCanResetAnUnusedOneTimePassword).
      ASSIGN_OR_RETURN(std::string forgetful, s.MakeActivePerson());
      out.push_back({"ResetPassword", [&v, p, forgetful] {
                       return StatusOf(v.ResetPassword(p, forgetful,
                                                       "temporary passphrase from the help desk",
                                                       "forgot the password"));
                     }});
      ASSIGN_OR_RETURN(std::string keyless, s.MakeService());
      out.push_back({"CreateApiKey", [&v, p, keyless] {
                       return StatusOf(v.CreateApiKey(p, keyless, "new importer host"));
                     }});
      ASSIGN_OR_RETURN(std::string keyed, s.MakeService());
      const uint64_t before = v.Size();
      RETURN_IF_ERROR(v.CreateApiKey(s.world->admin(), keyed, "first key").status());
      auto created = EventsOfType(EventsFrom(v, before), "user.api_key_created");
      if (created.size() != 1) return InternalError("no user.api_key_created event");
      const std::string key_id = DataString(created[0], "key_id");
      out.push_back({"RevokeApiKey",
                     [&v, p, key_id] { return StatusOf(v.RevokeApiKey(p, key_id, "rotated")); }});
      break;
    }
    case Action::kPolicyChange: {
      ASSIGN_OR_RETURN(identity::SecurityPolicy next, v.GetPolicy(s.world->admin()));
      next.account_review_days = next.account_review_days == 90 ? 91 : 90;  // a real change
      out.push_back({"SetPolicy",
                     [&v, p, next] { return StatusOf(v.SetPolicy(p, next, "review cadence")); }});
      break;
    }
    case Action::kOwnAccount: {
      // A session of its own: Logout ends it, and the shared one stays usable.
      ASSIGN_OR_RETURN(app::Principal own,
                       app::SignIn(v, p.user_id, s.password.at(role), "ws-own"));
      std::string* current = &s.password.at(role);
      const std::string next =
          fmt::format("matrix passphrase number {} for this account", ++s.counter);
      out.push_back({"ChangeOwnPassword", [&v, own, current, next] {
                       Status st = v.ChangeOwnPassword(own, *current, next);
                       if (st.ok()) *current = next;
                       return st;
                     }});
      out.push_back({"GetPolicy", [&v, own] { return StatusOf(v.GetPolicy(own)); }});
      out.push_back({"Logout", [&v, own] { return v.Logout(own); }});
      break;
    }
    case Action::kLedgerVerify:
    case Action::kCredentialManage:
    case Action::kAccountReview:
      // No command of the application service yet: the one authority check is what they will call.
      out.push_back(
          {"Authorize", [&v, p, action] { return v.Authorize(p, action, "the matrix test"); }});
      break;
  }
  return out;
}

class PermissionMatrixTest : public ::testing::TestWithParam<std::tuple<Role, Action>> {
 protected:
  static void SetUpTestSuite() {
    auto s = std::make_unique<Shared>();
    auto w = World::Create();
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    s->world = std::move(*w);
    g_shared = s.release();
  }
  static void TearDownTestSuite() {
    delete g_shared;
    g_shared = nullptr;
  }
};

// AC-3, AC-5, AT-8: every pair of the matrix, at the command layer.
TEST_P(PermissionMatrixTest, CommandsFollowTheMatrix) {
  ASSERT_NE(g_shared, nullptr) << "suite set-up failed";
  const auto [role, action] = GetParam();
  const bool allowed = RoleAllows(role, action);
  app::Vellum& v = g_shared->world->v();
  ASSERT_OK_AND_ASSIGN(std::vector<Attempt> attempts, AttemptsFor(*g_shared, role, action));
  ASSERT_OK_AND_ASSIGN(const app::Principal p, g_shared->Actor(role));
  ASSERT_FALSE(attempts.empty());
  for (const Attempt& a : attempts) {
    SCOPED_TRACE(fmt::format("{} as {} ({})", a.command, p.user_id, ActionName(action)));
    g_shared->world->clock().Advance(1'000'000);  // each command at its own time, as in real use
    const uint64_t before = v.Size();
    Status st = a.act();
    const std::vector<ledger::Event> events = EventsFrom(v, before);
    if (allowed) {
      EXPECT_OK(st);
      EXPECT_TRUE(EventsOfType(events, kAccessDenied).empty());
      continue;
    }
    EXPECT_THAT(
        st, StatusIs(StatusCode::kPermissionDenied, HasSubstr(std::string(ActionName(action)))));
    // The refusal is the only thing written: no data event, one security event (AT-1, §11.10(g)).
    ASSERT_EQ(events.size(), 1u) << "a refused command must append exactly the access_denied event";
    const ledger::Event& e = events[0];
    EXPECT_EQ(e.type, kAccessDenied);
    EXPECT_EQ(DataString(e, "action"), ActionName(action));
    EXPECT_FALSE(e.record.has_value()) << "a refusal changes no record";
    EXPECT_EQ(e.actor.id, p.user_id);
    EXPECT_EQ(e.actor.session, p.session_id);
  }
}

std::vector<std::tuple<Role, Action>> AllPairs() {
  std::vector<std::tuple<Role, Action>> pairs;
  for (Role r : identity::kAllRoles) {
    for (Action a : identity::kAllActions) pairs.emplace_back(r, a);
  }
  return pairs;
}

INSTANTIATE_TEST_SUITE_P(EveryRoleAndAction, PermissionMatrixTest, ::testing::ValuesIn(AllPairs()),
                         [](const ::testing::TestParamInfo<std::tuple<Role, Action>>& info) {
                           std::string name =
                               fmt::format("{}__{}", RoleName(std::get<0>(info.param)),
                                           ActionName(std::get<1>(info.param)));
                           for (char& c : name) {
                             if (c == '.') c = '_';
                           }
                           return name;
                         });

// ---- account states that override every role ----

// A person holding project_manager and quality can do everything except
// user.manage and policy.change, so a refusal of anything else is due to the
// account's state, not to its roles.
const std::vector<Role> kBroadRoles = {Role::kProjectManager, Role::kQuality};

class AccountStateTest : public WorldTest {
 protected:
  void SetUp() override {
    WorldTest::SetUp();
    if (HasFatalFailure()) return;
    auto prep =
        w_->AddPerson("u-preparer", {Role::kProjectManager}, "preparer passphrase for records");
    ASSERT_TRUE(prep.ok()) << prep.status().ToString();
    preparer_ = *prep;
    ASSERT_OK(v().CreateRecord(preparer_, NewRecord("rec-1")));
  }

  // One real command of the application service per action (the authority
  // check itself where no command exists yet).
  Status Run(const app::Principal& p, Action a) {
    ++n_;
    w_->clock().Advance(1'000'000);
    switch (a) {
      case Action::kRecordRead:
        return v().GetRecord(p, "annotation", "rec-1").status();
      case Action::kRecordCreate:
        return v().CreateRecord(p, NewRecord(fmt::format("state-rec-{}", n_))).status();
      case Action::kRecordModify:
        return v().ModifyRecord(p, ChangeRecord("rec-1", n_)).status();
      case Action::kRecordDelete: {
        const std::string id = fmt::format("doomed-{}", n_);
        RETURN_IF_ERROR(v().CreateRecord(preparer_, NewRecord(id)).status());
        return v().DeleteRecord(p, RemoveRecord(id)).status();
      }
      case Action::kAuditRead:
        return v().ReadEvent(p, 0).status();
      case Action::kLedgerCheckpoint:
        return v().MakeCheckpoint(p).status();
      case Action::kUserRead:
        return v().ListUsers(p).status();
      case Action::kUserManage: {
        identity::User u;
        u.id = fmt::format("svc-state-{}", n_);
        u.name = "A service";
        u.kind = identity::AccountKind::kService;
        u.roles = {Role::kAnnotator};
        u.source_system = "importer";
        u.source_version = "1.0";
        return v().CreateUser(p, u, "", std::string("a new importer")).status();
      }
      case Action::kPolicyChange: {
        auto current = v().GetPolicy(w_->admin());
        if (!current.ok()) return current.status();
        identity::SecurityPolicy next = *current;
        next.account_review_days = next.account_review_days == 90 ? 91 : 90;
        return v().SetPolicy(p, next, "review cadence").status();
      }
      case Action::kOwnAccount:
        return v().GetPolicy(p).status();
      case Action::kLedgerVerify:
      case Action::kCredentialManage:
      case Action::kAccountReview:
        return v().Authorize(p, a, "the state test");
    }
    return InternalError("unknown action");
  }

  // Every action is refused for `why` (a phrase of the refusal), each
  // refusal recorded once; account.own too unless `own_allowed`.
  void ExpectRefused(const app::Principal& p, std::string_view why, bool own_allowed) {
    for (Action a : identity::kAllActions) {
      SCOPED_TRACE(ActionName(a));
      const uint64_t before = v().Size();
      Status st = Run(p, a);
      if (a == Action::kOwnAccount && own_allowed) {
        EXPECT_OK(st);
        continue;
      }
      EXPECT_THAT(st, StatusIs(StatusCode::kPermissionDenied, HasSubstr(std::string(why))));
      const auto events = EventsFrom(v(), before);
      const auto denied = EventsOfType(events, kAccessDenied);
      ASSERT_EQ(denied.size(), 1u);
      EXPECT_EQ(DataString(denied[0], "action"), ActionName(a));
      EXPECT_EQ(denied[0].actor.id, p.user_id);
      for (const auto& e : events) {
        if (e.type == kAccessDenied) continue;
        // Only the preparer's own record.created (for the delete attempt) may appear.
        EXPECT_EQ(e.actor.id, preparer_.user_id) << e.type;
      }
    }
  }

  // Everything the roles allow works (and nothing else).
  void ExpectMatrix(const app::Principal& p, const std::vector<Role>& roles) {
    for (Action a : identity::kAllActions) {
      SCOPED_TRACE(ActionName(a));
      Status st = Run(p, a);
      if (identity::AnyRoleAllows(roles, a)) {
        EXPECT_OK(st);
      } else {
        EXPECT_THAT(st,
                    StatusIs(StatusCode::kPermissionDenied, HasSubstr(std::string(ActionName(a)))));
      }
    }
  }

  app::Principal preparer_;
  int n_ = 0;
};

// AC-3: the system administrator can neither create, modify nor delete record
// data, and the record stays as it was.
TEST_F(AccountStateTest, AdministratorCannotCreateModifyOrDeleteRecords) {
  const app::Principal& admin = w_->admin();
  for (Action a : {Action::kRecordCreate, Action::kRecordModify, Action::kRecordDelete}) {
    SCOPED_TRACE(ActionName(a));
    const uint64_t before = v().Size();
    Status st =
        a == Action::kRecordCreate   ? v().CreateRecord(admin, NewRecord("admin-rec")).status()
        : a == Action::kRecordModify ? v().ModifyRecord(admin, ChangeRecord("rec-1", 7)).status()
                                     : v().DeleteRecord(admin, RemoveRecord("rec-1")).status();
    EXPECT_THAT(st, StatusIs(StatusCode::kPermissionDenied, HasSubstr("system_administrator")));
    auto events = EventsFrom(v(), before);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, kAccessDenied);
  }
  ASSERT_OK_AND_ASSIGN(auto history, v().History(preparer_, "annotation", "rec-1"));
  EXPECT_EQ(history.size(), 1u);
  EXPECT_THAT(v().GetRecord(preparer_, "annotation", "admin-rec"),
              StatusIs(StatusCode::kNotFound, _));
}

// AC-3: nor can an administrator get there by holding a data role as well:
// not by a change of roles (their own are refused anyway, so another
// administrator's), and not on an account created so.
TEST_F(AccountStateTest, AdministratorCannotAlsoHoldADataRole) {
  const app::Principal& admin = w_->admin();
  ASSERT_OK(w_->AddPerson("admin-2", {Role::kSystemAdministrator}, "second administrator passphrase").status());
  for (Role data_role : {Role::kAnnotator, Role::kAdjudicator, Role::kProjectManager}) {
    SCOPED_TRACE(RoleName(data_role));
    EXPECT_THAT(
        v().SetRoles(admin, "admin-2", {Role::kSystemAdministrator, data_role}, "also annotates"),
        StatusIs(StatusCode::kInvalidArgument, HasSubstr("system_administrator")));
    EXPECT_THAT(
        v().SetRoles(admin, kAdminId, {Role::kSystemAdministrator, data_role}, "also annotates"),
        StatusIs(StatusCode::kFailedPrecondition, HasSubstr("own roles")));
    EXPECT_THAT(
        v().CreateUser(admin, PersonNamed("u-both", {Role::kSystemAdministrator, data_role}),
                       "one-time passphrase chosen by the admin", std::string("both")),
        StatusIs(StatusCode::kInvalidArgument, HasSubstr("system_administrator")));
  }
  EXPECT_THAT(v().CreateRecord(admin, NewRecord("admin-rec")),
              StatusIs(StatusCode::kPermissionDenied, _));
}

// AC-3: separation of duties holds only if nobody grants themselves access: a
// change of one's own roles is refused, as deactivating one's own account is
// (another administrator makes it, and the trail shows who).
TEST_F(AccountStateTest, AdministratorCannotChangeTheirOwnRoles) {
  EXPECT_THAT(v().SetRoles(w_->admin(), kAdminId, {Role::kAnnotator}, "I want data access"),
              StatusIs(StatusCode::kFailedPrecondition, _));
  EXPECT_THAT(v().CreateRecord(w_->admin(), NewRecord("by-the-admin")),
              StatusIs(StatusCode::kPermissionDenied, _));
}

// AC-5: a reviewer reads, but never creates, modifies or deletes content.
TEST_F(AccountStateTest, ReviewerCannotModifyContent) {
  ASSERT_OK_AND_ASSIGN(app::Principal reviewer,
                       w_->AddPerson("u-rev", {Role::kReviewer}, "reviewer passphrase here"));
  ASSERT_OK(v().GetRecord(reviewer, "annotation", "rec-1"));
  ASSERT_OK(v().History(reviewer, "annotation", "rec-1"));
  EXPECT_THAT(v().ModifyRecord(reviewer, ChangeRecord("rec-1", 3)),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("record.modify")));
  EXPECT_THAT(v().DeleteRecord(reviewer, RemoveRecord("rec-1")),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("record.delete")));
  EXPECT_THAT(v().CreateRecord(reviewer, NewRecord("rev-rec")),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("record.create")));
  ASSERT_OK_AND_ASSIGN(auto history, v().History(reviewer, "annotation", "rec-1"));
  EXPECT_EQ(history.size(), 1u) << "the content is as the annotator left it";
}

// A deactivated account can do nothing, not even read or change its own
// password; it cannot sign in; it is never deleted and its id never reused (AC-1).
TEST_F(AccountStateTest, DeactivatedUserCanDoNothing) {
  ASSERT_OK_AND_ASSIGN(app::Principal p,
                       w_->AddPerson("u-gone", kBroadRoles, "passphrase of the leaver"));
  ASSERT_OK_AND_ASSIGN(app::Session live, w_->Login("u-gone", "passphrase of the leaver"));
  ExpectMatrix(p, kBroadRoles);
  ASSERT_OK(v().DeactivateUser(w_->admin(), "u-gone", "left the company"));
  // The session that was open when the account was deactivated.
  auto still = v().Authenticate(live.token, "ws-test");
  const app::Principal stale = still.ok() ? *still : live.principal;
  ExpectRefused(p, "deactivated", /*own_allowed=*/false);
  ExpectRefused(stale, "deactivated", /*own_allowed=*/false);
  EXPECT_THAT(
      v().ChangeOwnPassword(p, "passphrase of the leaver", "a new passphrase after leaving"),
      StatusIs(StatusCode::kPermissionDenied, HasSubstr("deactivated")));
  EXPECT_THAT(w_->Login("u-gone", "passphrase of the leaver"),
              StatusIs(StatusCode::kUnauthenticated, _));
  ASSERT_OK_AND_ASSIGN(identity::User u, v().GetUser(w_->admin(), "u-gone"));
  EXPECT_EQ(u.status, identity::AccountStatus::kDeactivated);
  EXPECT_THAT(v().CreateUser(w_->admin(), PersonNamed("u-gone", {Role::kAnnotator}),
                             "one-time passphrase chosen by the admin", std::string("rehire")),
              StatusIs(StatusCode::kAlreadyExists, HasSubstr("never reused")));
}

// A locked account can do nothing either, even with a session opened before
// the lock, until an administrator unlocks it.
TEST_F(AccountStateTest, LockedUserCanDoNothing) {
  ASSERT_OK_AND_ASSIGN(app::Principal p,
                       w_->AddPerson("u-locked", kBroadRoles, "passphrase of the locked one"));
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(w_->Login("u-locked", "a guess that is wrong every time"),
                StatusIs(StatusCode::kUnauthenticated, _));
  }
  ASSERT_OK_AND_ASSIGN(identity::User u, v().GetUser(w_->admin(), "u-locked"));
  ASSERT_EQ(u.status, identity::AccountStatus::kLocked);
  ExpectRefused(p, "locked", /*own_allowed=*/false);
  EXPECT_THAT(w_->Login("u-locked", "passphrase of the locked one"),
              StatusIs(StatusCode::kUnauthenticated, _));
  ASSERT_OK(v().UnlockUser(w_->admin(), "u-locked", "confirmed by phone"));
  ExpectMatrix(p, kBroadRoles);
}

// §11.300: a new account's one-time password must be changed before anything
// else; after the change, everything the roles allow works.
TEST_F(AccountStateTest, NewAccountCanOnlyChangeItsPasswordFirst) {
  ASSERT_OK(w_->AddNewPerson("u-new", kBroadRoles, "one-time passphrase from the admin"));
  ASSERT_OK_AND_ASSIGN(app::Session s, w_->Login("u-new", "one-time passphrase from the admin"));
  EXPECT_TRUE(s.principal.must_change_password);
  ExpectRefused(s.principal, "must change the password", /*own_allowed=*/true);
  ASSERT_OK(v().ChangeOwnPassword(s.principal, "one-time passphrase from the admin",
                                  "my own chosen passphrase"));
  ExpectMatrix(s.principal, kBroadRoles);
}

// An administrator's reset forces a change too, also in a session that was
// already open (authority is checked at the point of action).
TEST_F(AccountStateTest, AdministratorResetForcesAChange) {
  ASSERT_OK_AND_ASSIGN(app::Principal p,
                       w_->AddPerson("u-reset", kBroadRoles, "passphrase before the reset"));
  ExpectMatrix(p, kBroadRoles);
  ASSERT_OK(
      v().ResetPassword(w_->admin(), "u-reset", "temporary passphrase of the desk", "forgot it"));
  ExpectRefused(p, "must change the password", /*own_allowed=*/true);
  EXPECT_THAT(w_->Login("u-reset", "passphrase before the reset"),
              StatusIs(StatusCode::kUnauthenticated, _));
  ASSERT_OK_AND_ASSIGN(app::Session s, w_->Login("u-reset", "temporary passphrase of the desk"));
  EXPECT_TRUE(s.principal.must_change_password);
  ExpectRefused(s.principal, "must change the password", /*own_allowed=*/true);
  ASSERT_OK(v().ChangeOwnPassword(s.principal, "temporary passphrase of the desk",
                                  "passphrase after the reset"));
  ExpectMatrix(s.principal, kBroadRoles);
  ExpectMatrix(p, kBroadRoles);
}

// §11.300(b): with a maximum password age, an expired password can only be
// changed; the new one restores everything.
TEST_F(AccountStateTest, ExpiredPasswordCanOnlyBeChanged) {
  ASSERT_OK(w_->EditPolicy([](identity::SecurityPolicy& p) { p.password_max_age_days = 30; }));
  ASSERT_OK_AND_ASSIGN(app::Principal p,
                       w_->AddPerson("u-aging", kBroadRoles, "passphrase that will expire"));
  w_->clock().Advance(29 * kDay);
  ASSERT_OK_AND_ASSIGN(app::Session day29, w_->Login("u-aging", "passphrase that will expire"));
  EXPECT_FALSE(day29.principal.must_change_password);
  ExpectMatrix(day29.principal, kBroadRoles);
  w_->clock().Advance(2 * kDay);
  // The preparer's password expired too; it makes the records the checks act on.
  ASSERT_OK(v().ChangeOwnPassword(preparer_, "preparer passphrase for records",
                                  "preparer passphrase of day 31"));
  ExpectRefused(p, "must change the password", /*own_allowed=*/true);
  ASSERT_OK_AND_ASSIGN(app::Session day31, w_->Login("u-aging", "passphrase that will expire"));
  EXPECT_TRUE(day31.principal.must_change_password);
  ExpectRefused(day31.principal, "must change the password", /*own_allowed=*/true);
  ASSERT_OK(v().ChangeOwnPassword(day31.principal, "passphrase that will expire",
                                  "a fresh passphrase for day 31"));
  ExpectMatrix(day31.principal, kBroadRoles);
}

// AC-5: roles changed by an administrator apply at the very next action of a
// session that is already open; nobody signs in again.
TEST_F(AccountStateTest, RoleChangesApplyAtTheNextAction) {
  ASSERT_OK(w_->AddPerson("u-mover", {Role::kAnnotator}, "passphrase of the mover").status());
  ASSERT_OK_AND_ASSIGN(app::Session s, w_->Login("u-mover", "passphrase of the mover"));
  ASSERT_OK_AND_ASSIGN(app::Principal p, v().Authenticate(s.token, "ws-test"));
  ASSERT_OK(v().CreateRecord(p, NewRecord("mover-1")));

  ASSERT_OK(v().SetRoles(w_->admin(), "u-mover", {Role::kReviewer}, "moves to review"));
  // The same principal, roles as at sign-in (annotator): the check re-reads the account.
  EXPECT_THAT(v().CreateRecord(p, NewRecord("mover-2")),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("reviewer")));
  EXPECT_THAT(v().ModifyRecord(p, ChangeRecord("mover-1", 1)),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("record.modify")));
  EXPECT_OK(v().GetRecord(p, "annotation", "mover-1"));
  ASSERT_OK_AND_ASSIGN(app::Principal again, v().Authenticate(s.token, "ws-test"));
  EXPECT_EQ(again.roles, std::vector<Role>{Role::kReviewer});

  ASSERT_OK(v().SetRoles(w_->admin(), "u-mover", {Role::kAdjudicator}, "adjudicates now"));
  EXPECT_OK(v().ModifyRecord(p, ChangeRecord("mover-1", 1)));
  EXPECT_THAT(v().DeleteRecord(p, RemoveRecord("mover-1")),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("record.delete")));
}

// AT-8/AC-5: account records are read with user.read, whatever command reads
// them. record.read alone (an annotator) must not open another user's account
// (name, email, roles, status) through the generic record commands.
TEST_F(AccountStateTest, AccountRecordsNeedUserRead) {
  ASSERT_OK_AND_ASSIGN(app::Principal ann,
                       w_->AddPerson("u-ann", {Role::kAnnotator}, "annotator passphrase here"));
  for (int history = 0; history < 2; ++history) {
    SCOPED_TRACE(history ? "History" : "GetRecord");
    const uint64_t before = v().Size();
    Status st = history ? v().History(ann, identity::kUserType, kAdminId).status()
                        : v().GetRecord(ann, identity::kUserType, kAdminId).status();
    EXPECT_THAT(st, StatusIs(StatusCode::kPermissionDenied, HasSubstr("user.read")));
    auto denied = EventsOfType(EventsFrom(v(), before), kAccessDenied);
    ASSERT_EQ(denied.size(), 1u);
    EXPECT_EQ(DataString(denied[0], "action"), "user.read");
  }
  // Those who hold user.read read them either way.
  EXPECT_OK(v().GetRecord(preparer_, identity::kUserType, "u-ann"));
  EXPECT_OK(v().History(w_->admin(), identity::kUserType, "u-ann"));
  // Ordinary records are unaffected.
  EXPECT_OK(v().GetRecord(ann, "annotation", "rec-1"));
}

// A new user who lost their one-time password is given another, and again: a
// reset is recorded even when the account record does not change.
TEST_F(AccountStateTest, AdministratorCanResetAnUnusedOneTimePassword) {
  ASSERT_OK(w_->AddNewPerson("u-lost", {Role::kAnnotator}, "one-time passphrase that got lost"));
  EXPECT_OK(
      v().ResetPassword(w_->admin(), "u-lost", "second one-time passphrase", "lost the first"));
  EXPECT_OK(
      v().ResetPassword(w_->admin(), "u-lost", "third one-time passphrase", "mistyped the second"));
  EXPECT_OK(w_->Login("u-lost", "third one-time passphrase"));
}

}  // namespace
}  // namespace vellum::identity_test
