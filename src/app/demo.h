// Sample data for trying Vellum: a chest-CT nodule labelling project with a
// versioned guideline, DICOM-referenced cases, annotations that are corrected
// with reasons, reviews, an adjudication and a withdrawn duplicate case.
#pragma once

#include <cstdint>

#include "app/vellum.h"

namespace vellum::app {

struct DemoSummary {
  uint64_t records = 0;
  uint64_t events = 0;
};

// Appends the sample records to an open ledger. Deterministic content for a given `cases`.
StatusOr<DemoSummary> FillDemo(Vellum& v, int cases);

}  // namespace vellum::app
