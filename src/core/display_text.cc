#include "core/display_text.h"

#include <fmt/format.h>

#include <cstdint>

#include "core/json_text.h"

namespace vellum::core {
namespace {

// One character of UTF-8 text: its code point and length, or an ill-formed
// byte (valid = false, length 1).
struct Char {
  uint32_t code = 0;
  size_t length = 1;
  bool valid = true;
};

Char CharAt(std::string_view text, size_t i) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data()) + i;
  const auto* end = reinterpret_cast<const unsigned char*>(text.data()) + text.size();
  if (*p < 0x80) return {*p, 1, true};
  const size_t n = json_text::Utf8SequenceLength(p, end);
  if (n == 0) return {*p, 1, false};
  uint32_t c = *p & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
  for (size_t k = 1; k < n; ++k) c = (c << 6) | (p[k] & 0x3F);
  return {c, n, true};
}

bool IsControl(uint32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

bool IsDirectionControl(uint32_t c) {
  return c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

// Unicode White_Space, beyond the controls.
bool IsSpace(uint32_t c) {
  return c == 0x20 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

// Format characters that show nothing: soft hyphen, zero widths and joiners,
// word joiner and invisible operators, the BOM, Mongolian vowel separator.
bool IsInvisibleFormat(uint32_t c) {
  return c == 0xAD || c == 0x180E || (c >= 0x200B && c <= 0x200F) || (c >= 0x2060 && c <= 0x2064) ||
         (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || IsDirectionControl(c);
}

}  // namespace

std::string ForTerminal(std::string_view text, bool keep_line_breaks) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const Char ch = CharAt(text, i);
    if (!ch.valid) {
      out += fmt::format("\\x{:02x}", ch.code);
    } else if (keep_line_breaks && (ch.code == '\n' || ch.code == '\t')) {
      out.push_back(static_cast<char>(ch.code));
    } else if (ch.code < 0x80 && IsControl(ch.code)) {
      out += fmt::format("\\x{:02x}", ch.code);
    } else if (IsControl(ch.code) || IsDirectionControl(ch.code)) {
      out += fmt::format("\\u{:04x}", ch.code);
    } else {
      out.append(text.substr(i, ch.length));
    }
    i += ch.length;
  }
  return out;
}

std::string ShortenText(std::string_view text, size_t max_chars) {
  if (CharacterCount(text) <= max_chars) return std::string(text);
  const size_t keep = max_chars > 3 ? max_chars - 3 : 0;
  size_t i = 0;
  for (size_t n = 0; n < keep && i < text.size(); ++n) i += CharAt(text, i).length;
  return std::string(text.substr(0, i)) + "...";
}

bool IsBlankText(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const Char ch = CharAt(text, i);
    if (!ch.valid || !(IsControl(ch.code) || IsSpace(ch.code) || IsInvisibleFormat(ch.code))) return false;
    i += ch.length;
  }
  return true;
}

bool HasControlCharacters(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const Char ch = CharAt(text, i);
    if (ch.valid && ch.code != '\t' && ch.code != '\n' && IsControl(ch.code)) return true;
    i += ch.length;
  }
  return false;
}

bool HasDirectionControls(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const Char ch = CharAt(text, i);
    if (ch.valid && IsDirectionControl(ch.code)) return true;
    i += ch.length;
  }
  return false;
}

size_t CharacterCount(std::string_view text) {
  size_t n = 0;
  for (size_t i = 0; i < text.size(); i += CharAt(text, i).length) ++n;
  return n;
}

}  // namespace vellum::core
