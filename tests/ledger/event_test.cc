// The event envelope (docs/formats/event.md): EncodeEvent writes every field
// (AT-2) in RFC 8785 form, and DecodeEvent accepts exactly those bytes and
// nothing else, so any edit of a stored line is detected (AT-4).
#include "ledger/event.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cctype>
#include <limits>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "core/sha256.h"
#include "ledger/merkle.h"
#include "testing/status_matchers.h"

namespace vellum::ledger {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

// An event with every optional part filled.
Event FullEvent() {
  Event e;
  e.seq = 42;
  e.id = "0123456789abcdef0123456789abcdef";
  e.ts = 1'795'611'662'123'456;  // 2026-11-25T13:01:02.123456Z
  e.type = "record.modified";
  e.actor.id = "u-7";
  e.actor.name = "Dr. A. Rivera";
  e.actor.session = "s-1";
  e.actor.client = "10.0.0.4";
  e.actor.source = json::object{{"system", "labeler"}, {"version", "2.1.0"}};
  e.record = RecordRef{"annotation", "a-19", 3, core::Sha256("content")};
  e.changes = json::array{json::object{{"path", "/label"}, {"old", "nodule"}, {"new", "mass"}}};
  e.reason = "re-read at 2 mm";
  e.guideline = "g-chest-ct@4";
  e.data = json::object{{"note", "ünïcode ✓"}, {"n", 1.5}};
  e.prev = core::Sha256("previous");
  return e;
}

// An event with every optional part empty (the genesis event has no prev).
Event MinimalEvent() {
  Event e;
  e.seq = 0;
  e.id = "ffffffffffffffffffffffffffffffff";
  e.ts = 0;
  e.type = "ledger.genesis";
  e.actor.id = "system";
  e.actor.name = "Vellum";
  return e;
}

void ExpectSameEvent(const Event& a, const Event& b) {
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.ts, b.ts);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.actor.id, b.actor.id);
  EXPECT_EQ(a.actor.name, b.actor.name);
  EXPECT_EQ(a.actor.session, b.actor.session);
  EXPECT_EQ(a.actor.client, b.actor.client);
  EXPECT_EQ(a.actor.source, b.actor.source);
  ASSERT_EQ(a.record.has_value(), b.record.has_value());
  if (a.record) {
    EXPECT_EQ(a.record->type, b.record->type);
    EXPECT_EQ(a.record->id, b.record->id);
    EXPECT_EQ(a.record->version, b.record->version);
    EXPECT_EQ(a.record->content_hash, b.record->content_hash);
  }
  EXPECT_EQ(a.changes, b.changes);
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.guideline, b.guideline);
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(a.prev, b.prev);
}

json::object ParsedLine(const std::string& line) {
  auto v = core::ParseJson(line);
  EXPECT_TRUE(v.ok() && v->is_object());
  return v.ok() && v->is_object() ? v->get_object() : json::object();
}

// Canonical text of `o` (as an attacker with a JCS library would write it).
std::string Canon(const json::object& o) {
  auto c = core::CanonicalJson(o);
  EXPECT_TRUE(c.ok());
  return c.ok() ? *c : "";
}

TEST(EventTest, RoundTrip) {
  for (const Event& e : {FullEvent(), MinimalEvent()}) {
    ASSERT_OK_AND_ASSIGN(std::string line, EncodeEvent(e));
    EXPECT_EQ(line.find('\n'), std::string::npos);
    ASSERT_OK_AND_ASSIGN(Event back, DecodeEvent(line));
    ExpectSameEvent(e, back);
    ASSERT_OK_AND_ASSIGN(std::string again, EncodeEvent(back));
    EXPECT_EQ(again, line);
    // The line is its own RFC 8785 form.
    ASSERT_OK_AND_ASSIGN(std::string canonical, core::CanonicalizeJsonText(line));
    EXPECT_EQ(canonical, line);
  }
}

TEST(EventTest, EncodingIsTheDocumentedForm) {
  ASSERT_OK_AND_ASSIGN(std::string line, EncodeEvent(FullEvent()));
  EXPECT_EQ(line,
            R"({"actor":"u-7","actor_name":"Dr. A. Rivera",)"
            R"("changes":[{"new":"mass","old":"nodule","path":"/label"}],"client":"10.0.0.4",)"
            R"("data":{"n":1.5,"note":"ünïcode ✓"},"guideline":"g-chest-ct@4",)"
            R"("id":"0123456789abcdef0123456789abcdef",)"
            R"("prev":")" +
                core::HashToTagged(core::Sha256("previous")) +
                R"(",)"
                R"("reason":"re-read at 2 mm",)"
                R"("record":{"hash":")" +
                core::HashToTagged(core::Sha256("content")) +
                R"(","id":"a-19","type":"annotation","version":3},)"
                R"("seq":42,"session":"s-1","source":{"system":"labeler","version":"2.1.0"},)"
                R"("ts":"2026-11-25T13:01:02.123456Z","type":"record.modified"})");
}

TEST(EventTest, EveryEnvelopeFieldIsPresent) {
  // AT-2: sequence, id, server time (µs), actor and printed name, session,
  // client, source, action, record type/id/version, changes, reason, guideline,
  // previous hash — present in every line, null where it does not apply.
  const std::vector<std::string> keys = {"actor",     "actor_name", "changes", "client", "data",
                                         "guideline", "id",         "prev",    "reason", "record",
                                         "seq",       "session",    "source",  "ts",     "type"};
  for (const Event& e : {FullEvent(), MinimalEvent()}) {
    ASSERT_OK_AND_ASSIGN(std::string line, EncodeEvent(e));
    json::object o = ParsedLine(line);
    EXPECT_EQ(o.size(), keys.size()) << line;
    for (const auto& k : keys) EXPECT_TRUE(o.contains(k)) << k << " missing from " << line;
  }
  ASSERT_OK_AND_ASSIGN(std::string minimal, EncodeEvent(MinimalEvent()));
  json::object m = ParsedLine(minimal);
  for (const char* k : {"client", "guideline", "prev", "reason", "record", "session", "source"}) {
    EXPECT_TRUE(m.at(k).is_null()) << k;
  }
  EXPECT_TRUE(m.at("changes").is_array());
  EXPECT_TRUE(m.at("data").is_object());
  // Timestamps always carry microseconds, in UTC.
  EXPECT_EQ(m.at("ts").as_string(), "1970-01-01T00:00:00.000000Z");

  ASSERT_OK_AND_ASSIGN(std::string full, EncodeEvent(FullEvent()));
  json::object f = ParsedLine(full);
  const json::object& record = f.at("record").as_object();
  EXPECT_EQ(record.size(), 4u);
  for (const char* k : {"type", "id", "version", "hash"}) EXPECT_TRUE(record.contains(k)) << k;
  // A tombstone's record has a null hash, still present.
  Event tomb = FullEvent();
  tomb.record->content_hash.reset();
  ASSERT_OK_AND_ASSIGN(std::string tline, EncodeEvent(tomb));
  EXPECT_TRUE(ParsedLine(tline).at("record").as_object().at("hash").is_null());
  ASSERT_OK_AND_ASSIGN(Event tback, DecodeEvent(tline));
  EXPECT_FALSE(tback.record->content_hash.has_value());
}

TEST(EventTest, EncodeRefusesInvalidUtf8AndNonFiniteNumbers) {
  Event e = FullEvent();
  e.reason = "bad \xff";
  EXPECT_THAT(EncodeEvent(e), StatusIs(StatusCode::kInvalidArgument, HasSubstr("reason")));
  e = FullEvent();
  e.actor.name = "\xc3";
  EXPECT_THAT(EncodeEvent(e), StatusIs(StatusCode::kInvalidArgument, HasSubstr("actor_name")));
  e = FullEvent();
  e.record->id = "\x80";
  EXPECT_THAT(EncodeEvent(e), StatusIs(StatusCode::kInvalidArgument, HasSubstr("record.id")));
  e = FullEvent();
  e.data["x"] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(EncodeEvent(e), StatusIs(StatusCode::kInvalidArgument, ::testing::_));
}

// The sequencer encodes a call's actor once (EncodedActor) and each of its
// events with it: the lines are byte for byte those of EncodeEvent, for
// actors with and without their optional parts (AT-2), and an actor that
// cannot be encoded is refused with the same error.
TEST(EventTest, EncodingWithAnEncodedActorWritesTheSameLine) {
  std::vector<Actor> actors;
  actors.push_back(FullEvent().actor);
  actors.push_back(MinimalEvent().actor);
  Actor escaped;
  escaped.id = "u-\"quoted\"";
  escaped.name = "Zoë \u00e9 \t tab \\ slash";
  escaped.client = "";
  escaped.source = json::object{{"z", 1}, {"a", json::array{"\u2028", nullptr}}};
  actors.push_back(escaped);
  for (const Actor& actor : actors) {
    ASSERT_OK_AND_ASSIGN(EncodedActor encoded, EncodedActor::Encode(actor));
    for (Event e : {FullEvent(), MinimalEvent()}) {
      e.actor = actor;
      ASSERT_OK_AND_ASSIGN(std::string plain, EncodeEvent(e));
      ASSERT_OK_AND_ASSIGN(std::string shared, EncodeEvent(e, encoded));
      EXPECT_EQ(shared, plain);
      ASSERT_OK_AND_ASSIGN(Event back, DecodeEvent(shared));
      ExpectSameEvent(back, e);
    }
  }
  Actor bad;
  bad.id = "u-1";
  bad.name = "ok";
  bad.session = "\xff";
  Event e = MinimalEvent();
  e.actor = bad;
  EXPECT_THAT(EncodedActor::Encode(bad), StatusIs(StatusCode::kInvalidArgument, HasSubstr("session")));
  EXPECT_THAT(EncodeEvent(e), StatusIs(StatusCode::kInvalidArgument, HasSubstr("session")));
}

// seq and record.version are written as integers directly; the form must stay
// the ECMAScript form of the double, as for every other number (RFC 8785).
TEST(EventTest, IntegersAreWrittenAsTheirCanonicalNumbers) {
  const uint64_t kCases[] = {0, 1, 9, 10, 42, 999999, 1000000, (uint64_t{1} << 53) - 1, uint64_t{1} << 53,
                             (uint64_t{1} << 53) + 1, uint64_t{1} << 60, std::numeric_limits<uint64_t>::max()};
  for (uint64_t n : kCases) {
    Event e = FullEvent();
    e.seq = n;
    e.record->version = n;
    ASSERT_OK_AND_ASSIGN(std::string line, EncodeEvent(e));
    const std::string want = core::FormatJsonNumber(static_cast<double>(n));
    EXPECT_THAT(line, HasSubstr("\"seq\":" + want + ",")) << n;
    EXPECT_THAT(line, HasSubstr("\"version\":" + want + "}")) << n;
  }
}

// A decider's single draft is moved into the result, not copied.
TEST(EventTest, OneDraftKeepsTheDraft) {
  EventDraft d;
  d.type = "record.created";
  d.changes = json::array{json::object{{"path", "/a"}, {"new", 1}}};
  d.data = json::object{{"k", "v"}};
  std::vector<EventDraft> v = OneDraft(std::move(d));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].type, "record.created");
  EXPECT_EQ(v[0].changes.size(), 1u);
  EXPECT_EQ(v[0].data.at("k").as_string(), "v");
}

TEST(EventTest, LeafHashIsRfc9162) {
  ASSERT_OK_AND_ASSIGN(std::string line, EncodeEvent(FullEvent()));
  EXPECT_EQ(EventLeafHash(line), core::Sha256(std::string(1, '\0') + line));
  EXPECT_EQ(EventLeafHash(line), LeafHash(line));
}

TEST(EventDecodeTest, RejectsMissingFields) {
  ASSERT_OK_AND_ASSIGN(std::string line, EncodeEvent(FullEvent()));
  for (const char* k : {"actor", "actor_name", "changes", "client", "data", "guideline", "id",
                        "prev", "reason", "record", "seq", "session", "source", "ts", "type"}) {
    json::object o = ParsedLine(line);
    o.erase(k);
    EXPECT_THAT(DecodeEvent(Canon(o)),
                StatusIs(StatusCode::kDataLoss, HasSubstr(std::string("\"") + k + "\" is missing")))
        << k;
  }
  for (const char* k : {"type", "id", "version", "hash"}) {
    json::object o = ParsedLine(line);
    o.at("record").as_object().erase(k);
    EXPECT_THAT(DecodeEvent(Canon(o)), StatusIs(StatusCode::kDataLoss, HasSubstr("record"))) << k;
  }
}

TEST(EventDecodeTest, RejectsExtraFields) {
  ASSERT_OK_AND_ASSIGN(std::string line, EncodeEvent(FullEvent()));
  for (const char* k : {"zzz", "Actor", "signature", "seq "}) {
    json::object o = ParsedLine(line);
    o[k] = 1;
    EXPECT_THAT(DecodeEvent(Canon(o)), StatusIs(StatusCode::kDataLoss, HasSubstr("unknown field")))
        << k;
  }
  json::object o = ParsedLine(line);
  o.at("record").as_object()["extra"] = true;
  EXPECT_THAT(DecodeEvent(Canon(o)), StatusIs(StatusCode::kDataLoss, HasSubstr("record")));
}

TEST(EventDecodeTest, RejectsMistypedFields) {
  ASSERT_OK_AND_ASSIGN(std::string line, EncodeEvent(FullEvent()));
  struct Case {
    const char* key;
    json::value value;
  };
  const std::vector<Case> cases = {
      {"seq", "42"},
      {"seq", -1},
      {"seq", 4.5},
      {"seq", nullptr},
      {"id", 7},
      {"id", nullptr},
      {"ts", 123},
      {"ts", "yesterday"},
      {"ts", "2026-11-25T13:01:02Z"},
      {"type", nullptr},
      {"type", json::array{}},
      {"actor", 1},
      {"actor", nullptr},
      {"actor_name", false},
      {"session", 5},
      {"client", json::object{}},
      {"source", "labeler"},
      {"source", json::array{}},
      {"record", "a-19"},
      {"record", json::array{}},
      {"changes", json::object{}},
      {"changes", nullptr},
      {"reason", 1},
      {"guideline", true},
      {"data", nullptr},
      {"data", json::array{}},
      {"prev", "sha256:00"},
      {"prev", 12},
      {"prev", json::string("md5:" + std::string(64, '0'))},
  };
  for (const auto& c : cases) {
    json::object o = ParsedLine(line);
    o[c.key] = c.value;
    std::string text = Canon(o);
    EXPECT_THAT(DecodeEvent(text), StatusIs(StatusCode::kDataLoss, ::testing::_)) << text;
  }
  const std::vector<std::pair<const char*, json::value>> record_cases = {
      {"type", 1},      {"id", nullptr},        {"version", "3"}, {"version", -3},
      {"version", 1.5}, {"hash", "sha256:xyz"}, {"hash", 5},
  };
  for (const auto& [k, v] : record_cases) {
    json::object o = ParsedLine(line);
    o.at("record").as_object()[k] = v;
    std::string text = Canon(o);
    EXPECT_THAT(DecodeEvent(text), StatusIs(StatusCode::kDataLoss, ::testing::_)) << text;
  }
}

// Problems name the field, as verify reports them: a mistyped hash by its key,
// a malformed one by its place in the event; the first missing field wins over
// an unknown one.
TEST(EventDecodeTest, NamesTheFieldInEachProblem) {
  ASSERT_OK_AND_ASSIGN(std::string line, EncodeEvent(FullEvent()));
  const std::string upper = "sha256:" + std::string(64, 'A');
  {
    json::object o = ParsedLine(line);
    o["prev"] = upper;
    EXPECT_THAT(DecodeEvent(Canon(o)),
                StatusIs(StatusCode::kDataLoss,
                         HasSubstr("field \"prev\" a SHA-256 hash must be lower-case hex")));
    o["prev"] = 12;
    EXPECT_THAT(
        DecodeEvent(Canon(o)),
        StatusIs(StatusCode::kDataLoss, HasSubstr("field \"prev\" must be a string or null")));
  }
  {
    json::object o = ParsedLine(line);
    o.at("record").as_object()["hash"] = upper;
    EXPECT_THAT(DecodeEvent(Canon(o)),
                StatusIs(StatusCode::kDataLoss, HasSubstr("field \"record.hash\" a SHA-256")));
    o.at("record").as_object()["hash"] = 5;
    EXPECT_THAT(
        DecodeEvent(Canon(o)),
        StatusIs(StatusCode::kDataLoss, HasSubstr("field \"hash\" must be a string or null")));
  }
  {
    json::object o = ParsedLine(line);
    o["zzz"] = 1;
    o["aaa"] = 2;
    EXPECT_THAT(DecodeEvent(Canon(o)),
                StatusIs(StatusCode::kDataLoss, HasSubstr("unknown field \"aaa\"")));
    o.erase("session");
    o.erase("client");
    EXPECT_THAT(DecodeEvent(Canon(o)),
                StatusIs(StatusCode::kDataLoss, HasSubstr("field \"client\" is missing")));
  }
  {
    json::object o = ParsedLine(line);
    o["ts"] = 5;
    EXPECT_THAT(DecodeEvent(Canon(o)),
                StatusIs(StatusCode::kDataLoss, HasSubstr("field \"ts\" must be a string")));
  }
}

TEST(EventDecodeTest, RejectsNonCanonicalLines) {
  ASSERT_OK_AND_ASSIGN(const std::string line, EncodeEvent(FullEvent()));
  ASSERT_OK(DecodeEvent(line));
  std::vector<std::string> edits;
  // Whitespace anywhere, including a trailing newline or CR.
  edits.push_back(" " + line);
  edits.push_back(line + " ");
  edits.push_back(line + "\n");
  edits.push_back(line + "\r");
  {
    std::string s = line;
    s.insert(s.find(':') + 1, " ");
    edits.push_back(s);
  }
  {
    std::string s = line;
    s.insert(s.find(',') + 1, "\t");
    edits.push_back(s);
  }
  // The same number in another form.
  for (const char* form : {"42.0", "4.2e1", "042", "42e0"}) {
    std::string s = line;
    s.replace(s.find("\"seq\":42"), 8, std::string("\"seq\":") + form);
    edits.push_back(s);
  }
  {
    std::string s = line;
    s.replace(s.find("\"version\":3"), 11, "\"version\":3.0");
    edits.push_back(s);
  }
  {
    // "1.0" for an integer inside the free-form data.
    Event e = FullEvent();
    e.data = json::object{{"n", 1}};
    ASSERT_OK_AND_ASSIGN(std::string l, EncodeEvent(e));
    ASSERT_OK(DecodeEvent(l));
    l.replace(l.find("\"n\":1"), 5, "\"n\":1.0");
    edits.push_back(l);
  }
  // A character escaped that JCS writes literally, and the reverse.
  {
    std::string s = line;
    s.replace(s.find("Rivera"), 1, "\\u0052");
    edits.push_back(s);
  }
  {
    std::string s = line;
    s.replace(s.find("ü"), std::string("ü").size(), "\\u00fc");
    edits.push_back(s);
  }
  {
    std::string s = line;
    s.replace(s.find("/label"), 1, "\\/");
    edits.push_back(s);
  }
  // Keys out of order (a valid JSON object with the same members).
  {
    std::string s = line;
    size_t a = s.find("\"actor\":\"u-7\",");
    std::string first = s.substr(a, std::string("\"actor\":\"u-7\",").size());
    s.erase(a, first.size());
    s.insert(s.rfind("\"type\""), first);
    edits.push_back(s);
  }
  {
    std::string s = line;
    s.replace(s.find("\"new\":\"mass\",\"old\":\"nodule\""), 27,
              "\"old\":\"nodule\",\"new\":\"mass\"");
    edits.push_back(s);
  }
  // Upper-case hex in the hash; a timestamp with another (equal) spelling.
  {
    std::string s = line;
    size_t p = s.find("\"prev\":\"sha256:") + 15;
    for (size_t i = p; i < p + 64; ++i) s[i] = static_cast<char>(std::toupper(s[i]));
    if (s != line) edits.push_back(s);
  }
  {
    std::string s = line;
    s.replace(s.find("13:01:02.123456Z"), 16, "13:01:02.123456+00:00");
    edits.push_back(s);
  }
  for (const auto& s : edits) {
    ASSERT_NE(s, line);
    EXPECT_THAT(DecodeEvent(s), StatusIs(StatusCode::kDataLoss, ::testing::_)) << s;
  }
}

// DecodeEvent checks canonical form from the text instead of re-encoding: it
// must accept a line exactly when EncodeEvent writes that line back. Every
// one-byte edit of a line (and a few longer ones) is tried.
TEST(EventDecodeTest, AcceptsExactlyWhatEncodeEventWrites) {
  Event full = FullEvent();
  full.data = json::object{{"n", 1}, {"x", 0.5}, {"s", "tab\there"}, {"big", 9007199254740993.0}};
  ASSERT_OK_AND_ASSIGN(const std::string line, EncodeEvent(full));
  ASSERT_OK(DecodeEvent(line));
  const std::vector<std::string> inserts = {" ",       "0", "1",  ".0", "e0", "-", "\\u0041",
                                            "\\u0009", "Z", "\\", "\"", ",",  "5", "a"};
  int accepted = 0, tried = 0;
  for (size_t at = 0; at <= line.size(); ++at) {
    std::vector<std::string> edits;
    for (const auto& ins : inserts) edits.push_back(line.substr(0, at) + ins + line.substr(at));
    if (at < line.size()) {
      edits.push_back(line.substr(0, at) + line.substr(at + 1));
      for (const auto& ins : inserts)
        edits.push_back(line.substr(0, at) + ins + line.substr(at + 1));
    }
    for (const auto& s : edits) {
      ++tried;
      auto d = DecodeEvent(s);
      // The envelope-only and replay decodes accept and refuse the same lines, for the
      // same reasons (AT-4: verify reads every line with one of them).
      auto envelope = DecodeEventEnvelope(s);
      auto replay = DecodeEventForReplay(s);
      ASSERT_EQ(envelope.ok(), d.ok()) << s;
      ASSERT_EQ(replay.ok(), d.ok()) << s;
      if (!d.ok()) {
        EXPECT_EQ(envelope.status().message(), d.status().message()) << s;
        EXPECT_EQ(replay.status().message(), d.status().message()) << s;
        continue;
      }
      ++accepted;
      // The replay decode keeps the changes as their canonical text instead of a value.
      if (replay->changes_text) {
        EXPECT_TRUE(replay->changes.empty());
        ASSERT_OK_AND_ASSIGN(std::string changes, core::CanonicalJson(d->changes));
        EXPECT_EQ(*replay->changes_text, changes);
      } else {
        EXPECT_EQ(replay->changes, d->changes);
      }
      EXPECT_EQ(replay->data, d->data);
      ASSERT_OK_AND_ASSIGN(std::string from_replay, EncodeEvent(*replay));
      EXPECT_EQ(from_replay, s);
      ASSERT_OK_AND_ASSIGN(std::string again, EncodeEvent(*d));
      EXPECT_EQ(again, s);
      EXPECT_TRUE(envelope->changes.empty() && envelope->data.empty());
      envelope->changes = d->changes;
      envelope->data = d->data;
      ASSERT_OK_AND_ASSIGN(again, EncodeEvent(*envelope));
      EXPECT_EQ(again, s);
    }
  }
  // Edits inside strings keep a line canonical; most others do not.
  EXPECT_GT(accepted, 100);
  EXPECT_GT(tried - accepted, 1000);
  // Times: only the six-digit UTC form is what EncodeEvent writes.
  for (const char* ts : {"13:01:02.123456Z", "13:01:02.1234560Z", "13:01:02.123456+00:00",
                         "13:01:02Z", "13:01:02.123Z"}) {
    std::string s = line;
    s.replace(s.find("13:01:02.123456Z"), 16, ts);
    auto d = DecodeEvent(s);
    if (d.ok()) {
      ASSERT_OK_AND_ASSIGN(std::string again, EncodeEvent(*d));
      EXPECT_EQ(again, s) << ts;
    }
    EXPECT_EQ(d.ok(), s == line) << ts;
  }
}

// Verify decodes line after line into one Event (AT-4): what the previous
// line left in it must not show through, whichever optional parts either has.
TEST(EventDecodeTest, DecodingIntoAReusedEventReplacesEveryField) {
  Event full = FullEvent();
  full.content = std::make_shared<std::string>("{}");
  Event no_record = FullEvent();
  no_record.record.reset();
  Event tombstone = FullEvent();
  tombstone.record->content_hash.reset();
  const std::vector<Event> events = {full, MinimalEvent(), no_record, tombstone, FullEvent()};
  for (auto decode : {+[](std::string_view l, Event* e) { return DecodeEventForReplay(l, e); },
                      +[](std::string_view l, Event* e) { return DecodeEventEnvelope(l, e); }}) {
    Event reused = full;
    for (const Event& e : events) {
      ASSERT_OK_AND_ASSIGN(const std::string line, EncodeEvent(e));
      ASSERT_OK(decode(line, &reused));
      Event fresh;
      ASSERT_OK(decode(line, &fresh));
      ExpectSameEvent(fresh, reused);
      EXPECT_EQ(reused.content, nullptr);
      ASSERT_EQ(reused.changes_text != nullptr, fresh.changes_text != nullptr);
      if (fresh.changes_text) {
        EXPECT_EQ(*reused.changes_text, *fresh.changes_text);
      }
      ASSERT_OK_AND_ASSIGN(Event returned, DecodeEvent(line));
      ExpectSameEvent(e, returned);
    }
  }
}

TEST(EventDecodeTest, RejectsNonObjectsAndBrokenJson) {
  for (const char* text :
       {"", "null", "[]", "42", "\"event\"", "{", "{\"seq\":1,}", "{\"a\":1,\"a\":1}", "\xff"}) {
    EXPECT_THAT(DecodeEvent(text), StatusIs(StatusCode::kDataLoss, ::testing::_)) << text;
  }
  // Duplicate keys are never silently resolved.
  ASSERT_OK_AND_ASSIGN(std::string line, EncodeEvent(FullEvent()));
  std::string dup = line;
  dup.insert(1, "\"actor\":\"u-8\",");
  EXPECT_THAT(DecodeEvent(dup), StatusIs(StatusCode::kDataLoss, HasSubstr("duplicate")));
}

TEST(EventDecodeTest, DeeplyNestedDataRoundTrips) {
  // Whatever EncodeEvent writes must decode again, or verify cannot read the ledger.
  Event e = FullEvent();
  json::value deep = 1;
  for (int i = 0; i < 70; ++i) deep = json::array{deep};
  e.changes = json::array{json::object{{"path", "/a"}, {"new", deep}}};
  ASSERT_OK_AND_ASSIGN(std::string line, EncodeEvent(e));
  ASSERT_OK_AND_ASSIGN(Event back, DecodeEvent(line));
  EXPECT_EQ(back.changes, e.changes);
}

TEST(ValidateIdTest, AcceptsSafeIds) {
  for (const std::string& id :
       std::vector<std::string>{"a", "Z", "0", "u-7", "a.b_c:d@e-f", "g-chest-ct@4"}) {
    EXPECT_OK(ValidateId("record id", id)) << id;
  }
  EXPECT_OK(ValidateId("record id", std::string(128, 'x')));
  EXPECT_OK(ValidateId("record id", "a-"));  // punctuation is fine after the first character
}

TEST(ValidateIdTest, RejectsUnsafeIds) {
  const std::vector<std::string> bad = {
      "",
      std::string(129, 'x'),
      "../etc/passwd",
      "a/b",
      "a\\b",
      "a b",
      " a",
      "a\t",
      "a;DROP TABLE x",
      "a'b",
      "a\"b",
      "a,b",
      "a*",
      "a%20",
      "ü",
      "a\xff",
      std::string("a\0", 2),
      ".a",
      "-a",
      "_a",
      ":a",
      "@a",
      "a\n",
      "<a>",
      "a?b",
      "a#b",
      "a=b",
      "$(x)",
      "`x`",
      "a|b",
      "a&b",
  };
  for (const auto& id : bad) {
    auto s = ValidateId("record id", id);
    EXPECT_THAT(s, StatusIs(StatusCode::kInvalidArgument, HasSubstr("record id"))) << id;
  }
  // The message shows the offending byte, escaped when not printable, never raw.
  EXPECT_THAT(ValidateId("actor", "ab\x01"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("byte 0x01 at position 2")));
  EXPECT_THAT(ValidateId("actor", "a b"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("' ' at position 1")));
  EXPECT_THAT(ValidateId("actor", ""), StatusIs(StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(ValidateId("actor", std::string(129, 'a')),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("128")));
}

}  // namespace
}  // namespace vellum::ledger
