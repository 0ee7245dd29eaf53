// Sample data for trying Vellum: a chest-CT nodule labelling project with a
// versioned guideline, DICOM-referenced cases, annotations that are corrected
// with reasons, reviews, an adjudication and a withdrawn duplicate case.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "app/vellum.h"

namespace vellum::app {

struct DemoSummary {
  uint64_t records = 0;
  uint64_t events = 0;
};

// Creates the demo team (by `admin`) and appends the sample records, each by
// the team member who would make it. Record content is deterministic for a
// given `cases`; the members' passwords are random and returned in `passwords`.
StatusOr<DemoSummary> FillDemo(Vellum& v, const Principal& admin, int cases,
                               std::map<std::string, std::string>* passwords);

}  // namespace vellum::app
