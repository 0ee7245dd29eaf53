// libFuzzer target for DecodeEvent, the parser every stored ledger line goes
// through (verify, recovery, history). Not part of the default build. From the
// source root:
//
//   clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
//     tests/fuzz/event_fuzz.cc src/ledger/event.cc src/ledger/merkle.cc src/core/json.cc \
//     src/core/json_text.cc src/core/canonical_json.cc src/core/canonical_check.cc \
//     src/core/clock.cc src/core/sha256.cc src/core/encoding.cc src/core/status.cc \
//     -lboost_json -lcrypto -lfmt -o /tmp/event_fuzz
//   build/src/vellum --data /tmp/evdata demo     # seed lines: real events
//   mkdir -p /tmp/event_corpus && head -n 60 /tmp/evdata/ledger/segments/00000000000000000000.jsonl
//   \
//     | split -l 1 - /tmp/event_corpus/line-
//   /tmp/event_fuzz -max_len=4096 -max_total_time=300 /tmp/event_corpus
//
// (Needs clang-14 and libclang-rt-14-dev.) Properties checked on every input:
//  - nothing crashes, leaks, throws or hits undefined behaviour;
//  - a rejection is kDataLoss (stored bytes that are not an event are damage);
//  - an accepted line is exactly the canonical encoding of what it decodes to
//    (EncodeEvent gives the same bytes back), is valid UTF-8, has no newline, and
//    decodes again to the same encoding: a fixed point;
//  - the leaf hash is that of the bytes, whatever they are.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/sha256.h"
#include "ledger/event.h"
#include "ledger/merkle.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "property failed: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vellum;
  const std::string_view line(reinterpret_cast<const char*>(data), size);

  Check(ledger::EventLeafHash(line) == ledger::LeafHash(line), "leaf hash of the bytes");

  auto decoded = ledger::DecodeEvent(line);
  if (!decoded.ok()) {
    Check(decoded.status().code() == StatusCode::kDataLoss, "rejections are kDataLoss");
    Check(!decoded.status().message().empty(), "rejections say why");
    return 0;
  }
  Check(core::IsValidUtf8(line), "accepted lines are UTF-8");
  Check(line.find('\n') == std::string_view::npos, "accepted lines hold no newline");
  auto encoded = ledger::EncodeEvent(*decoded);
  Check(encoded.ok(), "an accepted event encodes");
  Check(*encoded == line, "an accepted line is its own canonical encoding");
  auto again = ledger::DecodeEvent(*encoded);
  Check(again.ok(), "the encoding decodes");
  auto encoded_again = ledger::EncodeEvent(*again);
  Check(encoded_again.ok() && *encoded_again == *encoded, "encode/decode is a fixed point");
  Check(decoded->seq == again->seq && decoded->ts == again->ts && decoded->prev == again->prev,
        "envelope fields survive the round trip");
  return 0;
}
