// The canonical-form check of JSON text (IsCanonicalJson): one pass over the
// bytes, without building a value, as verify runs it on every event line.
#include "core/json.h"

#include <bit>
#include <charconv>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/json_text.h"

namespace vellum::core {
namespace {

using json_text::AppendInt64;
using json_text::AppendUint64;
using json_text::FormatNumber;
using json_text::kEscape;
using json_text::kHighBits;
using json_text::kNpos;
using json_text::kNumberBuf;
using json_text::kOnes;
using json_text::Load8;
using json_text::Utf16Less;
using json_text::Utf8SequenceLength;

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

