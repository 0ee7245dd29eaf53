#include "ledger/event.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <span>
#include <type_traits>
#include <vector>
#include <boost/json/value.hpp>

#include "core/clock.h"
#include "core/json.h"
#include "ledger/merkle.h"

namespace vellum::ledger {
namespace {

namespace json = boost::json;

// Envelope keys in canonical (sorted) order; EncodeEvent writes them in this order.
constexpr std::array<std::string_view, 15> kEventKeys = {
    "actor", "actor_name", "changes", "client", "data", "guideline", "id", "prev",
    "reason", "record", "seq", "session", "source", "ts", "type"};

void AppendKey(std::string_view key, std::string* out, bool first = false) {
  if (!first) out->push_back(',');
  out->push_back('"');
  out->append(key);  // all envelope keys are plain ASCII
  out->append("\":");
}

// A hash as its JSON string "sha256:<hex>" (nothing in it needs escaping),
// written in place: two of them per event, on the sequencer.
void AppendTaggedHash(const core::Hash& h, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->append("\"sha256:");
  const size_t at = out->size();
  out->resize(at + 2 * h.size());
  char* p = out->data() + at;
  for (uint8_t b : h) {
    *p++ = kHex[b >> 4];
    *p++ = kHex[b & 0xf];
  }
  out->push_back('"');
}

void AppendOptString(const std::optional<std::string>& s, std::string* out) {
  if (s) core::AppendJsonString(*s, out);
  else out->append("null");
}

Status CheckUtf8(std::string_view field, std::string_view s) {
  if (!core::IsValidUtf8(s)) return InvalidArgumentError(fmt::format("{} is not valid UTF-8", field));
  return OkStatus();
}

Status FieldError(std::string_view field, std::string_view problem) {
  return DataLossError(fmt::format("field \"{}\" {}", field, problem));
}

StatusOr<std::optional<std::string>> OptString(const json::value& v, std::string_view key) {
  if (v.is_null()) return std::optional<std::string>();
  if (!v.is_string()) return FieldError(key, "must be a string or null");
  return std::optional<std::string>(std::string(v.get_string()));
}

StatusOr<std::string> ReqString(const json::value& v, std::string_view key) {
  if (!v.is_string()) return FieldError(key, "must be a string");
  return std::string(v.get_string());
}

// A "sha256:…" string or null, decoded without copying the text first.
// `key` names the field in a type error, `hash_key` in a malformed hash.
StatusOr<std::optional<core::Hash>> OptHash(const json::value& v, std::string_view key,
                                            std::string_view hash_key) {
  if (v.is_null()) return std::optional<core::Hash>();
  if (!v.is_string()) return FieldError(key, "must be a string or null");
  const json::string& s = v.get_string();
  auto h = core::HashFromTagged(std::string_view(s.data(), s.size()));
  if (!h.ok()) return FieldError(hash_key, h.status().message());
  return std::optional<core::Hash>(*h);
}

// Index of `key` in kEventKeys (sorted), or kEventKeys.size() for an unknown key.
// `guess` is tried first: a canonical line holds the keys in this order.
size_t EventKeyIndex(std::string_view key, size_t guess) {
  if (guess < kEventKeys.size() && kEventKeys[guess] == key) return guess;
  auto it = std::lower_bound(kEventKeys.begin(), kEventKeys.end(), key);
  return it != kEventKeys.end() && *it == key ? static_cast<size_t>(it - kEventKeys.begin())
                                              : kEventKeys.size();
}

// Positions in kEventKeys.
enum EventKey : size_t {
  kActor,
  kActorName,
  kChanges,
  kClient,
  kData,
  kGuideline,
  kId,
  kPrev,
  kReason,
  kRecord,
  kSeq,
  kSession,
  kSource,
  kTs,
  kType
};

StatusOr<uint64_t> ReqUint(const json::value& v, std::string_view key) {
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) return static_cast<uint64_t>(v.get_int64());
  if (v.is_double()) {
    double d = v.get_double();
    if (d >= 0 && d <= 9007199254740991.0 && d == static_cast<double>(static_cast<uint64_t>(d))) {
      return static_cast<uint64_t>(d);
    }
  }
  return FieldError(key, "must be a non-negative integer");
}

// The RFC 8785 form of a non-negative integer. Up to 2^53 every integer is an
// exact double whose ECMAScript form is its plain decimal digits, so those are
// written directly; larger ones go through the double they round to, as
// FormatJsonNumber always did.
void AppendUint(uint64_t v, std::string* out) {
  constexpr uint64_t kMaxExact = uint64_t{1} << 53;
  if (v <= kMaxExact) {
    fmt::format_int digits(v);
    out->append(digits.data(), digits.size());
  } else {
    out->append(core::FormatJsonNumber(static_cast<double>(v)));
  }
}


// Reads the fields of a line that core::IsCanonicalJson accepted straight
// from its text, in canonical (sorted) key order. Every method returns false,
// without naming the problem, when the text is not what an event holds there.
class CanonicalLineReader {
 public:
  // `member_ends`: where the line's top-level member values end, as
  // IsCanonicalJson found them.
  CanonicalLineReader(std::string_view line, std::span<const size_t> member_ends)
      : line_(line),
        p_(line.data()),
        end_(line.data() + line.size()),
        member_ends_(member_ends),
        // One search of the whole line spares one per string field when, as
        // usual, nothing in it is escaped.
        has_escapes_(line.find('\\') != std::string_view::npos) {}

  // Consumes exactly the literal `text`, e.g. ",\"actor_name\":". Its length
  // is a constant, so the compiler compares it inline for equality (a
  // string_view compare calls memcmp for an ordering, a tenth of decoding).
  template <size_t N>
  bool Expect(const char (&text)[N]) {
    constexpr size_t n = N - 1;
    if (static_cast<size_t>(end_ - p_) < n || std::memcmp(p_, text, n) != 0) return false;
    p_ += n;
    return true;
  }
  bool AtEnd() const { return p_ == end_; }
  bool AtNull() { return Expect("null"); }

  // While true, the cursor is inside a member's value (the record's fields),
  // where no value ends were recorded.
  void set_nested(bool nested) { nested_ = nested; }

  // The text of the value at the cursor, which moves past it. The line is
  // well-formed (IsCanonicalJson proved it). A top-level member's value ends
  // at the first recorded member end past the cursor, so it is not searched
  // for again (the containers are most of a line); a nested one is searched.
  // Top-level values are read in line order, so the first recorded end past
  // the cursor is found by walking forward from the previous one.
  std::string_view Value() {
    const char* start = p_;
    const size_t at = static_cast<size_t>(p_ - line_.data());
    if (!nested_) {
      while (next_end_ < member_ends_.size() && member_ends_[next_end_] <= at) ++next_end_;
    }
    p_ = line_.data() + (!nested_ && next_end_ < member_ends_.size() ? member_ends_[next_end_]
                                                                      : core::WellFormedValueEnd(line_, at));
    return {start, static_cast<size_t>(p_ - start)};
  }

  bool String(std::string* out) {
    if (p_ == end_ || *p_ != '"') return false;
    const std::string_view text = Value();
    const std::string_view inner = text.substr(1, text.size() - 2);
    if (!has_escapes_ || inner.find('\\') == std::string_view::npos) {
      out->assign(inner);
      return true;
    }
    // Escapes are rare in these fields: let the parser read them.
    auto v = core::ParseJson(text, {text.size() + 1, 1, text.size() + 1});
    if (!v.ok() || !v->is_string()) return false;
    out->assign(v->get_string().data(), v->get_string().size());
    return true;
  }
  // A string without escapes, as its text between the quotes.
  bool PlainString(std::string_view* out) {
    if (p_ == end_ || *p_ != '"') return false;
    const std::string_view text = Value();
    *out = text.substr(1, text.size() - 2);
    return !has_escapes_ || out->find('\\') == std::string_view::npos;
  }
  // Reuses the storage of a string *out holds already.
  bool OptString(std::optional<std::string>* out) {
    if (AtNull()) {
      out->reset();
      return true;
    }
    if (!out->has_value()) out->emplace();
    return String(&**out);
  }
  // A non-negative integer written as plain digits that fits uint64 (what
  // ReqUint accepts from a canonical line; anything else is left to it).
  bool Uint(uint64_t* out) {
    const std::string_view text = Value();
    uint64_t v = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return false;
    *out = v;
    return true;
  }
  bool OptHash(std::optional<core::Hash>* out) {
    if (AtNull()) {
      out->reset();
      return true;
    }
    if (p_ == end_ || *p_ != '"') return false;
    const std::string_view text = Value();
    auto h = core::HashFromTagged(text.substr(1, text.size() - 2));
    if (!h.ok()) return false;
    *out = *h;
    return true;
  }
  // The value at the cursor parsed, when it is a container of the kind `T`.
  template <typename T>
  bool Container(char open, T* out) {
    if (p_ == end_ || *p_ != open) return false;
    const std::string_view text = Value();
    if (text.size() == 2) return true;  // {} or [] (most events' data): *out stays empty
    // The line was checked nested at most kMaxEventDepth deep; this value sits one level lower.
    auto v = core::ParseJson(text, {text.size() + 1, kMaxEventDepth, text.size() + 1});
    if (!v.ok()) return false;
    if constexpr (std::is_same_v<T, json::array>) {
      *out = std::move(v->get_array());
    } else {
      *out = std::move(v->get_object());
    }
    return true;
  }
  // Skips a container of the kind `open`, whose form IsCanonicalJson proved.
  bool SkipContainer(char open) {
    std::string_view ignored;
    return Raw(open, &ignored);
  }
  // The text of a container of the kind `open` (canonical, like the line).
  bool Raw(char open, std::string_view* out) {
    if (p_ == end_ || *p_ != open) return false;
    *out = Value();
    return true;
  }

 private:
  std::string_view line_;
  const char* p_;
  const char* end_;
  std::span<const size_t> member_ends_;
  size_t next_end_ = 0;  // member_ends_ before it end at or before the cursor
  bool nested_ = false;
  const bool has_escapes_;
};

bool ReadRecordRef(CanonicalLineReader& r, RecordRef* ref) {
  r.set_nested(true);
  const bool ok = r.Expect("{\"hash\":") && r.OptHash(&ref->content_hash) && r.Expect(",\"id\":") &&
                  r.String(&ref->id) && r.Expect(",\"type\":") && r.String(&ref->type) &&
                  r.Expect(",\"version\":") && r.Uint(&ref->version) && r.Expect("}");
  r.set_nested(false);
  return ok;
}

// DecodeEvent for a line in canonical form, reading it once for the check and
// once for the fields, without building a value for the whole line. Returns
// nullopt for any line it does not prove to be a well-formed event; the
// caller then decodes it the thorough way, which names the problem. What is
// built of `changes` and `data` depends on `bodies`: they are checked to be an
// array and an object either way (their form is proven with the line's).
enum class Bodies {
  kValues,       // both parsed into values
  kNone,         // both left empty
  kChangesText,  // data parsed, changes kept as text in changes_text
};

bool ReadChanges(CanonicalLineReader& r, Bodies bodies, Event* e) {
  e->changes.clear();
  e->changes_text.reset();
  switch (bodies) {
    case Bodies::kValues:
      return r.Container('[', &e->changes);
    case Bodies::kNone:
      return r.SkipContainer('[');
    case Bodies::kChangesText:
      std::string_view text;
      if (!r.Raw('[', &text)) return false;
      e->changes_text = std::make_shared<const std::string>(text);
      return true;
  }
  return false;
}

// *opt holding an empty value, reusing the storage of the one it held.
json::object* Emptied(std::optional<json::object>* opt) {
  if (!opt->has_value()) return &opt->emplace();
  (*opt)->clear();
  return &**opt;
}
// As above for a record reference, of which ReadRecordRef writes every field
// but the optional content hash.
RecordRef* Emptied(std::optional<RecordRef>* opt) {
  if (!opt->has_value()) return &opt->emplace();
  (*opt)->content_hash.reset();
  return &**opt;
}

// Decodes into *e, replacing every field; false leaves *e unspecified.
bool DecodeCanonicalLine(std::string_view line, Bodies bodies, Event* e) {
  thread_local std::vector<size_t> member_ends;
  if (!core::IsCanonicalJson(line, kMaxEventDepth, &member_ends) || member_ends.size() != kEventKeys.size()) {
    // Not an event's line (it has exactly these members): don't keep a huge
    // buffer alive after a line with very many.
    if (member_ends.capacity() > 4 * kEventKeys.size()) std::vector<size_t>().swap(member_ends);
    return false;
  }
  CanonicalLineReader r(line, member_ends);
  // Read below only when present, and left empty for an empty container.
  e->data.clear();
  e->content.reset();
  std::string_view ts;
  const bool ok =
      r.Expect("{\"actor\":") && r.String(&e->actor.id) && r.Expect(",\"actor_name\":") &&
      r.String(&e->actor.name) && r.Expect(",\"changes\":") &&
      ReadChanges(r, bodies, e) && r.Expect(",\"client\":") &&
      r.OptString(&e->actor.client) && r.Expect(",\"data\":") &&
      (bodies != Bodies::kNone ? r.Container('{', &e->data) : r.SkipContainer('{')) && r.Expect(",\"guideline\":") &&
      r.OptString(&e->guideline) && r.Expect(",\"id\":") && r.String(&e->id) && r.Expect(",\"prev\":") &&
      r.OptHash(&e->prev) && r.Expect(",\"reason\":") && r.OptString(&e->reason) &&
      r.Expect(",\"record\":") && (r.AtNull() ? (e->record.reset(), true) : ReadRecordRef(r, Emptied(&e->record))) &&
      r.Expect(",\"seq\":") && r.Uint(&e->seq) && r.Expect(",\"session\":") && r.OptString(&e->actor.session) &&
      r.Expect(",\"source\":") &&
      (r.AtNull() ? (e->actor.source.reset(), true) : r.Container('{', Emptied(&e->actor.source))) &&
      r.Expect(",\"ts\":") && r.PlainString(&ts) && r.Expect(",\"type\":") && r.String(&e->type) &&
      r.Expect("}") && r.AtEnd();
  return ok && core::ParseCanonicalTimestamp(ts, &e->ts);
}

}  // namespace

core::Hash EventLeafHash(std::string_view line) { return LeafHash(line); }

StatusOr<EncodedActor> EncodedActor::Encode(const Actor& a) {
  EncodedActor out;
  RETURN_IF_ERROR(CheckUtf8("actor", a.id));
  RETURN_IF_ERROR(CheckUtf8("actor_name", a.name));
  if (a.client) RETURN_IF_ERROR(CheckUtf8("client", *a.client));
  if (a.session) RETURN_IF_ERROR(CheckUtf8("session", *a.session));
  out.head_.push_back('{');
  AppendKey("actor", &out.head_, true);
  core::AppendJsonString(a.id, &out.head_);
  AppendKey("actor_name", &out.head_);
  core::AppendJsonString(a.name, &out.head_);
  AppendKey("changes", &out.head_);
  AppendOptString(a.client, &out.client_);
  AppendOptString(a.session, &out.session_);
  if (a.source) RETURN_IF_ERROR(core::AppendCanonicalJson(*a.source, &out.source_));
  else out.source_ = "null";
  return out;
}

StatusOr<std::string> EncodeEvent(const Event& e) {
  ASSIGN_OR_RETURN(EncodedActor actor, EncodedActor::Encode(e.actor));
  return EncodeEvent(e, actor);
}

StatusOr<std::string> EncodeEvent(const Event& e, const EncodedActor& actor) {
  std::string out;
  out.reserve(actor.head_.size() + 512 + (e.changes_text ? e.changes_text->size() : 0));
  out.append(actor.head_);
  if (e.changes_text) out.append(*e.changes_text);
  else RETURN_IF_ERROR(core::AppendCanonicalJson(e.changes, &out));
  AppendKey("client", &out);
  out.append(actor.client_);
  AppendKey("data", &out);
  RETURN_IF_ERROR(core::AppendCanonicalJson(e.data, &out));
  AppendKey("guideline", &out);
  if (e.guideline) RETURN_IF_ERROR(CheckUtf8("guideline", *e.guideline));
  AppendOptString(e.guideline, &out);
  AppendKey("id", &out);
  core::AppendJsonString(e.id, &out);
  AppendKey("prev", &out);
  if (e.prev) AppendTaggedHash(*e.prev, &out);
  else out.append("null");
  AppendKey("reason", &out);
  if (e.reason) RETURN_IF_ERROR(CheckUtf8("reason", *e.reason));
  AppendOptString(e.reason, &out);
  AppendKey("record", &out);
  if (e.record) {
    const RecordRef& r = *e.record;
    RETURN_IF_ERROR(CheckUtf8("record.type", r.type));
    RETURN_IF_ERROR(CheckUtf8("record.id", r.id));
    out.append("{\"hash\":");
    if (r.content_hash) AppendTaggedHash(*r.content_hash, &out);
    else out.append("null");
    out.append(",\"id\":");
    core::AppendJsonString(r.id, &out);
    out.append(",\"type\":");
    core::AppendJsonString(r.type, &out);
    out.append(",\"version\":");
    AppendUint(r.version, &out);
    out.push_back('}');
  } else {
    out.append("null");
  }
  AppendKey("seq", &out);
  AppendUint(e.seq, &out);
  AppendKey("session", &out);
  out.append(actor.session_);
  AppendKey("source", &out);
  out.append(actor.source_);
  AppendKey("ts", &out);
  // A timestamp holds nothing that needs escaping.
  out.push_back('"');
  core::AppendTimestamp(e.ts, &out);
  out.push_back('"');
  AppendKey("type", &out);
  RETURN_IF_ERROR(CheckUtf8("type", e.type));
  core::AppendJsonString(e.type, &out);
  out.push_back('}');
  return out;
}

namespace {

// DecodeEvent through a value built from the whole line: for lines the
// canonical reader does not accept, where it names the problem.
StatusOr<Event> DecodeByParsing(std::string_view line) {
  core::JsonLimits limits;
  limits.max_bytes = line.size() + 1;
  limits.max_string_bytes = line.size() + 1;
  // The envelope nests values a few levels below where the input limit put
  // them (a record field's value sits at changes[i].new), so a line holding
  // content at the input limit is deeper than that limit. Whatever EncodeEvent
  // wrote must decode again, or history and verify cannot read the ledger;
  // the bound only keeps recursion over the parsed value in check.
  limits.max_depth = kMaxEventDepth;
  auto parsed = core::ParseJson(line, limits);
  if (!parsed.ok()) return DataLossError("not valid JSON: " + parsed.status().message());
  if (!parsed->is_object()) return DataLossError("an event must be a JSON object");
  json::object& o = parsed->get_object();
  // One pass over the members instead of a hash lookup per field and check:
  // the parser has refused duplicate keys, so each known key is seen once.
  std::array<json::value*, kEventKeys.size()> f{};
  const json::key_value_pair* unknown = nullptr;
  size_t next = 0;
  for (auto& kv : o) {
    const size_t i = EventKeyIndex(std::string_view(kv.key()), next);
    next = i + 1;
    if (i < f.size())
      f[i] = &kv.value();
    else if (!unknown)
      unknown = &kv;
  }
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] == nullptr) return FieldError(kEventKeys[i], "is missing");
  }
  if (unknown)
    return DataLossError(fmt::format("unknown field \"{}\"", std::string_view(unknown->key())));
  Event e;
  ASSIGN_OR_RETURN(e.seq, ReqUint(*f[kSeq], "seq"));
  ASSIGN_OR_RETURN(e.id, ReqString(*f[kId], "id"));
  if (!f[kTs]->is_string()) return FieldError("ts", "must be a string");
  const json::string& ts = f[kTs]->get_string();
  auto t = core::ParseTimestamp(std::string_view(ts.data(), ts.size()));
  if (!t.ok()) return FieldError("ts", "is not a timestamp: " + t.status().message());
  e.ts = *t;
  ASSIGN_OR_RETURN(e.type, ReqString(*f[kType], "type"));
  ASSIGN_OR_RETURN(e.actor.id, ReqString(*f[kActor], "actor"));
  ASSIGN_OR_RETURN(e.actor.name, ReqString(*f[kActorName], "actor_name"));
  ASSIGN_OR_RETURN(e.actor.session, OptString(*f[kSession], "session"));
  ASSIGN_OR_RETURN(e.actor.client, OptString(*f[kClient], "client"));
  json::value& source = *f[kSource];
  if (source.is_object())
    e.actor.source = std::move(source.get_object());
  else if (!source.is_null()) return FieldError("source", "must be an object or null");
  const json::value& record = *f[kRecord];
  if (record.is_object()) {
    const json::object& r = record.get_object();
    if (r.size() != 4 || !r.contains("type") || !r.contains("id") || !r.contains("version") ||
        !r.contains("hash")) {
      return FieldError("record", "must have exactly type, id, version and hash");
    }
    RecordRef ref;
    ASSIGN_OR_RETURN(ref.type, ReqString(r.at("type"), "type"));
    ASSIGN_OR_RETURN(ref.id, ReqString(r.at("id"), "id"));
    ASSIGN_OR_RETURN(ref.version, ReqUint(r.at("version"), "record.version"));
    ASSIGN_OR_RETURN(ref.content_hash, OptHash(r.at("hash"), "hash", "record.hash"));
    e.record = std::move(ref);
  } else if (!record.is_null()) {
    return FieldError("record", "must be an object or null");
  }
  if (!f[kChanges]->is_array()) return FieldError("changes", "must be an array");
  e.changes = std::move(f[kChanges]->get_array());
  ASSIGN_OR_RETURN(e.reason, OptString(*f[kReason], "reason"));
  ASSIGN_OR_RETURN(e.guideline, OptString(*f[kGuideline], "guideline"));
  if (!f[kData]->is_object()) return FieldError("data", "must be an object");
  e.data = std::move(f[kData]->get_object());
  ASSIGN_OR_RETURN(e.prev, OptHash(*f[kPrev], "prev", "prev"));
  // The stored bytes must be exactly the canonical encoding, EncodeEvent(e) == line:
  // anything else (re-ordered keys, whitespace, other number or escape forms) is
  // an edit. EncodeEvent writes the RFC 8785 form of the parsed line with every
  // value as read, except `ts`, which it writes from the parsed time (hashes are
  // written back as read: only lower-case hex is accepted above). So the line is
  // EncodeEvent's output exactly when it is canonical JSON and its `ts` is the
  // standard form of its time; checking that from the text costs a fraction of
  // re-encoding the event (tests/ledger/event_test.cc compares the two).
  if (!core::IsCanonicalJsonText(line) ||
      core::FormatTimestamp(e.ts) != std::string_view(ts.data(), ts.size())) {
    return DataLossError("the line is not in canonical form (RFC 8785): it was not written by Vellum");
  }
  return e;
}

}  // namespace

StatusOr<Event> DecodeEvent(std::string_view line) {
  Event e;
  if (DecodeCanonicalLine(line, Bodies::kValues, &e)) return e;
  return DecodeByParsing(line);
}

Status DecodeEventForReplay(std::string_view line, Event* out) {
  if (DecodeCanonicalLine(line, Bodies::kChangesText, out)) return OkStatus();
  ASSIGN_OR_RETURN(*out, DecodeByParsing(line));
  return OkStatus();
}

StatusOr<Event> DecodeEventForReplay(std::string_view line) {
  Event e;
  RETURN_IF_ERROR(DecodeEventForReplay(line, &e));
  return e;
}

Status DecodeEventEnvelope(std::string_view line, Event* out) {
  if (DecodeCanonicalLine(line, Bodies::kNone, out)) return OkStatus();
  ASSIGN_OR_RETURN(*out, DecodeByParsing(line));
  out->changes.clear();
  out->data.clear();
  return OkStatus();
}

StatusOr<Event> DecodeEventEnvelope(std::string_view line) {
  Event e;
  RETURN_IF_ERROR(DecodeEventEnvelope(line, &e));
  return e;
}

bool IsNotJsonAtAll(std::string_view line) {
  // No size limit: an oversized event is still JSON.
  return !core::ParseJson(line, {line.size() + 1, 1024, line.size() + 1}).ok();
}

Status ValidateId(std::string_view what, std::string_view id) {
  if (id.empty()) return InvalidArgumentError(fmt::format("{} must not be empty", what));
  if (id.size() > 128) return InvalidArgumentError(fmt::format("{} is longer than 128 characters", what));
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    bool punct = c == '.' || c == '_' || c == ':' || c == '@' || c == '-';
    if (!alnum && !(punct && i > 0)) {
      return InvalidArgumentError(fmt::format(
          "{} may contain only letters, digits and . _ : @ - (not first); found {} at position {}",
          what, (c >= 0x20 && c < 0x7f) ? fmt::format("'{}'", c) : fmt::format("byte 0x{:02x}", static_cast<unsigned char>(c)), i));
    }
  }
  return OkStatus();
}

}  // namespace vellum::ledger
