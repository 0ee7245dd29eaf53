// Fixture for tests of the real `vellum` binary: a fresh temporary directory
// with one data directory in it, helpers to run commands against it, and a
// byte-for-byte snapshot of everything on disk to prove that a refused command
// wrote nothing.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/value.hpp>
#include <map>
#include <string>
#include <vector>

#include "testing/test_env.h"

namespace vellum::cli_test {

using ::vellum::testing::ProcessResult;

// Shown when an expectation on a run fails.
std::string Describe(const ProcessResult& r);

// Parses JSON the test expects to be valid (fails the test otherwise).
boost::json::value ParseOrFail(const std::string& text);

// The string a JSON value holds ("" if it is not a string).
std::string Str(const boost::json::value& v);

// Splits output into lines (without their '\n').
std::vector<std::string> Lines(const std::string& text);

class CliTest : public ::testing::Test {
 protected:
  // `vellum --data <data_> args...`.
  ProcessResult Run(const std::vector<std::string>& args, const std::string& input = "",
                    const std::vector<std::string>& env = {}) const;
  // `vellum args...` run in `cwd`, without --data.
  ProcessResult RunIn(const std::string& cwd, const std::vector<std::string>& args,
                      const std::vector<std::string>& env = {}) const;
  // Run() that must exit 0; returns stdout.
  std::string RunOk(const std::vector<std::string>& args, const std::string& input = "") const;

  // `init` with a fixed origin and no time-based checkpoints, so that a
  // refused command never has a due checkpoint to write when it closes.
  void Init(const std::string& origin = "vellum.test/cli");
  // Record commands as user u-1 (Dr. A. Rivera); `extra` is appended.
  ProcessResult Create(const std::string& type, const std::string& id, const std::string& content,
                       const std::vector<std::string>& extra = {}) const;
  ProcessResult Modify(const std::string& type, const std::string& id, const std::string& content,
                       const std::string& reason, const std::vector<std::string>& extra = {}) const;
  ProcessResult Delete(const std::string& type, const std::string& id,
                       const std::string& reason) const;

  // Every file below the temporary directory (the data directory included)
  // with its bytes, except the lock file, whose existence is not content.
  std::map<std::string, std::string> Snapshot() const;
  // `vellum log --format jsonl`, one element per event.
  std::vector<std::string> LogLines() const;
  // The first (and in these small ledgers only) segment file.
  std::string SegmentPath() const;
  std::string Segment() const;

  ::vellum::testing::TempDir tmp_;
  const std::string data_ = tmp_.Sub("data");
  const std::string origin_ = "vellum.test/cli";
};

}  // namespace vellum::cli_test
