// Roles and the permission matrix (AC-3, AC-5, AT-8). One table, in code,
// decides what each role may do; docs/permissions.md shows the same table and
// a test keeps the two identical.
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <vector>

namespace vellum::identity {

enum class Role {
  kAnnotator,
  kReviewer,
  kAdjudicator,
  kProjectManager,
  kQuality,
  kSystemAdministrator,
};
inline constexpr std::array<Role, 6> kAllRoles = {Role::kAnnotator,      Role::kReviewer, Role::kAdjudicator,
                                                  Role::kProjectManager, Role::kQuality,  Role::kSystemAdministrator};

// "annotator", "reviewer", "adjudicator", "project_manager", "quality", "system_administrator".
std::string_view RoleName(Role r);
std::optional<Role> ParseRole(std::string_view name);

// Everything a command can do. Names ("record.create") appear in events,
// errors and docs.
enum class Action {
  kRecordRead,
  kRecordCreate,
  kRecordModify,
  kRecordDelete,
  kAuditRead,         // the audit trail: log, proofs
  kLedgerVerify,
  kLedgerCheckpoint,
  kUserRead,
  kUserManage,        // add, roles, deactivate, unlock, service-account keys
  kCredentialManage,  // credentials and training records
  kPolicyChange,      // security policy (a configuration record)
  kAccountReview,     // the periodic account review (§11.300(b))
  kOwnAccount,        // change own password, own second factor, log out
};
inline constexpr std::array<Action, 13> kAllActions = {
    Action::kRecordRead,   Action::kRecordCreate,     Action::kRecordModify, Action::kRecordDelete,
    Action::kAuditRead,    Action::kLedgerVerify,     Action::kLedgerCheckpoint, Action::kUserRead,
    Action::kUserManage,   Action::kCredentialManage, Action::kPolicyChange, Action::kAccountReview,
    Action::kOwnAccount};

std::string_view ActionName(Action a);
std::optional<Action> ParseAction(std::string_view name);

// The matrix. The system administrator manages accounts and configuration
// but never creates, modifies or deletes record data (AC-3); reviewers read
// but never edit content (AC-5); reading the audit trail needs a role that
// allows it (AT-8).
bool RoleAllows(Role role, Action action);
bool AnyRoleAllows(const std::vector<Role>& roles, Action action);

}  // namespace vellum::identity
