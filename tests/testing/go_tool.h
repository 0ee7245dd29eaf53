// The Go oracles under tests/tools/go/<name>/main.go, built once per test
// process in GOPATH mode from the distribution's golang.org/x/mod sources
// (offline: nothing is downloaded).
#pragma once

#include <string>

namespace vellum::testing {

struct GoTool {
  std::string path;   // the built binary; empty when skipped or failed
  std::string skip;   // why the oracle is unavailable (go or x/mod not installed)
  std::string error;  // the build failed: a test failure, not a skip
};

// Thread-compatible; call from the test thread.
const GoTool& BuildGoTool(const std::string& name);

}  // namespace vellum::testing

// In a TEST body: fails on a build error, skips when Go is absent.
#define VELLUM_REQUIRE_GO_TOOL(var, name)                                      \
  const ::vellum::testing::GoTool& var = ::vellum::testing::BuildGoTool(name); \
  if (!var.error.empty()) FAIL() << var.error;                                 \
  if (var.path.empty()) GTEST_SKIP() << "Go oracle skipped: " << var.skip
