// Checks a report of `vellum verify` (ledger::Verify) for tests at any layer:
// the ledger alone or the whole service (ack_checks.h).
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>

#include "ledger/verifier.h"

namespace vellum::testing {

// The verification found no problem (each one is reported) and covered `events` events.
inline void ExpectVerifyReportOk(const ledger::VerifyReport& r, uint64_t events) {
  for (const auto& p : r.problems) {
    ADD_FAILURE() << "verify: [" << p.area << "] " << (p.seq ? fmt::format("seq {} ", *p.seq) : "")
                  << p.location << ": " << p.message;
  }
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.events, events);
}

}  // namespace vellum::testing
