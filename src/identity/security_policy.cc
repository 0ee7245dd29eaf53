#include "identity/security_policy.h"

#include <fmt/format.h>

namespace vellum::identity {
namespace {

namespace json = boost::json;

struct Field {
  const char* name;
  uint32_t SecurityPolicy::*member;
  uint32_t min;
  uint32_t max;
};

// Lower bounds keep an administrator from weakening the system below what
// Part 11 and NIST allow; upper bounds keep values meaningful.
constexpr Field kFields[] = {
    {"password_min_length", &SecurityPolicy::password_min_length, 15, 64},
    {"password_history", &SecurityPolicy::password_history, 0, 24},
    {"password_max_age_days", &SecurityPolicy::password_max_age_days, 0, 3650},
    {"lockout_threshold", &SecurityPolicy::lockout_threshold, 1, 20},
    {"session_idle_minutes", &SecurityPolicy::session_idle_minutes, 1, 240},
    {"session_max_hours", &SecurityPolicy::session_max_hours, 1, 24},
    {"argon2_ops", &SecurityPolicy::argon2_ops, 2, 10},
    {"argon2_memory_kib", &SecurityPolicy::argon2_memory_kib, 19456, 1048576},
    {"account_review_days", &SecurityPolicy::account_review_days, 1, 366},
};

}  // namespace

json::object ToContent(const SecurityPolicy& p) {
  json::object o;
  for (const auto& f : kFields) o[f.name] = p.*(f.member);
  return o;
}

StatusOr<SecurityPolicy> PolicyFromContent(const json::object& o) {
  SecurityPolicy p;
  if (o.size() != std::size(kFields)) return DataLossError("security policy record: wrong set of fields");
  for (const auto& f : kFields) {
    const json::value* v = o.if_contains(f.name);
    boost::system::error_code ec;
    if (v == nullptr || !v->is_number()) return DataLossError(fmt::format("security policy record: {} is missing", f.name));
    p.*(f.member) = v->to_number<uint32_t>(ec);
    if (ec) return DataLossError(fmt::format("security policy record: {} is not a small integer", f.name));
  }
  return p;
}

Status ValidatePolicy(const SecurityPolicy& p) {
  for (const auto& f : kFields) {
    uint32_t v = p.*(f.member);
    if (v < f.min || v > f.max) {
      return InvalidArgumentError(fmt::format("{} must be between {} and {} (got {})", f.name, f.min, f.max, v));
    }
  }
  if (p.session_idle_minutes > p.session_max_hours * 60) {
    return InvalidArgumentError("session_idle_minutes cannot exceed the session's absolute lifetime");
  }
  return OkStatus();
}

}  // namespace vellum::identity
