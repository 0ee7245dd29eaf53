// `vellum log`: the audit trail filtered by record, actor, action, time and
// sequence (AT-7's review queries), and printed as the very bytes stored and
// hashed, so the trail reads the same with standard tools (AT-9).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>
#include <string>
#include <vector>

#include "cli/cli_fixture.h"
#include "core/clock.h"
#include "core/sha256.h"
#include "testing/test_env.h"

namespace vellum::cli_test {
namespace {

namespace json = boost::json;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::vellum::testing::HaveProgram;
using ::vellum::testing::RunProcess;

class CliLogTest : public CliTest {
 protected:
  void SetUp() override {
    Init("vellum.test/cli", {kRivera, kChen, kQuality});
    auto as = [&](const Person& who, std::vector<std::string> args, const std::string& in = "") {
      ProcessResult r = RunAs(who.id, args, in);
      ASSERT_EQ(r.exit_code, 0) << Describe(r);
    };
    // The six record events start at seq base_, after the set-up's accounts and sign-ins.
    base_ = setup_events_;
    as(kRivera, {"record", "create", "--type", "annotation", "--id", "a-1"},
       R"({"label":"nodule"})");
    as(kChen, {"record", "create", "--type", "annotation", "--id", "a-2"}, R"({"label":"mass"})");
    as(kChen, {"record", "modify", "--type", "annotation", "--id", "a-1", "--reason", "re-read"},
       R"({"label":"mass"})");
    as(kRivera, {"record", "create", "--type", "case", "--id", "c-1"}, R"({"study":"1.2.3"})");
    as(kRivera,
       {"record", "modify", "--type", "annotation", "--id", "a-1", "--reason", "second look"},
       R"({"label":"cyst"})");
    as(kChen, {"record", "delete", "--type", "annotation", "--id", "a-2", "--reason", "duplicate"});
    // The trail is read by quality (audit.read, AT-8), which writes nothing.
    As(kQuality.id);
    all_ = LogLines();
    ASSERT_EQ(all_.size(), base_ + 6);
    for (const auto& line : all_) events_.push_back(ParseOrFail(line));
  }

  // Runs `log args` (jsonl) and checks it printed exactly the stored lines of
  // the events `keep` selects, in order.
  void ExpectLog(const std::vector<std::string>& args,
                 const std::function<bool(const json::value&)>& keep) {
    std::vector<std::string> want;
    for (size_t i = 0; i < all_.size(); ++i) {
      if (keep(events_[i])) want.push_back(all_[i]);
    }
    std::vector<std::string> cmd{"log"};
    cmd.insert(cmd.end(), args.begin(), args.end());
    ProcessResult r = Run(cmd);
    SCOPED_TRACE(::testing::PrintToString(args));
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    EXPECT_THAT(Lines(r.out), ElementsAreArray(want));
  }

  static uint64_t Seq(const json::value& e) { return e.at("seq").to_number<uint64_t>(); }
  static std::string Ts(const json::value& e) { return Str(e.at("ts")); }

  uint64_t base_ = 0;
  std::vector<std::string> all_;
  std::vector<json::value> events_;
};

TEST_F(CliLogTest, FilterByRecordActorAndAction) {
  auto record_is = [](const std::string& type, const std::string& id) {
    return [=](const json::value& e) {
      return e.at("record").is_object() && Str(e.at("record").at("type")) == type &&
             Str(e.at("record").at("id")) == id;
    };
  };
  ExpectLog({"--record", "annotation/a-1"}, record_is("annotation", "a-1"));
  ExpectLog({"--record", "annotation/a-2"}, record_is("annotation", "a-2"));
  ExpectLog({"--record", "case/c-1"}, record_is("case", "c-1"));
  ExpectLog({"--record", "case/a-1"}, [](const json::value&) { return false; });
  ExpectLog({"--actor", "u-2"}, [](const json::value& e) { return Str(e.at("actor")) == "u-2"; });
  // The system wrote init's three events (genesis, the policy, the first administrator).
  ExpectLog({"--actor", "system"}, [](const json::value& e) { return Seq(e) < 3; });
  for (const char* action :
       {"record.created", "record.modified", "record.deleted", "ledger.genesis", "policy.changed",
        "user.created", "security.login_succeeded", "user.password_changed"}) {
    ExpectLog({"--action", action},
              [&](const json::value& e) { return Str(e.at("type")) == action; });
  }
  // Filters combine with AND.
  ExpectLog({"--record", "annotation/a-1", "--actor", "u-2", "--action", "record.modified"},
            [&](const json::value& e) { return Seq(e) == base_ + 2; });
  // Bad filter values are bad input.
  for (const auto& bad : std::vector<std::vector<std::string>>{{"--record", "a-1"},
                                                               {"--record", "annotation/a b"},
                                                               {"--actor", "u 1"},
                                                               {"--action", "record modified"}}) {
    std::vector<std::string> cmd{"log"};
    cmd.insert(cmd.end(), bad.begin(), bad.end());
    ProcessResult r = Run(cmd);
    EXPECT_EQ(r.exit_code, 2) << Describe(r);
    EXPECT_TRUE(r.out.empty());
  }
}

// AT-8: a refused query prints nothing on stdout in any format (no "[]", no CSV or
// table header that a script could take for an empty trail), only the refusal.
TEST_F(CliLogTest, RefusedQueryPrintsNoEmptyTrail) {
  const ::vellum::testing::Person annotator{"u-ann", "Ann Otator", {identity::Role::kAnnotator}};
  ASSERT_TRUE(cli_.AddPerson(annotator));
  for (const std::string format : {"json", "jsonl", "csv", "table"}) {
    SCOPED_TRACE(format);
    ProcessResult r = RunAs(annotator.id, {"--format", format, "log"});
    EXPECT_EQ(r.exit_code, 3) << Describe(r);
    EXPECT_EQ(r.out, "");
    EXPECT_THAT(r.err, HasSubstr("permission_denied"));
  }
  // Allowed, an empty answer is still one document.
  EXPECT_EQ(RunOk({"--format", "json", "log", "--from-seq", "100000"}), "[]\n");
}

TEST_F(CliLogTest, FilterBySequenceAndLimit) {
  const uint64_t size = all_.size();
  const std::string b3 = std::to_string(base_ + 3);
  ExpectLog({"--from-seq", b3}, [&](const json::value& e) { return Seq(e) >= base_ + 3; });
  ExpectLog({"--from-seq", "0"}, [](const json::value&) { return true; });
  ExpectLog({"--from-seq", std::to_string(size)}, [](const json::value&) { return false; });
  ExpectLog({"--from-seq", "18446744073709551615"}, [](const json::value&) { return false; });
  ExpectLog({"--limit", "3"}, [](const json::value& e) { return Seq(e) < 3; });
  ExpectLog({"--limit", "0"}, [](const json::value&) { return true; });
  ExpectLog({"--limit", "18446744073709551615"}, [](const json::value&) { return true; });
  ExpectLog({"--from-seq", std::to_string(base_ + 1), "--limit", "2"},
            [&](const json::value& e) { return Seq(e) == base_ + 1 || Seq(e) == base_ + 2; });
  // Paging: the limit applies after the other filters (u-1's first two record events).
  ExpectLog({"--actor", "u-1", "--from-seq", std::to_string(base_), "--limit", "2"},
            [&](const json::value& e) { return Seq(e) == base_ || Seq(e) == base_ + 3; });
}

// --after-seq, the option's first name, selected seq >= N as --from-seq does:
// export scripts that page with it get the same events, and a notice to move on.
TEST_F(CliLogTest, AfterSeqIsTheDeprecatedNameOfFromSeq) {
  const std::string from = std::to_string(base_ + 2);
  ProcessResult old_name = Run({"log", "--after-seq", from});
  ProcessResult new_name = Run({"log", "--from-seq", from});
  ASSERT_EQ(old_name.exit_code, 0) << Describe(old_name);
  ASSERT_EQ(new_name.exit_code, 0) << Describe(new_name);
  EXPECT_EQ(old_name.out, new_name.out);
  EXPECT_EQ(Lines(new_name.out).size(), all_.size() - (base_ + 2));
  EXPECT_THAT(old_name.err, HasSubstr("--after-seq is deprecated"));
  EXPECT_THAT(old_name.err, HasSubstr("use --from-seq " + from));
  EXPECT_TRUE(new_name.err.empty()) << new_name.err;
  ProcessResult quiet = Run({"-q", "log", "--after-seq", from});
  EXPECT_EQ(quiet.out, new_name.out);
  EXPECT_TRUE(quiet.err.empty()) << quiet.err;
  // Not both at once, and only the new name in the help.
  ProcessResult both = Run({"log", "--after-seq", from, "--from-seq", from});
  EXPECT_EQ(both.exit_code, 2) << Describe(both);
  EXPECT_TRUE(both.out.empty());
  ProcessResult help = Run({"log", "--help"});
  EXPECT_THAT(help.out, HasSubstr("--from-seq"));
  EXPECT_THAT(help.out, ::testing::Not(HasSubstr("--after-seq")));
}

// --since is inclusive, --until exclusive; both take a UTC timestamp with up to
// six fractional digits or a date (midnight UTC).
TEST_F(CliLogTest, FilterByTime) {
  // The first event, one in the middle of the records, and the last.
  for (size_t i : {size_t{0}, size_t{base_ + 2}, all_.size() - 1}) {
    const std::string t = Ts(events_[i]);
    ExpectLog({"--since", t}, [&](const json::value& e) { return Ts(e) >= t; });
    ExpectLog({"--until", t}, [&](const json::value& e) { return Ts(e) < t; });
    if (Ts(events_[1]) >= t) continue;  // an empty range: refused, below
    ExpectLog({"--since", Ts(events_[1]), "--until", t},
              [&](const json::value& e) { return Ts(e) >= Ts(events_[1]) && Ts(e) < t; });
  }
  // A range that holds no time (its ends swapped, or equal) is bad input, not
  // a query whose answer is "no events": exit 2, both ends named, nothing printed.
  const std::string first = Ts(events_[0]), last = Ts(events_.back());
  for (const auto& [since, until] : {std::pair{last, first}, std::pair{first, first}}) {
    ProcessResult r = Run({"--format", "table", "log", "--since", since, "--until", until});
    EXPECT_EQ(r.exit_code, 2) << Describe(r);
    EXPECT_THAT(r.err, HasSubstr("--since " + since + " is not before --until " + until));
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  // Timestamps compare lexically as RFC 3339 UTC strings with six digits, so the
  // expectations above are exact. Fewer fractional digits mean zeros.
  const std::string t3 = Ts(events_[base_ + 2]);            // e.g. 2026-11-25T14:13:07.884540Z
  const std::string whole_second = t3.substr(0, 19) + "Z";  // e.g. 2026-11-25T14:13:07Z
  const std::string next_second = [&] {
    auto micros = core::ParseTimestamp(whole_second);
    EXPECT_TRUE(micros.ok());
    return core::FormatTimestamp(*micros + 1'000'000).substr(0, 19) + "Z";
  }();
  ExpectLog({"--since", whole_second},
            [&](const json::value& e) { return Ts(e) >= whole_second.substr(0, 19); });
  ExpectLog({"--until", next_second},
            [&](const json::value& e) { return Ts(e) < next_second.substr(0, 19); });
  ExpectLog({"--since", t3.substr(0, 22) + "Z"},
            [&](const json::value& e) { return Ts(e) >= t3.substr(0, 22); });

  // Dates: the day of the events, and the day after.
  const std::string day = t3.substr(0, 10);
  auto micros = core::ParseTimestamp(day);
  ASSERT_TRUE(micros.ok());
  const std::string next_day = core::FormatTimestamp(*micros + 86'400'000'000).substr(0, 10);
  ExpectLog({"--since", day}, [&](const json::value& e) { return Ts(e) >= day; });
  ExpectLog({"--until", day}, [&](const json::value& e) { return Ts(e) < day; });
  ExpectLog({"--since", next_day}, [&](const json::value& e) { return Ts(e) >= next_day; });
  ExpectLog({"--until", next_day}, [&](const json::value& e) { return Ts(e) < next_day; });

  for (const char* bad :
       {"yesterday", "2026-13-01", "2025-02-29", "2026-11-25 10:00:00", "2026-11-25T10:00:00+01:00",
        "2026-11-25T10:00:00.1234567Z", "2026-11-25t10:00:00z", "1764000000"}) {
    ProcessResult r = Run({"log", "--since", bad});
    EXPECT_EQ(r.exit_code, 2) << bad << "\n" << Describe(r);
    EXPECT_THAT(r.err, HasSubstr(std::string("time \"") + bad + "\""));
    EXPECT_TRUE(r.out.empty());
  }
}

// AT-9: `log --format jsonl` prints the stored lines byte for byte, so the
// segment file itself is the export, readable with cat, grep and jq.
TEST_F(CliLogTest, JsonlIsTheSegmentFileByteForByte) {
  const std::string segment = Segment();
  EXPECT_EQ(RunOk({"--format", "jsonl", "log"}), segment);
  // A filtered query prints whole stored lines.
  for (const std::string& line : Lines(RunOk({"log", "--record", "annotation/a-1"}))) {
    EXPECT_NE(segment.find(line + "\n"), std::string::npos) << line;
  }

  // grep on the segment finds a record's events — the same ones `log --record` lists.
  const std::string a1 = RunOk({"log", "--record", "annotation/a-1"});
  if (HaveProgram("grep")) {
    ProcessResult g =
        RunProcess({"grep", "-F", R"("id":"a-1","type":"annotation")", SegmentPath()});
    ASSERT_EQ(g.exit_code, 0) << Describe(g);
    EXPECT_EQ(g.out, a1);
  }
  // jq reads every line, and selects the same events.
  if (HaveProgram("jq")) {
    ProcessResult q = RunProcess({"jq", "-c", "-e", ".seq", SegmentPath()});
    ASSERT_EQ(q.exit_code, 0) << Describe(q);
    std::string seqs;
    for (size_t i = 0; i < all_.size(); ++i) seqs += std::to_string(i) + "\n";
    EXPECT_EQ(q.out, seqs);
    q = RunProcess({"jq", "-r",
                    R"jq(select(.record.id == "a-1") | "\(.seq) \(.type) \(.reason)")jq",
                    SegmentPath()});
    ASSERT_EQ(q.exit_code, 0) << Describe(q);
    EXPECT_EQ(q.out, fmt::format("{} record.created null\n{} record.modified re-read\n"
                                 "{} record.modified second look\n",
                                 base_, base_ + 2, base_ + 4));
  } else {
    GTEST_LOG_(INFO) << "jq not installed: the jq part of AT-9 was not run";
  }

  // And the hash chain can be followed by hand: each event's prev is the RFC
  // 9162 leaf hash (SHA-256 of 0x00 and the previous line).
  std::vector<std::string> lines = Lines(segment);
  for (size_t i = 1; i < lines.size(); ++i) {
    EXPECT_EQ(Str(ParseOrFail(lines[i]).at("prev")),
              core::HashToTagged(core::Sha256(std::string(1, '\0') + lines[i - 1])));
  }
}

// The table is for people: one header, one row per event, the reason shown.
TEST_F(CliLogTest, TableOutput) {
  std::vector<std::string> rows =
      Lines(RunOk({"--format", "table", "log", "--record", "annotation/a-1"}));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_THAT(rows[0], HasSubstr("time (UTC)"));
  EXPECT_THAT(rows[1], HasSubstr("record.created"));
  EXPECT_THAT(rows[2], HasSubstr("re-read"));
  EXPECT_THAT(rows[3], HasSubstr("second look"));
  EXPECT_THAT(rows[3], HasSubstr(Ts(events_[base_ + 4])));
}

}  // namespace
}  // namespace vellum::cli_test
