// Field-level changes (AT-2 "field-level changes (path, old value, new value)",
// RV-1 "modify → v(n+1) with a field-level diff"): DiffContent and ApplyChanges
// must be exact inverses, so a replay of the changes rebuilds every version.
#include "records/changes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/json.h"
#include "testing/json_testing.h"
#include "testing/status_matchers.h"

namespace vellum::records {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using vellum::testing::Canonical;
using vellum::testing::JsonArray;
using vellum::testing::JsonObject;

// Diffs, checks the changes replay `from` into `to`, and returns the changes' canonical form.
std::string DiffAndReplay(const json::object& from, const json::object& to) {
  auto changes = DiffContent(from, to);
  EXPECT_TRUE(changes.ok()) << changes.status().ToString();
  if (!changes.ok()) return "";
  json::object doc = from;
  Status s = ApplyChanges(*changes, &doc);
  EXPECT_TRUE(s.ok()) << s.ToString() << "\nchanges: " << Canonical(*changes);
  EXPECT_EQ(Canonical(doc), Canonical(to)) << "changes: " << Canonical(*changes);
  return Canonical(*changes);
}

// ---- random documents ----

class DocGen {
 public:
  explicit DocGen(uint64_t seed) : rng_(seed) {}

  // Keys include the characters RFC 6901 escapes, the empty key, and non-ASCII.
  std::string Key() {
    static const char* kKeys[] = {"a",   "b",  "label", "",  "~",   "/", "a/b",
                                  "m~n", "~1", "~0/",   "ü", "x y", "0"};
    return kKeys[Pick(std::size(kKeys))];
  }

  json::value Scalar() {
    switch (Pick(8)) {
      case 0:
        return nullptr;
      case 1:
        return Pick(2) == 0;
      case 2:
        return static_cast<int64_t>(Pick(5)) - 2;
      case 3:
        return static_cast<double>(Pick(5)) - 2.0;  // same values as the integers
      case 4:
        return static_cast<double>(Pick(1000)) / 8.0;
      case 5:
        return json::string(std::string(Pick(3), 'z'));
      case 6:
        return json::string("mass");
      default: {
        json::array a;
        for (size_t i = Pick(3); i > 0; --i)
          a.push_back(Pick(2) ? json::value(int64_t(1)) : json::value(1.0));
        return a;
      }
    }
  }

  json::value Value(int depth) {
    if (depth > 0 && Pick(3) == 0) return Object(depth - 1);
    return Scalar();
  }

  json::object Object(int depth) {
    json::object o;
    for (size_t n = Pick(6); n > 0; --n) o[Key()] = Value(depth);
    return o;
  }

  // A random edit of `o`: fields added, removed, replaced, nested objects edited.
  json::object Mutate(const json::object& o, int depth) {
    json::object out = o;
    for (size_t n = Pick(4); n > 0; --n) {
      std::string k = Key();
      switch (Pick(5)) {
        case 0:
          out.erase(k);
          break;
        case 1:
          out[k] = Value(depth);
          break;
        case 2:
          if (auto* v = out.if_contains(k); v && v->is_object())
            *v = Mutate(v->get_object(), depth - 1);
          break;
        case 3:
          if (auto* v = out.if_contains(k); v && v->is_int64())
            *v = static_cast<double>(v->get_int64());
          break;
        default:
          break;
      }
    }
    return out;
  }

  size_t Pick(size_t n) { return static_cast<size_t>(rng_() % n); }

 private:
  std::mt19937_64 rng_;
};

TEST(ChangesTest, RandomDocumentsRoundTrip) {
  // Fixed seeds: a failure reproduces.
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    DocGen gen(seed);
    json::object a = gen.Object(4);
    json::object b = gen.Pick(4) == 0 ? gen.Object(4) : gen.Mutate(a, 4);
    DiffAndReplay(a, b);
    DiffAndReplay(b, a);
    DiffAndReplay(json::object(), b);  // a create
    DiffAndReplay(b, json::object());
    // Nothing changed → no changes, and the diff is deterministic.
    auto same = DiffContent(a, a);
    ASSERT_OK(same.status());
    EXPECT_TRUE(same->empty()) << Canonical(*same);
    auto d1 = DiffContent(a, b);
    auto d2 = DiffContent(a, b);
    ASSERT_TRUE(d1.ok() && d2.ok());
    EXPECT_EQ(Canonical(*d1), Canonical(*d2));
  }
}

// Verify and recovery rebuild a created record's content straight from the
// text of its changes: it must be exactly what applying them makes (AT-4).
TEST(ChangesTest, CreatedContentFromTextIsWhatApplyingMakes) {
  int read_from_text = 0;
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    DocGen gen(seed);
    const json::object content = gen.Object(4);
    ASSERT_OK_AND_ASSIGN(json::array changes, DiffContent(json::object(), content));
    std::optional<std::string> got = CreatedContentFromText(Canonical(changes));
    if (!got) continue;  // keys the text path leaves to ApplyChanges
    ++read_from_text;
    EXPECT_EQ(*got, Canonical(content));
  }
  EXPECT_GT(read_from_text, 100);
  EXPECT_EQ(CreatedContentFromText("[]"), "{}");
  EXPECT_EQ(CreatedContentFromText(R"([{"new":"x","path":"/a"},{"new":{"c":[1,"]}"]},"path":"/b"}])"),
            R"({"a":"x","b":{"c":[1,"]}"]}})");
  EXPECT_EQ(CreatedContentFromText(R"([{"new":null,"path":"/"}])"), R"({"":null})");
  // Anything but a create's usual form is left to ApplyChanges.
  for (const char* other : {
           R"([{"new":1,"old":0,"path":"/a"}])",               // an old value
           R"([{"old":0,"path":"/a"}])",                       // a removal
           R"([{"path":"/a"}])",                               // neither
           R"([{"new":1,"path":"/b"},{"new":2,"path":"/a"}])", // out of order
           R"([{"new":1,"path":"/a"},{"new":2,"path":"/a"}])", // twice
           R"([{"new":1,"path":"/a/b"}])",                     // nested
           R"([{"new":1,"path":"/a~1b"}])",                    // escaped token
           R"([{"new":1,"path":"/a"b"}])",                    // escaped string
           R"([{"new":1,"path":"/ü"}])", "[{\"new\":1,\"path\":\"/\xc3\xbc\"}]",  // not ASCII
           R"([{"new":1,"path":"a"}])",                        // not a pointer
           R"([{"new":1,"path":"/a"},])", R"([1])", R"({})", "",
       }) {
    EXPECT_EQ(CreatedContentFromText(other), std::nullopt) << other;
  }
}

// A create's changes are made without a diff (CreateChanges) and, usually,
// their canonical text straight from the content's (CreateChangesText): both
// must be exactly DiffContent's (AT-2).
TEST(ChangesTest, CreateChangesAreTheDiffFromNothing) {
  int from_text = 0;
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    DocGen gen(seed);
    json::object content = gen.Object(4);
    const std::string canonical_content = Canonical(content);
    ASSERT_OK_AND_ASSIGN(json::array diff, DiffContent(json::object(), content));
    const std::string want = Canonical(diff);
    std::optional<std::string> text = CreateChangesText(canonical_content);
    if (text) {
      ++from_text;
      EXPECT_EQ(*text, want);
      EXPECT_EQ(CreatedContentFromText(*text), canonical_content);
    }
    EXPECT_EQ(CreateChanges(std::move(content)), diff);
  }
  EXPECT_GT(from_text, 100);
  EXPECT_EQ(CreateChangesText("{}"), "[]");
  EXPECT_EQ(CreateChangesText(R"({"":1,"a":{"b":"}"},"c":[1,{}]})"),
            R"([{"new":1,"path":"/"},{"new":{"b":"}"},"path":"/a"},{"new":[1,{}],"path":"/c"}])");
  for (const char* other : {R"({"a~b":1})", R"({"a/b":1})", R"({""":1})", "{\"\xc3\xbc\":1}", "[]", ""}) {
    EXPECT_EQ(CreateChangesText(other), std::nullopt) << other;
  }
}

TEST(ChangesTest, ChangesAreMinimalAndNested) {
  EXPECT_EQ(
      DiffAndReplay(JsonObject(R"({"a":1,"b":{"c":"x","d":[1,2]},"e":true})"),
                    JsonObject(R"({"a":1,"b":{"c":"y","d":[1,2]},"f":null})")),
      R"([{"new":"y","old":"x","path":"/b/c"},{"old":true,"path":"/e"},{"new":null,"path":"/f"}])");
  // Arrays are compared whole.
  EXPECT_EQ(DiffAndReplay(JsonObject(R"({"a":[1,2]})"), JsonObject(R"({"a":[1,3]})")),
            R"([{"new":[1,3],"old":[1,2],"path":"/a"}])");
  // An object replaced by a scalar (and back) is one change.
  EXPECT_EQ(DiffAndReplay(JsonObject(R"({"a":{"x":1}})"), JsonObject(R"({"a":5})")),
            R"([{"new":5,"old":{"x":1},"path":"/a"}])");
  EXPECT_EQ(DiffAndReplay(JsonObject(R"({"a":5})"), JsonObject(R"({"a":{"x":1}})")),
            R"([{"new":{"x":1},"old":5,"path":"/a"}])");
  // A create lists every top-level field as added.
  EXPECT_EQ(DiffAndReplay(json::object(), JsonObject(R"({"b":{"c":1},"a":"x"})")),
            R"([{"new":"x","path":"/a"},{"new":{"c":1},"path":"/b"}])");
  // null is a value, different from an absent field.
  EXPECT_EQ(DiffAndReplay(JsonObject(R"({"a":null})"), JsonObject(R"({})")),
            R"([{"old":null,"path":"/a"}])");
}

TEST(ChangesTest, NumbersAreComparedByValue) {
  // 1 and 1.0 (and 1e0, 10e-1) are the same number in canonical JSON: not a change.
  for (const char* one : {"1.0", "1e0", "10e-1", "1.00"}) {
    auto d = DiffContent(
        JsonObject(R"({"n":1,"m":{"k":[1,2.5]}})"),
        JsonObject(std::string(R"({"n":)") + one + R"(,"m":{"k":[)" + one + ",2.50]}}"));
    ASSERT_OK(d.status());
    EXPECT_TRUE(d->empty()) << one << ": " << Canonical(*d);
  }
  auto neg_zero = DiffContent(JsonObject(R"({"z":0})"), JsonObject(R"({"z":-0.0})"));
  ASSERT_OK(neg_zero.status());
  EXPECT_TRUE(neg_zero->empty());
  // But a different type is a change.
  EXPECT_EQ(DiffAndReplay(JsonObject(R"({"n":1})"), JsonObject(R"({"n":"1"})")),
            R"([{"new":"1","old":1,"path":"/n"}])");
  EXPECT_EQ(DiffAndReplay(JsonObject(R"({"n":1})"), JsonObject(R"({"n":true})")),
            R"([{"new":true,"old":1,"path":"/n"}])");
  EXPECT_EQ(DiffAndReplay(JsonObject(R"({"n":1})"), JsonObject(R"({"n":1.5})")),
            R"([{"new":1.5,"old":1,"path":"/n"}])");
  // Applying a change whose "old" is 1.0 to a field holding 1 succeeds.
  json::object doc = JsonObject(R"({"n":1})");
  ASSERT_OK(ApplyChanges(JsonArray(R"([{"path":"/n","old":1.0,"new":2}])"), &doc));
  EXPECT_EQ(Canonical(doc), R"({"n":2})");
}

TEST(ChangesTest, PointerEscaping) {
  EXPECT_EQ(EscapePointerToken("a/b"), "a~1b");
  EXPECT_EQ(EscapePointerToken("m~n"), "m~0n");
  EXPECT_EQ(EscapePointerToken("~1"), "~01");  // not "/": '~' is escaped first
  EXPECT_EQ(EscapePointerToken("/~"), "~1~0");
  EXPECT_EQ(EscapePointerToken(""), "");
  EXPECT_EQ(EscapePointerToken("plain"), "plain");

  EXPECT_EQ(DiffAndReplay(JsonObject(R"({"a/b":1,"m~n":{"~1":2},"":3})"),
                          JsonObject(R"({"a/b":2,"m~n":{"~1":3},"":4})")),
            R"([{"new":4,"old":3,"path":"/"},{"new":2,"old":1,"path":"/a~1b"},)"
            R"({"new":3,"old":2,"path":"/m~0n/~01"}])");
  // The escaped tokens address the right fields when applied.
  json::object doc = JsonObject(R"({"a":{"b":1},"a/b":2,"~1":3,"/":4})");
  ASSERT_OK(ApplyChanges(
      JsonArray(R"([{"path":"/a~1b","old":2,"new":20},{"path":"/a/b","old":1,"new":10},)"
                R"({"path":"/~01","old":3,"new":30},{"path":"/~1","old":4,"new":40}])"),
      &doc));
  EXPECT_EQ(Canonical(doc), R"({"/":40,"a":{"b":10},"a/b":20,"~1":30})");
}

TEST(ChangesTest, ApplyRejectsMismatchedOldValues) {
  const json::object base = JsonObject(R"({"label":"nodule","size":3,"meta":{"by":"u-1"}})");
  struct Case {
    const char* changes;
    const char* why;
  } cases[] = {
      {R"([{"path":"/label","old":"mass","new":"x"}])", "does not match"},
      {R"([{"path":"/size","old":"3","new":4}])", "does not match"},
      {R"([{"path":"/meta","old":{"by":"u-2"},"new":1}])", "does not match"},
      {R"([{"path":"/meta/by","old":"u-9"}])", "does not match"},
      // "old" present for an absent field, absent for a present one.
      {R"([{"path":"/missing","old":1,"new":2}])", "absent"},
      {R"([{"path":"/label","new":"x"}])", "exists"},
      {R"([{"path":"/label"}])", "neither old nor new"},
  };
  for (const auto& c : cases) {
    json::object doc = base;
    EXPECT_THAT(ApplyChanges(JsonArray(c.changes), &doc),
                StatusIs(StatusCode::kDataLoss, HasSubstr(c.why)))
        << c.changes;
  }
  // The error names the path.
  json::object doc = base;
  EXPECT_THAT(ApplyChanges(JsonArray(R"([{"path":"/meta/by","old":"u-9","new":"x"}])"), &doc),
              StatusIs(StatusCode::kDataLoss, HasSubstr("/meta/by")));
}

TEST(ChangesTest, ApplyRejectsBadPathsAndShapes) {
  const json::object base = JsonObject(R"({"s":"text","o":{"k":1}})");
  struct Case {
    const char* changes;
    const char* why;
  } cases[] = {
      {R"([{"path":"s","old":"text","new":1}])", "not a JSON pointer"},
      {R"([{"path":"","new":1}])", "not a JSON pointer"},
      {R"([{"path":"/o~2k","new":1}])", "bad escape"},
      {R"([{"path":"/o~","new":1}])", "bad escape"},
      {R"([{"path":"/s/x","new":1}])", "not an object"},
      {R"([{"path":"/nope/x","new":1}])", "not an object"},
      {R"([{"path":1,"new":1}])", "path"},
      {R"([{"new":1}])", "path"},
      {R"(["/s"])", "object"},
      {R"([{"path":"/x","new":1,"why":"sneaky"}])", "unknown field \"why\""},
  };
  for (const auto& c : cases) {
    json::object doc = base;
    EXPECT_THAT(ApplyChanges(JsonArray(c.changes), &doc),
                StatusIs(StatusCode::kDataLoss, HasSubstr(c.why)))
        << c.changes;
  }
}

TEST(ChangesTest, ApplyInOrderAndEmpty) {
  json::object doc = JsonObject(R"({"a":1})");
  ASSERT_OK(ApplyChanges(json::array(), &doc));
  EXPECT_EQ(Canonical(doc), R"({"a":1})");
  // Later changes see earlier ones.
  ASSERT_OK(ApplyChanges(
      JsonArray(R"([{"path":"/b","new":{}},{"path":"/b/c","new":2},{"path":"/a","old":1}])"),
      &doc));
  EXPECT_EQ(Canonical(doc), R"({"b":{"c":2}})");
}

}  // namespace
}  // namespace vellum::records
