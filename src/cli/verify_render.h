// How a verification's findings look on the command line: `vellum verify`,
// and the verification of the copy that `backup` and `restore` make.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include <boost/json/object.hpp>

#include "cli/cli_common.h"
#include "ledger/verifier.h"

namespace vellum::cli {

// One document whatever was found, so scripts parse one shape.
// `unreadable`: the files could not be read as a ledger at all (no root to show).
boost::json::object VerifyReportJson(const ledger::VerifyReport& r, bool unreadable);

// "PROBLEM [area] seq N at FILE: …" and "NOTE: …" lines.
void PrintVerifyFindings(const ledger::VerifyReport& r);

// On a terminal (and without -q), a verification that takes more than a second
// shows how far it is on one line of stderr, redrawn in place; the line is
// erased when the returned callback's owner is destroyed. Null otherwise.
class VerifyProgressLine {
 public:
  explicit VerifyProgressLine(const Globals& g, const char* what = "verifying");
  ~VerifyProgressLine();
  VerifyProgressLine(const VerifyProgressLine&) = delete;
  VerifyProgressLine& operator=(const VerifyProgressLine&) = delete;
  // For DirectoryVerifyOptions::progress; empty when no line is shown.
  std::function<void(uint64_t checked, uint64_t total)> callback();

 private:
  bool enabled_ = false;
  bool shown_ = false;
  const char* what_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace vellum::cli
