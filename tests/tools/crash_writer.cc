// crash_writer: the child process of tests/integration/crash_test.cc (SR-1, SR-2).
//
//   crash_writer DATA_DIR CYCLE THREADS SEED
//
// Opens an existing data directory through the real library (so crash recovery
// runs first) and lets THREADS threads create, modify and delete records until
// the parent kills it with SIGKILL. For every call that returned success it
// writes one line to stdout,
//
//   <seq> <record type> <record id> <version>\n
//
// with a single write(2) right after the call returned, so the parent knows
// exactly which events were acknowledged before the kill. Record ids embed
// CYCLE, so every run creates new ids on the same ledger.
//
// Any failure (open, a write that should have succeeded) is printed to stderr
// and ends the process with exit code 3: the parent expects only SIGKILL.
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "app/vellum.h"
#include "records/records.h"

namespace {

using vellum::StatusOr;
using vellum::ledger::Event;

[[noreturn]] void Die(const std::string& what) {
  std::string msg = "crash_writer: " + what + "\n";
  (void)!::write(2, msg.data(), msg.size());
  std::_Exit(3);
}

// One line per acknowledged event. Lines are far below PIPE_BUF, so each
// write(2) to the parent's pipe is atomic even with several threads.
void Acknowledge(const Event& e) {
  if (!e.record) Die(fmt::format("event {} has no record", e.seq));
  std::string line =
      fmt::format("{} {} {} {}\n", e.seq, e.record->type, e.record->id, e.record->version);
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(1, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) std::_Exit(4);  // the parent stopped reading: nothing left to tell
    done += static_cast<size_t>(n);
  }
}

void Check(const StatusOr<Event>& e, const std::string& what) {
  if (!e.ok()) Die(what + ": " + e.status().ToString());
  Acknowledge(*e);
}

struct Owned {
  std::string id;
  uint64_t version = 0;
};

void Writer(vellum::app::Vellum& v, int cycle, int thread, uint64_t seed) {
  std::mt19937_64 rng(seed * 1000003 + static_cast<uint64_t>(thread));
  vellum::ledger::Actor actor;
  actor.id = fmt::format("u-crash-{}", thread);
  actor.name = fmt::format("Crash Writer {}", thread);
  actor.client = "127.0.0.1";
  std::vector<Owned> own;  // live records this thread created in this run
  for (uint64_t n = 0;; ++n) {
    const uint64_t dice = rng() % 100;
    if (own.empty() || dice < 40) {
      std::string id = fmt::format("c{}-t{}-{}", cycle, thread, n);
      boost::json::object content{
          {"cycle", cycle}, {"thread", thread}, {"n", n}, {"label", "nodule"}};
      Check(v.CreateRecord(actor, {"annotation", id, content, std::nullopt, std::nullopt}),
            "create " + id);
      own.push_back({id, 1});
    } else if (dice < 92) {
      Owned& r = own[rng() % own.size()];
      boost::json::object content{
          {"cycle", cycle}, {"thread", thread}, {"n", n}, {"label", "mass"}};
      auto e =
          v.ModifyRecord(actor, {"annotation", r.id, content, "re-read", r.version, std::nullopt});
      Check(e, "modify " + r.id);
      r.version = e->record->version;
    } else if (dice < 96) {
      size_t i = rng() % own.size();
      Check(v.DeleteRecord(actor, {"annotation", own[i].id, "duplicate", own[i].version}),
            "delete " + own[i].id);
      own.erase(own.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      // An importer's batch: several commands in one call, sharing group commits.
      std::vector<vellum::ledger::Decider> deciders;
      std::vector<std::string> ids;
      for (int k = 0; k < 3; ++k) {
        ids.push_back(fmt::format("c{}-t{}-{}-b{}", cycle, thread, n, k));
        auto d = vellum::records::DecideCreate({"annotation", ids.back(),
                                                boost::json::object{{"batch", k}}, std::nullopt,
                                                std::nullopt});
        if (!d.ok()) Die(d.status().ToString());
        deciders.push_back(std::move(*d));
      }
      auto results = v.SubmitAll(actor, std::move(deciders));
      for (size_t k = 0; k < results.size(); ++k) {
        Check(results[k], "batch create " + ids[k]);
        own.push_back({ids[k], 1});
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) Die("usage: crash_writer DATA_DIR CYCLE THREADS SEED");
  const std::string dir = argv[1];
  const int cycle = std::atoi(argv[2]);
  const int threads = std::atoi(argv[3]);
  const uint64_t seed = std::strtoull(argv[4], nullptr, 10);
  auto v = vellum::app::Vellum::Open(dir);
  if (!v.ok()) Die("open: " + v.status().ToString());
  if (!(*v)->open_report().damage.empty())
    Die("open reported damage: " + (*v)->open_report().damage.front());
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] { Writer(**v, cycle, t, seed); });
  }
  for (auto& w : workers) w.join();  // never returns: the writers loop until SIGKILL
  return 0;
}
