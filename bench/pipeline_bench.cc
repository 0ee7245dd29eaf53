// The durable write pipeline with and without SQLite: the same ledger (the
// event segments on disk, fdatasync'd per group commit, the tree files,
// checkpoints) projecting into records.db, then into the in-memory projection
// (src/storage/memory), which costs next to nothing. Side by side in one run,
// the two say how much of an append the projection store takes, and so what a
// faster projection store could give (docs/performance.md). Eight producers
// each submit calls of 256 record creations, as `vellum bench --producers 8
// --batch 256` does, but straight to the ledger (no sign-in or authority
// check), so the figures are the ledger's alone. records.db is also measured
// with record ids of other shapes (random; time, then random), which decide how
// its index by record is written.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <atomic>
#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/bench.h"
#include "app/thread_cpu.h"
#include "core/clock.h"
#include "core/ed25519.h"
#include "core/env.h"
#include "core/signed_note.h"
#include "ledger/ledger.h"
#include "records/records.h"
#include "storage/embedded/file_log_store.h"
#include "storage/embedded/sqlite_projection.h"
#include "storage/memory/memory_projection_store.h"

namespace vellum {
namespace {

namespace json = boost::json;
using app::BenchRecordIds;

constexpr int kBatch = 256;
constexpr char kOrigin[] = "vellum.bench/pipeline";

// kSqlite as the product opens records.db (commits unsynced, under the boot's
// mark); kSqliteSyncedAtCheckpoints as it did before (synced at each WAL
// checkpoint), for comparison side by side.
enum class Projection { kSqlite, kSqliteSyncedAtCheckpoints, kMemory };

// A ledger in a scratch directory under $TMPDIR, removed afterwards.
class Pipeline {
 public:
  static std::unique_ptr<Pipeline> Make(Projection projection, BenchRecordIds ids) {
    auto p = std::unique_ptr<Pipeline>(new Pipeline());
    p->ids_ = ids;
    std::string tmpl = (std::filesystem::temp_directory_path() / "vellum-pipeline-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) return nullptr;
    p->dir_ = tmpl;
    auto key = core::Ed25519PrivateKey::Generate();
    if (!key.ok()) return nullptr;
    auto signer = core::ParseSignerKey(core::FormatSignerKey(kOrigin, *key));
    if (!signer.ok()) return nullptr;
    p->signer_ = std::move(*signer);
    auto log = storage::FileLogStore::Create(core::Env::Default(), p->dir_ + "/ledger");
    if (!log.ok()) return nullptr;
    p->log_ = std::move(*log);
    if (projection == Projection::kMemory) {
      p->projection_ = std::make_unique<storage::MemoryProjectionStore>();
    } else {
      auto db = storage::SqliteProjectionStore::Open(
          p->dir_ + "/records.db", true, projection == Projection::kSqlite ? core::Env::Default() : nullptr);
      if (!db.ok()) return nullptr;
      p->projection_ = std::move(*db);
    }
    ledger::LedgerDeps deps;
    deps.env = core::Env::Default();
    deps.clock = &p->clock_;
    deps.log = p->log_.get();
    deps.projection = p->projection_.get();
    deps.projector = &p->projector_;
    deps.signer = &*p->signer_;
    ledger::LedgerOptions options;
    options.origin = kOrigin;
    json::object genesis{
        {"public_key", core::FormatVerifierKey(core::MakeNoteVerifier(kOrigin, key->public_key()))}};
    ledger::Actor system = ledger::SystemActor();
    auto l = ledger::Ledger::Create(deps, options, system, std::move(genesis));
    if (!l.ok()) return nullptr;
    p->ledger_ = std::move(*l);
    return p;
  }

  ~Pipeline() {
    ledger_.reset();
    projection_.reset();
    log_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  // One call of kBatch record creations; false when any failed.
  bool SubmitBatch(const ledger::Actor& actor) {
    std::vector<ledger::Decider> deciders;
    deciders.reserve(kBatch);
    for (int k = 0; k < kBatch; ++k) {
      const uint64_t n = next_id_.fetch_add(1, std::memory_order_relaxed);
      auto d = records::DecideCreate({"annotation", RecordId(n), app::BenchRecordContent(n),
                                      std::nullopt, std::string("g-chest-ct@4")});
      if (!d.ok()) return false;
      deciders.push_back(std::move(*d));
    }
    for (const auto& r : ledger_->SubmitAll(actor, std::move(deciders))) {
      if (!r.ok()) return false;
    }
    return true;
  }

 private:
  Pipeline() = default;

  std::string RecordId(uint64_t n) { return app::BenchRecordId(ids_, n, clock_.NowMicros() / 1000); }

  BenchRecordIds ids_ = BenchRecordIds::kCounted;
  std::string dir_;
  core::SystemClock clock_;
  std::optional<core::NoteSigner> signer_;
  records::RecordsProjector projector_;
  std::unique_ptr<storage::FileLogStore> log_;
  std::unique_ptr<storage::ProjectionStore> projection_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::atomic<uint64_t> next_id_{0};
};

// Shared by the producer threads of one run; made and dropped by thread 0
// (every thread waits at the start and the end of the timed loop).
std::unique_ptr<Pipeline> g_pipeline;
double g_cpu_at_start = 0;
std::map<std::string, double> g_threads_at_start;


void BM_DurableAppends(benchmark::State& state, Projection projection, BenchRecordIds ids) {
  if (state.thread_index() == 0) {
    g_pipeline = Pipeline::Make(projection, ids);
    if (!g_pipeline) state.SkipWithError("could not set up the ledger");
    g_cpu_at_start = app::ProcessCpuSeconds();
    g_threads_at_start = app::ThreadCpuSecondsByName();
  }
  ledger::Actor actor;
  actor.id = fmt::format("u-producer-{}", state.thread_index());
  actor.name = "Producer";
  for (auto _ : state) {
    if (!g_pipeline || !g_pipeline->SubmitBatch(actor)) {
      state.SkipWithError("an append failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  if (state.thread_index() == 0) {
    // Every thread's events: iterations are per thread, and the threads ran alike.
    const double events = static_cast<double>(state.iterations()) * kBatch * state.threads();
    state.counters["cpu_us_per_event"] = (app::ProcessCpuSeconds() - g_cpu_at_start) * 1e6 / events;
    const auto threads = app::ThreadCpuSecondsByName();
    for (const auto& [name, label] : app::kLedgerThreads) {
      const auto before = g_threads_at_start.find(name);
      const auto after = threads.find(name);
      const double seconds = (after == threads.end() ? 0.0 : after->second) -
                             (before == g_threads_at_start.end() ? 0.0 : before->second);
      state.counters[std::string(label) + "_us"] = seconds * 1e6 / events;
    }
    g_pipeline.reset();
  }
}

BENCHMARK_CAPTURE(BM_DurableAppends, records_db, Projection::kSqlite, BenchRecordIds::kCounted)
    ->Threads(8)->UseRealTime()->MeasureProcessCPUTime()->MinTime(3.0)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DurableAppends, records_db_synced_at_checkpoints, Projection::kSqliteSyncedAtCheckpoints,
                  BenchRecordIds::kCounted)
    ->Threads(8)->UseRealTime()->MeasureProcessCPUTime()->MinTime(3.0)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DurableAppends, in_memory_projection, Projection::kMemory, BenchRecordIds::kCounted)
    ->Threads(8)->UseRealTime()->MeasureProcessCPUTime()->MinTime(3.0)->Unit(benchmark::kMillisecond);
// Record ids as random as UUID v4s: each new record lands at a random place in
// records.db's index by record, so a commit changes pages all over it.
BENCHMARK_CAPTURE(BM_DurableAppends, records_db_random_ids, Projection::kSqlite, BenchRecordIds::kRandom)
    ->Threads(8)->UseRealTime()->MeasureProcessCPUTime()->MinTime(3.0)->Unit(benchmark::kMillisecond);
// Ids that begin with the time (UUID v7, ULID): new records land at the index's end.
BENCHMARK_CAPTURE(BM_DurableAppends, records_db_time_ordered_ids, Projection::kSqlite, BenchRecordIds::kTimeThenRandom)
    ->Threads(8)->UseRealTime()->MeasureProcessCPUTime()->MinTime(3.0)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace vellum
