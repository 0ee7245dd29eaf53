#include "core/json.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// basic_parser's member definitions live in this header; the rest of
// Boost.JSON comes from the compiled library (Boost::json).
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/value.hpp>

namespace vellum::core {
namespace {

namespace bj = boost::json;

constexpr size_t kNpos = std::string_view::npos;

// ---------------------------------------------------------------------------
// UTF-8

constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighBits = 0x8080808080808080ull;

inline uint64_t Load8(const unsigned char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// Length of the well-formed UTF-8 sequence (RFC 3629 §4: no overlongs, no
// surrogates, nothing above U+10FFFF) starting with the non-ASCII byte at p,
// or 0 if it is ill-formed. REQUIRES: p < end, *p >= 0x80.
inline size_t Utf8SequenceLength(const unsigned char* p, const unsigned char* end) {
  const unsigned c = *p;
  size_t len;
  unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // U+D800..U+DFFF
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;  // continuation byte, C0/C1 overlong lead, or F5..FF
  }
  if (static_cast<size_t>(end - p) < len) return 0;
  if (p[1] < lo || p[1] > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (p[k] < 0x80 || p[k] > 0xBF) return 0;
  }
  return len;
}

// Offset of the first byte of the first ill-formed sequence, or kNpos.
size_t FindInvalidUtf8(std::string_view s) {
  const auto* begin = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = begin + s.size();
  const auto* p = begin;
  while (p < end) {
    while (end - p >= 8 && (Load8(p) & kHighBits) == 0) p += 8;  // ASCII, 8 at a time
    if (p >= end) break;
    if (*p < 0x80) {
      ++p;
      continue;
    }
    const size_t len = Utf8SequenceLength(p, end);
    if (len == 0) return static_cast<size_t>(p - begin);
    p += len;
  }
  return kNpos;
}

// ---------------------------------------------------------------------------
// Strings (RFC 8785 §3.2.2.2)

// 0: copy the byte as is; otherwise the character after the backslash, 'u'
// for \u00XX, or 'x' for a non-ASCII byte (checked, then copied: the output
// stays UTF-8).
constexpr std::array<char, 256> MakeEscapeTable() {
  std::array<char, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 'u';
  for (int c = 0x80; c < 0x100; ++c) t[c] = 'x';
  t['\b'] = 'b';
  t['\f'] = 'f';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t['\t'] = 't';
  t['"'] = '"';
  t['\\'] = '\\';
  return t;
}
constexpr std::array<char, 256> kEscape = MakeEscapeTable();

// True when any of the 8 bytes in w needs a look: a control character, '"',
// '\\' or a non-ASCII byte (classic SWAR tests; exact for "any byte").
inline bool NeedsAttention(uint64_t w) {
  const auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHighBits; };
  const uint64_t control = (w - kOnes * 0x20) & ~w & kHighBits;
  return (control | has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\')) | (w & kHighBits)) !=
         0;
}

// Appends the JCS form of s, quotes included, validating UTF-8 on the way.
// Returns the offset in s of the first ill-formed byte (then copied as is, so
// callers that care must discard the output), or kNpos.
size_t AppendEscaped(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* begin = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = begin + s.size();
  const auto* p = begin;
  const auto* run = begin;  // start of bytes not yet appended
  size_t invalid = kNpos;
  if (out->capacity() - out->size() < s.size() + 2) {
    out->reserve(std::max(out->size() + s.size() + 2, out->capacity() * 2));
  }
  out->push_back('"');
  while (p < end) {
    // Most strings need no escape at all: skip 8 bytes at a time, then a
    // tail of under 8 as the (overlapping) last 8 bytes, then byte by byte.
    while (end - p >= 8 && !NeedsAttention(Load8(p))) p += 8;
    if (end - p < 8 && end - begin >= 8 && !NeedsAttention(Load8(end - 8))) break;
    while (p < end && kEscape[*p] == 0) ++p;
    if (p >= end) break;
    const unsigned c = *p;
    const char e = kEscape[c];
    if (e == 'x') {
      const size_t len = Utf8SequenceLength(p, end);
      if (len == 0 && invalid == kNpos) invalid = static_cast<size_t>(p - begin);
      p += len ? len : 1;
      continue;
    }
    out->append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
    if (e == 'u') {
      const char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out->append(u, 6);
    } else {
      const char u[2] = {'\\', e};
      out->append(u, 2);
    }
    run = ++p;
  }
  out->append(reinterpret_cast<const char*>(run), static_cast<size_t>(end - run));
  out->push_back('"');
  return invalid;
}

// ---------------------------------------------------------------------------
// Numbers (RFC 8785 §3.2.2.3, ECMA-262 Number::toString)

// Longest output: "-" + "0." + 6 zeros + 17 digits, or "-" + 21 digits, or
// "-d.dddddddddddddddde-308": all well under 32.
constexpr size_t kNumberBuf = 40;

// Writes the ECMAScript form of finite `d` into buf; returns the end.
char* FormatNumber(double d, char* buf) {
  char* o = buf;
  if (d == 0) {  // +0 and -0
    *o++ = '0';
    return o;
  }
  if (!std::isfinite(d)) {  // outside the contract; ECMAScript's spelling, not UB
    const char* name = std::isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
    const size_t len = std::strlen(name);
    std::memcpy(o, name, len);
    return o + len;
  }
  // Shortest round-trip digits; among the shortest, the one nearest to d,
  // which is what ECMA-262 asks for (and what V8 prints).
  char sci[32];
  const auto r = std::to_chars(sci, sci + sizeof sci, d, std::chars_format::scientific);
  const char* p = sci;
  if (*p == '-') {
    *o++ = '-';
    ++p;
  }
  char digits[20];
  int k = 0;
  for (; *p != 'e'; ++p) {
    if (*p != '.') digits[k++] = *p;
  }
  ++p;  // 'e'
  const bool exp_negative = *p == '-';
  ++p;  // sign
  int e = 0;
  for (; p < r.ptr; ++p) e = e * 10 + (*p - '0');
  if (exp_negative) e = -e;
  // ECMA-262: value = digits × 10^(n−k), so n is the position of the decimal point.
  const int n = e + 1;
  if (k <= n && n <= 21) {
    std::memcpy(o, digits, static_cast<size_t>(k));
    o += k;
    std::memset(o, '0', static_cast<size_t>(n - k));
    o += n - k;
  } else if (0 < n && n <= 21) {
    std::memcpy(o, digits, static_cast<size_t>(n));
    o += n;
    *o++ = '.';
    std::memcpy(o, digits + n, static_cast<size_t>(k - n));
    o += k - n;
  } else if (-6 < n && n <= 0) {
    *o++ = '0';
    *o++ = '.';
    std::memset(o, '0', static_cast<size_t>(-n));
    o += -n;
    std::memcpy(o, digits, static_cast<size_t>(k));
    o += k;
  } else {
    *o++ = digits[0];
    if (k > 1) {
      *o++ = '.';
      std::memcpy(o, digits + 1, static_cast<size_t>(k - 1));
      o += k - 1;
    }
    *o++ = 'e';
    *o++ = n - 1 < 0 ? '-' : '+';
    o = std::to_chars(o, buf + kNumberBuf, n - 1 < 0 ? 1 - n : n - 1).ptr;
  }
  return o;
}

void AppendDouble(double d, std::string* out) {
  char buf[kNumberBuf];
  out->append(buf, FormatNumber(d, buf));
}

// Integers of magnitude up to 2^53 are exact doubles and ECMAScript prints
// them as plain digits; larger ones round to a double first, as they would in
// JavaScript.
constexpr int64_t kMaxExactInt = int64_t{1} << 53;

void AppendInt64(int64_t i, std::string* out) {
  if (i >= -kMaxExactInt && i <= kMaxExactInt) {
    char buf[24];
    out->append(buf, std::to_chars(buf, buf + sizeof buf, i).ptr);
  } else {
    AppendDouble(static_cast<double>(i), out);
  }
}

void AppendUint64(uint64_t u, std::string* out) {
  if (u <= static_cast<uint64_t>(kMaxExactInt)) {
    AppendInt64(static_cast<int64_t>(u), out);
  } else {
    AppendDouble(static_cast<double>(u), out);
  }
}

// ---------------------------------------------------------------------------
// Canonical output

// True when UTF-8 string a sorts before b in UTF-16 code-unit order
// (RFC 8785 §3.2.3). UTF-8 byte order is code-point order, which agrees with
// UTF-16 order except that supplementary characters (lead byte F0..F4, UTF-16
// surrogates D800..DFFF) sort before U+E000..U+FFFF (lead byte EE or EF). Both
// strings share every byte before the first difference, so the differing bytes
// are both lead bytes or both continuation bytes of code points of one length;
// only the lead-byte case above needs correcting.
// Index of the first byte where x and y differ, or n. Keys are short, so
// this compares 8 bytes at a time inline rather than calling memcmp.
inline size_t FirstDifference(const unsigned char* x, const unsigned char* y, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t diff = Load8(x + i) ^ Load8(y + i);
    if (diff == 0) continue;
    if constexpr (std::endian::native == std::endian::little) {
      return i + static_cast<size_t>(std::countr_zero(diff) / 8);
    } else {
      return i + static_cast<size_t>(std::countl_zero(diff) / 8);
    }
  }
  while (i < n && x[i] == y[i]) ++i;
  return i;
}

bool Utf16Less(std::string_view a, std::string_view b) {
  const auto* x = reinterpret_cast<const unsigned char*>(a.data());
  const auto* y = reinterpret_cast<const unsigned char*>(b.data());
  const size_t n = std::min(a.size(), b.size());
  const size_t i = FirstDifference(x, y, n);
  if (i == n) return a.size() < b.size();  // a prefix sorts first
  const unsigned cx = x[i], cy = y[i];
  if (cx >= 0xEE && cy >= 0xEE) {
    const bool x_astral = cx >= 0xF0, y_astral = cy >= 0xF0;
    if (x_astral != y_astral) return x_astral;
  }
  return cx < cy;
}

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

// ---------------------------------------------------------------------------
// Strict parsing

// Why the handler stopped the parser; ParseJson turns it into a message once
// it knows where the parser stopped.
enum class HandlerError { kNone, kDuplicateKey, kStringTooLong, kNumberNotFinite, kMessage };

// Builds a boost::json::value from basic_parser events, rejecting what
// Boost.JSON's own handler would accept silently (duplicate keys, numbers
// that overflow), and re-reading every non-integer number from its text
// because Boost 1.81's fast conversion is not always correctly rounded.
//
// Like Boost's value_stack, completed values wait on one flat stack, and the
// keys of open objects in one character buffer; each array or object is built
// once, at its end, with its final size: no growing and rehashing.
class StrictHandler {
 public:
  static constexpr size_t max_object_size = bj::object::max_size();
  static constexpr size_t max_array_size = bj::array::max_size();
  static constexpr size_t max_key_size = bj::string::max_size();
  static constexpr size_t max_string_size = bj::string::max_size();

  StrictHandler(std::string_view text, size_t max_string_bytes)
      : text_(text), max_string_bytes_(max_string_bytes) {
    stack_.reserve(32);  // a typical event without regrowing
    keys_.reserve(32);
    key_chars_.reserve(256);
  }

  bool on_document_begin(bj::error_code&) { return true; }
  bool on_document_end(bj::error_code&) { return true; }

  bool on_array_begin(bj::error_code&) {
    frames_.push_back(Frame{stack_.size(), keys_.size(), nullptr});
    return true;
  }
  bool on_array_end(size_t n, bj::error_code&) {
    const size_t start = frames_.back().start;
    bj::array a;
    a.reserve(n);
    for (size_t i = start; i < stack_.size(); ++i) a.push_back(std::move(stack_[i]));
    Close(start, bj::value(std::move(a)));
    return true;
  }
  bool on_object_begin(bj::error_code&) {
    frames_.push_back(Frame{stack_.size(), keys_.size(), nullptr});
    return true;
  }
  bool on_object_end(size_t n, bj::error_code&) {
    const Frame& f = frames_.back();
    const size_t start = f.start;
    bj::object o;
    o.reserve(n);
    for (size_t i = 0; i < n; ++i) o.emplace(Key(f.first_key + i), std::move(stack_[start + i]));
    if (f.first_key < keys_.size()) key_chars_.resize(keys_[f.first_key].offset);
    keys_.resize(f.first_key);
    Close(start, bj::value(std::move(o)));
    return true;
  }

  bool on_key_part(bj::string_view s, size_t n, bj::error_code& ec) {
    if (n > max_string_bytes_) return Fail(HandlerError::kStringTooLong, ec);
    part_.append(s.data(), s.size());
    return true;
  }
  bool on_key(bj::string_view s, size_t n, bj::error_code& ec) {
    if (n > max_string_bytes_) return Fail(HandlerError::kStringTooLong, ec);
    const std::string_view key = Whole(s);
    // Checked when the key is read, so the error points at the second copy.
    if (IsDuplicate(key)) {
      detail_.clear();
      AppendEscaped(Truncate(key), &detail_);
      return Fail(HandlerError::kDuplicateKey, ec);
    }
    part_.clear();
    return true;
  }

  bool on_string_part(bj::string_view s, size_t n, bj::error_code& ec) {
    return on_key_part(s, n, ec);
  }
  bool on_string(bj::string_view s, size_t n, bj::error_code& ec) {
    if (n > max_string_bytes_) return Fail(HandlerError::kStringTooLong, ec);
    stack_.emplace_back(bj::string_view(Whole(s)));
    part_.clear();
    return true;
  }

  bool on_number_part(bj::string_view s, bj::error_code&) {
    if (number_.empty()) number_start_ = s.data();
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(int64_t i, bj::string_view, bj::error_code&) {
    number_.clear();
    stack_.emplace_back(i);
    return true;
  }
  bool on_uint64(uint64_t u, bj::string_view, bj::error_code&) {
    number_.clear();
    stack_.emplace_back(u);
    return true;
  }
  bool on_double(double approx, bj::string_view s, bj::error_code& ec) {
    const char* start = number_.empty() ? s.data() : number_start_;
    if (!number_.empty()) {
      number_.append(s.data(), s.size());
      s = number_;
    }
    double d = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), d);
    if (r.ec == std::errc::result_out_of_range) {
      // from_chars reports both overflow and underflow. The two are hundreds of
      // orders of magnitude apart, so Boost's approximation tells them apart.
      if (std::fabs(approx) >= 1.0) {
        detail_.assign(Truncate(std::string_view(s.data(), s.size())));
        number_offset_ = OffsetOf(start);
        return Fail(HandlerError::kNumberNotFinite, ec);
      }
      // Underflow rounds to zero, as JSON.parse does ("1e-400" → 0).
      d = s[0] == '-' ? -0.0 : 0.0;
    } else if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
      detail_ = "number the parser accepted could not be converted";
      return Fail(HandlerError::kMessage, ec);
    }
    number_.clear();
    stack_.emplace_back(d);
    return true;
  }

  bool on_bool(bool b, bj::error_code&) {
    stack_.emplace_back(b);
    return true;
  }
  bool on_null(bj::error_code&) {
    stack_.emplace_back(nullptr);
    return true;
  }
  // Comments are disabled in parse_options; these are never called.
  bool on_comment_part(bj::string_view, bj::error_code& ec) {
    return Fail(HandlerError::kMessage, ec);
  }
  bool on_comment(bj::string_view, bj::error_code& ec) { return Fail(HandlerError::kMessage, ec); }

  HandlerError error() const { return error_; }
  const std::string& detail() const { return detail_; }
  size_t number_offset() const { return number_offset_; }
  // REQUIRES: the parser is done().
  bj::value TakeRoot() { return std::move(stack_.front()); }

 private:
  // Objects with more keys than this get a hash index for the duplicate check;
  // smaller ones compare linearly, which is faster at that size.
  static constexpr size_t kLinearKeys = 16;

  struct KeyRef {
    size_t offset;  // in key_chars_
    size_t size;
  };
  std::string_view Key(size_t i) const {
    return {key_chars_.data() + keys_[i].offset, keys_[i].size};
  }

  // Hash and compare keys by their index in keys_ (key_chars_ moves when it
  // grows, so views into it would not stay valid).
  struct KeyHash {
    const StrictHandler* h;
    size_t operator()(size_t i) const { return std::hash<std::string_view>()(h->Key(i)); }
  };
  struct KeyEq {
    const StrictHandler* h;
    bool operator()(size_t a, size_t b) const { return h->Key(a) == h->Key(b); }
  };
  using KeyIndex = std::unordered_set<size_t, KeyHash, KeyEq>;

  struct Frame {
    size_t start;                     // index in stack_ of the first element or member value
    size_t first_key;                 // objects: index in keys_ of the first key
    std::unique_ptr<KeyIndex> index;  // objects with many keys only
  };

  bool Fail(HandlerError e, bj::error_code& ec) {
    error_ = e;
    ec = bj::error::syntax;  // any code: ParseJson looks at error_
    return false;
  }

  // Records the key and reports whether the open object already has it.
  bool IsDuplicate(std::string_view key) {
    Frame& f = frames_.back();
    const size_t pos = keys_.size();
    if (pos - f.first_key < kLinearKeys) {
      for (size_t i = f.first_key; i < pos; ++i) {
        if (Key(i) == key) return true;
      }
    }
    keys_.push_back({key_chars_.size(), key.size()});
    key_chars_.append(key);
    if (pos - f.first_key < kLinearKeys) return false;
    if (!f.index) {
      f.index = std::make_unique<KeyIndex>(4 * kLinearKeys, KeyHash{this}, KeyEq{this});
      for (size_t i = f.first_key; i < pos; ++i) f.index->insert(i);
    }
    return !f.index->insert(pos).second;
  }

  // The complete text of a string or key delivered in parts.
  std::string_view Whole(bj::string_view last) {
    if (part_.empty()) return {last.data(), last.size()};
    part_.append(last.data(), last.size());
    return part_;
  }

  void Close(size_t start, bj::value&& v) {
    stack_.resize(start);
    frames_.pop_back();
    stack_.push_back(std::move(v));
  }

  size_t OffsetOf(const char* p) const {
    if (p >= text_.data() && p <= text_.data() + text_.size()) {
      return static_cast<size_t>(p - text_.data());
    }
    return kNpos;
  }

  // At most 64 bytes of s, cut at a character boundary, for messages.
  static std::string_view Truncate(std::string_view s) {
    if (s.size() <= 64) return s;
    size_t n = 64;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return s.substr(0, n);
  }

  std::string_view text_;
  size_t max_string_bytes_;
  std::vector<bj::value> stack_;  // completed values of open containers
  std::vector<Frame> frames_;     // open arrays and objects
  std::vector<KeyRef> keys_;      // keys of open objects, in order
  std::string key_chars_;         // their text
  std::string part_;              // string or key text delivered in parts so far
  std::string number_;            // number text delivered in parts so far
  const char* number_start_ = nullptr;
  HandlerError error_ = HandlerError::kNone;
  std::string detail_;
  size_t number_offset_ = kNpos;
};

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Offset of the opening quote of the string that contains (or ends at) `pos`.
// Every '"' in JSON text is a delimiter unless an odd number of backslashes
// precede it, and the parser accepted everything before `pos`.
size_t StringStart(std::string_view text, size_t pos) {
  for (size_t i = std::min(pos, text.size()); i-- > 0;) {
    if (text[i] != '"') continue;
    size_t slashes = 0;
    while (slashes < i && text[i - 1 - slashes] == '\\') ++slashes;
    if (slashes % 2 == 0) return i;
  }
  return pos;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Value of the \uXXXX escape at text[i] (text[i] == '\\'), or -1.
int EscapeAt(std::string_view text, size_t i) {
  if (i + 6 > text.size() || text[i] != '\\' || text[i + 1] != 'u') return -1;
  int v = 0;
  for (size_t k = i + 2; k < i + 6; ++k) {
    const int h = HexValue(text[k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

// What a lexical pass over JSON text up to `limit` finds: the first \u
// escape of a surrogate that is not half of a high+low pair, and whether
// `limit` lies inside a string. Only run after the parser failed at `limit`
// (everything before it is then valid JSON), to explain errors Boost reports
// as plain syntax errors.
struct StringScan {
  size_t lone_surrogate = kNpos;
  bool in_string = false;
};

StringScan ScanStrings(std::string_view text, size_t limit) {
  StringScan r;
  for (size_t i = 0; i < text.size() && i < limit; ++i) {
    const char c = text[i];
    if (!r.in_string) {
      r.in_string = c == '"';
    } else if (c == '"') {
      r.in_string = false;
    } else if (c == '\\') {
      const int u = EscapeAt(text, i);
      if (u >= 0xD800 && u <= 0xDBFF) {
        const int low = EscapeAt(text, i + 6);
        if (low < 0xDC00 || low > 0xDFFF) {
          r.lone_surrogate = i;
          return r;
        }
        i += 11;
      } else if (u >= 0xDC00 && u <= 0xDFFF) {
        r.lone_surrogate = i;
        return r;
      } else {
        ++i;  // the escaped character
      }
    }
  }
  return r;
}

std::string At(size_t offset) { return " at byte " + std::to_string(offset); }

// Explains a failure the parser itself detected, `pos` being where it stopped.
Status DescribeSyntaxError(std::string_view text, size_t pos, const bj::error_code& ec,
                           const JsonLimits& limits) {
  if (ec == bj::error::too_deep) {
    return InvalidArgumentError("nesting deeper than " + std::to_string(limits.max_depth) +
                                At(pos));
  }
  const StringScan scan = ScanStrings(text, pos + 1);
  if (const size_t s = scan.lone_surrogate; s != kNpos) {
    return InvalidArgumentError("lone surrogate \\" + std::string(text.substr(s + 1, 5)) + At(s));
  }
  if (pos < text.size()) {
    const auto c = static_cast<unsigned char>(text[pos]);
    if (c == '/' && !scan.in_string) {
      return InvalidArgumentError("comments are not allowed" + At(pos));
    }
    if (c == ']' || c == '}') {
      size_t i = pos;
      while (i > 0 && IsJsonSpace(text[i - 1])) --i;
      if (i > 0 && text[i - 1] == ',') {
        return InvalidArgumentError("trailing comma" + At(i - 1));
      }
    }
    if (c < 0x20 && scan.in_string) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "U+%04X", c);
      return InvalidArgumentError(std::string("unescaped control character ") + hex + At(pos));
    }
  }
  if (ec == bj::error::incomplete || pos >= text.size()) {
    return InvalidArgumentError("unexpected end of input" + At(pos));
  }
  return InvalidArgumentError("invalid JSON (" + ec.message() + ")" + At(pos));
}

StatusOr<bj::value> ParseStrict(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return ResourceExhaustedError("JSON text of " + std::to_string(text.size()) +
                                  " bytes exceeds the limit of " +
                                  std::to_string(limits.max_bytes) + " bytes");
  }
  // Checked up front over the whole text so every report names the exact
  // byte; Boost's own check is then redundant and switched off below.
  if (const size_t bad = FindInvalidUtf8(text); bad != kNpos) {
    return InvalidArgumentError("invalid UTF-8" + At(bad));
  }
  if (std::all_of(text.begin(), text.end(), IsJsonSpace)) {
    return InvalidArgumentError("empty input");
  }

  bj::parse_options opt;
  opt.max_depth = limits.max_depth;
  opt.allow_comments = false;
  opt.allow_trailing_commas = false;
  opt.allow_invalid_utf8 = true;  // already validated above
  bj::basic_parser<StrictHandler> parser(opt, text, limits.max_string_bytes);
  bj::error_code ec;
  const size_t pos = parser.write_some(false, text.data(), text.size(), ec);
  const StrictHandler& h = parser.handler();
  switch (h.error()) {
    case HandlerError::kNone:
      break;
    case HandlerError::kDuplicateKey:
      // The parser stops on the closing quote of the key.
      return InvalidArgumentError("duplicate key " + h.detail() + At(StringStart(text, pos)));
    case HandlerError::kStringTooLong:
      return InvalidArgumentError("string longer than " + std::to_string(limits.max_string_bytes) +
                                  " bytes" + At(StringStart(text, pos)));
    case HandlerError::kNumberNotFinite:
      return InvalidArgumentError("number " + h.detail() + " is not a finite double" +
                                  At(h.number_offset() != kNpos ? h.number_offset() : pos));
    case HandlerError::kMessage:
      return InternalError("JSON parser: " + h.detail() + At(pos));
  }
  if (ec) return DescribeSyntaxError(text, pos, ec, limits);
  if (!parser.done()) return InvalidArgumentError("unexpected end of input" + At(pos));
  for (size_t i = pos; i < text.size(); ++i) {
    if (!IsJsonSpace(text[i])) {
      if (text[i] == '/') return InvalidArgumentError("comments are not allowed" + At(i));
      return InvalidArgumentError("unexpected data after the JSON value" + At(i));
    }
  }
  return parser.handler().TakeRoot();
}

}  // namespace

StatusOr<bj::value> ParseJson(std::string_view text, const JsonLimits& limits) {
  try {
    return ParseStrict(text, limits);
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError("out of memory parsing JSON");
  } catch (const std::length_error& e) {
    return ResourceExhaustedError(std::string("JSON too large: ") + e.what());
  } catch (const std::exception& e) {
    return InternalError(std::string("JSON parser: ") + e.what());
  }
}

namespace {

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

bool IsValidUtf8(std::string_view s) { return FindInvalidUtf8(s) == kNpos; }

namespace {

bool IsCanonicalSlow(std::string_view t);

// Whether the number token `t` is spelled exactly as CanonicalWriter writes the
// value ParseJson reads from it (an int64, else a uint64, else a correctly
// rounded double).
bool IsCanonicalNumber(std::string_view t) {
  const bool negative = t[0] == '-';
  const std::string_view digits = t.substr(negative ? 1 : 0);
  // One loop over the token finds the point and an exponent (find_first_of
  // with a set calls memchr per character; verify checks every number).
  size_t point = kNpos;
  bool exponent = false;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (digits[i] == '.') {
      point = i;
    } else if (digits[i] == 'e' || digits[i] == 'E') {
      exponent = true;
      break;
    }
  }
  const bool integer = point == kNpos && !exponent;
  // Up to 15 digits is below 2^53: written back as the same digits. JSON has no
  // leading zeros, so only "-0" (written "0") differs.
  if (integer && digits.size() <= 15) return !(negative && digits == "0");
  // A plain decimal fraction of at most 15 significant digits reads as the double
  // nearest to it, and any 15 digits survive that round trip (DBL_DIG), so no other
  // decimal of 15 digits or fewer reads as the same double: its shortest digits are
  // its own, written back as is unless a zero ends the fraction or ECMAScript turns
  // to the exponent form (below 1e-6).
  if (!integer && !exponent) {
    const std::string_view whole = digits.substr(0, point);
    const std::string_view fraction = digits.substr(point + 1);
    if (fraction.back() != '0') {
      if (whole != "0") {
        if (whole.size() + fraction.size() <= 15) return true;
      } else {
        const size_t zeros = fraction.find_first_not_of('0');  // < size: the last digit is not 0
        if (zeros <= 5 && fraction.size() - zeros <= 15) return true;
      }
    }
  }
  return IsCanonicalSlow(t);
}

// IsCanonicalNumber for any token: writes the value back and compares.
bool IsCanonicalSlow(std::string_view t) {
  const bool negative = t[0] == '-';
  const std::string_view digits = t.substr(negative ? 1 : 0);
  const bool integer = digits.find_first_of(".eE") == kNpos;
  const char* first = t.data();
  const char* last = t.data() + t.size();
  std::string out;
  if (integer) {
    int64_t i = 0;
    if (auto r = std::from_chars(first, last, i); r.ec == std::errc() && r.ptr == last) {
      AppendInt64(i, &out);
      return out == t;
    }
    uint64_t u = 0;
    if (auto r = std::from_chars(first, last, u); r.ec == std::errc() && r.ptr == last) {
      AppendUint64(u, &out);
      return out == t;
    }
  }
  double d = 0;
  const auto r = std::from_chars(first, last, d);
  // Underflow reads as 0, written "0": never this token (an integer "0" was handled above).
  if (r.ec != std::errc() || r.ptr != last) return false;
  char buf[kNumberBuf];
  return std::string_view(buf, static_cast<size_t>(FormatNumber(d, buf) - buf)) == t;
}

// The value of a canonical string's text (only canonical escapes occur in it).
void Unescape(std::string_view text, std::string* out) {
  out->clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out->push_back(text[i]);
      continue;
    }
    const char e = text[++i];
    if (e == 'u') {
      const char lo = text[i + 4];
      const int v = (text[i + 3] - '0') * 16 + (lo <= '9' ? lo - '0' : lo - 'a' + 10);
      out->push_back(static_cast<char>(v));
      i += 4;
      continue;
    }
    // The two-character escapes: \b \f \n \r \t stand for a control character,
    // \" and \\ for themselves.
    constexpr std::string_view kShort = "bfnrt", kMeans = "\b\f\n\r\t";
    const size_t k = kShort.find(e);
    out->push_back(k == kNpos ? e : kMeans[k]);
  }
}

// Key order of RFC 8785 §3.2.3 between two keys as written in canonical text.
bool KeyTextLess(std::string_view a, bool a_escaped, std::string_view b, bool b_escaped) {
  if (!a_escaped && !b_escaped) return Utf16Less(a, b);
  thread_local std::string x, y;
  Unescape(a, &x);
  Unescape(b, &y);
  return Utf16Less(x, y);
}

}  // namespace

namespace {

// Past the closing quote of the string whose opening quote precedes `p`, or
// null when the string is not in canonical form or not well-formed: an
// unescaped control character, an escape other than the one AppendEscaped
// writes for its character, no closing quote, or, with kCheckUtf8, a byte
// sequence that is not well-formed UTF-8. *escaped tells whether the string
// holds an escape.
template <bool kCheckUtf8>
const char* ScanCanonicalString(const char* p, const char* end, bool* escaped) {
  *escaped = false;
  // Bytes the fast loops stop at: '"', '\\', a control character and, when
  // checking UTF-8, a non-ASCII byte (the start of a sequence to check).
  const auto plain = [](unsigned char c) {
    return c != '"' && c != '\\' && c >= 0x20 && (!kCheckUtf8 || c < 0x80);
  };
  for (;;) {
    // Skip plain bytes 16 at a time (SSE2) or 8 at a time, up to the first
    // byte that is not plain; the last few bytes of the text go one by one.
    bool stopped = false;
#if defined(__SSE2__)
    {
      // A signed compare below 0x20 flags the control characters and every
      // byte from 0x80 up.
      const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
      const __m128i control = _mm_set1_epi8(0x1f);
      while (end - p >= 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        __m128i stop = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash));
        if constexpr (kCheckUtf8) {
          stop = _mm_or_si128(stop, _mm_cmplt_epi8(v, space));
        } else {
          stop = _mm_or_si128(stop, _mm_cmpeq_epi8(_mm_min_epu8(v, control), v));  // v <= 0x1f
        }
        const int mask = _mm_movemask_epi8(stop);
        if (mask != 0) {
          p += std::countr_zero(static_cast<unsigned>(mask));
          stopped = true;
          break;
        }
        p += 16;
      }
    }
#endif
    const auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHighBits; };
    while (!stopped && end - p >= 8) {
      const uint64_t w = Load8(reinterpret_cast<const unsigned char*>(p));
      const uint64_t control = (w - kOnes * 0x20) & ~w & kHighBits;
      uint64_t found = control | has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\'));
      if constexpr (kCheckUtf8) found |= w & kHighBits;
      if (found == 0) {
        p += 8;
        continue;
      }
      // The lowest flagged byte is exact (a borrow only flags bytes above a real
      // match), so on little-endian it is the first byte to look at.
      if constexpr (std::endian::native == std::endian::little) p += std::countr_zero(found) / 8;
      break;
    }
    while (p < end && plain(static_cast<unsigned char>(*p))) ++p;
    if (p >= end || static_cast<unsigned char>(*p) < 0x20) return nullptr;
    if constexpr (kCheckUtf8) {
      if (static_cast<unsigned char>(*p) >= 0x80) {
        const size_t len = Utf8SequenceLength(reinterpret_cast<const unsigned char*>(p),
                                              reinterpret_cast<const unsigned char*>(end));
        if (len == 0) return nullptr;
        p += len;
        continue;
      }
    }
    if (*p == '"') return p + 1;
    *escaped = true;
    if (end - p < 2) return nullptr;
    const char e = p[1];
    if (e == 'u') {
      if (end - p < 6 || p[2] != '0' || p[3] != '0' || (p[4] != '0' && p[4] != '1')) return nullptr;
      const char lo = p[5];
      int v;
      if (lo >= '0' && lo <= '9')
        v = lo - '0';
      else if (lo >= 'a' && lo <= 'f')
        v = lo - 'a' + 10;
      else
        return nullptr;
      if (kEscape[static_cast<size_t>((p[4] - '0') * 16 + v)] != 'u') return nullptr;
      p += 6;
    } else if (e == '"' || e == '\\' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
      p += 2;
    } else {
      return nullptr;  // "\/", or a \u escape of a character written as itself
    }
  }
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Past the number token starting at `p` (RFC 8259 grammar), or null.
const char* ScanNumber(const char* p, const char* end) {
  if (p < end && *p == '-') ++p;
  if (p >= end || !IsDigit(*p)) return nullptr;
  if (*p == '0') {
    ++p;
  } else {
    while (p < end && IsDigit(*p)) ++p;
  }
  if (p < end && *p == '.') {
    ++p;
    if (p >= end || !IsDigit(*p)) return nullptr;
    while (p < end && IsDigit(*p)) ++p;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    if (p >= end || !IsDigit(*p)) return nullptr;
    while (p < end && IsDigit(*p)) ++p;
  }
  return p;
}

// One pass over `text`: whether it is one well-formed JSON value, nested at
// most max_depth deep, written exactly in RFC 8785 form, and, with kCheckUtf8,
// valid UTF-8 (otherwise UTF-8 is not looked at). Only strings need that check:
// outside them every byte must be ASCII structure, a literal or a number, so a
// non-ASCII byte there already fails. Canonical members are in strictly
// ascending key order, so a duplicate key fails that check; canonical strings escape only control characters, so
// no surrogate escape can occur; a number that is not a finite double has no
// canonical spelling. When `member_ends` is given, the offset just past each
// value of the top-level object's members is appended to it, in order.
template <bool kCheckUtf8>
bool ScanCanonical(std::string_view text, size_t max_depth, std::vector<size_t>* member_ends) {
  struct Frame {
    bool object;
    bool has_key = false;
    bool key_escaped = false;
    std::string_view key;  // the previous member's key, as written
  };
  // What may come next: a value (or, first in an array, its end); a key (or,
  // first in an object, its end); the colon after a key; a comma or the end of
  // the open container (or of the text, at the top).
  enum class Want { kValue, kKey, kColon, kNext };
  thread_local std::vector<Frame> stack;
  stack.clear();
  Want want = Want::kValue;
  bool first = false;  // just after '[' or '{'
  const char* p = text.data();
  const char* const end = p + text.size();
  // A value ended just before p. Forced inline: it runs for every value, and as
  // a call it was ~7 % of decoding an event (alternated microbenchmark: −3 %).
  const auto value_done = [&]() __attribute__((always_inline)) {
    want = Want::kNext;
    if (member_ends != nullptr && stack.size() == 1 && stack.front().object) {
      member_ends->push_back(static_cast<size_t>(p - text.data()));
    }
  };
  const auto literal = [&](std::string_view word) {
    if (want != Want::kValue || static_cast<size_t>(end - p) < word.size() ||
        std::string_view(p, word.size()) != word) {
      return false;
    }
    p += word.size();
    value_done();
    return true;
  };
  while (p < end) {
    switch (*p) {
      case '{':
      case '[':
        if (want != Want::kValue || stack.size() >= max_depth) return false;
        stack.push_back({*p == '{'});
        want = *p == '{' ? Want::kKey : Want::kValue;
        first = true;
        ++p;
        break;
      case '}':
      case ']':
        if (stack.empty() || stack.back().object != (*p == '}')) return false;
        if (!(want == Want::kNext || (first && want == (*p == '}' ? Want::kKey : Want::kValue))))
          return false;
        stack.pop_back();
        first = false;
        ++p;
        value_done();
        break;
      case ',':
        if (want != Want::kNext || stack.empty()) return false;
        want = stack.back().object ? Want::kKey : Want::kValue;
        first = false;
        ++p;
        break;
      case ':':
        if (want != Want::kColon) return false;
        want = Want::kValue;
        ++p;
        break;
      case '"': {
        if (want != Want::kKey && want != Want::kValue) return false;
        const char* const start = p + 1;
        bool escaped = false;
        p = ScanCanonicalString<kCheckUtf8>(start, end, &escaped);
        if (p == nullptr) return false;
        first = false;
        if (want == Want::kValue) {
          value_done();
          break;
        }
        const std::string_view key(start, static_cast<size_t>(p - 1 - start));
        Frame& f = stack.back();
        if (f.has_key && !KeyTextLess(f.key, f.key_escaped, key, escaped)) return false;
        f.has_key = true;
        f.key = key;
        f.key_escaped = escaped;
        want = Want::kColon;
        break;
      }
      case 't':
        if (!literal("true")) return false;
        break;
      case 'f':
        if (!literal("false")) return false;
        break;
      case 'n':
        if (!literal("null")) return false;
        break;
      default: {
        if (want != Want::kValue) return false;
        const char* const start = p;
        p = ScanNumber(p, end);
        if (p == nullptr || !IsCanonicalNumber(std::string_view(start, static_cast<size_t>(p - start))))
          return false;
        value_done();
        first = false;
        break;
      }
    }
  }
  const bool ok = stack.empty() && want == Want::kNext;
  // Don't keep a huge stack alive after one deeply nested text.
  if (stack.capacity() > 4096) std::vector<Frame>().swap(stack);
  return ok;
}

}  // namespace

bool IsCanonicalJsonText(std::string_view text) { return ScanCanonical<false>(text, SIZE_MAX, nullptr); }

bool IsCanonicalJson(std::string_view text, size_t max_depth) {
  return ScanCanonical<true>(text, max_depth, nullptr);
}

bool IsCanonicalJson(std::string_view text, size_t max_depth, std::vector<size_t>* member_ends) {
  member_ends->clear();
  return ScanCanonical<true>(text, max_depth, member_ends);
}

size_t WellFormedValueEnd(std::string_view text, size_t begin) {
  const char* p = text.data() + begin;
  const char* const end = text.data() + text.size();
  // Past the closing quote of a string whose text starts at `from`: the first
  // '"' not escaped, i.e. not after an odd number of backslashes.
  auto past_string = [end](const char* from) {
    for (const char* start = from;;) {
      const char* q = static_cast<const char*>(std::memchr(from, '"', static_cast<size_t>(end - from)));
      if (q == nullptr) return end;
      size_t slashes = 0;
      while (q - slashes > start && q[-1 - static_cast<std::ptrdiff_t>(slashes)] == '\\') ++slashes;
      if (slashes % 2 == 0) return q + 1;
      from = q + 1;
    }
  };
  size_t depth = 0;
  while (p < end) {
    const char c = *p++;
    if (c == '"') {
      p = past_string(p);
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (depth == 0) {
      while (p < end && *p != ',' && *p != '}' && *p != ']') ++p;
    }
    if (depth == 0) break;
  }
  return static_cast<size_t>(p - text.data());
}

}  // namespace vellum::core
