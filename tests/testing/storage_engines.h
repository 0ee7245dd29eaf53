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

}  // namespace vellum::testing
