// Versioned records (RV-1) and their audit content (AT-2, AT-3): command
// validation, decisions against the projection, and RecordsProjector folding
// events into record-version rows. The harness plays the ledger's part with a
// real SqliteProjectionStore: decide → envelope → encode/decode → apply → commit.
#include "records/records.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <limits>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/sha256.h"
#include "ledger/event.h"
#include "storage/embedded/sqlite_projection.h"
#include "testing/json_testing.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::records {
namespace {

namespace json = boost::json;
using ledger::Event;
using ledger::EventDraft;
using ::testing::HasSubstr;
using vellum::testing::Canonical;
using vellum::testing::JsonObject;
using vellum::testing::TempDir;

// Plays the ledger: runs deciders against a real projection and applies the
// resulting events through the projector, one event per transaction.
class Harness {
 public:
  Harness() {
    auto s = storage::SqliteProjectionStore::Open(tmp_.Sub("records.db"), true);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (s.ok()) store_ = std::move(*s);
  }

  storage::SqliteProjectionStore& store() { return *store_; }
  uint64_t size() const { return next_seq_; }

  // Envelope for a draft, as the ledger adds it.
  Event Envelope(EventDraft d) {
    Event e;
    e.seq = next_seq_;
    e.id = fmt::format("{:032x}", next_seq_ + 1);
    e.ts = ts_ + static_cast<int64_t>(next_seq_);
    e.type = std::move(d.type);
    e.actor.id = "u-1";
    e.actor.name = "Dr. Test";
    e.record = std::move(d.record);
    e.changes = std::move(d.changes);
    e.changes_text = std::move(d.changes_text);  // a create's changes are text only
    e.reason = std::move(d.reason);
    e.guideline = std::move(d.guideline);
    e.data = std::move(d.data);
    e.prev = prev_;
    return e;
  }

  // Decides and applies one command; returns its (stored form of the) event.
  StatusOr<Event> Run(StatusOr<ledger::Decider> decider) {
    RETURN_IF_ERROR(decider.status());
    ASSIGN_OR_RETURN(auto txn, store_->BeginWrite());
    ASSIGN_OR_RETURN(std::vector<EventDraft> drafts, (*decider)(*txn));
    if (drafts.size() != 1) return InternalError("a record command must decide exactly one event");
    txn.reset();
    return Apply(Envelope(std::move(drafts.front())));
  }

  // Encodes, decodes (as every reader of the ledger does) and applies one event.
  // Replays (recovery, verify) decode with DecodeEventForReplay, which leaves
  // the changes as text: applied that way first and rolled back, the event must
  // be accepted or refused alike and make the very same row (AT-4: a replay
  // reproduces the projection).
  StatusOr<Event> Apply(const Event& e) {
    ASSIGN_OR_RETURN(std::string line, ledger::EncodeEvent(e));
    ASSIGN_OR_RETURN(Event stored, ledger::DecodeEvent(line));
    ASSIGN_OR_RETURN(Event replayed, ledger::DecodeEventForReplay(line));
    EXPECT_TRUE(replayed.changes.empty());
    EXPECT_TRUE(replayed.changes_text && *replayed.changes_text == Canonical(stored.changes));
    std::optional<storage::RecordVersionRow> replayed_row;
    Status replayed_status;
    {
      ASSIGN_OR_RETURN(auto txn, store_->BeginWrite());
      replayed_status = projector_.Apply(replayed, *txn);
      if (replayed_status.ok() && e.record) {
        ASSIGN_OR_RETURN(replayed_row, txn->LatestVersion(e.record->type, e.record->id));
      }
    }  // rolled back
    ASSIGN_OR_RETURN(auto txn, store_->BeginWrite());
    Status status = projector_.Apply(stored, *txn);
    EXPECT_EQ(status.code(), replayed_status.code()) << status.ToString() << " / " << replayed_status.ToString();
    EXPECT_EQ(status.message(), replayed_status.message());
    RETURN_IF_ERROR(status);
    if (e.record) {
      ASSIGN_OR_RETURN(auto row, txn->LatestVersion(e.record->type, e.record->id));
      EXPECT_EQ(row, replayed_row);
    }
    RETURN_IF_ERROR(txn->Commit(next_seq_ + 1));
    ++next_seq_;
    prev_ = ledger::EventLeafHash(line);
    return stored;
  }

  StatusOr<std::optional<storage::RecordVersionRow>> Latest(const std::string& type,
                                                            const std::string& id) {
    ASSIGN_OR_RETURN(auto r, store_->BeginRead(true));
    return r->LatestVersion(type, id);
  }

 private:
  TempDir tmp_;
  std::unique_ptr<storage::SqliteProjectionStore> store_;
  RecordsProjector projector_;
  uint64_t next_seq_ = 0;
  int64_t ts_ = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z
  std::optional<core::Hash> prev_;
};

CreateRecord Create(std::string id, std::string_view content,
                    std::optional<std::string> reason = std::nullopt) {
  return CreateRecord{"annotation", std::move(id), JsonObject(content), std::move(reason),
                      std::nullopt};
}
ModifyRecord Modify(std::string id, std::string_view content, std::string reason = "re-read",
                    std::optional<uint64_t> expected = std::nullopt) {
  return ModifyRecord{"annotation",      std::move(id), JsonObject(content),
                      std::move(reason), expected,      std::nullopt};
}
DeleteRecord Delete(std::string id, std::string reason = "entered in error",
                    std::optional<uint64_t> expected = std::nullopt) {
  return DeleteRecord{"annotation", std::move(id), std::move(reason), expected};
}

// ---- validation: checked when the command is made, before the sequencer ----

TEST(RecordsValidationTest, IdsAreRestricted) {
  // Ids end up in file names, URLs, SQL and logs: injection and traversal are refused.
  const std::string bad_ids[] = {
      "",
      "../x",
      "a/b",
      "a b",
      "a;DROP TABLE records",
      "a'--",
      "x\"y",
      "ünï",
      "日本",
      "a\nb",
      std::string("a\0b", 3),
      ".hidden",
      "-flag",
      "@x",
      std::string(129, 'a'),
      "a%2e",
      "a\\b",
      "<script>",
  };
  for (const auto& id : bad_ids) {
    SCOPED_TRACE("id \"" + id + "\"");
    EXPECT_THAT(DecideCreate(Create(id, "{}")),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("record id")));
    EXPECT_THAT(DecideModify(Modify(id, R"({"a":1})")),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("record id")));
    EXPECT_THAT(DecideDelete(Delete(id)),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("record id")));
    CreateRecord bad_type = Create("ok", "{}");
    bad_type.type = id;
    EXPECT_THAT(DecideCreate(bad_type),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("record type")));
  }
  for (const std::string& id :
       std::vector<std::string>{"a", "A-1", "x.y_z:w@v-u", "0", std::string(128, 'z')}) {
    EXPECT_OK(DecideCreate(Create(id, "{}"))) << id;
  }
}

TEST(RecordsValidationTest, ReasonIsRequiredAfterFirstEntry) {
  // AT-2: a reason for every change after first entry and for every delete.
  for (const std::string blank : {"", " ", "\t\r\n  "}) {
    EXPECT_THAT(DecideModify(Modify("a-1", R"({"a":1})", blank)),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("reason")));
    EXPECT_THAT(DecideDelete(Delete("a-1", blank)),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("reason")));
    EXPECT_OK(DecideCreate(Create("a-1", "{}", blank)));  // optional at first entry
  }
  EXPECT_OK(DecideCreate(Create("a-1", "{}")));
}

TEST(RecordsValidationTest, ReasonLengthAndEncoding) {
  const std::string longest(kMaxReasonBytes, 'r');
  EXPECT_OK(DecideModify(Modify("a-1", "{}", longest)));
  EXPECT_OK(DecideDelete(Delete("a-1", longest)));
  const std::string too_long = longest + "r";
  EXPECT_THAT(DecideModify(Modify("a-1", "{}", too_long)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("reason")));
  EXPECT_THAT(DecideDelete(Delete("a-1", too_long)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("reason")));
  EXPECT_THAT(DecideCreate(Create("a-1", "{}", too_long)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("reason")));
  // Multi-byte characters count in bytes.
  std::string umlauts;
  for (size_t i = 0; i < kMaxReasonBytes / 2 + 1; ++i) umlauts += "ü";
  EXPECT_THAT(DecideModify(Modify("a-1", "{}", umlauts)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("longer")));
  for (const std::string bad :
       {"bad \xff byte", "\xc3", "\xed\xa0\x80 surrogate", "\xc0\xaf overlong"}) {
    EXPECT_THAT(DecideModify(Modify("a-1", "{}", bad)),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
    EXPECT_THAT(DecideDelete(Delete("a-1", bad)),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
    EXPECT_THAT(DecideCreate(Create("a-1", "{}", bad)),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
  }
  EXPECT_OK(DecideModify(Modify("a-1", "{}", "Befund überprüft — 再読")));
}

TEST(RecordsValidationTest, GuidelineIsAnId) {
  CreateRecord c = Create("a-1", "{}");
  c.guideline = "g-chest-ct@4";
  EXPECT_OK(DecideCreate(c));
  c.guideline = "../g";
  EXPECT_THAT(DecideCreate(c), StatusIs(StatusCode::kInvalidArgument, HasSubstr("guideline")));
  ModifyRecord m = Modify("a-1", "{}");
  m.guideline = "";
  EXPECT_THAT(DecideModify(m), StatusIs(StatusCode::kInvalidArgument, HasSubstr("guideline")));
}

TEST(RecordsValidationTest, ContentThatCannotBeCanonicalIsRefused) {
  CreateRecord c = Create("a-1", "{}");
  c.content["x"] = std::numeric_limits<double>::infinity();
  EXPECT_THAT(DecideCreate(c), StatusIs(StatusCode::kInvalidArgument, ::testing::_));
  ModifyRecord m = Modify("a-1", "{}");
  m.content["bad\xff"] = 1;
  EXPECT_THAT(DecideModify(m), StatusIs(StatusCode::kInvalidArgument, ::testing::_));
}

TEST(RecordsValidationTest, ContentNestedTooDeeplyIsRefused) {
  // Every stored event must decode again; content nested beyond the JSON
  // input limit would make an event that verify and history cannot read.
  // As deep as JSON input may be (64 containers, the content object included) is fine.
  std::string text;
  for (int i = 0; i < 63; ++i) text += "{\"n\":";
  text += "[1]";
  text += std::string(63, '}');
  ASSERT_OK_AND_ASSIGN(json::value parsed, core::ParseJson(text));
  EXPECT_OK(DecideCreate(Create("a-1", text)));
  EXPECT_FALSE(core::ParseJson("[" + text + "]").ok())
      << "one more level is beyond the input limit";
  CreateRecord one_more = Create("a-1", "{}");
  one_more.content["n"] = parsed;
  EXPECT_THAT(DecideCreate(one_more),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("nested deeper than 64")));

  json::value deep = 1;
  for (int i = 0; i < 200; ++i) deep = json::object{{"n", deep}};
  CreateRecord c = Create("a-1", "{}");
  c.content["deep"] = deep;
  EXPECT_THAT(DecideCreate(c), StatusIs(StatusCode::kInvalidArgument, HasSubstr("content")));
  ModifyRecord m = Modify("a-1", "{}");
  m.content["deep"] = deep;
  EXPECT_THAT(DecideModify(m), StatusIs(StatusCode::kInvalidArgument, HasSubstr("content")));
}

// ---- decisions and projection (RV-1, AT-3) ----

TEST(RecordsTest, CreateModifyDeleteMakeVersions) {
  Harness h;
  ASSERT_OK_AND_ASSIGN(Event c,
                       h.Run(DecideCreate(Create("a-1", R"({"label":"nodule","size":3})"))));
  EXPECT_EQ(c.type, kCreated);
  ASSERT_TRUE(c.record.has_value());
  EXPECT_EQ(c.record->version, 1u);
  EXPECT_EQ(Canonical(c.changes), R"([{"new":"nodule","path":"/label"},{"new":3,"path":"/size"}])");
  EXPECT_FALSE(c.reason.has_value());  // none given at first entry

  ASSERT_OK_AND_ASSIGN(
      Event m,
      h.Run(DecideModify(Modify("a-1", R"({"label":"mass","size":3})", "re-read at 2 mm"))));
  EXPECT_EQ(m.type, kModified);
  EXPECT_EQ(m.record->version, 2u);
  EXPECT_EQ(Canonical(m.changes), R"([{"new":"mass","old":"nodule","path":"/label"}])");
  EXPECT_EQ(m.reason, "re-read at 2 mm");

  ASSERT_OK_AND_ASSIGN(Event d, h.Run(DecideDelete(Delete("a-1", "wrong patient"))));
  EXPECT_EQ(d.type, kDeleted);
  EXPECT_EQ(d.record->version, 3u);
  EXPECT_FALSE(d.record->content_hash.has_value());
  EXPECT_TRUE(d.changes.empty());
  EXPECT_EQ(d.reason, "wrong patient");

  // Every version stays retrievable with its content hash (AT-3, RV-1).
  ASSERT_OK_AND_ASSIGN(auto history, h.store().History("annotation", "a-1"));
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0].content, R"({"label":"nodule","size":3})");
  EXPECT_EQ(history[0].content_hash, core::Sha256(R"({"label":"nodule","size":3})"));
  EXPECT_EQ(history[0].content_hash, *c.record->content_hash);
  EXPECT_EQ(history[0].seq, c.seq);
  EXPECT_EQ(history[0].ts, c.ts);
  EXPECT_EQ(history[1].content, R"({"label":"mass","size":3})");
  EXPECT_EQ(history[1].content_hash, *m.record->content_hash);
  EXPECT_TRUE(history[2].deleted);
  EXPECT_EQ(history[2].content, "");
  EXPECT_EQ(history[2].seq, d.seq);
}

TEST(RecordsTest, ContentHashIsSha256OfCanonicalContent) {
  // RV-1: anyone can recompute the hash by hand from RFC 8785 text.
  Harness h;
  ASSERT_OK_AND_ASSIGN(
      Event c,
      h.Run(DecideCreate(Create("a-1", R"({"z":1.0,"a":[1e2,"é"],"m":{"y":null,"b":true}})"))));
  const std::string by_hand = R"({"a":[100,"é"],"m":{"b":true,"y":null},"z":1})";
  EXPECT_EQ(*c.record->content_hash, core::Sha256(by_hand));
  ASSERT_OK_AND_ASSIGN(auto row, h.Latest("annotation", "a-1"));
  EXPECT_EQ(row->content, by_hand);
}

TEST(RecordsTest, CreateOfExistingOrDeletedIdIsRefused) {
  Harness h;
  ASSERT_OK(h.Run(DecideCreate(Create("a-1", R"({"a":1})"))));
  EXPECT_THAT(h.Run(DecideCreate(Create("a-1", R"({"a":2})"))),
              StatusIs(StatusCode::kAlreadyExists, HasSubstr("already exists")));
  // The same id under another type is another record.
  CreateRecord other = Create("a-1", R"({"a":1})");
  other.type = "case";
  ASSERT_OK(h.Run(DecideCreate(other)));
  // Ids are never reused, not even after a delete.
  ASSERT_OK(h.Run(DecideDelete(Delete("a-1"))));
  EXPECT_THAT(h.Run(DecideCreate(Create("a-1", R"({"a":3})"))),
              StatusIs(StatusCode::kAlreadyExists, HasSubstr("deleted at version 2")));
  EXPECT_EQ(h.size(), 3u);  // the refused commands wrote nothing
}

TEST(RecordsTest, ModifyAndDeleteNeedALiveRecord) {
  Harness h;
  EXPECT_THAT(h.Run(DecideModify(Modify("a-1", R"({"a":1})"))),
              StatusIs(StatusCode::kNotFound, HasSubstr("a-1")));
  EXPECT_THAT(h.Run(DecideDelete(Delete("a-1"))),
              StatusIs(StatusCode::kNotFound, HasSubstr("a-1")));
  ASSERT_OK(h.Run(DecideCreate(Create("a-1", R"({"a":1})"))));
  ASSERT_OK(h.Run(DecideDelete(Delete("a-1"))));
  EXPECT_THAT(h.Run(DecideModify(Modify("a-1", R"({"a":2})"))),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("deleted")));
  EXPECT_THAT(h.Run(DecideDelete(Delete("a-1"))),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("deleted")));
  EXPECT_EQ(h.size(), 2u);
}

TEST(RecordsTest, ExpectedVersionGuardsAgainstLostUpdates) {
  Harness h;
  ASSERT_OK(h.Run(DecideCreate(Create("a-1", R"({"a":1})"))));
  ASSERT_OK(h.Run(DecideModify(Modify("a-1", R"({"a":2})", "fix", 1))));
  // Someone else's view of version 1 is stale now.
  EXPECT_THAT(h.Run(DecideModify(Modify("a-1", R"({"a":3})", "fix", 1))),
              StatusIs(StatusCode::kAborted, HasSubstr("at version 2, not 1")));
  EXPECT_THAT(h.Run(DecideDelete(Delete("a-1", "gone", 1))),
              StatusIs(StatusCode::kAborted, HasSubstr("not 1")));
  EXPECT_THAT(h.Run(DecideDelete(Delete("a-1", "gone", 3))),
              StatusIs(StatusCode::kAborted, ::testing::_));
  ASSERT_OK_AND_ASSIGN(Event d, h.Run(DecideDelete(Delete("a-1", "gone", 2))));
  EXPECT_EQ(d.record->version, 3u);
}

TEST(RecordsTest, ModificationThatChangesNothingIsRefused) {
  Harness h;
  ASSERT_OK(h.Run(DecideCreate(Create("a-1", R"({"a":1,"b":{"c":[1,2]}})"))));
  // Same content, even written differently (key order, 1.0 for 1).
  for (const char* same : {R"({"a":1,"b":{"c":[1,2]}})", R"({"b":{"c":[1.0,2]},"a":1.0})"}) {
    EXPECT_THAT(h.Run(DecideModify(Modify("a-1", same))),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("nothing to change")))
        << same;
  }
  EXPECT_EQ(h.size(), 1u);
}

TEST(RecordsTest, DecidersSeeTheProjectionAtDecisionTime) {
  // A decider made before the record existed still decides against the state it runs on.
  Harness h;
  ASSERT_OK_AND_ASSIGN(auto create_again, DecideCreate(Create("a-1", R"({"a":1})")));
  ASSERT_OK(h.Run(DecideCreate(Create("a-1", R"({"a":1})"))));
  EXPECT_THAT(h.Run(create_again), StatusIs(StatusCode::kAlreadyExists, ::testing::_));
}

// AT-2, AT-4: the event line and the projected row are the same whether the decider
// carried its canonical forms or the projector rebuilt them from the event.
TEST(RecordsTest, CarriedCanonicalFormsAreThoseOfTheEvent) {
  // The ledger writes a decider's pre-encoded changes and stores its canonical
  // content as they are: they must be exactly what the event says, so that
  // the line and the row equal what a replay of the decoded event makes.
  Harness h;
  ASSERT_OK(h.Run(DecideCreate(Create("a-0", R"({"label":"nodule","size":3})"))));
  const auto check = [&](StatusOr<ledger::Decider> decider) {
    ASSERT_OK(decider.status());
    ASSERT_OK_AND_ASSIGN(auto txn, h.store().BeginWrite());
    ASSERT_OK_AND_ASSIGN(std::vector<EventDraft> drafts, (*decider)(*txn));
    txn.reset();
    ASSERT_EQ(drafts.size(), 1u);
    ASSERT_TRUE(drafts[0].content != nullptr);
    ASSERT_TRUE(drafts[0].record && drafts[0].record->content_hash);
    EXPECT_EQ(core::Sha256(*drafts[0].content), *drafts[0].record->content_hash);
    Event carried = h.Envelope(drafts[0]);
    carried.content = drafts[0].content;
    carried.changes_text = drafts[0].changes_text;
    ASSERT_OK_AND_ASSIGN(std::string with, ledger::EncodeEvent(carried));
    ASSERT_OK_AND_ASSIGN(std::string without, ledger::EncodeEvent(h.Envelope(drafts[0])));
    EXPECT_EQ(with, without);
    ASSERT_OK_AND_ASSIGN(auto write, h.store().BeginWrite());
    RecordsProjector projector;
    ASSERT_OK(projector.Apply(carried, *write));
    ASSERT_OK_AND_ASSIGN(auto row, write->LatestVersion(carried.record->type, carried.record->id));
    write.reset();  // rolled back; the replay below writes the row for real
    ASSERT_OK_AND_ASSIGN(Event stored, h.Apply(h.Envelope(std::move(drafts[0]))));
    ASSERT_OK_AND_ASSIGN(auto replayed, h.Latest(stored.record->type, stored.record->id));
    EXPECT_EQ(row, replayed);
  };
  check(DecideCreate(Create("a-1", R"({"z":1.5e-7,"a":[1e21,"é\u0001"],"m":{"y":null,"b":true}})")));
  check(DecideModify(Modify("a-0", R"({"label":"mass","size":3.25,"note":"\"x\""})")));
}

// ---- the projector: accepts what the deciders make, rejects anything inconsistent ----

class ProjectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(h_.Run(DecideCreate(Create("a-1", R"({"label":"nodule","size":3})"))).status());
  }

  // A hand-made event against the current projection.
  Event Make(std::string type, uint64_t version, std::optional<std::string> content_after,
             std::string_view changes, std::optional<std::string> reason = "why") {
    EventDraft d;
    d.type = std::move(type);
    d.record = ledger::RecordRef{"annotation", "a-1", version, std::nullopt};
    if (content_after) d.record->content_hash = core::Sha256(*content_after);
    auto c = core::ParseJson(changes);
    EXPECT_TRUE(c.ok() && c->is_array());
    if (c.ok() && c->is_array()) d.changes = c->get_array();
    d.reason = std::move(reason);
    return h_.Envelope(std::move(d));
  }

  void ExpectRejected(const Event& e, std::string_view why) {
    const uint64_t before = h_.size();
    EXPECT_THAT(h_.Apply(e), StatusIs(StatusCode::kDataLoss, HasSubstr(std::string(why))));
    EXPECT_EQ(h_.size(), before);
    auto latest = h_.Latest("annotation", "a-1");
    ASSERT_OK(latest.status());
    ASSERT_TRUE(latest->has_value());
    EXPECT_EQ((*latest)->version, current_version_) << "a rejected event must change nothing";
  }

  Harness h_;
  uint64_t current_version_ = 1;
};

TEST_F(ProjectorTest, AcceptsConsistentEvents) {
  ASSERT_OK(h_.Apply(Make(kModified, 2, R"({"label":"mass","size":3})",
                          R"([{"path":"/label","old":"nodule","new":"mass"}])")));
  ASSERT_OK(h_.Apply(Make(kDeleted, 3, std::nullopt, "[]")));
  ASSERT_OK_AND_ASSIGN(auto latest, h_.Latest("annotation", "a-1"));
  EXPECT_TRUE(latest->deleted);
  EXPECT_EQ(latest->version, 3u);
  // Events of other modules are not the records projector's business.
  EventDraft other;
  other.type = "checkpoint.made";
  ASSERT_OK(h_.Apply(h_.Envelope(std::move(other))));
}

TEST_F(ProjectorTest, RejectsCreateOfExistingRecord) {
  ExpectRejected(Make(kCreated, 1, R"({"label":"x"})", R"([{"path":"/label","new":"x"}])"),
                 "already exists");
}

TEST_F(ProjectorTest, RejectsCreateNotAtVersionOne) {
  Event e = Make(kCreated, 2, R"({"a":1})", R"([{"path":"/a","new":1}])");
  e.record->id = "a-2";
  EXPECT_THAT(h_.Apply(e), StatusIs(StatusCode::kDataLoss, HasSubstr("version 1")));
}

TEST_F(ProjectorTest, RejectsWrongVersion) {
  const char* changes = R"([{"path":"/label","old":"nodule","new":"mass"}])";
  for (uint64_t v : {0, 1, 3, 7}) {
    ExpectRejected(Make(kModified, v, R"({"label":"mass","size":3})", changes),
                   "does not follow version 1");
  }
  ExpectRejected(Make(kDeleted, 5, std::nullopt, "[]"), "does not follow");
}

TEST_F(ProjectorTest, RejectsContentHashMismatch) {
  // The changes say one thing, the hash another: an edited event.
  ExpectRejected(Make(kModified, 2, R"({"label":"MASS","size":3})",
                      R"([{"path":"/label","old":"nodule","new":"mass"}])"),
                 "content hash does not match");
  ExpectRejected(
      Make(kModified, 2, std::nullopt, R"([{"path":"/label","old":"nodule","new":"mass"}])"),
      "content hash does not match");
  ExpectRejected(Make(kDeleted, 2, R"({})", "[]"), "tombstone has no content hash");
}

TEST_F(ProjectorTest, RejectsChangesThatDoNotFitThePreviousVersion) {
  ExpectRejected(Make(kModified, 2, R"({"label":"mass","size":3})",
                      R"([{"path":"/label","old":"cyst","new":"mass"}])"),
                 "/label");
  ExpectRejected(Make(kDeleted, 2, std::nullopt, R"([{"path":"/label","old":"nodule"}])"),
                 "no changes");
}

TEST_F(ProjectorTest, RejectsMissingReasonOrRecord) {
  ExpectRejected(Make(kModified, 2, R"({"label":"mass","size":3})",
                      R"([{"path":"/label","old":"nodule","new":"mass"}])", std::nullopt),
                 "reason is required");
  ExpectRejected(Make(kDeleted, 2, std::nullopt, "[]", ""), "reason is required");
  Event e = Make(kModified, 2, R"({"label":"mass","size":3})", "[]");
  e.record.reset();
  EXPECT_THAT(h_.Apply(e), StatusIs(StatusCode::kDataLoss, HasSubstr("names no record")));
}

TEST_F(ProjectorTest, RejectsChangesToMissingOrDeletedRecords) {
  Event missing = Make(kModified, 2, R"({"a":1})", R"([{"path":"/a","new":1}])");
  missing.record->id = "a-404";
  EXPECT_THAT(h_.Apply(missing), StatusIs(StatusCode::kDataLoss, HasSubstr("does not exist")));
  ASSERT_OK(h_.Apply(Make(kDeleted, 2, std::nullopt, "[]")));
  current_version_ = 2;
  ExpectRejected(Make(kModified, 3, R"({"label":"mass","size":3})",
                      R"([{"path":"/label","old":"nodule","new":"mass"}])"),
                 "was deleted");
  ExpectRejected(Make(kDeleted, 3, std::nullopt, "[]"), "was deleted");
}

}  // namespace
}  // namespace vellum::records
