#include "identity/roles.h"

namespace vellum::identity {
namespace {

struct Row {
  Action action;
  // annotator, reviewer, adjudicator, project_manager, quality, system_administrator
  std::array<bool, 6> allowed;
};

constexpr bool Y = true, N = false;

// The permission matrix. Keep docs/permissions.md in step (a test compares them).
constexpr Row kMatrix[] = {
    {Action::kRecordRead, {Y, Y, Y, Y, Y, N}},
    {Action::kRecordCreate, {Y, N, Y, Y, N, N}},
    {Action::kRecordModify, {Y, N, Y, Y, N, N}},
    {Action::kRecordDelete, {N, N, N, Y, N, N}},
    {Action::kAuditRead, {N, N, N, Y, Y, Y}},
    {Action::kLedgerVerify, {N, N, N, N, Y, Y}},
    {Action::kLedgerCheckpoint, {N, N, N, N, Y, Y}},
    {Action::kUserRead, {N, N, N, Y, Y, Y}},
    {Action::kUserManage, {N, N, N, N, N, Y}},
    {Action::kCredentialManage, {N, N, N, Y, Y, N}},
    {Action::kPolicyChange, {N, N, N, N, N, Y}},
    {Action::kAccountReview, {N, N, N, N, Y, N}},
    {Action::kOwnAccount, {Y, Y, Y, Y, Y, Y}},
};

constexpr std::string_view kRoleNames[] = {"annotator", "reviewer", "adjudicator", "project_manager", "quality",
                                           "system_administrator"};

constexpr std::pair<Action, std::string_view> kActionNames[] = {
    {Action::kRecordRead, "record.read"},
    {Action::kRecordCreate, "record.create"},
    {Action::kRecordModify, "record.modify"},
    {Action::kRecordDelete, "record.delete"},
    {Action::kAuditRead, "audit.read"},
    {Action::kLedgerVerify, "ledger.verify"},
    {Action::kLedgerCheckpoint, "ledger.checkpoint"},
    {Action::kUserRead, "user.read"},
    {Action::kUserManage, "user.manage"},
    {Action::kCredentialManage, "credential.manage"},
    {Action::kPolicyChange, "policy.change"},
    {Action::kAccountReview, "account.review"},
    {Action::kOwnAccount, "account.own"},
};

}  // namespace

std::string_view RoleName(Role r) { return kRoleNames[static_cast<size_t>(r)]; }

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : kAllRoles) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

std::string_view ActionName(Action a) {
  for (const auto& [action, name] : kActionNames) {
    if (action == a) return name;
  }
  return "unknown";
}

std::optional<Action> ParseAction(std::string_view name) {
  for (const auto& [action, n] : kActionNames) {
    if (n == name) return action;
  }
  return std::nullopt;
}

bool RoleAllows(Role role, Action action) {
  for (const auto& row : kMatrix) {
    if (row.action == action) return row.allowed[static_cast<size_t>(role)];
  }
  return false;
}

bool AnyRoleAllows(const std::vector<Role>& roles, Action action) {
  for (Role r : roles) {
    if (RoleAllows(r, action)) return true;
  }
  return false;
}

}  // namespace vellum::identity
