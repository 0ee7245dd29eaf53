// libFuzzer target for the strict JSON parser and the RFC 8785 writer.
// Not part of the default build. From the source root:
//
//   clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
//     tests/fuzz/json_fuzz.cc src/core/json.cc src/core/json_text.cc src/core/canonical_json.cc \
//     src/core/canonical_check.cc src/core/status.cc -lboost_json \
//     -o /tmp/json_fuzz
//   mkdir -p /tmp/json_corpus && cp ../shared/vectors/jcs/input/*.json /tmp/json_corpus/
//   /tmp/json_fuzz -max_len=4096 -max_total_time=300 /tmp/json_corpus
//
// (Needs clang-14 and libclang-rt-14-dev.) Properties checked on every input:
//  - nothing crashes, leaks or hits undefined behaviour;
//  - a rejection is kInvalidArgument with the byte offset in its message;
//  - what ParseJson accepts, Boost.JSON's own (more lenient) parser accepts;
//  - an accepted value canonicalises; the canonical text is valid UTF-8,
//    parses again, and canonicalises to itself (a fixed point);
//  - AppendJsonString of any valid UTF-8 reads back as the same string.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/json.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "property failed: %s\n", what);
    std::abort();
  }
}

}  // namespace

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
