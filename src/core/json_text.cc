#include "core/json_text.h"

#include <charconv>
#include <cmath>

namespace vellum::core::json_text {

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

namespace {

// True when any of the 8 bytes in w needs a look: a control character, '"',
// '\\' or a non-ASCII byte (classic SWAR tests; exact for "any byte").
inline bool NeedsAttention(uint64_t w) {
  const auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHighBits; };
  const uint64_t control = (w - kOnes * 0x20) & ~w & kHighBits;
  return (control | has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\')) | (w & kHighBits)) !=
         0;
}

}  // namespace

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

}  // namespace vellum::core::json_text
