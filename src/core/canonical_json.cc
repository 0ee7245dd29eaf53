// RFC 8785 (JCS) output: a value, object or array written in canonical form.
#include "core/json.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "core/json_text.h"

namespace vellum::core {
namespace {

namespace bj = boost::json;
using json_text::AppendDouble;
using json_text::AppendEscaped;
using json_text::AppendInt64;
using json_text::AppendUint64;
using json_text::FormatNumber;
using json_text::kNpos;
using json_text::kNumberBuf;
using json_text::Utf16Less;

using Member = const bj::key_value_pair*;

struct MemberLess {
  bool operator()(Member a, Member b) const { return Utf16Less(a->key(), b->key()); }
};

// One step of the path from the root to the value being written.
struct PathStep {
  Member member;  // null for an array element
  size_t index;
};

// Per-thread buffers reused across calls, so the write path makes no
// allocation of its own for sorting keys or tracking the path.
struct WriterScratch {
  std::vector<Member> members;  // the members of every open object, stacked
  std::vector<PathStep> path;
};

// Writes RFC 8785 text. Internals return false on the first error and leave
// it in error(); the message names the JSON Pointer of the offending value,
// built from the path only then.
class CanonicalWriter {
 public:
  CanonicalWriter(std::string* out, WriterScratch* scratch)
      : out_(out), scratch_(&scratch->members), path_(scratch->path) {}

  bool Write(const bj::value& v) {
    switch (v.kind()) {
      case bj::kind::null:
        out_->append("null", 4);
        return true;
      case bj::kind::bool_:
        if (v.get_bool()) {
          out_->append("true", 4);
        } else {
          out_->append("false", 5);
        }
        return true;
      case bj::kind::int64:
        AppendInt64(v.get_int64(), out_);
        return true;
      case bj::kind::uint64:
        AppendUint64(v.get_uint64(), out_);
        return true;
      case bj::kind::double_:
        if (!std::isfinite(v.get_double())) return Fail("non-finite number at " + Pointer());
        AppendDouble(v.get_double(), out_);
        return true;
      case bj::kind::string:
        return WriteString(v.get_string(), "string");
      case bj::kind::array:
        return WriteArray(v.get_array());
      case bj::kind::object:
        return WriteObject(v.get_object());
    }
    return Fail("unknown JSON value kind");
  }

  bool Write(const bj::array& a) { return WriteArray(a); }
  bool Write(const bj::object& o) { return WriteObject(o); }

  const Status& error() const { return error_; }

 private:
  bool Fail(std::string message) {
    error_ = InvalidArgumentError(std::move(message));
    return false;
  }

  bool WriteString(std::string_view s, const char* what) {
    const size_t bad = AppendEscaped(s, out_);
    if (bad == kNpos) return true;
    return Fail(std::string("invalid UTF-8 in ") + what + " at byte " + std::to_string(bad) +
                " of the " + what + " at " + Pointer());
  }

  bool WriteArray(const bj::array& a) {
    out_->push_back('[');
    for (size_t i = 0; i < a.size(); ++i) {
      if (i) out_->push_back(',');
      path_.push_back({nullptr, i});
      if (!Write(a[i])) return false;
      path_.pop_back();
    }
    out_->push_back(']');
    return true;
  }

  bool WriteObject(const bj::object& o) {
    // The members of every open object sit on one shared scratch stack;
    // indices (not iterators) because nested objects may grow it.
    const size_t base = scratch_->size();
    for (const auto& kv : o) scratch_->push_back(&kv);
    const auto first = scratch_->begin() + static_cast<ptrdiff_t>(base);
    if (!std::is_sorted(first, scratch_->end(), MemberLess())) {
      std::sort(first, scratch_->end(), MemberLess());
    }
    out_->push_back('{');
    for (size_t i = base; i < base + o.size(); ++i) {
      const Member m = (*scratch_)[i];
      if (i != base) out_->push_back(',');
      path_.push_back({m, 0});
      if (!WriteString(m->key(), "key")) return false;
      out_->push_back(':');
      if (!Write(m->value())) return false;
      path_.pop_back();
    }
    out_->push_back('}');
    scratch_->resize(base);
    return true;
  }

  // RFC 6901 JSON Pointer of the value being written ("" for the root).
  std::string Pointer() const {
    std::string p;
    for (const auto& step : path_) {
      p.push_back('/');
      if (step.member == nullptr) {
        p += std::to_string(step.index);
        continue;
      }
      for (char c : std::string_view(step.member->key())) {
        if (c == '~') {
          p += "~0";
        } else if (c == '/') {
          p += "~1";
        } else {
          p.push_back(c);
        }
      }
    }
    // Keys may hold anything; quote the pointer so the message stays one clean line.
    std::string quoted;
    if (AppendEscaped(p, &quoted) != kNpos) quoted = "(a key that is not UTF-8)";
    return quoted;
  }

  std::string* out_;
  std::vector<Member>* scratch_;
  // Members and indices from the root to the value being written, kept even
  // on the happy path because an error message needs it (cheap: no strings).
  std::vector<PathStep>& path_;
  Status error_;
};

template <typename Json>
Status AppendCanonical(const Json& v, std::string* out) {
  thread_local WriterScratch scratch;
  scratch.members.clear();
  scratch.path.clear();
  const size_t start = out->size();
  CanonicalWriter writer(out, &scratch);
  const bool ok = writer.Write(v);
  // Don't keep a huge buffer alive after one huge value.
  if (scratch.members.capacity() > 4096) std::vector<Member>().swap(scratch.members);
  if (scratch.path.capacity() > 4096) std::vector<PathStep>().swap(scratch.path);
  if (ok) return OkStatus();
  out->resize(start);  // no half-written value on failure
  return writer.error();
}

template <typename Json>
StatusOr<std::string> Canonical(const Json& v) {
  std::string out;
  RETURN_IF_ERROR(AppendCanonical(v, &out));
  return out;
}

}  // namespace

Status AppendCanonicalJson(const bj::value& v, std::string* out) { return AppendCanonical(v, out); }
Status AppendCanonicalJson(const bj::object& v, std::string* out) { return AppendCanonical(v, out); }
Status AppendCanonicalJson(const bj::array& v, std::string* out) { return AppendCanonical(v, out); }
StatusOr<std::string> CanonicalJson(const bj::value& v) { return Canonical(v); }
StatusOr<std::string> CanonicalJson(const bj::object& v) { return Canonical(v); }
StatusOr<std::string> CanonicalJson(const bj::array& v) { return Canonical(v); }

StatusOr<std::string> CanonicalizeJsonText(std::string_view text, const JsonLimits& limits) {
  ASSIGN_OR_RETURN(bj::value v, ParseJson(text, limits));
  std::string out;
  out.reserve(text.size());
  RETURN_IF_ERROR(AppendCanonicalJson(v, &out));
  return out;
}

std::string FormatJsonNumber(double d) {
  char buf[kNumberBuf];
  return std::string(buf, FormatNumber(d, buf));
}

void AppendJsonString(std::string_view s, std::string* out) {
  // Invalid input breaks the REQUIRES; its bytes are then copied unescaped.
  static_cast<void>(AppendEscaped(s, out));
}

}  // namespace vellum::core
