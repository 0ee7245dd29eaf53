#include <fmt/format.h>
#include <fmt/ranges.h>

#include <boost/json/value_from.hpp>

#include "app/directory_status.h"
#include "cli/cli_common.h"
#include "core/clock.h"
#include "core/encoding.h"

namespace vellum::cli {
namespace {

boost::json::value EventJson(const std::optional<app::EventSummary>& e) {
  if (!e) return nullptr;
  return boost::json::object{{"seq", e->seq}, {"ts", core::FormatTimestamp(e->ts)}, {"type", e->type}};
}

std::string RootText(const ledger::Checkpoint& cp) { return core::Base64Encode(core::AsBytes(cp.root)); }

boost::json::value CheckpointJson(const std::optional<app::CheckpointSummary>& c) {
  if (!c) return nullptr;
  const bool ok = c->signature_problem.empty();
  boost::json::object out;
  out["file"] = c->name;
  out["size"] = c->checkpoint.size;
  out["time"] = ok && c->checkpoint.time_micros ? boost::json::value(core::FormatTimestamp(*c->checkpoint.time_micros))
                                                : boost::json::value(nullptr);
  out["root"] = ok ? boost::json::value(RootText(c->checkpoint)) : boost::json::value(nullptr);
  out["signature_ok"] = ok;
  out["signature_problem"] = ok ? boost::json::value(nullptr) : boost::json::value(c->signature_problem);
  return out;
}

boost::json::object StatusJson(const std::string& dir, const app::DirectoryStatus& st) {
  boost::json::object out;
  out["data_directory"] = dir;
  out["origin"] = st.config.origin;
  out["ledger_key"] = st.ledger_key;
  out["events"] = st.events;
  out["segments"] = st.segments;
  out["ledger_bytes"] = st.ledger_bytes;
  out["first_event"] = EventJson(st.first_event);
  out["last_event"] = EventJson(st.last_event);
  out["checkpoints"] = st.checkpoints;
  out["latest_checkpoint"] = CheckpointJson(st.latest_checkpoint);
  out["unsigned_events"] = st.unsigned_events;
  out["checkpoint_every_events"] = st.config.checkpoint_every_events;
  out["checkpoint_every_seconds"] = st.config.checkpoint_every_seconds;
  out["witness_files"] = boost::json::value_from(st.config.witness_files);
  if (st.applied) {
    out["applied"] = *st.applied;
  } else {
    out["applied"] = nullptr;  // records.db not read: a note says why
  }
  out["notes"] = boost::json::value_from(st.notes);
  return out;
}

std::string EventText(const std::optional<app::EventSummary>& e) {
  if (!e) return "(cannot be read)";
  return fmt::format("seq {}, {}, {}", e->seq, core::FormatTimestamp(e->ts), e->type);
}

// Two lines: what it signs, then where it is.
std::string CheckpointText(const app::CheckpointSummary& c) {
  const std::string indent(19, ' ');
  if (!c.signature_problem.empty()) {
    return fmt::format("size {}, signature does NOT verify: {}\n{}{}", c.checkpoint.size, c.signature_problem, indent,
                       c.name);
  }
  return fmt::format("size {} at {}, signature valid\n{}root {}, {}", c.checkpoint.size,
                     c.checkpoint.time_micros ? core::FormatTimestamp(*c.checkpoint.time_micros) : "no time", indent,
                     RootText(c.checkpoint), c.name);
}

void PrintTable(const std::string& dir, const app::DirectoryStatus& st) {
  auto row = [](std::string_view name, const std::string& value) { fmt::print("{:<18} {}\n", name, value); };
  row("data directory", dir);
  row("origin", st.config.origin);
  row("ledger key", st.ledger_key);
  row("events", fmt::format("{} in {} segment{}, {} bytes", st.events, st.segments, st.segments == 1 ? "" : "s",
                            st.ledger_bytes));
  if (st.events > 0) {
    row("first event", EventText(st.first_event));
    row("last event", EventText(st.last_event));
  }
  row("latest checkpoint", st.latest_checkpoint ? CheckpointText(*st.latest_checkpoint) : "none");
  row("unsigned events", fmt::format("{} (the next checkpoint: after {} events or {} s, or `vellum checkpoint`)",
                                     st.unsigned_events, st.config.checkpoint_every_events,
                                     st.config.checkpoint_every_seconds));
  row("checkpoints", fmt::format("{} stored", st.checkpoints));
  row("witness files",
      st.config.witness_files.empty() ? "none" : fmt::format("{}", fmt::join(st.config.witness_files, ", ")));
  row("records.db", st.applied ? fmt::format("{} of {} events applied", *st.applied, st.events)
                               : std::string("not read (see the note below)"));
  for (const auto& n : st.notes) fmt::print("NOTE: {}\n", n);
}

}  // namespace

void RegisterStatus(CLI::App& app, Globals& g, Runner& run) {
  CLI::App* cmd = app.add_subcommand(
      "status",
      "What the data directory holds: events, latest checkpoint, events not yet signed, records.db (reads only; "
      "`verify` checks)");
  cmd->callback([&g, &run] {
    run = [&g]() -> int {
      app::DirectoryStatusOptions options;
      options.on_lock_wait = NoticeLockWait(g);
      auto st = app::ReadDirectoryStatus(g.data_dir, options);
      if (!st.ok()) return Fail(st.status());
      const Format f = OutputFormat(g, Format::kTable);
      if (f == Format::kTable) {
        PrintTable(g.data_dir, *st);
      } else {
        PrintJson(StatusJson(g.data_dir, *st), f == Format::kJson);
      }
      return kExitOk;
    };
  });
}

}  // namespace vellum::cli
