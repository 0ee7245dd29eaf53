// What the storage conformance suites (tests/storage/*_conformance_test.cc)
// are parameterised with: one engine each, able to open its store again over
// what the earlier stores left, as a restart does.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "core/status.h"
#include "testing/status_matchers.h"

namespace vellum::testing {

// Opens a `Store`: the first call creates it, every later one reopens what the
// earlier stores left (the caller drops the old store first).
template <typename Store>
class StorageEngine {
 public:
  virtual ~StorageEngine() = default;
  virtual StatusOr<std::unique_ptr<Store>> Open() = 0;
};

template <typename Store>
struct StorageEngineCase {
  std::string name;  // the test-name suffix
  std::function<std::unique_ptr<StorageEngine<Store>>()> make;
};

template <typename Store>
void PrintTo(const StorageEngineCase<Store>& c, std::ostream* os) {
  *os << c.name;
}

// For INSTANTIATE_TEST_SUITE_P: names each instance after its engine.
template <typename Store>
std::string EngineName(const ::testing::TestParamInfo<StorageEngineCase<Store>>& info) {
  return info.param.name;
}

// The fixture of a conformance suite: the store of the test's engine, opened
// afresh, and Restart() to drop it and open it again over what it left.
template <typename Store>
class StorageConformanceTest : public ::testing::TestWithParam<StorageEngineCase<Store>> {
 protected:
  void SetUp() override {
    engine_ = this->GetParam().make();
    ASSERT_OK_AND_ASSIGN(store_, engine_->Open());
  }

  void Restart() {
    store_.reset();
    ASSERT_OK_AND_ASSIGN(store_, engine_->Open());
  }

  std::unique_ptr<StorageEngine<Store>> engine_;
  std::unique_ptr<Store> store_;
};

}  // namespace vellum::testing
