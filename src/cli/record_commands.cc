#include <fmt/format.h>

#include "cli/cli_common.h"
#include "cli/render.h"
#include "core/json.h"

namespace vellum::cli {
namespace {

namespace json = boost::json;

StatusOr<json::object> ReadContent(const std::string& path) {
  core::JsonLimits limits;
  auto text = ReadInput(path, limits.max_bytes);
  if (!text.ok()) return text.status().WithContext("record content");
  auto v = core::ParseJson(*text, limits);
  if (!v.ok()) return v.status().WithContext("record content");
  if (!v->is_object()) return InvalidArgumentError("record content must be a JSON object");
  return std::move(v->get_object());
}

std::optional<std::string> Opt(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

int PrintWritten(const Globals& g, const StatusOr<ledger::Event>& e) {
  if (!e.ok()) return Fail(e.status());
  Format f = OutputFormat(g, Format::kJson);
  if (f == Format::kTable) {
    fmt::print("{} {}/{} v{} at seq {} ({})\n", e->type, e->record->type, e->record->id, e->record->version, e->seq,
               core::FormatTimestamp(e->ts));
  } else {
    PrintJson(EventSummaryJson(*e), f == Format::kJson);
  }
  return kExitOk;
}

}  // namespace

void RegisterRecord(CLI::App& app, Globals& g, Runner& run) {
  CLI::App* rec = app.add_subcommand("record", "Create, modify, delete and read versioned records");
  rec->require_subcommand(1);

  struct WriteOpts {
    std::string type, id, reason, content = "-";
    // Given, even empty, is checked as a guideline id: "" is refused, not taken as none.
    std::optional<std::string> guideline;
    std::optional<uint64_t> expect;
  };

  {
    auto o = std::make_shared<WriteOpts>();
    CLI::App* c = rec->add_subcommand("create", "Create version 1 of a record; content is a JSON object on stdin");
    c->add_option("--type", o->type, "Record type")->required();
    c->add_option("--id", o->id, "Record id (never reused)")->required();
    c->add_option("--content", o->content, "File with the JSON content ('-' = stdin)");
    c->add_option("--reason", o->reason, "Reason (optional at first entry)");
    c->add_option("--guideline", o->guideline, "Guideline/protocol version in force");
    c->callback([&g, &run, o] {
      run = [&g, o]() -> int {
        // Validate everything before opening the ledger: bad input writes nothing.
        auto content = ReadContent(o->content);
        if (!content.ok()) return Fail(content.status());
        auto decider = records::DecideCreate({o->type, o->id, *content, Opt(o->reason), o->guideline});
        if (!decider.ok()) return Fail(decider.status());
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        return PrintWritten(g, s->vellum->CreateRecord(s->principal, {o->type, o->id, std::move(*content),
                                                                      Opt(o->reason), o->guideline}));
      };
    });
  }
  {
    auto o = std::make_shared<WriteOpts>();
    CLI::App* c = rec->add_subcommand("modify", "Make a new version from the complete new content on stdin");
    c->add_option("--type", o->type, "Record type")->required();
    c->add_option("--id", o->id, "Record id")->required();
    c->add_option("--content", o->content, "File with the complete new JSON content ('-' = stdin)");
    c->add_option("--reason", o->reason, "Why the record changes (required)")->required();
    c->add_option("--guideline", o->guideline, "Guideline/protocol version in force");
    c->add_option("--expect-version", o->expect, "Refuse unless the record is at this version")
        ->transform(kNonNegative);
    c->callback([&g, &run, o] {
      run = [&g, o]() -> int {
        auto content = ReadContent(o->content);
        if (!content.ok()) return Fail(content.status());
        records::ModifyRecord cmd{o->type, o->id, std::move(*content), o->reason, o->expect, o->guideline};
        auto check = records::DecideModify(cmd);
        if (!check.ok()) return Fail(check.status());
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        return PrintWritten(g, s->vellum->ModifyRecord(s->principal, std::move(cmd)));
      };
    });
  }
  {
    auto o = std::make_shared<WriteOpts>();
    CLI::App* c = rec->add_subcommand("delete", "Delete a record (a tombstone version; earlier versions remain)");
    c->add_option("--type", o->type, "Record type")->required();
    c->add_option("--id", o->id, "Record id")->required();
    c->add_option("--reason", o->reason, "Why the record is deleted (required)")->required();
    c->add_option("--expect-version", o->expect, "Refuse unless the record is at this version")
        ->transform(kNonNegative);
    c->callback([&g, &run, o] {
      run = [&g, o]() -> int {
        records::DeleteRecord cmd{o->type, o->id, o->reason, o->expect};
        auto check = records::DecideDelete(cmd);
        if (!check.ok()) return Fail(check.status());
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        return PrintWritten(g, s->vellum->DeleteRecord(s->principal, std::move(cmd)));
      };
    });
  }
  {
    auto o = std::make_shared<WriteOpts>();
    CLI::App* c = rec->add_subcommand("show", "Show the current (or a given) version with its content hash");
    c->add_option("--type", o->type, "Record type")->required();
    c->add_option("--id", o->id, "Record id")->required();
    c->add_option("--version", o->expect, "Version to show (default: current)")
        ->transform(kNonNegative);
    c->callback([&g, &run, o] {
      run = [&g, o]() -> int {
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        auto rec = s->vellum->GetRecord(s->principal, o->type, o->id, o->expect);
        if (!rec.ok()) return Fail(rec.status());
        auto latest = s->vellum->GetRecord(s->principal, o->type, o->id);
        bool current = latest.ok() && latest->row.version == rec->row.version;
        Format f = OutputFormat(g, Format::kJson);
        if (f == Format::kTable) PrintVersionTable(*rec, current);
        else PrintJson(VersionJson(*rec, current), f == Format::kJson);
        return kExitOk;
      };
    });
  }
  {
    auto o = std::make_shared<WriteOpts>();
    CLI::App* c = rec->add_subcommand("history", "Every version of a record, oldest first, with who, when and why");
    c->add_option("--type", o->type, "Record type")->required();
    c->add_option("--id", o->id, "Record id")->required();
    c->callback([&g, &run, o] {
      run = [&g, o]() -> int {
        auto s = OpenSignedIn(g);
        if (!s.ok()) return Fail(s.status());
        auto hist = s->vellum->History(s->principal, o->type, o->id);
        if (!hist.ok()) return Fail(hist.status());
        Format f = OutputFormat(g, Format::kTable);
        if (f == Format::kTable) {
          PrintHistoryTable(*hist);
        } else if (f == Format::kJsonl) {
          for (size_t i = 0; i < hist->size(); ++i) PrintJson(VersionJson((*hist)[i], i + 1 == hist->size()), false);
        } else {
          json::array a;
          for (size_t i = 0; i < hist->size(); ++i) a.push_back(VersionJson((*hist)[i], i + 1 == hist->size()));
          PrintJson(a, true);
        }
        return kExitOk;
      };
    });
  }
}

}  // namespace vellum::cli
