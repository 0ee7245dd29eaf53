// Per-event CPU costs on the write and verify paths: canonical encoding, strict
// decoding, hashing, and a record's field diff. `vellum bench` measures the
// whole pipeline; these isolate its parts.
#include <benchmark/benchmark.h>

#include <string>

#include "core/json.h"
#include "core/sha256.h"
#include "ledger/event.h"
#include "ledger/merkle.h"
#include "records/changes.h"

namespace vellum {
namespace {

namespace json = boost::json;

json::object Content(int n) {
  return json::object{{"case", "case-000123"},
                      {"label", n % 2 ? "solid" : "part-solid"},
                      {"box", json::array{112.5, 40.25, 158.0, 81.75}},
                      {"diameter_mm", 4.5 + n % 7},
                      {"sop_instance_uid", "1.2.826.0.1.3680043.8.498.100123.977"},
                      {"status", "submitted"}};
}

ledger::Event SampleEvent() {
  ledger::Event e;
  e.seq = 123456;
  e.id = "5b0c9a3e1f2d4c5b6a7980a1b2c3d4e5";
  e.ts = 1795612345123456;
  e.type = "record.modified";
  e.actor.id = "u-ann-2";
  e.actor.name = "Tomás Ortega";
  e.actor.client = "10.20.1.12";
  e.record = ledger::RecordRef{"annotation", "ann-case-0001-u-ann-2", 2, core::Sha256("x")};
  auto changes = records::DiffContent(Content(0), Content(1));
  e.changes = *changes;
  e.reason = "Re-measured on the 1 mm reconstruction";
  e.guideline = "g-chest-ct@4";
  e.prev = core::Sha256("prev");
  return e;
}

void BM_EncodeEvent(benchmark::State& state) {
  ledger::Event e = SampleEvent();
  size_t bytes = 0;
  for (auto _ : state) {
    auto line = ledger::EncodeEvent(e);
    bytes += line->size();
    benchmark::DoNotOptimize(line);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_EncodeEvent);

// What the sequencer does: the actor's part encoded once for many events.
void BM_EncodeEventSharedActor(benchmark::State& state) {
  ledger::Event e = SampleEvent();
  const ledger::EncodedActor actor = *ledger::EncodedActor::Encode(e.actor);
  size_t bytes = 0;
  for (auto _ : state) {
    auto line = ledger::EncodeEvent(e, actor);
    bytes += line->size();
    benchmark::DoNotOptimize(line);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_EncodeEventSharedActor);

// Decodes the sample event's line with `decode`, over and over.
void DecodeLoop(benchmark::State& state, StatusOr<ledger::Event> (*decode)(std::string_view)) {
  std::string line = *ledger::EncodeEvent(SampleEvent());
  for (auto _ : state) {
    auto e = decode(line);
    benchmark::DoNotOptimize(e);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * line.size()));
}

void BM_DecodeEvent(benchmark::State& state) { DecodeLoop(state, &ledger::DecodeEvent); }
BENCHMARK(BM_DecodeEvent);

// What a full verify (and recovery) decodes: changes kept as text.
void BM_DecodeEventForReplay(benchmark::State& state) { DecodeLoop(state, &ledger::DecodeEventForReplay); }
BENCHMARK(BM_DecodeEventForReplay);

// What verify of the ledger files alone decodes.
void BM_DecodeEventEnvelope(benchmark::State& state) { DecodeLoop(state, &ledger::DecodeEventEnvelope); }
BENCHMARK(BM_DecodeEventEnvelope);

void BM_LeafHash(benchmark::State& state) {
  std::string line = *ledger::EncodeEvent(SampleEvent());
  for (auto _ : state) benchmark::DoNotOptimize(ledger::LeafHash(line));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * line.size()));
}
BENCHMARK(BM_LeafHash);

// Verify's canonical-form check of one event line: the sample event (short
// fields), and the same with a 2 KB free-text report in its reason, as a
// radiologist's finding would be.
void BM_IsCanonicalEvent(benchmark::State& state) {
  ledger::Event e = SampleEvent();
  if (state.range(0) > 0) {
    std::string report;
    while (report.size() < static_cast<size_t>(state.range(0))) {
      report += "Solid nodule in the right upper lobe, 4.5 mm, unchanged since the prior study. ";
    }
    e.reason = report;
  }
  const std::string line = *ledger::EncodeEvent(e);
  for (auto _ : state) benchmark::DoNotOptimize(core::IsCanonicalJson(line, 64));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * line.size()));
}
BENCHMARK(BM_IsCanonicalEvent)->Arg(0)->Arg(2048);

void BM_CanonicalContent(benchmark::State& state) {
  json::value v = Content(3);
  for (auto _ : state) benchmark::DoNotOptimize(core::CanonicalJson(v));
}
BENCHMARK(BM_CanonicalContent);

void BM_DiffContent(benchmark::State& state) {
  json::object a = Content(0), b = Content(1);
  for (auto _ : state) benchmark::DoNotOptimize(records::DiffContent(a, b));
}
BENCHMARK(BM_DiffContent);

// A create's changes and their canonical text, as a record command makes them.
void BM_CreateChanges(benchmark::State& state) {
  const json::object content = Content(3);
  const std::string canonical = *core::CanonicalJson(content);
  for (auto _ : state) {
    json::object copy = content;
    benchmark::DoNotOptimize(records::CreateChangesText(canonical));
    benchmark::DoNotOptimize(records::CreateChanges(std::move(copy)));
  }
}
BENCHMARK(BM_CreateChanges);

// The same the way it was made before: a diff from nothing, then encoded.
void BM_CreateChangesByDiff(benchmark::State& state) {
  const json::object content = Content(3);
  for (auto _ : state) {
    json::object copy = content;
    auto changes = records::DiffContent(json::object(), copy);
    benchmark::DoNotOptimize(core::CanonicalJson(*changes));
  }
}
BENCHMARK(BM_CreateChangesByDiff);

}  // namespace
}  // namespace vellum
