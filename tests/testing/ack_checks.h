// Checks shared by the crash, power-cut, clock and group-commit tests: which
// events a caller was told are durable ("acknowledged"), and whether a reopened
// ledger still holds them exactly and verifies (SR-1, SR-2).
//
// Header-only because it uses app::Vellum, which the vellum_testing library does
// not link; include it only from test binaries that link vellum_app.
#pragma once

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/vellum.h"
#include "ledger/event.h"
#include "testing/status_matchers.h"
#include "testing/verify_checks.h"

namespace vellum::testing {

// The seed of a randomised crash test: $VELLUM_CRASH_SEED if set (to replay or
// explore), else `fallback`.
inline uint64_t CrashSeed(uint64_t fallback) {
  const char* s = std::getenv("VELLUM_CRASH_SEED");
  return s != nullptr && *s != '\0' ? std::strtoull(s, nullptr, 10) : fallback;
}

// An event whose call returned success.
struct Ack {
  uint64_t seq = 0;
  std::string type;
  std::string id;
  uint64_t version = 0;
};

inline Ack AckOf(const ledger::Event& e) {
  return {e.seq, e.record ? e.record->type : "", e.record ? e.record->id : "",
          e.record ? e.record->version : 0};
}

// Every acknowledged event is in the ledger at its sequence number, for the same
// record version, and that version is readable from the projection. `reader`
// reads both the trail and the records: a quality or project manager principal.
inline void ExpectAcknowledgedPresent(app::Vellum& v, const app::Principal& reader,
                                      const std::vector<Ack>& acks) {
  for (const Ack& a : acks) {
    SCOPED_TRACE(fmt::format("acknowledged seq {} {}/{} v{}", a.seq, a.type, a.id, a.version));
    ASSERT_LT(a.seq, v.Size()) << "an acknowledged event was lost";
    ASSERT_OK_AND_ASSIGN(std::string line, v.ReadEvent(reader, a.seq));
    ASSERT_OK_AND_ASSIGN(ledger::Event e, ledger::DecodeEvent(line));
    ASSERT_TRUE(e.record.has_value());
    EXPECT_EQ(e.record->type, a.type);
    EXPECT_EQ(e.record->id, a.id);
    EXPECT_EQ(e.record->version, a.version);
    ASSERT_OK_AND_ASSIGN(app::RecordVersionView view, v.GetRecord(reader, a.type, a.id, a.version));
    EXPECT_EQ(view.row.seq, a.seq);
  }
}

// Opening found no damage and a full verification passes.
inline void ExpectVerifies(app::Vellum& v) {
  EXPECT_THAT(v.open_report().damage, ::testing::IsEmpty());
  ASSERT_OK_AND_ASSIGN(ledger::VerifyReport r, v.Verify({}, std::nullopt));
  ExpectVerifyReportOk(r, v.Size());
}

struct WriteOutcome {
  std::vector<Ack> acks;
  std::vector<Status> errors;  // the first error of each thread that met one
};

// `threads` threads each make up to `ops` changes (creates, and modifications of
// records they created) as `writer` (an annotator, say), ids prefixed
// "<prefix>-t<thread>-". A thread stops at its first error, which is kept.
inline WriteOutcome RunWriters(app::Vellum& v, const app::Principal& writer, int threads, int ops,
                               const std::string& prefix) {
  WriteOutcome out;
  std::mutex mu;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const app::Principal& actor = writer;
      std::vector<std::pair<std::string, uint64_t>> own;  // id, latest version
      for (int i = 0; i < ops; ++i) {
        const bool create = own.empty() || i % 3 == 0;
        auto* mod = create ? nullptr : &own[static_cast<size_t>(i) % own.size()];
        std::string id = create ? fmt::format("{}-t{}-{}", prefix, t, i) : mod->first;
        StatusOr<ledger::Event> e =
            create ? v.CreateRecord(actor, {"annotation", id,
                                            boost::json::object{{"label", "nodule"}, {"i", i}},
                                            std::nullopt, std::nullopt})
                   : v.ModifyRecord(
                         actor, {"annotation", id, boost::json::object{{"label", "mass"}, {"i", i}},
                                 "re-read", mod->second, std::nullopt});
        if (e.ok() && create) own.emplace_back(id, 1);
        if (e.ok() && !create) mod->second = e->record->version;
        std::lock_guard lock(mu);
        if (!e.ok()) {
          out.errors.push_back(e.status());
          return;
        }
        out.acks.push_back(AckOf(*e));
      }
    });
  }
  for (auto& w : workers) w.join();
  return out;
}

}  // namespace vellum::testing
