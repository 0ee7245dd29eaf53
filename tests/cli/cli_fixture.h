// Fixture for tests of the real `vellum` binary: a fresh temporary directory
// with one data directory in it and the test team's password and session
// files beside it, helpers to run commands against it as one of the team, and
// a byte-for-byte snapshot of everything on disk to prove that a refused
// command wrote nothing.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/value.hpp>
#include <map>
#include <string>
#include <vector>

#include "identity/roles.h"
#include "testing/identity_fixture.h"
#include "testing/test_env.h"

namespace vellum::cli_test {

using ::vellum::testing::Person;
using ::vellum::testing::ProcessResult;

// The test team (besides init's administrator u-admin). Dr. Rivera and Mei Chen
// lead the annotation project: their role creates, modifies and deletes records
// and reads the audit trail (docs/permissions.md). Jordan Lee is quality, the
// role that signs checkpoints.
inline const Person kRivera{"u-1", "Dr. A. Rivera", {identity::Role::kProjectManager}};
inline const Person kChen{"u-2", "Mei Chen", {identity::Role::kProjectManager}};
inline const Person kQuality{"u-qa", "Jordan Lee (QA)", {identity::Role::kQuality}};

// Shown when an expectation on a run fails.
std::string Describe(const ProcessResult& r);

// Parses JSON the test expects to be valid (fails the test otherwise).
boost::json::value ParseOrFail(const std::string& text);

// The string a JSON value holds ("" if it is not a string).
std::string Str(const boost::json::value& v);

// Splits output into lines (without their '\n').
std::vector<std::string> Lines(const std::string& text);

// True when python3 and its jsonschema package (scripts/setup.sh installs
// them) can check documents against the published JSON Schemas.
bool HaveJsonSchema();
// The verdict of docs/schemas/`schema` on each JSON document (one per line),
// by python3-jsonschema, an implementation independent of Vellum: "" when
// valid, else its first error.
std::vector<std::string> SchemaVerdicts(const std::string& schema, const std::vector<std::string>& documents);

using ::vellum::testing::HaveOfflineVerifier;
using ::vellum::testing::RunOfflineTool;

class CliTest : public ::testing::Test {
 protected:
  // `vellum --data <data_> args...` as the current user (user_; u-1 unless As()).
  ProcessResult Run(const std::vector<std::string>& args, const std::string& input = "",
                    const std::vector<std::string>& env = {}) const;
  // The same as `user_id` ("" = nobody signed in).
  ProcessResult RunAs(const std::string& user_id, const std::vector<std::string>& args,
                      const std::string& input = "",
                      const std::vector<std::string>& env = {}) const;
  // `vellum args...` run in `cwd`, without --data, as the current user.
  ProcessResult RunIn(const std::string& cwd, const std::vector<std::string>& args,
                      const std::vector<std::string>& env = {}) const;
  // Run() that must exit 0; returns stdout.
  std::string RunOk(const std::vector<std::string>& args, const std::string& input = "") const;
  // Later Run()s act as `user_id`.
  void As(const std::string& user_id) { user_ = user_id; }

  // `init --admin …` with a fixed origin and no time-based checkpoints (so that a
  // refused command never has a due checkpoint to write when it closes), the
  // administrator signed in, and `team` added and signed in through the binary.
  // Built once per process for each origin and team, and copied.
  void Init(const std::string& origin = "vellum.test/cli",
            const std::vector<Person>& team = {kRivera, kQuality});
  // `init --origin <origin> --admin u-admin … --password-file …`: the arguments of an
  // unattended init, for tests that run init themselves.
  std::vector<std::string> InitArgs(const std::string& origin) const;
  // Record commands as the current user; `extra` is appended.
  ProcessResult Create(const std::string& type, const std::string& id, const std::string& content,
                       const std::vector<std::string>& extra = {}) const;
  ProcessResult Modify(const std::string& type, const std::string& id, const std::string& content,
                       const std::string& reason, const std::vector<std::string>& extra = {}) const;
  ProcessResult Delete(const std::string& type, const std::string& id,
                       const std::string& reason) const;
  // As the current user: annotations a-1 (nodule) and a-2 (mass) created, a-1
  // modified to cyst ("second look"). Use with ASSERT_NO_FATAL_FAILURE.
  void CreateSampleRecords() const;
  // CreateSampleRecords, then a-2 deleted ("duplicate"): every kind of record change.
  void CreateModifyAndDeleteSampleRecords() const;

  // Every file below the temporary directory (the data directory included)
  // with its bytes, except the lock file, whose existence is not content, and
  // auth.db, where every signed-in command records when its session was last
  // used (the idle timeout, AC-7): that is not a record or an event.
  std::map<std::string, std::string> Snapshot() const;
  // `vellum log --format jsonl`, one element per event.
  std::vector<std::string> LogLines() const;
  // The first (and in these small ledgers only) segment file.
  std::string SegmentPath() const;
  std::string Segment() const;

  ::vellum::testing::TempDir tmp_;
  const std::string data_ = tmp_.Sub("data");
  const std::string origin_ = "vellum.test/cli";
  // Password and session files of the team.
  const ::vellum::testing::CliDataDir cli_{data_, tmp_.Sub("secrets")};
  std::string user_ = kRivera.id;
  // Events after Init(): init's three, the administrator's sign-in and five for
  // each person added (user.created, the first sign-in, the password change,
  // the sign-out, the sign-in).
  uint64_t setup_events_ = 0;
};

}  // namespace vellum::cli_test
