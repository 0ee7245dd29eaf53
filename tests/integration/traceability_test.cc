// The requirements traceability matrix (VA-1): scripts/traceability.py reads
// the requirement ids that tests cite in their comments and joins them with
// CTest's results. Run on a small suite written here, where every citation
// rule and result is known, and on this repository's own tests.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "testing/test_env.h"

namespace vellum::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPython[] = "/usr/bin/python3";

std::string Script() { return SourceDir() + "/scripts/traceability.py"; }

// One file with every kind of citation, and one whose tests cite nothing.
void WriteSmallSuite(const std::string& dir) {
  std::filesystem::create_directories(dir + "/tests/core");
  WriteFileOrDie(dir + "/tests/core/alpha_test.cc", R"cc(// The file's tests all prove AT-4.
#include <gtest/gtest.h>

// SR-1: the comment right above the test.
TEST(Alpha, One) { EXPECT_EQ(1'000, 1000); }

TEST_F(Beta, Two) {
  // AC-7, inside the body.
  const char quote = '"';
  std::string s = "AT-9 in a string is no citation // RV-1";
  auto raw = R"x(// ES-2 in a raw string)x";
}
// Not right above a test (a blank line follows): CC-1

TEST_P(Gamma, Three) {}
INSTANTIATE_TEST_SUITE_P(Sizes, Gamma, ::testing::Values(1, 2));
)cc");
  WriteFileOrDie(dir + "/tests/core/plain_test.cc", R"cc(#include <gtest/gtest.h>
TEST(Plain, Nothing) {}
)cc");
  // As `ctest --output-junit` writes it.
  WriteFileOrDie(dir + "/results.xml", R"xml(<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="(empty)" tests="5" failures="1">
  <testcase name="Alpha.One" classname="Alpha.One" time="0.01" status="run"/>
  <testcase name="Beta.Two" classname="Beta.Two" time="0.01" status="fail"><failure message="Failed"/></testcase>
  <testcase name="Sizes/Gamma.Three/0" classname="Sizes/Gamma.Three/0" time="0.01" status="run"/>
  <testcase name="Sizes/Gamma.Three/1" classname="Sizes/Gamma.Three/1" time="0" status="notrun"><skipped/></testcase>
  <testcase name="Plain.Nothing" classname="Plain.Nothing" time="0.01" status="run"/>
</testsuite>
)xml");
  WriteFileOrDie(dir + "/requirements.md", R"(## AT
- **AT-4 Tamper-evident.** Verify detects any edit.
- **SR-1** Durable acknowledgement: a call returns only when its events are on stable storage.
- **AC-4 Blinding.** Not cited by any test.
)");
}

// VA-1: requirement -> tests -> last result, by the citation rules: a file's
// header covers its tests; the comment lines right above a test and comments in
// its body cite; strings, raw strings and detached comments do not.
TEST(TraceabilityTest, MatrixFollowsTheCitationRulesAndTheResults) {
  if (!std::filesystem::exists(kPython)) GTEST_SKIP() << "python3 is not installed";
  TempDir tmp;
  WriteSmallSuite(tmp.path());
  ProcessResult r = RunProcess({kPython, Script(), "--tests", tmp.Sub("tests"), "--results", tmp.Sub("results.xml"),
                                "--requirements", tmp.Sub("requirements.md"), "--out", tmp.Sub("matrix.md"),
                                "--csv", tmp.Sub("matrix.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFileOrDie(tmp.Sub("matrix.csv")),
            "requirement,test,source,last_result,detail\r\n"
            "AT-4,Alpha.One,tests/core/alpha_test.cc:5,passed,\r\n"
            "AT-4,Beta.Two,tests/core/alpha_test.cc:7,failed,\r\n"
            "AT-4,Gamma.Three,tests/core/alpha_test.cc:15,passed,1 of 2 instances\r\n"
            "SR-1,Alpha.One,tests/core/alpha_test.cc:5,passed,\r\n"
            "AC-7,Beta.Two,tests/core/alpha_test.cc:7,failed,\r\n");
  const std::string md = ReadFileOrDie(tmp.Sub("matrix.md"));
  EXPECT_THAT(md, HasSubstr("| AT-4 Tamper-evident | 3 | 2 | 1 | 0 | 0 |"));
  EXPECT_THAT(md, HasSubstr("| SR-1 Durable acknowledgement: a call returns only when its ... | 1 | 1 | 0 |"));
  EXPECT_THAT(md, HasSubstr("## AC-4 Blinding\n\nNo test cites it."));
  EXPECT_THAT(md, HasSubstr("5 test runs, 3 passed, 1 failed, 1 skipped"));
  EXPECT_THAT(md, HasSubstr("Tests that cite no requirement (conventions, usability and robustness checks): 1."));
  for (const char* not_cited : {"AT-9", "RV-1", "ES-2", "CC-1"}) EXPECT_THAT(md, Not(HasSubstr(not_cited)));

  // Without results every test is "not run"; the matrix goes to stdout.
  r = RunProcess({kPython, Script(), "--tests", tmp.Sub("tests")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("| AT-4 | 3 | 0 | 0 | 0 | 3 |"));
}

// VA-1: inputs that cannot be read are named, exit 2, and no matrix is written.
TEST(TraceabilityTest, UnreadableInputsAreNamed) {
  if (!std::filesystem::exists(kPython)) GTEST_SKIP() << "python3 is not installed";
  TempDir tmp;
  WriteSmallSuite(tmp.path());
  ProcessResult r = RunProcess({kPython, Script(), "--tests", tmp.Sub("none"), "--out", tmp.Sub("m.md")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("is not a directory"));
  WriteFileOrDie(tmp.Sub("bad.xml"), "<testsuite><testcase");
  r = RunProcess({kPython, Script(), "--tests", tmp.Sub("tests"), "--results", tmp.Sub("bad.xml"), "--out",
                  tmp.Sub("m.md")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("cannot read the results"));
  r = RunProcess({kPython, Script(), "--tests", tmp.Sub("tests"), "--requirements", tmp.Sub("none.md"), "--out",
                  tmp.Sub("m.md")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("cannot read the requirements"));
  EXPECT_FALSE(std::filesystem::exists(tmp.Sub("m.md")));
}

// VA-1: on this repository's suite, the tests that prove the ledger's
// requirements are found under them (the tamper matrix, the witness, the crash
// test, backup and restore, and this test).
TEST(TraceabilityTest, ThisSuitesCitationsAreFound) {
  if (!std::filesystem::exists(kPython)) GTEST_SKIP() << "python3 is not installed";
  TempDir tmp;
  ProcessResult r = RunProcess({kPython, Script(), "--tests", SourceDir() + "/tests", "--csv", tmp.Sub("m.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string csv = ReadFileOrDie(tmp.Sub("m.csv"));
  const char* const rows[] = {
      "AT-4,TamperTest.UntouchedLedgerVerifies,tests/integration/tamper_test.cc:",
      "AT-5,LedgerRewriteTest.RewriteWithTheStolenKeyIsCaughtByTheWitness,",
      "SR-1,CrashTest.KilledWriterLosesNoAcknowledgedEvent,tests/integration/crash_test.cc:",
      "SR-2,BackupTest.RestoredLedgerIsByteIdenticalVerifiesAndWorks,tests/app/backup_test.cc:",
      "VA-1,TraceabilityTest.ThisSuitesCitationsAreFound,tests/integration/traceability_test.cc:"};
  for (const char* row : rows) {
    EXPECT_THAT(csv, HasSubstr(row));
  }
}

}  // namespace
}  // namespace vellum::testing
