// GoogleTest helpers for Status / StatusOr.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>

#include "core/status.h"

namespace vellum {
// Lets GoogleTest print a Status (and the status of a StatusOr) readably.
inline void PrintTo(const Status& s, std::ostream* os) { *os << s.ToString(); }
template <typename T>
void PrintTo(const StatusOr<T>& s, std::ostream* os) {
  *os << (s.ok() ? std::string("ok (a value)") : s.status().ToString());
}
inline void PrintTo(StatusCode c, std::ostream* os) { *os << StatusCodeName(c); }
}  // namespace vellum

#define EXPECT_OK(expr) EXPECT_TRUE(::vellum::internal::AsStatus(expr).ok()) \
    << ::vellum::internal::AsStatus(expr).ToString()
#define ASSERT_OK(expr) ASSERT_TRUE(::vellum::internal::AsStatus(expr).ok()) \
    << ::vellum::internal::AsStatus(expr).ToString()

#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  VELLUM_ASSERT_OK_AND_ASSIGN_IMPL(VELLUM_CONCAT(vellum_test_so_, __LINE__), lhs, expr)
#define VELLUM_ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr)  \
  auto tmp = (expr);                                      \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString();       \
  lhs = std::move(tmp).value()

// EXPECT_THAT(status, StatusIs(StatusCode::kDataLoss, HasSubstr("seq 5")))
MATCHER_P2(StatusIs, code, message_matcher, "") {
  ::vellum::Status s = ::vellum::internal::AsStatus(arg);
  if (s.code() != code) {
    *result_listener << "code is " << ::vellum::StatusCodeName(s.code()) << " (" << s.message() << ")";
    return false;
  }
  return ::testing::ExplainMatchResult(message_matcher, s.message(), result_listener);
}
