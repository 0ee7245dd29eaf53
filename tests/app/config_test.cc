// vellum.toml: every setting, its default, and a clear error naming the key
// for anything unknown, mistyped or out of range (a typo must never fall back
// to a default silently). FormatConfig writes what ParseConfig reads back.
#include "app/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/env.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::app {
namespace {

using ::testing::HasSubstr;

void ExpectSame(const Config& a, const Config& b) {
  EXPECT_EQ(a.origin, b.origin);
  EXPECT_EQ(a.checkpoint_every_events, b.checkpoint_every_events);
  EXPECT_EQ(a.checkpoint_every_seconds, b.checkpoint_every_seconds);
  EXPECT_EQ(a.witness_files, b.witness_files);
  EXPECT_EQ(a.clock_tolerance_ms, b.clock_tolerance_ms);
  EXPECT_EQ(a.max_event_bytes, b.max_event_bytes);
  EXPECT_EQ(a.max_segment_bytes, b.max_segment_bytes);
}

TEST(ConfigTest, EmptyFileGivesDefaults) {
  ASSERT_OK_AND_ASSIGN(Config c, ParseConfig(""));
  ExpectSame(c, Config{});
  EXPECT_EQ(c.origin, "");
  EXPECT_EQ(c.checkpoint_every_events, 100000u);
  EXPECT_EQ(c.checkpoint_every_seconds, 60);
  EXPECT_TRUE(c.witness_files.empty());
  EXPECT_EQ(c.clock_tolerance_ms, 1000);
  EXPECT_EQ(c.max_event_bytes, 1u << 20);
  EXPECT_EQ(c.max_segment_bytes, 64ull << 20);
  // Comments and empty tables change nothing.
  ASSERT_OK_AND_ASSIGN(Config c2, ParseConfig("# nothing\n[checkpoint]\n[clock]\n[limits]\n"));
  ExpectSame(c2, Config{});
}

TEST(ConfigTest, EveryKey) {
  ASSERT_OK_AND_ASSIGN(Config c, ParseConfig(R"(
origin = "lab.example/ledger"
[checkpoint]
every_events = 5
every_seconds = 7
witness_files = ["/mnt/w1/notes", "relative/w2"]
[clock]
tolerance_ms = 0
[limits]
max_event_bytes = 2048
max_segment_bytes = 8192
)"));
  EXPECT_EQ(c.origin, "lab.example/ledger");
  EXPECT_EQ(c.checkpoint_every_events, 5u);
  EXPECT_EQ(c.checkpoint_every_seconds, 7);
  EXPECT_EQ(c.witness_files, (std::vector<std::string>{"/mnt/w1/notes", "relative/w2"}));
  EXPECT_EQ(c.clock_tolerance_ms, 0);
  EXPECT_EQ(c.max_event_bytes, 2048u);
  EXPECT_EQ(c.max_segment_bytes, 8192u);
}

TEST(ConfigTest, UnknownKeysAreNamed) {
  struct Case {
    const char* toml;
    const char* key;
  } cases[] = {
      {"orign = \"x\"\n", "orign"},
      {"[checkpoint]\nevery_event = 5\n", "checkpoint.every_event"},
      {"[clock]\ntolerance = 5\n", "clock.tolerance"},
      {"[limits]\nmax_events_bytes = 5000\n", "limits.max_events_bytes"},
      {"[server]\nport = 1\n", "server"},
      {"[checkpoint.extra]\n", "checkpoint.extra"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(ParseConfig(c.toml), StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.key)))
        << c.toml;
    EXPECT_THAT(ParseConfig(c.toml), StatusIs(StatusCode::kInvalidArgument, HasSubstr("unknown")))
        << c.toml;
  }
}

TEST(ConfigTest, WrongTypesAreNamed) {
  struct Case {
    const char* toml;
    const char* key;
  } cases[] = {
      {"origin = 5\n", "origin"},
      {"origin = \"\"\n", "origin"},
      {"origin = [\"a\"]\n", "origin"},
      {"[checkpoint]\nevery_events = \"5\"\n", "checkpoint.every_events"},
      {"[checkpoint]\nevery_events = 5.0\n", "checkpoint.every_events"},
      {"[checkpoint]\nevery_seconds = true\n", "checkpoint.every_seconds"},
      {"[checkpoint]\nwitness_files = \"/one/file\"\n", "checkpoint.witness_files"},
      {"[checkpoint]\nwitness_files = [1]\n", "checkpoint.witness_files"},
      {"[checkpoint]\nwitness_files = [\"\"]\n", "checkpoint.witness_files"},
      {"[clock]\ntolerance_ms = 1.5\n", "clock.tolerance_ms"},
      {"[limits]\nmax_event_bytes = \"1MiB\"\n", "limits.max_event_bytes"},
      {"[limits]\nmax_segment_bytes = 1970-01-01\n", "limits.max_segment_bytes"},
      {"checkpoint = 5\n", "checkpoint"},
      {"clock = \"utc\"\n", "clock"},
      {"limits = []\n", "limits"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(ParseConfig(c.toml), StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.key)))
        << c.toml;
  }
}

TEST(ConfigTest, OutOfRangeValuesAreNamed) {
  struct Case {
    const char* toml;
    const char* key;
  } cases[] = {
      {"[checkpoint]\nevery_events = 0\n", "checkpoint.every_events"},
      {"[checkpoint]\nevery_events = -1\n", "checkpoint.every_events"},
      {"[checkpoint]\nevery_seconds = 0\n", "checkpoint.every_seconds"},
      {"[clock]\ntolerance_ms = -1\n", "clock.tolerance_ms"},
      {"[limits]\nmax_event_bytes = 1023\n", "limits.max_event_bytes"},
      {"[limits]\nmax_segment_bytes = 4095\n", "limits.max_segment_bytes"},
      // Large enough to overflow when converted to microseconds.
      {"[checkpoint]\nevery_seconds = 9223372036854775807\n", "checkpoint.every_seconds"},
      {"[clock]\ntolerance_ms = 9223372036854775807\n", "clock.tolerance_ms"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(ParseConfig(c.toml), StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.key)))
        << c.toml;
  }
  // The boundaries themselves are accepted.
  EXPECT_OK(
      ParseConfig("[checkpoint]\nevery_events = 1\nevery_seconds = 1\n[clock]\ntolerance_ms = 0\n"
                  "[limits]\nmax_event_bytes = 1024\nmax_segment_bytes = 4096\n"));
}

TEST(ConfigTest, SyntaxErrorsGiveTheLine) {
  EXPECT_THAT(ParseConfig("origin = \"x\"\n[checkpoint\n"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("line 2")));
  EXPECT_THAT(ParseConfig("origin = \"a\"\norigin = \"b\"\n"),
              StatusIs(StatusCode::kInvalidArgument, ::testing::_));
}

TEST(ConfigTest, FormatRoundTrips) {
  Config c;
  c.origin = "vellum/0123abcd";
  ASSERT_OK_AND_ASSIGN(Config d, ParseConfig(FormatConfig(c)));
  ExpectSame(d, c);

  c.checkpoint_every_events = 1;
  c.checkpoint_every_seconds = 86400;
  c.witness_files = {"/w/one",    "C:\\w\\two", "quote\"d", "ünï ✓",
                     "tab\there", "new\nline",  "bell\x07"};
  c.clock_tolerance_ms = 0;
  c.max_event_bytes = 1024;
  c.max_segment_bytes = (1ull << 40);
  const std::string text = FormatConfig(c);
  ASSERT_OK_AND_ASSIGN(Config e, ParseConfig(text));
  ExpectSame(e, c);
  // The text is meant for people too: every setting is commented.
  EXPECT_THAT(text, HasSubstr("# "));
  EXPECT_EQ(FormatConfig(e), text);
}

TEST(ConfigTest, LoadConfigReadsAFile) {
  vellum::testing::TempDir tmp;
  Config c;
  c.origin = "o";
  c.checkpoint_every_events = 3;
  vellum::testing::WriteFileOrDie(tmp.Sub("vellum.toml"), FormatConfig(c));
  ASSERT_OK_AND_ASSIGN(Config d, LoadConfig(core::Env::Default(), tmp.Sub("vellum.toml")));
  ExpectSame(d, c);
  EXPECT_THAT(LoadConfig(core::Env::Default(), tmp.Sub("missing.toml")),
              StatusIs(StatusCode::kNotFound, ::testing::_));
}

}  // namespace
}  // namespace vellum::app
