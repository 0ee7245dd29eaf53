// libFuzzer target for the strict JSON parser, the RFC 8785 writer and the
// one-pass canonical check verify runs on every ledger line. Not part of the
// default build: `scripts/fuzz.sh json` builds and runs it. Properties checked
// on every input:
//  - nothing crashes, leaks or hits undefined behaviour;
//  - a rejection is kInvalidArgument with the byte offset in its message;
//  - what ParseJson accepts, Boost.JSON's own (more lenient) parser accepts;
//  - an accepted value canonicalises; the canonical text is valid UTF-8,
//    parses again, and canonicalises to itself (a fixed point);
//  - IsCanonicalJson (with and without member ends, at two depth limits) and
//    IsCanonicalJsonText accept exactly what parsing and re-encoding gives back
//    unchanged, and the member ends are where WellFormedValueEnd puts them;
//  - AppendJsonString of any valid UTF-8 reads back as the same string.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "fuzz_check.h"

using vellum::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vellum::core;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto parsed = ParseJson(text);
  if (!parsed.ok()) {
    const vellum::Status& s = parsed.status();
    Check(s.code() == vellum::StatusCode::kInvalidArgument, "rejections are kInvalidArgument");
    Check(s.message().find(" at byte ") != std::string::npos || s.message() == "empty input",
          "rejections name the byte");
  } else {
    boost::json::parse_options lenient;
    lenient.max_depth = JsonLimits{}.max_depth;
    boost::system::error_code ec;
    boost::json::parse(boost::json::string_view(text.data(), text.size()), ec, {}, lenient);
    Check(!ec, "Boost.JSON accepts what ParseJson accepts");

    auto canonical = CanonicalJson(*parsed);
    Check(canonical.ok(), "an accepted value canonicalises");
    Check(IsValidUtf8(*canonical), "canonical text is UTF-8");
    JsonLimits roomy;
    roomy.max_bytes = canonical->size() + 1;
    auto again = CanonicalizeJsonText(*canonical, roomy);
    Check(again.ok(), "canonical text parses");
    Check(*again == *canonical, "canonical text is a fixed point");
  }

  // The one-pass canonical check agrees with parsing and re-encoding (AT-4:
  // verify accepts a line as canonical on its word alone).
  for (const size_t depth : {size_t{3}, JsonLimits{}.max_depth}) {
    JsonLimits exact;
    exact.max_bytes = text.size() + 1;
    exact.max_string_bytes = text.size() + 1;
    exact.max_depth = depth;
    auto reencoded = CanonicalizeJsonText(text, exact);
    const bool canonical = reencoded.ok() && *reencoded == text;
    std::vector<size_t> ends;
    Check(IsCanonicalJson(text, depth) == canonical, "IsCanonicalJson agrees with re-encoding");
    Check(IsCanonicalJson(text, depth, &ends) == canonical, "IsCanonicalJson with member ends agrees too");
    if (canonical && text.front() == '{') {
      // Walk the members: key, ':', value, then ',' or '}'.
      std::vector<size_t> want;
      size_t at = 1;
      while (text[at] != '}') {
        const size_t key_end = WellFormedValueEnd(text, at);
        Check(key_end < text.size() && text[key_end] == ':', "a member's key ends at its colon");
        want.push_back(WellFormedValueEnd(text, key_end + 1));
        at = want.back();
        Check(text[at] == ',' || text[at] == '}', "a member's value ends at a comma or the brace");
        if (text[at] == ',') ++at;
      }
      Check(ends == want, "member ends are where WellFormedValueEnd puts them");
    }
  }
  if (parsed.ok()) {  // what IsCanonicalJsonText requires
    auto reencoded = CanonicalizeJsonText(text);
    Check(IsCanonicalJsonText(text) == (reencoded.ok() && *reencoded == text),
          "IsCanonicalJsonText agrees with re-encoding");
  }

  if (IsValidUtf8(text)) {
    std::string quoted;
    AppendJsonString(text, &quoted);
    JsonLimits roomy;
    roomy.max_bytes = quoted.size() + 1;
    roomy.max_string_bytes = text.size() + 1;
    auto back = ParseJson(quoted, roomy);
    Check(back.ok() && back->is_string() && back->get_string() == text,
          "AppendJsonString round-trips");
  }
  return 0;
}
