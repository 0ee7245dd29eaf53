// Text-level pieces shared by the JSON parser (json.cc), the RFC 8785 writer
// (canonical_json.cc) and the canonical-form check (canonical_check.cc):
// UTF-8 validation, string escaping, ECMAScript number formatting and the
// UTF-16 key order. Internal to core; the API is core/json.h.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace vellum::core::json_text {

inline constexpr size_t kNpos = std::string_view::npos;

// ---------------------------------------------------------------------------
// UTF-8

inline constexpr uint64_t kOnes = 0x0101010101010101ull;
inline constexpr uint64_t kHighBits = 0x8080808080808080ull;

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
size_t FindInvalidUtf8(std::string_view s);

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
inline constexpr std::array<char, 256> kEscape = MakeEscapeTable();

// Appends the JCS form of s, quotes included, validating UTF-8 on the way.
// Returns the offset in s of the first ill-formed byte (then copied as is, so
// callers that care must discard the output), or kNpos.
size_t AppendEscaped(std::string_view s, std::string* out);

// ---------------------------------------------------------------------------
// Numbers (RFC 8785 §3.2.2.3, ECMA-262 Number::toString)

// Longest output: "-" + "0." + 6 zeros + 17 digits, or "-" + 21 digits, or
// "-d.dddddddddddddddde-308": all well under 32.
inline constexpr size_t kNumberBuf = 40;

// Writes the ECMAScript form of finite `d` into buf; returns the end.
char* FormatNumber(double d, char* buf);
void AppendDouble(double d, std::string* out);
// Integers of magnitude up to 2^53 are exact doubles and ECMAScript prints
// them as plain digits; larger ones round to a double first, as they would in
// JavaScript.
void AppendInt64(int64_t i, std::string* out);
void AppendUint64(uint64_t u, std::string* out);

// ---------------------------------------------------------------------------
// Key order (RFC 8785 §3.2.3)

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

// True when UTF-8 string a sorts before b in UTF-16 code-unit order
// (RFC 8785 §3.2.3). UTF-8 byte order is code-point order, which agrees with
// UTF-16 order except that supplementary characters (lead byte F0..F4, UTF-16
// surrogates D800..DFFF) sort before U+E000..U+FFFF (lead byte EE or EF). Both
// strings share every byte before the first difference, so the differing bytes
// are both lead bytes or both continuation bytes of code points of one length;
// only the lead-byte case above needs correcting. Inline: sorting keys and
// checking their order call it for every key.
inline bool Utf16Less(std::string_view a, std::string_view b) {
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


}  // namespace vellum::core::json_text
