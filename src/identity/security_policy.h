// The security policy: password, lockout, session and account-review rules.
// It is a record (type "policy", id "security") so that every change is a
// recorded configuration event with a reason (CC-1, §11.300). Until the first
// change, the defaults below apply: NIST SP 800-63B rev. 4 for passwords
// (length over composition, no periodic expiry) and OWASP's argon2id cost.
#pragma once

#include <cstdint>

#include <boost/json/object.hpp>

#include "core/status.h"

namespace vellum::identity {

inline constexpr char kPolicyType[] = "policy";
inline constexpr char kSecurityPolicyId[] = "security";

struct SecurityPolicy {
  uint32_t password_min_length = 15;  // code points
  uint32_t password_history = 5;      // earlier passwords that may not be reused
  uint32_t password_max_age_days = 0;  // 0 = passwords do not expire
  uint32_t lockout_threshold = 5;     // consecutive failures that lock an account
  uint32_t session_idle_minutes = 15;
  uint32_t session_max_hours = 12;
  uint32_t argon2_ops = 2;             // argon2id passes
  uint32_t argon2_memory_kib = 19456;  // argon2id memory (19 MiB)
  uint32_t account_review_days = 90;  // how often accounts are reviewed (§11.300(b))

  friend bool operator==(const SecurityPolicy&, const SecurityPolicy&) = default;
};

boost::json::object ToContent(const SecurityPolicy& p);
// Strict: every field present with the right type and in range.
StatusOr<SecurityPolicy> PolicyFromContent(const boost::json::object& content);
// Ranges an administrator may set (kInvalidArgument naming the field).
Status ValidatePolicy(const SecurityPolicy& p);

}  // namespace vellum::identity
