#include "app/bench.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "app/provision.h"
#include "app/thread_cpu.h"
#include "app/verify_directory.h"
#include "app/vellum.h"
#include "core/random.h"
#include "core/sha256.h"
#include "ledger/merkle.h"
#include "ledger/store_tree.h"
#include "storage/embedded/file_log_store.h"

namespace vellum::app {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

const char* RecordIdsName(BenchRecordIds ids) {
  switch (ids) {
    case BenchRecordIds::kCounted: return "counted (a-<n>)";
    case BenchRecordIds::kTimeThenRandom: return "time-ordered (as UUID v7, ULID)";
    case BenchRecordIds::kRandom: return "random (as UUID v4)";
  }
  return "?";
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

long MaxRssMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

// Resident memory now (not the peak), from /proc/self/statm.
long RssMiB() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024) / 1024;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t k = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}


struct AppendResult {
  uint64_t events = 0;
  double seconds = 0;
  double cpu_seconds = 0;
  // Of cpu_seconds: each of kLedgerThreads', in that order.
  std::vector<double> ledger_thread_cpu_seconds;
  std::vector<double> latencies_us;
};

StatusOr<AppendResult> RunAppends(Vellum& v, const Principal& who, int producers, int batch, double seconds,
                                  BenchRecordIds ids, std::atomic<uint64_t>& next_id) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  std::vector<std::vector<double>> lat(static_cast<size_t>(producers));
  std::vector<Status> errors(static_cast<size_t>(producers));
  auto t0 = Clock::now();
  double cpu0 = ProcessCpuSeconds();
  const auto threads0 = ThreadCpuSecondsByName();
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      while (!stop.load(std::memory_order_relaxed)) {
        std::vector<records::CreateRecord> cmds;
        for (int k = 0; k < batch; ++k) {
          uint64_t n = next_id.fetch_add(1);
          cmds.push_back({"annotation", BenchRecordId(ids, n, NowMs()), BenchRecordContent(n), std::nullopt,
                          "g-chest-ct@4"});
        }
        auto s = Clock::now();
        for (auto& r : v.CreateRecords(who, std::move(cmds))) {
          if (!r.ok()) {
            errors[static_cast<size_t>(p)] = r.status();
            return;
          }
        }
        double us = std::chrono::duration<double, std::micro>(Clock::now() - s).count();
        for (int k = 0; k < batch; ++k) lat[static_cast<size_t>(p)].push_back(us);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  AppendResult r;
  r.seconds = Seconds(Clock::now() - t0);
  r.cpu_seconds = ProcessCpuSeconds() - cpu0;
  const auto threads1 = ThreadCpuSecondsByName();
  for (const auto& thread : kLedgerThreads) {
    const auto before = threads0.find(thread.first), after = threads1.find(thread.first);
    r.ledger_thread_cpu_seconds.push_back(
        after == threads1.end() ? 0.0 : after->second - (before == threads0.end() ? 0.0 : before->second));
  }
  for (auto& e : errors) RETURN_IF_ERROR(e);
  for (auto& l : lat) {
    r.events += l.size();
    r.latencies_us.insert(r.latencies_us.end(), l.begin(), l.end());
  }
  return r;
}

double RawSha256MBps(size_t bytes) {
  std::string buf(1 << 20, 'x');
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<char>(i * 131);
  size_t done = 0;
  auto t0 = Clock::now();
  core::Hash h{};
  while (done < bytes) {
    h = core::Sha256(buf);
    buf[0] = static_cast<char>(h[0]);
    done += buf.size();
  }
  return static_cast<double>(done) / 1e6 / Seconds(Clock::now() - t0);
}

// Leaf and node hashing of the stored events on one core: the ceiling for
// appends and verify. Lines are read in chunks; only the hashing is timed.
StatusOr<std::pair<double, double>> HashingLimit(Vellum& v) {
  auto cursor = v.log().Scan(0);
  ledger::TreeBuilder tree;
  uint64_t events = 0, bytes = 0, nodes = 0;
  double seconds = 0;
  std::vector<std::string> chunk;
  bool more = true;
  while (more) {
    chunk.clear();
    while (chunk.size() < 65536 && (more = cursor->Next())) chunk.emplace_back(cursor->line());
    auto t0 = Clock::now();
    for (const auto& l : chunk) {
      tree.Append(ledger::LeafHash(l), [&](int, uint64_t, const core::Hash&) { ++nodes; });
      bytes += l.size();
    }
    seconds += Seconds(Clock::now() - t0);
    events += chunk.size();
  }
  RETURN_IF_ERROR(cursor->status());
  return std::make_pair(static_cast<double>(events) / seconds, static_cast<double>(bytes) / 1e6 / seconds);
}

struct VerifyRate {
  uint64_t bytes = 0;
  uint64_t events = 0;
  double seconds = 0;
  double MBps() const { return static_cast<double>(bytes) / 1e6 / seconds; }
  double EventsPerSecond() const { return static_cast<double>(events) / seconds; }
};

// One `vellum verify` of the benchmark's ledger, timed; a problem fails the benchmark.
StatusOr<VerifyRate> TimedVerify(const std::string& data, const DirectoryVerifyOptions& options) {
  auto t0 = Clock::now();
  ASSIGN_OR_RETURN(auto report, VerifyDirectory(data, options));
  const double seconds = Seconds(Clock::now() - t0);
  if (!report.ok()) return DataLossError("the benchmark ledger did not verify: " + report.problems[0].message);
  return VerifyRate{report.bytes, report.events, seconds};
}

Status ProofBench(const std::string& dir, const BenchOptions& o) {
  for (uint64_t size : o.proof_sizes) {
    std::string tdir = fmt::format("{}/tree-{}", dir, size);
    ASSIGN_OR_RETURN(auto store, storage::FileLogStore::Create(core::Env::Default(), tdir));
    ledger::TreeBuilder tree;
    std::vector<storage::TreeNode> nodes;
    auto t0 = Clock::now();
    for (uint64_t i = 0; i < size; ++i) {
      core::Hash leaf = core::Sha256(std::string_view(reinterpret_cast<const char*>(&i), sizeof i));
      tree.Append(leaf, [&](int level, uint64_t index, const core::Hash& h) { nodes.push_back({level, index, h}); });
      if (nodes.size() >= 1 << 16) {
        RETURN_IF_ERROR(store->AppendNodes(nodes));
        nodes.clear();
      }
    }
    RETURN_IF_ERROR(store->AppendNodes(nodes));
    double build_s = Seconds(Clock::now() - t0);
    ledger::StoreTree src(store.get());
    ASSIGN_OR_RETURN(core::Hash root, ledger::RootAt(src, size));
    std::mt19937_64 rng(size);
    std::vector<double> us;
    for (int k = 0; k < o.proof_samples; ++k) {
      uint64_t idx = rng() % size;
      auto s = Clock::now();
      ASSIGN_OR_RETURN(auto proof, ledger::InclusionProof(src, idx, size));
      us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - s).count());
      ASSIGN_OR_RETURN(core::Hash leaf, store->Node(0, idx));
      RETURN_IF_ERROR(ledger::VerifyInclusion(leaf, idx, size, proof, root));
    }
    double p50 = Percentile(us, 0.5), p99 = Percentile(us, 0.99);
    fmt::print("inclusion proof at {:>10} events: p50 {:7.1f} us, p99 {:7.1f} us  (goal < 100 us; tree built in "
               "{:.1f} s; resident memory {} MiB)\n",
               size, p50, p99, build_s, RssMiB());
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(tdir, ec);
  }
  return OkStatus();
}

}  // namespace

Status RunBench(const BenchOptions& o) {
  std::error_code ec;
  if (std::filesystem::exists(o.dir, ec) && !std::filesystem::is_empty(o.dir, ec)) {
    return AlreadyExistsError(fmt::format("bench directory {} is not empty", o.dir));
  }
  fmt::print("vellum bench — {} hardware threads, {}; record ids {}\n", std::thread::hardware_concurrency(), o.dir,
             RecordIdsName(o.record_ids));
  std::string data = o.dir + "/ledger";
  InitOptions init;
  init.origin = "vellum.bench/ledger";
  init.config.checkpoint_every_events = 1'000'000;
  init.admin = {"bench-admin", "Benchmark administrator", "bench-admin@vellum.invalid", core::RandomToken(24)};
  {
    ASSIGN_OR_RETURN(auto v, Vellum::Init(data, init));
    ASSIGN_OR_RETURN(Principal admin, SignIn(*v, init.admin.id, init.admin.password, "127.0.0.1"));
    identity::User producer;
    producer.id = "u-bench";
    producer.name = "Benchmark producer";
    producer.email = "bench@vellum.invalid";
    producer.roles = {identity::Role::kAnnotator};
    ASSIGN_OR_RETURN(Principal who, ProvisionPerson(*v, admin, producer, core::RandomToken(24), "benchmark producer"));
    std::atomic<uint64_t> next_id{0};
    for (int batch : o.batch_sizes) {
      for (int p : o.producers) {
        ASSIGN_OR_RETURN(auto r, RunAppends(*v, who, p, batch, o.seconds_per_run, o.record_ids, next_id));
        double rate = static_cast<double>(r.events) / r.seconds;
        fmt::print("durable appends, {:>2} producer(s) x {:>3} event(s)/call: {:>9.0f} events/s  "
                   "call latency p50 {:8.1f} us  p99 {:8.1f} us  CPU {:5.1f} us/event\n",
                   p, batch, rate, Percentile(r.latencies_us, 0.5), Percentile(r.latencies_us, 0.99),
                   r.events ? r.cpu_seconds * 1e6 / static_cast<double>(r.events) : 0.0);
        if (r.events > 0) {
          // Where that CPU went, per event: the ledger's threads, then the rest.
          const double per_event = 1e6 / static_cast<double>(r.events);
          std::string split;
          double rest = r.cpu_seconds;
          for (size_t i = 0; i < std::size(kLedgerThreads); ++i) {
            split += fmt::format("{} {:.1f}, ", kLedgerThreads[i].second, r.ledger_thread_cpu_seconds[i] * per_event);
            rest -= r.ledger_thread_cpu_seconds[i];
          }
          fmt::print("    CPU us/event by thread: {}callers and the rest {:.1f}\n", split,
                     std::max(rest, 0.0) * per_event);
        }
      }
    }
    fmt::print("(durable = fdatasync'd before the call returns; projection included; goal 300,000 events/s)\n");
    fmt::print("ledger: {} events; resident memory {} MiB (peak {} MiB)\n", v->Size(), RssMiB(), MaxRssMiB());
  }
  {
    // What `vellum verify` runs: the data directory opened read-only. First
    // as the appends left the files (large appends bypass the page cache, so
    // most segment bytes come from the device, as for a ledger written days
    // ago), then again with every file in the page cache.
    DirectoryVerifyOptions full;
    ASSIGN_OR_RETURN(VerifyRate first, TimedVerify(data, full));
    ASSIGN_OR_RETURN(VerifyRate again, TimedVerify(data, full));
    double sha_mbps = RawSha256MBps(std::max<uint64_t>(first.bytes, 256 << 20));
    fmt::print("full verify: {:.1f} MB/s ({} events, {:.0f} events/s; first run, the segments as the appends "
               "left them: mostly not cached); raw SHA-256 on one core: {:.1f} MB/s; ratio {:.1f}% (goal >= 80%)\n",
               first.MBps(), first.events, first.EventsPerSecond(), sha_mbps, 100.0 * first.MBps() / sha_mbps);
    fmt::print("  again, with every file now in the page cache: {:.1f} MB/s ({:.0f} events/s); ratio {:.1f}%\n",
               again.MBps(), again.EventsPerSecond(), 100.0 * again.MBps() / sha_mbps);
    // The same run without the projection replay: what the ledger files alone cost
    // (decode, chain, tree, checkpoints), next to the same SHA-256 figure; the
    // files are in the page cache by now.
    DirectoryVerifyOptions files;
    files.check_projection = false;
    ASSIGN_OR_RETURN(VerifyRate files_only, TimedVerify(data, files));
    fmt::print("  of which the ledger files alone (no projection replay): {:.1f} MB/s ({:.0f} events/s); "
               "ratio {:.1f}%\n",
               files_only.MBps(), files_only.EventsPerSecond(), 100.0 * files_only.MBps() / sha_mbps);
    ASSIGN_OR_RETURN(auto v, Vellum::Open(data));
    ASSIGN_OR_RETURN(auto limit, HashingLimit(*v));
    fmt::print("hashing limit (leaf + node hashes, one core): {:.0f} events/s, {:.1f} MB/s; "
               "half of it is {:.0f} events/s\n",
               limit.first, limit.second, limit.first / 2);
    fmt::print("resident memory after verify: {} MiB (peak {} MiB)\n", RssMiB(), MaxRssMiB());
  }
  RETURN_IF_ERROR(ProofBench(o.dir, o));
  if (!o.keep) std::filesystem::remove_all(o.dir, ec);
  return OkStatus();
}

std::string BenchRecordId(BenchRecordIds ids, uint64_t n, int64_t now_ms) {
  if (ids == BenchRecordIds::kCounted) return fmt::format("a-{}", n);
  uint64_t z = n + 0x9e3779b97f4a7c15u;  // SplitMix64: a bijection, so ids never repeat
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  z ^= z >> 31;
  if (ids == BenchRecordIds::kRandom) return fmt::format("a-{:016x}", z);
  return fmt::format("a-{:012x}-{:016x}", now_ms, z);
}

json::object BenchRecordContent(uint64_t n) {
  return json::object{{"case", fmt::format("case-{:06}", n / 4)},
                      {"label", n % 3 == 0 ? "solid" : (n % 3 == 1 ? "part-solid" : "ground-glass")},
                      {"box", json::array{12.5 + static_cast<double>(n % 400), 40.25, 58.0, 81.75}},
                      {"diameter_mm", 4.5 + static_cast<double>(n % 70) / 10.0},
                      {"sop_instance_uid", fmt::format("1.2.826.0.1.3680043.8.498.{}.{}", 100000 + n, n % 977)},
                      {"status", "submitted"}};
}

}  // namespace vellum::app
