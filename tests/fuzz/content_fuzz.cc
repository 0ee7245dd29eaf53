// libFuzzer target for record versions' field-level changes (RV-1): the diff
// between two contents, applying it, and a create's changes read and written
// straight from canonical text (the fast paths of appends and of verify's
// replay). Not part of the default build: `scripts/fuzz.sh content` builds
// and runs it. An input is JSON: an object (a created record's content) or an
// array of two objects (a version and the next). Properties checked:
//  - nothing crashes, leaks, throws or hits undefined behaviour;
//  - applying DiffContent(a, b) to a gives b, and every change it lists is
//    needed (applying it to b again fails: "old" no longer matches);
//  - a create's changes are the diff from nothing (CreateChanges equals
//    DiffContent({}, a)), and applying them to nothing gives a;
//  - the changes' text written straight from a's canonical text
//    (CreateChangesText) is their canonical encoding, and reading a's content
//    back from that text (CreatedContentFromText) gives a's canonical text.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json.h"
#include "records/changes.h"
#include "fuzz_check.h"

using vellum::fuzz::Check;

namespace {

namespace json = boost::json;

std::string Canonical(const json::value& v) {
  auto c = vellum::core::CanonicalJson(v);
  Check(c.ok(), "parsed content canonicalises");
  return *c;
}

void CheckCreate(const json::object& a) {
  using namespace vellum::records;
  const std::string content = Canonical(a);
  auto from_nothing = DiffContent(json::object(), a);
  Check(from_nothing.ok(), "a diff from nothing succeeds");
  const json::array created = CreateChanges(json::object(a));
  Check(Canonical(created) == Canonical(*from_nothing), "CreateChanges is the diff from nothing");
  json::object rebuilt;
  Check(ApplyChanges(created, &rebuilt).ok(), "a create's changes apply to nothing");
  Check(Canonical(rebuilt) == content, "a create's changes rebuild the content");

  const std::string changes = Canonical(created);
  if (auto fast = CreateChangesText(content)) Check(*fast == changes, "CreateChangesText is the canonical changes");
  if (auto back = CreatedContentFromText(changes)) {
    Check(*back == content, "CreatedContentFromText gives the content back");
  }
}

void CheckDiff(const json::object& a, const json::object& b) {
  using namespace vellum::records;
  auto diff = DiffContent(a, b);
  Check(diff.ok(), "a diff of two contents succeeds");
  json::object doc = a;
  Check(ApplyChanges(*diff, &doc).ok(), "a diff applies to its own base");
  Check(Canonical(doc) == Canonical(b), "applying the diff gives the new content");
  if (!diff->empty()) {
    json::object again = b;
    Check(!ApplyChanges(*diff, &again).ok(), "a diff does not apply twice (its \"old\" values are checked)");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  vellum::core::JsonLimits limits;
  limits.max_depth = 32;
  auto parsed = vellum::core::ParseJson(text, limits);
  if (!parsed.ok()) return 0;
  if (parsed->is_object()) {
    CheckCreate(parsed->get_object());
    CheckDiff(json::object(), parsed->get_object());
    return 0;
  }
  if (parsed->is_array()) {
    const json::array& pair = parsed->get_array();
    if (pair.size() != 2 || !pair[0].is_object() || !pair[1].is_object()) return 0;
    CheckCreate(pair[0].get_object());
    CheckDiff(pair[0].get_object(), pair[1].get_object());
  }
  return 0;
}
