// How events and record versions look on the command line.
#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "app/vellum.h"
#include "ledger/event.h"

namespace vellum::cli {

// {"seq","ts","type","record":{…}} of an event just written.
boost::json::object EventSummaryJson(const ledger::Event& e);
// A record version with its provenance (who, when, why, what changed).
boost::json::object VersionJson(const app::RecordVersionView& v, bool current);
void PrintVersionTable(const app::RecordVersionView& v, bool current);
void PrintHistoryTable(const std::vector<app::RecordVersionView>& versions);

// Table output for `vellum log`.
void PrintEventTableHeader();
void PrintEventTableRow(const ledger::Event& e);

}  // namespace vellum::cli
