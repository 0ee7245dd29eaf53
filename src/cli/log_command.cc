#include <fmt/format.h>

#include <optional>

#include "cli/cli_common.h"
#include "cli/render.h"
#include "core/clock.h"
#include "core/json.h"

namespace vellum::cli {

void RegisterLog(CLI::App& app, Globals& g, Runner& run) {
  struct Opts {
    // Given, even empty, is a filter: `--actor "$WHO"` with WHO unset must not mean everyone.
    std::optional<std::string> record, actor, action, since, until;
    std::optional<uint64_t> from_seq, after_seq;
    uint64_t limit = 0;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand("log", "Query the audit trail (events) by record, actor, action and time");
  cmd->add_option("--record", o->record, "TYPE/ID of a record");
  cmd->add_option("--actor", o->actor, "User id");
  cmd->add_option("--action", o->action, "Event type, e.g. record.modified");
  cmd->add_option("--since", o->since, "From this UTC time (inclusive), e.g. 2026-11-25 or 2026-11-25T13:00:00Z");
  cmd->add_option("--until", o->until, "Before this UTC time (exclusive)");
  cmd->add_option("--from-seq", o->from_seq, "Only events with seq >= this (to page on: the last seq seen + 1)")
      ->transform(kNonNegative);
  // The option's first name, which meant seq >= N "despite the name". Kept so
  // that existing export scripts page as before; hidden from the help.
  cmd->add_option("--after-seq", o->after_seq, "Deprecated: the same as --from-seq")->transform(kNonNegative)->group("");
  cmd->add_option("--limit", o->limit, "At most this many events (0: no limit)")
      ->transform(kNonNegative);
  cmd->callback([&g, &run, o] {
    run = [&g, o]() -> int {
      storage::EventQuery q;
      if (o->record) {
        size_t slash = o->record->find('/');
        if (slash == std::string::npos) return Fail(InvalidArgumentError("--record must be TYPE/ID"));
        q.record_type = o->record->substr(0, slash);
        q.record_id = o->record->substr(slash + 1);
        for (const auto& [what, v] : {std::pair{"record type", *q.record_type}, std::pair{"record id", *q.record_id}}) {
          Status s = ledger::ValidateId(what, v);
          if (!s.ok()) return Fail(s);
        }
      }
      if (o->actor) {
        Status s = ledger::ValidateId("actor", *o->actor);
        if (!s.ok()) return Fail(s);
        q.actor = *o->actor;
      }
      if (o->action) {
        Status s = ledger::ValidateId("action", *o->action);
        if (!s.ok()) return Fail(s);
        q.type = *o->action;
      }
      for (auto [text, target] : {std::pair{&o->since, &q.since}, std::pair{&o->until, &q.until}}) {
        if (!*text) continue;
        auto t = core::ParseTimestamp(**text);
        if (!t.ok()) return Fail(t.status().WithContext(fmt::format("time \"{}\"", **text)));
        *target = *t;
      }
      if (q.since && q.until && *q.since >= *q.until) {
        return Fail(InvalidArgumentError(
            fmt::format("--since {} is not before --until {}: the range holds no time (are the two swapped?)",
                        *o->since, *o->until)));
      }
      if (o->after_seq) {
        if (o->from_seq) return Fail(InvalidArgumentError("--after-seq is the old name of --from-seq: give one"));
        if (!g.quiet) {
          fmt::print(stderr, "vellum: --after-seq is deprecated: it selects seq >= N, which --from-seq now names; "
                             "use --from-seq {}\n", *o->after_seq);
        }
        o->from_seq = o->after_seq;
      }
      q.from_seq = o->from_seq.value_or(0);
      q.limit = o->limit;
      auto signed_in = OpenSignedIn(g);
      if (!signed_in.ok()) return Fail(signed_in.status());
      auto& v = signed_in->vellum;
      Format f = OutputFormat(g, Format::kJsonl);
      // The header (or '[') goes out with the first row, or at the end of a query that
      // succeeded: a refused query (no audit.read) prints nothing on stdout, not an
      // empty trail that a script could take for an answer.
      bool begun = false;
      auto begin = [&] {
        if (begun) return;
        begun = true;
        if (f == Format::kTable) PrintEventTableHeader();
        if (f == Format::kCsv) PrintEventCsvHeader();
        if (f == Format::kJson) fmt::print("[");
      };
      bool first = true;
      Status s = v->QueryEvents(signed_in->principal, q, [&](uint64_t, const std::string& line) -> Status {
        begin();
        if (f == Format::kJsonl) {
          // The stored bytes, exactly as hashed (the leaf hash is of these bytes).
          fmt::print("{}\n", line);
        } else if (f == Format::kJson) {
          fmt::print("{}\n  {}", first ? "" : ",", line);
        } else if (f == Format::kCsv) {
          RETURN_IF_ERROR(PrintEventCsvRow(line));
        } else {
          ASSIGN_OR_RETURN(ledger::Event e, ledger::DecodeEvent(line));
          PrintEventTableRow(e);
        }
        first = false;
        return OkStatus();
      });
      if (!s.ok()) {
        if (begun && f == Format::kJson) fmt::print("\n]\n");  // rows went out: keep stdout one document
        return Fail(s);
      }
      begin();
      if (f == Format::kJson) fmt::print("{}]\n", first ? "" : "\n");
      return kExitOk;
    };
  });
}

}  // namespace vellum::cli
