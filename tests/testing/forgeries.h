// Forgeries: a collector for tamper tests (AT-4, AT-5) that try thousands of
// forged inputs. Every one must be rejected with kDataLoss; the first few that
// are not are reported, so a regression does not flood the log.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>
#include <string>

#include "core/status.h"

namespace vellum::testing {

class Forgeries {
 public:
  Forgeries() = default;
  Forgeries(const Forgeries&) = delete;
  Forgeries& operator=(const Forgeries&) = delete;

  // `s` is the verifier's answer to a forged input described by `what()`.
  template <typename Describe>
  void MustReject(const Status& s, Describe what) {
    ++tried_;
    if (s.ok() || s.code() != StatusCode::kDataLoss) {
      ++missed_;
      if (missed_ <= 10) log_ << what() << " -> " << (s.ok() ? "accepted" : s.ToString()) << "\n";
    }
  }
  // A forgery found by other means than a verifier's answer.
  void Missed(const std::string& what) {
    ++missed_;
    if (missed_ <= 10) log_ << what << "\n";
  }
  uint64_t tried() const { return tried_; }

  // Fails the test if any forgery was missed, or if none was tried at all.
  ~Forgeries() {
    EXPECT_EQ(missed_, 0u) << log_.str();
    EXPECT_GT(tried_, 0u);
  }

 private:
  uint64_t tried_ = 0, missed_ = 0;
  std::ostringstream log_;
};

}  // namespace vellum::testing
