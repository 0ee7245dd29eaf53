// Text as a person sees it: what a terminal would do with bytes from the
// ledger or from input (control sequences, direction overrides), and whether a
// reason or a name says anything visible at all.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vellum::core {

// `text` made safe to print on a terminal: C0 and C1 control characters, DEL,
// the Unicode direction controls (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069)
// and bytes that are not well-formed UTF-8 are written as visible escapes
// (`\x1b`, `\u202e`), so nothing stored or typed can move the cursor, retitle
// the window, hide a line or reverse what follows. With `keep_line_breaks`,
// '\n' and '\t' stay as they are (messages of several lines).
std::string ForTerminal(std::string_view text, bool keep_line_breaks = false);

// At most `max_chars` characters (code points) of `text`, cut at a character
// boundary, with "..." in place of what was cut (within the `max_chars`).
std::string ShortenText(std::string_view text, size_t max_chars);

// Whether `text` shows nothing: every character is white space (Unicode
// White_Space), a control character or an invisible format character (zero
// widths, direction controls, the BOM, the soft hyphen). A reason or a printed
// name like that says nothing. Bytes that are not UTF-8 count as visible (they
// are refused elsewhere).
bool IsBlankText(std::string_view text);

// Whether `text` holds a control character (C0, DEL, C1) other than '\t' and
// '\n': what a terminal acts on instead of showing.
bool HasControlCharacters(std::string_view text);

// Whether `text` holds a direction control (U+200E, U+200F, U+202A–U+202E,
// U+2066–U+2069), which reorders what follows it as shown: a printed name must
// not, or a signature manifest could show another name than the one stored.
bool HasDirectionControls(std::string_view text);

// The number of characters (code points) of UTF-8 `text`; a byte that is not
// well-formed UTF-8 counts as one.
size_t CharacterCount(std::string_view text);

}  // namespace vellum::core
