// Strict JSON input and RFC 8785 (JCS) canonical output.
//
// Canonical JSON is the byte form of everything Vellum hashes or signs: an
// event's stored line, a record version's content hash. Untrusted text is
// parsed with ParseJson, which refuses anything whose canonical form would be
// ambiguous (duplicate keys, invalid UTF-8, lone surrogates, numbers that are
// not finite doubles) instead of silently picking one reading.
//
// The in-memory value type is boost::json::value. Numbers are kept as parsed;
// canonical output formats every number as an IEEE-754 double in ECMAScript
// form (RFC 8785 §3.2.2.3), so 1, 1.0 and 1e0 all serialise as "1".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "core/status.h"

namespace vellum::core {

struct JsonLimits {
  size_t max_bytes = 1 << 20;            // larger input → kResourceExhausted
  size_t max_depth = 64;                 // deeper nesting → kInvalidArgument
  size_t max_string_bytes = 256 * 1024;  // per string or key, after unescaping
};

// Parses one JSON text (RFC 8259) strictly. Errors are kInvalidArgument with a
// message naming the problem and its byte offset, e.g.
// "duplicate key \"label\" at byte 31", "invalid UTF-8 at byte 7",
// "lone surrogate \\ud800 at byte 12", "number 1e400 is not a finite double at byte 3",
// "nesting deeper than 64 at byte 130"; kResourceExhausted when over max_bytes.
// Leading and trailing whitespace is allowed; anything else after the value is not.
// Offsets are 0-based; a duplicate key's points at its opening quote.
// Integers that fit int64 (else uint64) are kept as such; other numbers are
// read with correct rounding (std::from_chars, not Boost's faster approximate
// conversion). A number too small for a double becomes 0, as in JSON.parse.
StatusOr<boost::json::value> ParseJson(std::string_view text, const JsonLimits& limits = {});

// Appends the RFC 8785 form of `v` to *out. Object members are ordered by
// UTF-16 code units of their keys. Fails (kInvalidArgument, message naming the
// JSON Pointer of the value) only on a non-finite double or a string/key that
// is not valid UTF-8; *out is then left as it was. Integers beyond ±2^53 are
// written as the double they round to, as JavaScript would. Thread-safe.
Status AppendCanonicalJson(const boost::json::value& v, std::string* out);
StatusOr<std::string> CanonicalJson(const boost::json::value& v);
// The same for an object or array held directly: passing one to the value
// overloads would deep-copy it into a temporary boost::json::value first.
Status AppendCanonicalJson(const boost::json::object& v, std::string* out);
Status AppendCanonicalJson(const boost::json::array& v, std::string* out);
StatusOr<std::string> CanonicalJson(const boost::json::object& v);
StatusOr<std::string> CanonicalJson(const boost::json::array& v);

// ParseJson followed by CanonicalJson.
StatusOr<std::string> CanonicalizeJsonText(std::string_view text, const JsonLimits& limits = {});

// Whether `text` is exactly its own RFC 8785 form, i.e. CanonicalizeJsonText(text)
// would return it unchanged, decided by one pass over the text: no whitespace,
// members in key order, the one escape form of each string and the one spelling
// of each number. Much cheaper than re-encoding (verify checks every event).
// REQUIRES: ParseJson accepted `text` (well-formed, valid UTF-8, no duplicate
// keys, finite numbers); for other text the answer means nothing.
bool IsCanonicalJsonText(std::string_view text);

// Whether ParseJson would accept `text` nested at most max_depth deep (with
// no byte limits) and IsCanonicalJsonText(text) holds, in one pass over the
// text and without building a value: what a reader of canonical text such as
// an event line needs to know before it picks fields out of the text itself.
bool IsCanonicalJson(std::string_view text, size_t max_depth);
// IsCanonicalJson that also tells where the values of the top-level object's
// members end: *member_ends is cleared, then gets the offset just past each
// member's value, in order (nothing for text that is not an object). Readers
// that pick values out of the text then need not search for their ends. When
// the answer is false, *member_ends means nothing.
bool IsCanonicalJson(std::string_view text, size_t max_depth, std::vector<size_t>* member_ends);

// Where the JSON value that starts at text[begin] ends: past its closing
// bracket or quote, or past the last character of a number or literal. For
// readers that pick values out of text already proven well-formed.
// REQUIRES: a well-formed value starts at `begin` (ParseJson or
// IsCanonicalJson accepted the text holding it); otherwise the answer means
// nothing, though it never reads past the end of `text`.
size_t WellFormedValueEnd(std::string_view text, size_t begin);

// ECMAScript Number.prototype.toString of a finite double ("1e+21", "5e-7", "-0" → "0").
// REQUIRES: std::isfinite(d) (NaN and ±Infinity give "NaN", "Infinity", "-Infinity").
std::string FormatJsonNumber(double d);

// Appends the JCS escaped form of a UTF-8 string, quotes included.
// REQUIRES: s is valid UTF-8 (other bytes would be copied through unchecked).
void AppendJsonString(std::string_view s, std::string* out);

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace vellum::core
