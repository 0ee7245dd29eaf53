// Sample data for trying Vellum: a chest-CT nodule labelling project with a
// versioned guideline, DICOM-referenced cases, annotations that are corrected
// with reasons, reviews, an adjudication and a withdrawn duplicate case.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "app/vellum.h"

namespace vellum::app {

struct DemoSummary {
  uint64_t records = 0;
  uint64_t events = 0;
};

// The user ids of the demo team (the administrator not included).
std::vector<std::string> DemoTeam();

// Creates the demo team (by `admin`) and appends the sample records, each by
// the team member who would make it. Record content is deterministic for a
// given `cases`. A member's password is taken from `passwords` when it holds
// one (so a caller can keep them before anything is written), else made up at
// random and stored there.
StatusOr<DemoSummary> FillDemo(Vellum& v, const Principal& admin, int cases,
                               std::map<std::string, std::string>* passwords);

}  // namespace vellum::app
