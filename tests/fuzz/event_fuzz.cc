// libFuzzer target for the event decoders every stored ledger line goes
// through (verify, recovery, history). Not part of the default build:
// `scripts/fuzz.sh event` builds and runs it, seeded with real events.
// Properties checked on every input:
//  - nothing crashes, leaks, throws or hits undefined behaviour;
//  - a rejection is kDataLoss (stored bytes that are not an event are damage);
//  - an accepted line is exactly the canonical encoding of what it decodes to
//    (EncodeEvent gives the same bytes back), is valid UTF-8, has no newline, and
//    decodes again to the same encoding: a fixed point;
//  - the decoders verify uses agree with DecodeEvent: DecodeEventForReplay
//    (changes kept as text) encodes back to the same line, DecodeEventEnvelope
//    gives the same envelope, and both reject what it rejects; so do they when
//    they decode into an Event that held the previous input (verify reuses
//    one per worker, keeping its strings' storage);
//  - a create's content read straight off its changes' text
//    (CreatedContentFromText) is the content that applying them gives;
//  - the leaf hash is that of the bytes, whatever they are.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/sha256.h"
#include "ledger/event.h"
#include "ledger/merkle.h"
#include "records/changes.h"
#include "fuzz_check.h"

using vellum::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vellum;
  const std::string_view line(reinterpret_cast<const char*>(data), size);

  Check(ledger::EventLeafHash(line) == ledger::LeafHash(line), "leaf hash of the bytes");

  auto decoded = ledger::DecodeEvent(line);
  // Fresh and reused: what the previous input left in `reused` must not show.
  static ledger::Event reused_for_replay, reused_envelope;
  ledger::Event for_replay, envelope;
  const Status replay_status = ledger::DecodeEventForReplay(line, &for_replay);
  const Status envelope_status = ledger::DecodeEventEnvelope(line, &envelope);
  const Status reused_replay_status = ledger::DecodeEventForReplay(line, &reused_for_replay);
  const Status reused_envelope_status = ledger::DecodeEventEnvelope(line, &reused_envelope);
  Check(replay_status.ok() == decoded.ok() && reused_replay_status.ok() == decoded.ok(),
        "DecodeEventForReplay accepts what DecodeEvent accepts");
  Check(envelope_status.ok() == decoded.ok() && reused_envelope_status.ok() == decoded.ok(),
        "DecodeEventEnvelope accepts what DecodeEvent accepts");
  if (!decoded.ok()) {
    Check(decoded.status().code() == StatusCode::kDataLoss, "rejections are kDataLoss");
    Check(!decoded.status().message().empty(), "rejections say why");
    Check(replay_status.code() == StatusCode::kDataLoss && envelope_status.code() == StatusCode::kDataLoss,
          "the other decoders' rejections are kDataLoss too");
    return 0;
  }
  for (const ledger::Event* e : {&for_replay, &reused_for_replay}) {
    auto encoded = ledger::EncodeEvent(*e);
    Check(encoded.ok() && *encoded == line, "DecodeEventForReplay's event encodes back to the line");
  }
  {
    // The envelope: everything but the bodies.
    ledger::Event full = *decoded;
    full.changes.clear();
    full.data.clear();
    auto want = ledger::EncodeEvent(full);
    Check(want.ok(), "an envelope encodes");
    for (const ledger::Event* e : {&envelope, &reused_envelope}) {
      Check(e->changes.empty() && e->data.empty() && !e->changes_text, "an envelope has no bodies");
      auto got = ledger::EncodeEvent(*e);
      Check(got.ok() && *got == *want, "DecodeEventEnvelope gives DecodeEvent's envelope");
    }
  }
  if (for_replay.changes_text) {
    const auto fast = records::CreatedContentFromText(*for_replay.changes_text);
    if (fast) {
      boost::json::object content;
      Check(records::ApplyChanges(decoded->changes, &content).ok(),
            "changes read as a create's apply to an empty record");
      auto slow = core::CanonicalJson(boost::json::value(std::move(content)));
      Check(slow.ok() && *slow == *fast, "CreatedContentFromText gives the content applying the changes gives");
    }
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
