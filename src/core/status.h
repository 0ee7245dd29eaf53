// Status and StatusOr<T>: errors as values across every module boundary.
//
// Codes follow Abseil's canonical set and are stable: the CLI maps them to exit
// codes and the HTTP API to problem-detail types (see status_code_name()).
// Pick the code by what the caller can do about it:
//   kInvalidArgument    the input itself is wrong (bad JSON, missing reason)
//   kNotFound           a named thing does not exist
//   kAlreadyExists      a create collided with an existing thing
//   kPermissionDenied   the actor may not do this
//   kFailedPrecondition the system is not in a state that allows this
//                       (e.g. writes stopped after a clock anomaly)
//   kAborted            a concurrency conflict; retrying may succeed
//   kDataLoss           stored data is corrupt or has been tampered with
//   kUnavailable        a resource is unavailable: a lock held, a file the
//                       process may not read or write, a read-only disk
//   kResourceExhausted  a size or rate limit was exceeded
//   kInternal           a bug or an unexpected failure of a dependency
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace vellum {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument = 3,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// Stable lower_snake name of a code ("invalid_argument"), used in machine-readable output.
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid_argument: reason is required"
  std::string ToString() const;
  // Returns a copy whose message is "<prefix>: <message>"; keeps the code.
  Status WithContext(std::string_view prefix) const;
  // Explicitly ignores an error where that is the right thing (say why at the call site).
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
inline Status InvalidArgumentError(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExistsError(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status PermissionDeniedError(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
inline Status ResourceExhaustedError(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status FailedPreconditionError(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status AbortedError(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
inline Status OutOfRangeError(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status DataLossError(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status UnauthenticatedError(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }

// Holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  // REQUIRES: !status.ok()
  StatusOr(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }
  StatusOr(const T& value) : v_(value) {}
  StatusOr(T&& value) : v_(std::move(value)) {}
  template <typename U, typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                    !std::is_same_v<std::decay_t<U>, Status> &&
                                                    !std::is_same_v<std::decay_t<U>, StatusOr>>>
  StatusOr(U&& value) : v_(T(std::forward<U>(value))) {}

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

  // REQUIRES: ok()
  const T& value() const& { assert(ok()); return std::get<T>(v_); }
  T& value() & { assert(ok()); return std::get<T>(v_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<Status, T> v_;
};

namespace internal {
inline Status AsStatus(Status s) { return s; }
template <typename T>
Status AsStatus(const StatusOr<T>& s) { return s.status(); }
}  // namespace internal

}  // namespace vellum

#define VELLUM_CONCAT_INNER(a, b) a##b
#define VELLUM_CONCAT(a, b) VELLUM_CONCAT_INNER(a, b)

// Returns from the current function if `expr` (a Status or StatusOr) is not OK.
#define RETURN_IF_ERROR(expr)                                              \
  do {                                                                     \
    ::vellum::Status vellum_status_ = ::vellum::internal::AsStatus(expr);  \
    if (!vellum_status_.ok()) return vellum_status_;                       \
  } while (0)

// ASSIGN_OR_RETURN(auto x, Foo()); declares/assigns x or returns the error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  VELLUM_ASSIGN_OR_RETURN_IMPL(VELLUM_CONCAT(vellum_statusor_, __LINE__), lhs, expr)
#define VELLUM_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
