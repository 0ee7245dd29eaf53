#include "core/clock.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <time.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::core {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kMicros = 1'000'000;

// When this binary runs with VELLUM_CLOCK_PROBE=1 (SystemClockTest.HonoursLibfaketime starts
// it under faketime), it prints what SystemClock sees and exits before GoogleTest starts.
[[maybe_unused]] const bool kClockProbe = [] {
  const char* probe = std::getenv("VELLUM_CLOCK_PROBE");
  if (probe == nullptr || std::string(probe) != "1") return false;
  SystemClock clock;
  std::string out = FormatTimestamp(clock.NowMicros()) + "\n" + clock.DescribeJson() + "\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  std::_Exit(0);
}();

// The C library's gmtime_r as an independent oracle (64-bit time_t, proleptic Gregorian).
std::string GmtimeFormat(int64_t micros) {
  int64_t secs = micros / kMicros;
  int64_t frac = micros % kMicros;
  if (frac < 0) {
    frac += kMicros;
    --secs;
  }
  time_t t = static_cast<time_t>(secs);
  struct tm tm;
  if (gmtime_r(&t, &tm) == nullptr) return "gmtime failed";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

int64_t MustParse(std::string_view text) {
  auto r = ParseTimestamp(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? *r : 0;
}

// AT-2: the server timestamp is UTC with microseconds, in one written form.
TEST(TimestampTest, FormatsEpochAndKnownInstants) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestamp(1), "1970-01-01T00:00:00.000001Z");
  EXPECT_EQ(FormatTimestamp(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatTimestamp(-kMicros), "1969-12-31T23:59:59.000000Z");
  // 2026-11-25T13:01:02.123456Z, from the header's example, by arithmetic on days.
  const int64_t days = 56 * 365 + 14 /* leap days 1972..2024 */ + 328 /* Jan 1 → Nov 25 */;
  EXPECT_EQ(FormatTimestamp((days * 86400 + 13 * 3600 + 62) * kMicros + 123456),
            "2026-11-25T13:01:02.123456Z");
}

// AT-2: server timestamps are UTC with microseconds; formatting agrees with the C library
// for instants across the whole RFC 3339 range, before 1970 included.
TEST(TimestampTest, FormatAgreesWithGmtimeAndRoundTrips) {
  const int64_t lo = MustParse("0000-01-01T00:00:00Z");
  const int64_t hi = MustParse("9999-12-31T23:59:59.999999Z");
  std::mt19937_64 rng(20261125);
  std::uniform_int_distribution<int64_t> any(lo, hi);
  std::uniform_int_distribution<int64_t> near_epoch(-100LL * 365 * 86400 * kMicros,
                                                    100LL * 365 * 86400 * kMicros);
  for (int i = 0; i < 20000; ++i) {
    const int64_t t = i % 2 ? any(rng) : near_epoch(rng);
    const std::string text = FormatTimestamp(t);
    ASSERT_EQ(text, GmtimeFormat(t)) << t;
    ASSERT_EQ(MustParse(text), t) << text;
  }
  EXPECT_EQ(FormatTimestamp(lo), "0000-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestamp(hi), "9999-12-31T23:59:59.999999Z");
  EXPECT_EQ(GmtimeFormat(hi), FormatTimestamp(hi));
}

TEST(TimestampTest, ExtremeValuesFormatWithoutOverflow) {
  for (int64_t t : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    const std::string text = FormatTimestamp(t);
    EXPECT_EQ(text, GmtimeFormat(t));
    // Years outside 0000-9999 are not RFC 3339, so they do not parse back.
    EXPECT_THAT(ParseTimestamp(text),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr(text.substr(0, 8))));
  }
}

TEST(TimestampTest, LeapDaysFollowTheGregorianRules) {
  for (int64_t year : {0, 4, 1600, 1904, 1968, 1972, 2000, 2024, 2400, 9996}) {
    char day[32];
    std::snprintf(day, sizeof day, "%04lld-02-29", static_cast<long long>(year));
    const int64_t t = MustParse(day);
    EXPECT_EQ(FormatTimestamp(t), std::string(day) + "T00:00:00.000000Z");
    // The day after 28 Feb is 29 Feb, and the day after that is 1 Mar.
    EXPECT_EQ(FormatTimestamp(t + 86400 * kMicros).substr(5, 5), "03-01");
  }
  for (const char* no_leap :
       {"1900-02-29", "1969-02-29", "2100-02-29", "2023-02-29", "9999-02-29"}) {
    EXPECT_THAT(ParseTimestamp(no_leap),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("day out of range")));
  }
  // Years divisible by 100 but not 400 have 365 days.
  EXPECT_EQ(MustParse("1901-01-01") - MustParse("1900-01-01"), 365 * 86400 * kMicros);
  EXPECT_EQ(MustParse("2001-01-01") - MustParse("2000-01-01"), 366 * 86400 * kMicros);
}

TEST(TimestampTest, ParsesShorterFractionsAndBareDates) {
  const int64_t base = MustParse("2026-11-25T13:01:02Z");
  EXPECT_EQ(MustParse("2026-11-25T13:01:02.1Z"), base + 100000);
  EXPECT_EQ(MustParse("2026-11-25T13:01:02.12Z"), base + 120000);
  EXPECT_EQ(MustParse("2026-11-25T13:01:02.123Z"), base + 123000);
  EXPECT_EQ(MustParse("2026-11-25T13:01:02.000001Z"), base + 1);
  EXPECT_EQ(MustParse("2026-11-25T13:01:02.999999Z"), base + 999999);
  EXPECT_EQ(MustParse("2026-11-25T13:01:02.000000Z"), base);
  EXPECT_EQ(MustParse("2026-11-25"), MustParse("2026-11-25T00:00:00Z"));
  EXPECT_EQ(base - MustParse("2026-11-25"), (13 * 3600 + 62) * kMicros);
  EXPECT_EQ(MustParse("1969-12-31T23:59:59.5Z"), -kMicros / 2);
  EXPECT_EQ(MustParse("1970-01-01"), 0);
}

TEST(TimestampTest, RejectsEverythingElse) {
  const std::vector<std::string> bad = {
      "",
      "2026",
      "2026-11",
      "2026-1-25",
      "26-11-25",
      "+2026-11-25",
      "-001-01-01",
      " 2026-11-25",
      "2026-11-25 ",
      "2026/11/25",
      "2026-11-25Z",
      "2026-11-25T",
      "2026-11-25T13:01Z",
      "2026-11-25T13:01:02",
      "2026-11-25 13:01:02Z",
      "2026-11-25t13:01:02Z",
      "2026-11-25T13:01:02z",
      "2026-11-25T13:01:02+00:00",
      "2026-11-25T13:01:02-05:00",
      "2026-11-25T13:01:02.Z",
      "2026-11-25T13:01:02.1234567Z",
      "2026-11-25T13:01:02.12a4Z",
      "2026-11-25T13:01:02,5Z",
      "2026-11-25T13:01:02ZZ",
      "2026-11-25T13:01:02Z\n",
      "2026-11-25T1:01:02Z",
      "2026-11-25T13:1:02Z",
      "2026-11-25T13:01:2Z",
      std::string("2026-11-25\0", 11),
      "2026-13-01",
      "2026-00-10",
      "2026-01-00",
      "2026-01-32",
      "2026-04-31",
      "2026-11-25T24:00:00Z",
      "2026-11-25T23:60:00Z",
      "2026-12-31T23:59:60Z",  // leap second: not representable in Unix time
      "\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x96-11-25",  // full-width digits
  };
  for (const std::string& text : bad) {
    EXPECT_THAT(ParseTimestamp(text),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("invalid timestamp")))
        << '"' << text << '"';
  }
}

TEST(TimestampTest, ErrorQuotesOnlyABoundedPrefix) {
  const std::string huge = "2026-11-25T13:01:02.1" + std::string(10000, '1') + "Z";
  auto r = ParseTimestamp(huge);
  ASSERT_FALSE(r.ok());
  EXPECT_LT(r.status().message().size(), 200u);
  EXPECT_THAT(r.status().message(), HasSubstr("2026-11-25T13:01:02.1"));
}

// What ParseCanonicalTimestamp must decide: the round trip it replaces.
bool RoundTrips(const std::string& text, int64_t* micros) {
  auto t = ParseTimestamp(text);
  if (!t.ok() || FormatTimestamp(*t) != text) return false;
  *micros = *t;
  return true;
}

// Decoding checks an event's time with ParseCanonicalTimestamp instead of the
// round trip through ParseTimestamp and FormatTimestamp; the two agree on the
// canonical form of many times, on every one-byte edit of some of them (each
// byte replaced by every value), and on the other forms ParseTimestamp reads.
TEST(TimestampTest, CanonicalCheckAgreesWithTheRoundTrip) {
  std::vector<std::string> texts = {"2026-11-25", "2026-11-25T13:01:02Z", "2026-11-25T13:01:02.5Z",
                                    "2026-11-25T13:01:02.12345Z", "2024-02-29T00:00:00.000000Z",
                                    "2025-02-29T00:00:00.000000Z", "2026-11-25T24:00:00.000000Z",
                                    "10000-01-01T00:00:00.000000Z", "-001-01-01T00:00:00.000000Z"};
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    texts.push_back(FormatTimestamp(static_cast<int64_t>(rng() % (uint64_t{400} * 365 * 86400 * kMicros))));
  }
  texts.push_back(FormatTimestamp(0));
  texts.push_back(FormatTimestamp(-1));
  texts.push_back(FormatTimestamp(std::numeric_limits<int64_t>::max()));
  texts.push_back(FormatTimestamp(std::numeric_limits<int64_t>::min()));
  const std::vector<std::string> seeds = {"2026-11-25T13:01:02.123456Z", "2000-02-29T23:59:59.999999Z",
                                          "0000-01-01T00:00:00.000000Z", "9999-12-31T23:59:59.999999Z"};
  for (const std::string& seed : seeds) {
    for (size_t at = 0; at < seed.size(); ++at) {
      for (int b = 0; b < 256; ++b) {
        std::string edited = seed;
        edited[at] = static_cast<char>(b);
        texts.push_back(std::move(edited));
      }
    }
  }
  for (const std::string& text : texts) {
    int64_t want = 0, got = 0;
    const bool canonical = RoundTrips(text, &want);
    ASSERT_EQ(ParseCanonicalTimestamp(text, &got), canonical) << '"' << text << '"';
    if (canonical) {
      EXPECT_EQ(got, want) << text;
    }
  }
}

TEST(SystemClockTest, NowMatchesTheSystemWallClock) {
  SystemClock clock;
  const int64_t before = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const int64_t now = clock.NowMicros();
  const int64_t after = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

// AT-6: the clock source and its synchronisation state are describable for the start record.
TEST(SystemClockTest, DescribeJsonIsValidJsonWithSourceAndSyncState) {
  SystemClock clock;
  const std::string text = clock.DescribeJson();
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  ASSERT_FALSE(ec) << text;
  ASSERT_TRUE(v.is_object()) << text;
  const auto& o = v.as_object();
  ASSERT_TRUE(o.contains("source")) << text;
  EXPECT_EQ(o.at("source"), "CLOCK_REALTIME");
  ASSERT_TRUE(o.contains("synchronized")) << text;
  EXPECT_TRUE(o.at("synchronized").is_bool());
  if (o.contains("error")) {
    EXPECT_TRUE(o.at("error").is_string());
    EXPECT_FALSE(o.at("synchronized").as_bool());
  } else {
    ASSERT_TRUE(o.contains("max_error_us") && o.contains("est_error_us")) << text;
    EXPECT_TRUE(o.at("max_error_us").is_int64());
    EXPECT_GE(o.at("max_error_us").as_int64(), 0);
    EXPECT_TRUE(o.at("est_error_us").is_int64());
    EXPECT_TRUE(o.at("clock_state").is_string());
  }
}

std::string SelfExe() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// AT-6: black-box time travel works (libfaketime intercepts our clock_gettime) and the
// description admits that the time is fake.
TEST(SystemClockTest, HonoursLibfaketime) {
  if (!testing::HaveProgram("faketime")) GTEST_SKIP() << "faketime is not installed";
  auto r = testing::RunProcess({"faketime", "-f", "@2001-02-03 04:05:06", SelfExe()}, "",
                               {"VELLUM_CLOCK_PROBE=1", "TZ=UTC",
                                // lets an ASan build run with libfaketime preloaded first
                                "ASAN_OPTIONS=verify_asan_link_order=0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("2001-02-03T04:05:0"));
  const std::string json = r.out.substr(r.out.find('\n') + 1);
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(json, ec);
  ASSERT_FALSE(ec) << json;
  ASSERT_TRUE(v.is_object()) << json;
  EXPECT_EQ(v.as_object().at("source"), "CLOCK_REALTIME");
  ASSERT_TRUE(v.as_object().contains("libfaketime")) << json;
  EXPECT_EQ(v.as_object().at("libfaketime"), true);
}

TEST(FakeClockTest, SetAndAdvance) {
  FakeClock clock(MustParse("2026-11-25T13:01:02Z"));
  EXPECT_EQ(FormatTimestamp(clock.NowMicros()), "2026-11-25T13:01:02.000000Z");
  clock.Advance(1500);
  EXPECT_EQ(FormatTimestamp(clock.NowMicros()), "2026-11-25T13:01:02.001500Z");
  clock.Advance(-3 * kMicros);  // tests can move it backwards to provoke clock anomalies
  EXPECT_EQ(FormatTimestamp(clock.NowMicros()), "2026-11-25T13:00:59.001500Z");
  clock.Set(0);
  EXPECT_EQ(clock.NowMicros(), 0);

  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(clock.DescribeJson(), ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(v.at("source"), "fake");
}

TEST(FakeClockTest, AdvanceIsThreadSafe) {
  FakeClock clock(1000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) clock.Advance(1);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(clock.NowMicros(), 1000 + 4 * 10000);
}

}  // namespace
}  // namespace vellum::core
