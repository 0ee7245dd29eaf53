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

// CSV output for `vellum log` (RFC 4180: CRLF line ends, a field quoted when it
// holds a comma, a quote, CR or LF, quotes doubled): a header row, then one row
// per stored event line, each field verbatim; null is an empty field, and the
// structured fields (source, changes, data) are their RFC 8785 text.
void PrintEventCsvHeader();
Status PrintEventCsvRow(std::string_view line);

}  // namespace vellum::cli
