// `vellum canon`: the RFC 8785 canonical bytes of any JSON on stdin, and with
// --hash their SHA-256 — the tool with which anyone recomputes a record
// version's content hash by hand (RV-1).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/cli_fixture.h"
#include "core/json.h"
#include "core/sha256.h"
#include "testing/test_env.h"

namespace vellum::cli_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using ::vellum::testing::ReadFileOrDie;

class CliCanonTest : public CliTest {
 protected:
  ProcessResult Canon(const std::string& input, bool hash = false) const {
    std::vector<std::string> args{"canon"};
    if (hash) args.push_back("--hash");
    return Run(args, input);
  }
  // What --hash must print for these canonical bytes.
  static std::string Tagged(const std::string& canonical) {
    return "sha256:" + core::HashToHex(core::Sha256(canonical)) + "\n";
  }
};

// RFC 8785 §3.2.3's own example, byte for byte, plus a trailing newline.
TEST_F(CliCanonTest, RfcExample) {
  const std::string input = R"({
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
})";
  const std::string want =
      "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
      "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
  ProcessResult r = Canon(input);
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.out, want + "\n");
  r = Canon(input, /*hash=*/true);
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.out, Tagged(want));
}

// RFC 8785 §3.2.3 property sorting by UTF-16 code units (the RFC's example keys).
TEST_F(CliCanonTest, KeysSortByUtf16CodeUnits) {
  const std::string input =
      "{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew Letter Dalet "
      "With Dagesh\","
      "\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\","
      "\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}";
  ProcessResult r = Canon(input);
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  const std::string want =
      "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
      "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
      "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\",\"\xef\xac\xb3\":\"Hebrew Letter Dalet With "
      "Dagesh\"}";
  EXPECT_EQ(r.out, want + "\n");
}

// The public RFC 8785 vectors (cyberphone/json-canonicalization), through the binary.
TEST_F(CliCanonTest, PublicVectors) {
  const auto vectors = ::vellum::testing::VectorsDir();
  if (!vectors) GTEST_SKIP() << "public test vectors not found (set VELLUM_VECTORS)";
  const std::string jcs = *vectors + "/jcs";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(jcs + "/input")) {
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    const std::string want = ReadFileOrDie(jcs + "/output/" + name);
    ProcessResult r = Canon(ReadFileOrDie(entry.path().string()));
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    EXPECT_EQ(r.out, want + "\n");
    r = Canon(ReadFileOrDie(entry.path().string()), /*hash=*/true);
    EXPECT_EQ(r.out, Tagged(want));
    // Canonical output is a fixed point.
    EXPECT_EQ(Canon(want).out, want + "\n");
    ++checked;
  }
  EXPECT_GE(checked, 6);
}

// --hash is sha256sum of exactly the bytes canon prints (without the newline).
TEST_F(CliCanonTest, HashIsSha256OfTheCanonicalBytes) {
  for (const std::string input :
       {R"({"b":1,"a":[1.0,"x"]})", "[]", "\"\"", "0", R"({"é":"\u00e9"})"}) {
    SCOPED_TRACE(input);
    ProcessResult c = Canon(input);
    ASSERT_EQ(c.exit_code, 0) << Describe(c);
    ASSERT_FALSE(c.out.empty());
    ASSERT_EQ(c.out.back(), '\n');
    const std::string canonical = c.out.substr(0, c.out.size() - 1);
    ProcessResult h = Canon(input, /*hash=*/true);
    ASSERT_EQ(h.exit_code, 0) << Describe(h);
    EXPECT_EQ(h.out, Tagged(canonical));
    if (::vellum::testing::HaveProgram("sha256sum")) {
      ProcessResult s = ::vellum::testing::RunProcess({"sha256sum"}, canonical);
      EXPECT_EQ("sha256:" + s.out.substr(0, 64) + "\n", h.out);
    }
  }
}

// Input canon cannot give one reading of is refused with exit 2 and the reason.
TEST_F(CliCanonTest, InvalidInputIsRefused) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  struct Case {
    std::string input;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"", "empty input"},
           {"{\"a\":", "unexpected end of input"},
           {"{\"a\":1,\"a\":2}", "duplicate key \"a\""},
           {"\"\\ud800\"", "lone surrogate"},
           {"\"\xff\"", "invalid UTF-8"},
           {"\xef\xbb\xbf{}", "byte-order mark (EF BB BF) at byte 0"},
           {"{} []", "after the JSON value"},
           {"NaN", "invalid JSON"},
           {"1e400", "not a finite double"},
           {"[01]", "invalid JSON"},
           {"{'a':1}", "invalid JSON"},
           {deep, "nesting deeper than 64"},
       }) {
    for (bool hash : {false, true}) {
      ProcessResult r = Canon(c.input, hash);
      SCOPED_TRACE(c.input.substr(0, 40));
      EXPECT_EQ(r.exit_code, 2) << Describe(r);
      EXPECT_THAT(r.err, StartsWith("vellum: invalid_argument: "));
      EXPECT_THAT(r.err, HasSubstr(c.message));
      EXPECT_THAT(r.out, IsEmpty());
    }
  }
}

// RV-1, the hand-recompute story: the content_hash `record show` prints is the
// SHA-256 of the RFC 8785 form of the content it shows, for every version, so
// anyone recomputes it with `vellum canon --hash` (or any JCS tool and sha256sum).
TEST_F(CliCanonTest, RecordContentHashRecomputesByHand) {
  Init();
  // Deliberately not canonical: spacing, key order, 1.0, escapes, non-ASCII.
  const std::string v1 =
      "{ \"size_mm\" : 4.0, \"label\" : \"nodule\", \"note\": \"relecture \\u00e0 2 mm\", "
      "\"box\": [1e1, 20, 30.50, 40] }";
  ASSERT_EQ(Create("annotation", "a-1", v1).exit_code, 0);
  ASSERT_EQ(Modify("annotation", "a-1", R"({"label":"mass","size_mm":5.5,"box":[10,20,30.5,40]})",
                   "re-read")
                .exit_code,
            0);
  for (const char* version : {"1", "2"}) {
    SCOPED_TRACE(version);
    const std::string shown = RunOk({"--format", "json", "record", "show", "--type", "annotation",
                                     "--id", "a-1", "--version", version});
    boost::json::value v = ParseOrFail(shown);
    const std::string content_hash = Str(v.at("content_hash"));
    ASSERT_THAT(content_hash, StartsWith("sha256:"));
    auto content = core::CanonicalJson(v.at("content"));
    ASSERT_TRUE(content.ok());
    ProcessResult r = Canon(boost::json::serialize(v.at("content")), /*hash=*/true);
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    EXPECT_EQ(r.out, content_hash + "\n");
    EXPECT_EQ(r.out, Tagged(*content));
    // The same with nothing but a shell and jq, as an inspector would type it.
    if (::vellum::testing::HaveProgram("jq")) {
      r = ::vellum::testing::RunProcess(
          {"sh", "-c",
           "\"$1\" --data \"$2\" record show --type annotation --id a-1 --version \"$3\" "
           "| jq .content | \"$1\" canon --hash",
           "sh", ::vellum::testing::VellumBinary(), data_, version},
          "", cli_.Env(user_));
      EXPECT_EQ(r.exit_code, 0) << Describe(r);
      EXPECT_EQ(r.out, content_hash + "\n");
    }
  }
  // And the first version's hash is that of the original, non-canonical input.
  ProcessResult r = Canon(v1, /*hash=*/true);
  boost::json::value first = ParseOrFail(
      RunOk({"record", "show", "--type", "annotation", "--id", "a-1", "--version", "1"}));
  EXPECT_EQ(r.out, Str(first.at("content_hash")) + "\n");
  // The event that made the version names the same hash.
  std::vector<std::string> events = LogLines();
  ASSERT_EQ(events.size(), setup_events_ + 2);
  EXPECT_EQ(Str(ParseOrFail(events[setup_events_]).at("record").at("hash")),
            Str(first.at("content_hash")));
  // Each stored event line is itself canonical: canon is the identity on it.
  for (const std::string& line : events) EXPECT_EQ(Canon(line).out, line + "\n");
}

}  // namespace
}  // namespace vellum::cli_test
