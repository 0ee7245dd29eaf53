// Rules for choosing a password, after NIST SP 800-63B rev. 4 §3.1.1.2 (AC-2; Part 11
// §11.300). What they check: length in Unicode code points, not on the common/breached list
// (nor padded out from one), not repetitive or sequential, not the user id, name or the
// system's name, not recently used. What they deliberately do not: composition rules
// (no "one digit, one symbol"), hints or security questions; NIST advises against them.
//
// Every message names the rule that failed and never contains the password, nor the user id
// or name (a password that contains the user id would otherwise be half-echoed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vellum::identity {

struct PasswordPolicy {
  size_t min_length = 15;    // code points; NIST's minimum for a password used alone
  size_t max_length = 256;   // code points; NIST: allow at least 64
  size_t history = 5;        // a new password may not equal any of the last `history`
  int64_t max_age_days = 0;  // 0 = no periodic expiry (NIST's advice); > 0 forces a change
};

// InvalidArgument unless 8 <= min_length <= max_length, max_length >= 64 (both NIST floors)
// and max_age_days >= 0.
Status ValidatePasswordPolicy(const PasswordPolicy& policy);

// Checks a proposed password against `policy`, for the account `user_id` whose printed name
// is `printed_name`. Rules, in order (the first that fails is reported):
//   - the password is valid UTF-8;
//   - its length in code points is within [min_length, max_length];
//   - it neither equals nor contains `user_id` (ASCII case-insensitive; skipped if empty);
//   - it does not equal `printed_name` (ASCII case-insensitive; skipped if empty);
//   - it is not on the common/breached list (ASCII case-insensitive), nor such a
//     password with ASCII digits, punctuation or spaces added before or after it;
//   - it is not one shorter sequence repeated ("passwordpassword", fifteen spaces);
//   - it is not a run of consecutive letters or digits ("abcdefghijklmno", "987654…");
//   - it does not contain the name of this system ("vellum").
// (NIST SP 800-63B: blocklist "commonly used, expected, or compromised" values, with
// repetitive or sequential characters and context-specific words among its examples.)
// Returns InvalidArgument naming the rule. Does not check reuse: see CheckPasswordReuse.
// The password is not normalised here; callers that normalise (NFKC) must do it before both
// this check and hashing.
Status CheckNewPassword(std::string_view password, const PasswordPolicy& policy,
                        std::string_view user_id, std::string_view printed_name);

// InvalidArgument if `password` verifies against any of the first `policy.history` hashes of
// `recent_hashes` (newest first; a current hash counts). Costs one argon2id verification per
// hash checked.
Status CheckPasswordReuse(std::string_view password, const PasswordPolicy& policy,
                          const std::vector<std::string>& recent_hashes);

// True when max_age_days > 0 and at least that many days have passed between
// `changed_at_unix` (when the password was set) and `now_unix`.
bool PasswordExpired(const PasswordPolicy& policy, int64_t changed_at_unix, int64_t now_unix);

// The number of code points in `text`, or -1 if it is not valid UTF-8 (overlong forms,
// surrogates and values above U+10FFFF are invalid, as RFC 3629 says).
int64_t Utf8CodePoints(std::string_view text);

}  // namespace vellum::identity
