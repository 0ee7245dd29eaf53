#include "cli/render.h"

#include <fmt/format.h>

#include "cli/cli_common.h"
#include "core/clock.h"
#include "core/display_text.h"
#include "core/json.h"

namespace vellum::cli {
namespace {

namespace json = boost::json;

json::value OptString(const std::optional<std::string>& s) {
  if (s) return json::string(*s);
  return nullptr;
}

json::value RecordRefJson(const std::optional<ledger::RecordRef>& r) {
  if (!r) return nullptr;
  json::object o;
  o["type"] = r->type;
  o["id"] = r->id;
  o["version"] = r->version;
  o["hash"] = r->content_hash ? json::value(core::HashToTagged(*r->content_hash)) : json::value(nullptr);
  return o;
}

// A table cell: one line, nothing a terminal acts on (a reason or name from the
// ledger may hold escape sequences), at most n characters, cut between characters.
std::string Shorten(std::string s, size_t n) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return core::ShortenText(core::ForTerminal(s), n);
}

// A whole field of the record view: nothing a terminal acts on, one line.
std::string Field(std::string_view s) { return core::ForTerminal(s); }

}  // namespace

json::object EventSummaryJson(const ledger::Event& e) {
  json::object o;
  o["seq"] = e.seq;
  o["ts"] = core::FormatTimestamp(e.ts);
  o["type"] = e.type;
  o["record"] = RecordRefJson(e.record);
  return o;
}

json::object VersionJson(const app::RecordVersionView& v, bool current) {
  json::object o;
  o["type"] = v.row.record_type;
  o["id"] = v.row.record_id;
  o["version"] = v.row.version;
  o["current"] = current;
  o["deleted"] = v.row.deleted;
  if (v.row.deleted) {
    o["content"] = nullptr;
    o["content_hash"] = nullptr;
  } else {
    auto parsed = core::ParseJson(v.row.content, {v.row.content.size() + 1, 1024, v.row.content.size() + 1});
    o["content"] = parsed.ok() ? *parsed : json::value(v.row.content);
    o["content_hash"] = core::HashToTagged(v.row.content_hash);
  }
  o["seq"] = v.event.seq;
  o["ts"] = core::FormatTimestamp(v.event.ts);
  o["event_type"] = v.event.type;
  o["actor"] = v.event.actor.id;
  o["actor_name"] = v.event.actor.name;
  o["session"] = OptString(v.event.actor.session);
  o["client"] = OptString(v.event.actor.client);
  o["reason"] = OptString(v.event.reason);
  o["guideline"] = OptString(v.event.guideline);
  o["changes"] = v.event.changes;
  return o;
}

void PrintVersionTable(const app::RecordVersionView& v, bool current) {
  const auto& r = v.row;
  fmt::print("record        {}/{}\n", r.record_type, r.record_id);
  fmt::print("version       {}{}{}\n", r.version, current ? " (current)" : "", r.deleted ? " (deleted)" : "");
  fmt::print("content hash  {}\n", r.deleted ? "-" : core::HashToTagged(r.content_hash));
  fmt::print("by            {} ({})\n", Field(v.event.actor.name), v.event.actor.id);
  fmt::print("at            {} (seq {})\n", core::FormatTimestamp(v.event.ts), v.event.seq);
  fmt::print("reason        {}\n", Field(v.event.reason.value_or("-")));
  fmt::print("guideline     {}\n", Field(v.event.guideline.value_or("-")));
  if (!r.deleted) fmt::print("content       {}\n", Field(r.content));
  for (const auto& c : v.event.changes) fmt::print("change        {}\n", Field(JsonText(c, false)));
}

void PrintHistoryTable(const std::vector<app::RecordVersionView>& versions) {
  fmt::print("{:>4}  {:<27}  {:<16}  {:<24}  {:<10}  {}\n", "ver", "time (UTC)", "event", "by", "hash", "reason");
  for (const auto& v : versions) {
    std::string hash = v.row.deleted ? "(deleted)" : core::HashToHex(v.row.content_hash).substr(0, 10);
    fmt::print("{:>4}  {:<27}  {:<16}  {:<24}  {:<10}  {}\n", v.row.version, core::FormatTimestamp(v.event.ts),
               v.event.type, Shorten(v.event.actor.name, 24), hash, Shorten(v.event.reason.value_or("-"), 60));
  }
}

void PrintEventTableHeader() {
  fmt::print("{:>8}  {:<27}  {:<26}  {:<16}  {:<28}  {}\n", "seq", "time (UTC)", "action", "actor", "record", "reason");
}

void PrintEventTableRow(const ledger::Event& e) {
  std::string rec = e.record ? fmt::format("{}/{} v{}", e.record->type, e.record->id, e.record->version) : "-";
  fmt::print("{:>8}  {:<27}  {:<26}  {:<16}  {:<28}  {}\n", e.seq, core::FormatTimestamp(e.ts), e.type,
             Shorten(e.actor.id, 16), Shorten(rec, 28), Shorten(e.reason.value_or("-"), 60));
}

namespace {

// Every field of the event (docs/formats/event.md), the record flattened into four; the
// event id and prev, which a reader of the trail needs least, last.
constexpr std::string_view kCsvColumns[] = {
    "seq",         "ts",        "type",           "actor",       "actor_name", "session",   "client",  "source",
    "record_type", "record_id", "record_version", "record_hash", "reason",     "guideline", "changes", "data",
    "id",          "prev"};

// RFC 4180: quoted when it holds a separator, a quote or a line break; quotes doubled.
void AppendCsvField(std::string_view v, std::string* out) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(v);
    return;
  }
  out->push_back('"');
  for (char c : v) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

// A value as a field: a string as it is, null empty, anything else its RFC 8785 text.
Status AppendCsvValue(const json::value* v, std::string* out) {
  if (v == nullptr || v->is_null()) return OkStatus();
  if (v->is_string()) {
    AppendCsvField(v->get_string(), out);
    return OkStatus();
  }
  std::string text;
  RETURN_IF_ERROR(core::AppendCanonicalJson(*v, &text));
  AppendCsvField(text, out);
  return OkStatus();
}

}  // namespace

void PrintEventCsvHeader() {
  std::string row;
  for (std::string_view c : kCsvColumns) {
    if (!row.empty()) row.push_back(',');
    row.append(c);
  }
  fmt::print("{}\r\n", row);
}

Status PrintEventCsvRow(std::string_view line) {
  // A stored line is within the ledger's own limits, which may exceed the parser's defaults.
  ASSIGN_OR_RETURN(json::value v, core::ParseJson(line, {line.size() + 1, 1024, line.size() + 1}));
  if (!v.is_object()) return DataLossError("a stored event is not a JSON object");
  const json::object& e = v.get_object();
  const json::value* record = e.if_contains("record");
  const json::object* r = record && record->is_object() ? &record->get_object() : nullptr;
  auto field = [&](std::string_view column) -> const json::value* {
    if (column.starts_with("record_")) return r ? r->if_contains(column.substr(7)) : nullptr;
    return e.if_contains(column);
  };
  std::string row;
  bool first = true;
  for (std::string_view c : kCsvColumns) {
    if (!first) row.push_back(',');
    first = false;
    RETURN_IF_ERROR(AppendCsvValue(field(c), &row));
  }
  fmt::print("{}\r\n", row);
  return OkStatus();
}

}  // namespace vellum::cli
