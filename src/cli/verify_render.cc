#include "cli/verify_render.h"

#include <fmt/format.h>
#include <unistd.h>

#include <boost/json/value_from.hpp>
#include <cstdio>

#include "core/encoding.h"

namespace vellum::cli {

boost::json::object VerifyReportJson(const ledger::VerifyReport& r, bool unreadable) {
  boost::json::object out;
  out["ok"] = r.ok();
  out["events"] = r.events;
  out["bytes"] = r.bytes;
  out["checkpoints"] = r.checkpoints;
  out["witness_checkpoints"] = r.witness_checkpoints;
  out["signed_size"] = r.signed_size;
  out["applied"] = r.applied;
  out["root"] = unreadable ? boost::json::value(nullptr)
                          : boost::json::value(core::Base64Encode(core::AsBytes(r.root)));
  boost::json::array probs;
  for (const auto& p : r.problems) {
    boost::json::object po;
    po["area"] = p.area;
    po["seq"] = p.seq ? boost::json::value(*p.seq) : boost::json::value(nullptr);
    po["location"] = p.location;
    po["message"] = p.message;
    probs.push_back(std::move(po));
  }
  out["problems"] = std::move(probs);
  out["problems_not_listed"] = r.problems_not_listed;
  out["notes"] = boost::json::value_from(r.notes);
  return out;
}

void PrintVerifyFindings(const ledger::VerifyReport& r) {
  for (const auto& p : r.problems) {
    fmt::print("PROBLEM [{}]{}{}: {}\n", p.area, p.seq ? fmt::format(" seq {}", *p.seq) : "",
               p.location.empty() ? "" : " at " + p.location, p.message);
  }
  if (r.problems_not_listed) fmt::print("... and {} more problems\n", r.problems_not_listed);
  for (const auto& n : r.notes) fmt::print("NOTE: {}\n", n);
}

VerifyProgressLine::VerifyProgressLine(const Globals& g, const char* what)
    : enabled_(!g.quiet && ::isatty(STDERR_FILENO)), what_(what), start_(std::chrono::steady_clock::now()) {}

VerifyProgressLine::~VerifyProgressLine() {
  if (shown_) fmt::print(stderr, "\r\033[K");
}

std::function<void(uint64_t, uint64_t)> VerifyProgressLine::callback() {
  if (!enabled_) return {};
  return [this](uint64_t checked, uint64_t total) {
    if (std::chrono::steady_clock::now() - start_ < std::chrono::seconds(1)) return;
    fmt::print(stderr, "\rvellum: {}: {} of {} events ({:.0f} %)", what_, checked, total,
               total == 0 ? 100.0 : 100.0 * static_cast<double>(checked) / static_cast<double>(total));
    std::fflush(stderr);
    shown_ = true;
  };
}

}  // namespace vellum::cli
