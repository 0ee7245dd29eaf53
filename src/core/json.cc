// JSON parsing with limits and strict checks (core/json.h: ParseJson); the
// RFC 8785 writer is canonical_json.cc, the canonical-form check
// canonical_check.cc.
#include "core/json.h"

#include <algorithm>
#include <cmath>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

// basic_parser's member definitions live in this header; the rest of
// Boost.JSON comes from the compiled library (Boost::json).
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/value.hpp>

#include "core/json_text.h"

namespace vellum::core {
namespace {

namespace bj = boost::json;
using json_text::AppendEscaped;
using json_text::FindInvalidUtf8;
using json_text::kNpos;

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
  // Editors on some systems save UTF-8 with a byte-order mark, which RFC 8259
  // (§8.1) does not allow in JSON text: name it rather than a bare syntax error.
  if (pos == 0 && text.substr(0, 3) == "\xEF\xBB\xBF") {
    return InvalidArgumentError("UTF-8 byte-order mark (EF BB BF)" + At(0) +
                                ", which JSON does not allow: save the text without one");
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

bool IsValidUtf8(std::string_view s) { return FindInvalidUtf8(s) == kNpos; }

}  // namespace vellum::core
