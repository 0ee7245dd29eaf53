// crash_writer: the child process of tests/integration/crash_test.cc (SR-1, SR-2).
//
//   crash_writer DATA_DIR CYCLE THREADS SEED USER_ID PASSWORD_FILE
//
// Opens an existing data directory through the real library (so crash recovery
// runs first), signs in as USER_ID (a project manager: the role may create,
// modify and delete records) with the password on the first line of
// PASSWORD_FILE, and lets THREADS threads create, modify and delete records
// until the parent kills it with SIGKILL. For every call that returned success it
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

#include "app/provision.h"
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

void Writer(vellum::app::Vellum& v, const vellum::app::Principal& actor, int cycle, int thread,
            uint64_t seed) {
  std::mt19937_64 rng(seed * 1000003 + static_cast<uint64_t>(thread));
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
      // One in four is large (~130 KB of event lines), so that kills also land
      // in segment appends that bypass the page cache (64 KiB or more).
      const bool large = dice == 99;
      const int count = large ? 100 : 3;
      std::vector<vellum::records::CreateRecord> commands;
      std::vector<std::string> ids;
      for (int k = 0; k < count; ++k) {
        ids.push_back(fmt::format("c{}-t{}-{}-b{}", cycle, thread, n, k));
        boost::json::object content{{"batch", k}};
        if (large) content["note"] = std::string(600, static_cast<char>('a' + k % 26));
        commands.push_back({"annotation", ids.back(), std::move(content), std::nullopt, std::nullopt});
      }
      auto results = v.CreateRecords(actor, std::move(commands));
      for (size_t k = 0; k < results.size(); ++k) {
        Check(results[k], "batch create " + ids[k]);
        own.push_back({ids[k], 1});
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) Die("usage: crash_writer DATA_DIR CYCLE THREADS SEED USER_ID PASSWORD_FILE");
  const std::string dir = argv[1];
  const int cycle = std::atoi(argv[2]);
  const int threads = std::atoi(argv[3]);
  const uint64_t seed = std::strtoull(argv[4], nullptr, 10);
  const std::string user = argv[5];
  std::string password;
  {
    std::FILE* f = std::fopen(argv[6], "r");
    if (f == nullptr) Die(std::string("cannot open ") + argv[6]);
    char buf[512];
    if (std::fgets(buf, sizeof buf, f) == nullptr) Die(std::string("cannot read ") + argv[6]);
    std::fclose(f);
    password = buf;
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r'))
      password.pop_back();
  }
  auto v = vellum::app::Vellum::Open(dir);
  if (!v.ok()) Die("open: " + v.status().ToString());
  if (!(*v)->open_report().damage.empty())
    Die("open reported damage: " + (*v)->open_report().damage.front());
  // The sign-in is itself an event; a kill may land in it like in any other write.
  auto actor = vellum::app::SignIn(**v, user, password, "127.0.0.1");
  if (!actor.ok()) Die("sign-in: " + actor.status().ToString());
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] { Writer(**v, *actor, cycle, t, seed); });
  }
  for (auto& w : workers) w.join();  // never returns: the writers loop until SIGKILL
  return 0;
}
