// Strict parsing (every rejection and its message), RFC 8785 output rules,
// and the UTF-8 helpers (RV-1: a content hash is the SHA-256 of this form). Public vectors are in json_vectors_test.cc and the
// npm oracle in json_oracle_test.cc.
#include "core/json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/sha256.h"
#include "testing/status_matchers.h"

namespace vellum::core {
namespace {

namespace bj = boost::json;
using ::testing::HasSubstr;
using namespace std::string_literals;

// ---------------------------------------------------------------------------
// Test-side reference helpers, written straight from the RFCs.

// RFC 3629 §3: decode, then refuse overlongs, surrogates and > U+10FFFF.
bool ReferenceValidUtf8(const unsigned char* p, size_t n) {
  static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  size_t i = 0;
  while (i < n) {
    const unsigned c = p[i];
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (cp < kMinForLength[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

std::string Utf8(char32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

std::u16string Utf16(const std::vector<char32_t>& cps) {
  std::u16string s;
  for (char32_t cp : cps) {
    if (cp < 0x10000) {
      s += static_cast<char16_t>(cp);
    } else {
      s += static_cast<char16_t>(0xD800 + ((cp - 0x10000) >> 10));
      s += static_cast<char16_t>(0xDC00 + ((cp - 0x10000) & 0x3FF));
    }
  }
  return s;
}

// The canonical form of `text`, or the error (so a failure shows in the diff).
std::string Canon(std::string_view text) {
  auto r = CanonicalizeJsonText(text);
  return r.ok() ? *r : "error: " + r.status().ToString();
}
std::string CanonValue(const bj::value& v) {
  auto r = CanonicalJson(v);
  return r.ok() ? *r : "error: " + r.status().ToString();
}

// ---------------------------------------------------------------------------
// Rejections: each names the problem and the byte where it is.

// The object and array overloads (no copy into a value) write exactly what the
// value overload writes, and fail the same way.
TEST(CanonicalJsonTest, ObjectAndArrayOverloadsMatchTheValueOverload) {
  bj::object o{{"b", 1}, {"a", bj::array{2.5, "x", nullptr}}, {"\u00e9", bj::object{{"z", true}, {"y", -0.0}}}};
  bj::array a{o, 1e21, "\u2028"};
  ASSERT_OK_AND_ASSIGN(std::string from_value, CanonicalJson(bj::value(o)));
  ASSERT_OK_AND_ASSIGN(std::string from_object, CanonicalJson(o));
  EXPECT_EQ(from_object, from_value);
  ASSERT_OK_AND_ASSIGN(std::string arr_value, CanonicalJson(bj::value(a)));
  ASSERT_OK_AND_ASSIGN(std::string arr_direct, CanonicalJson(a));
  EXPECT_EQ(arr_direct, arr_value);
  std::string out = "prefix";
  ASSERT_OK(AppendCanonicalJson(o, &out));
  EXPECT_EQ(out, "prefix" + from_value);
  bj::object bad{{"k", bj::array{1, std::numeric_limits<double>::infinity()}}};
  out = "keep";
  EXPECT_THAT(AppendCanonicalJson(bad, &out), StatusIs(StatusCode::kInvalidArgument, HasSubstr("/k/1")));
  EXPECT_EQ(out, "keep");
}

TEST(ParseJsonTest, AcceptsOrdinaryDocument) {
  ASSERT_OK_AND_ASSIGN(bj::value v, ParseJson(R"( {"a":[1,-2,3.5,true,false,null,"x"],"b":{}} )"));
  const bj::array& a = v.at("a").as_array();
  ASSERT_EQ(a.size(), 7u);
  EXPECT_EQ(a[0].as_int64(), 1);
  EXPECT_EQ(a[1].as_int64(), -2);
  EXPECT_EQ(a[2].as_double(), 3.5);
  EXPECT_TRUE(a[3].as_bool());
  EXPECT_FALSE(a[4].as_bool());
  EXPECT_TRUE(a[5].is_null());
  EXPECT_EQ(a[6].as_string(), "x");
  EXPECT_TRUE(v.at("b").as_object().empty());
}

TEST(ParseJsonTest, RejectsDuplicateKeys) {
  const std::string text = R"({"label":1,"label":2})";
  EXPECT_THAT(ParseJson(text), StatusIs(StatusCode::kInvalidArgument,
                                        HasSubstr("duplicate key \"label\" at byte " +
                                                  std::to_string(text.rfind("\"label\"")))));
}

TEST(ParseJsonTest, RejectsDuplicateKeysAfterUnescaping) {
  // "a" and "\u0061" are one key once unescaped; so are "é" and "\u00e9".
  EXPECT_THAT(ParseJson(R"({"a":1,"\u0061":2})"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("duplicate key \"a\" at byte 7")));
  EXPECT_THAT(
      ParseJson("{\"\\u00e9\":1,  \"\xC3\xA9\":2}"),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("duplicate key \"\xC3\xA9\" at byte 14")));
  // The message escapes control characters in the key (it ends up in logs).
  EXPECT_THAT(ParseJson(R"({"\n":1,"\u000a":2})"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr(R"(duplicate key "\n")")));
}

TEST(ParseJsonTest, RejectsDuplicateKeysInLargeAndNestedObjects) {
  std::string text = "{";
  for (int i = 0; i < 1000; ++i)
    text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  const size_t dup_at = text.size();
  text += R"("k500":0})";
  EXPECT_THAT(ParseJson(text),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("duplicate key \"k500\" at byte " + std::to_string(dup_at))));
  EXPECT_THAT(ParseJson(R"({"a":{"b":1,"c":{},"b":2}})"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("duplicate key \"b\" at byte 19")));
  // The same key in different objects is fine.
  EXPECT_OK(ParseJson(R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]})"));
}

TEST(ParseJsonTest, RejectsInvalidUtf8Anywhere) {
  const struct {
    std::string text;
    size_t offset;
  } cases[] = {
      {"\"\xFF\"", 1},                    // never valid
      {"\"ab\xC3\x28\"", 3},              // bad continuation
      {"\"\xC0\x80\"", 1},                // overlong NUL
      {"\"\xE0\x80\xAF\"", 1},            // overlong '/'
      {"\"\xED\xA0\x80\"", 1},            // UTF-8-encoded surrogate U+D800
      {"\"\xF4\x90\x80\x80\"", 1},        // U+110000
      {"\"\xE2\x82\"", 1},                // truncated sequence
      {"{\"k\xFE\":1}", 3},               // in a key
      {"[1]\xC3", 3},                     // after the value
      {"\x80[1]", 0},                     // before the value
      {"[\"ok\", \"\xF0\x9F\x98\"]", 8},  // truncated 4-byte sequence
  };
  for (const auto& c : cases) {
    EXPECT_THAT(ParseJson(c.text),
                StatusIs(StatusCode::kInvalidArgument,
                         HasSubstr("invalid UTF-8 at byte " + std::to_string(c.offset))))
        << c.text;
  }
}

TEST(ParseJsonTest, RejectsLoneSurrogateEscapes) {
  const struct {
    std::string text;
    std::string escape;
    size_t offset;
  } cases[] = {
      {R"("\ud800")", R"(\ud800)", 1},        // high, then end of string
      {R"("\uDBFF")", R"(\uDBFF)", 1},        // upper-case hex
      {R"("\udc00")", R"(\udc00)", 1},        // low without high
      {R"("ab\ud800cd")", R"(\ud800)", 3},    // high, then a character
      {R"("\ud800\u0041")", R"(\ud800)", 1},  // high, then a non-surrogate escape
      {R"("\ud800\ud800")", R"(\ud800)", 1},  // high, then high
      {R"("\ude00\ud83d")", R"(\ude00)", 1},  // pair in the wrong order
      {R"("\ud800\n")", R"(\ud800)", 1},      // high, then another escape
      {R"({"\udfff":1})", R"(\udfff)", 2},    // in a key
      {R"(["\\", "\ud83d\ude00", "\ud83d"])", R"(\ud83d)", 24},  // after a valid pair
  };
  for (const auto& c : cases) {
    EXPECT_THAT(ParseJson(c.text), StatusIs(StatusCode::kInvalidArgument,
                                            HasSubstr("lone surrogate " + c.escape + " at byte " +
                                                      std::to_string(c.offset))))
        << c.text;
  }
  // A proper pair is one astral character; "\\ud800" is a backslash and text.
  ASSERT_OK_AND_ASSIGN(bj::value pair, ParseJson(R"("\ud83d\ude00")"));
  EXPECT_EQ(pair.as_string(), Utf8(0x1F600));
  ASSERT_OK_AND_ASSIGN(bj::value text, ParseJson(R"("\\ud800")"));
  EXPECT_EQ(text.as_string(), "\\ud800");
}

TEST(ParseJsonTest, RejectsNumbersThatAreNotFiniteDoubles) {
  EXPECT_THAT(ParseJson("1e400"),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("number 1e400 is not a finite double at byte 0")));
  EXPECT_THAT(ParseJson("[0, -1e400]"),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("number -1e400 is not a finite double at byte 4")));
  // Just above the largest double (1.7976931348623157e308) rounds to infinity.
  EXPECT_THAT(
      ParseJson(R"({"x":1.7976931348623159e308})"),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("is not a finite double at byte 5")));
  EXPECT_THAT(ParseJson("1" + std::string(400, '0')),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("is not a finite double")));
  // The largest double itself is fine; underflow rounds to zero as in JSON.parse.
  ASSERT_OK_AND_ASSIGN(bj::value max, ParseJson("1.7976931348623157e308"));
  EXPECT_EQ(max.as_double(), std::numeric_limits<double>::max());
  ASSERT_OK_AND_ASSIGN(bj::value tiny, ParseJson("-1e-400"));
  EXPECT_EQ(tiny.as_double(), 0.0);
  EXPECT_TRUE(std::signbit(tiny.as_double()));
  ASSERT_OK_AND_ASSIGN(bj::value denormal, ParseJson("5e-324"));
  EXPECT_EQ(denormal.as_double(), std::numeric_limits<double>::denorm_min());
}

TEST(ParseJsonTest, EnforcesMaxDepth) {
  auto nested = [](size_t depth) {
    std::string s;
    for (size_t i = 0; i < depth; ++i) s += i % 2 ? "{\"k\":" : "[";
    s += "0";
    for (size_t i = depth; i-- > 0;) s += i % 2 ? "}" : "]";
    return s;
  };
  EXPECT_OK(ParseJson(nested(64)));
  const std::string deep = nested(65);
  EXPECT_THAT(ParseJson(deep), StatusIs(StatusCode::kInvalidArgument,
                                        HasSubstr("nesting deeper than 64 at byte " +
                                                  std::to_string(deep.find('0') - 1))));
  JsonLimits shallow;
  shallow.max_depth = 2;
  EXPECT_OK(ParseJson("[[1],{}]", shallow));
  EXPECT_THAT(
      ParseJson("[[1],{\"a\":[]}]", shallow),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("nesting deeper than 2 at byte 10")));
}

TEST(ParseJsonTest, EnforcesMaxStringBytesAfterUnescaping) {
  JsonLimits limits;
  limits.max_string_bytes = 4;
  EXPECT_OK(ParseJson(R"(["abcd", "\u0061bcd", {"wxyz": "\u00e9\u00e9"}])", limits));
  EXPECT_THAT(
      ParseJson(R"(["abcd", "abcde"])", limits),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("string longer than 4 bytes at byte 9")));
  // Three two-byte characters are six bytes.
  EXPECT_THAT(
      ParseJson(R"(["\u00e9\u00e9\u00e9"])", limits),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("string longer than 4 bytes at byte 1")));
  EXPECT_THAT(
      ParseJson(R"({"a":1,"vwxyz":2})", limits),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("string longer than 4 bytes at byte 7")));
  // Long strings with escapes arrive in parts; the limit still holds.
  std::string many_escapes = "\"";
  for (int i = 0; i < 5000; ++i) many_escapes += "\\n";
  many_escapes += "\"";
  limits.max_string_bytes = 4096;
  EXPECT_THAT(
      ParseJson(many_escapes, limits),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("string longer than 4096 bytes at byte 0")));
  limits.max_string_bytes = 5000;
  ASSERT_OK_AND_ASSIGN(bj::value v, ParseJson(many_escapes, limits));
  EXPECT_EQ(v.as_string(), std::string(5000, '\n'));
}

TEST(ParseJsonTest, RejectsComments) {
  for (const std::string text :
       {"/* c */ 1", "[1 /* c */]", "1 // c", "// c\n1", "{\"a\"//\n:1}"}) {
    EXPECT_THAT(ParseJson(text), StatusIs(StatusCode::kInvalidArgument,
                                          HasSubstr("comments are not allowed at byte " +
                                                    std::to_string(text.find('/')))))
        << text;
  }
}

TEST(ParseJsonTest, RejectsTrailingCommas) {
  EXPECT_THAT(ParseJson("[1,]"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("trailing comma at byte 2")));
  EXPECT_THAT(ParseJson("{\"a\":1 , \n}"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("trailing comma at byte 7")));
  EXPECT_THAT(ParseJson("[[],[1,2,],3]"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("trailing comma at byte 8")));
}

TEST(ParseJsonTest, RejectsTrailingGarbage) {
  const struct {
    std::string text;
    size_t offset;
  } cases[] = {
      {"{} x", 3}, {"1 2", 2},           {"[]]", 2},   {"\"a\"\"b\"", 3},
      {"01", 1},   {"null\n\t null", 7}, {"{}\0"s, 2},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(ParseJson(c.text),
                StatusIs(StatusCode::kInvalidArgument,
                         HasSubstr("unexpected data after the JSON value at byte " +
                                   std::to_string(c.offset))))
        << c.text;
  }
  // Whitespace around the value is fine.
  EXPECT_OK(ParseJson(" \t\r\n{}\r\n \t"));
}

TEST(ParseJsonTest, RejectsEmptyAndTruncatedInput) {
  EXPECT_THAT(ParseJson(""), StatusIs(StatusCode::kInvalidArgument, HasSubstr("empty input")));
  EXPECT_THAT(ParseJson(" \n\t\r "),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("empty input")));
  for (const std::string text : {"[1,", "{\"a\":", "\"abc", "tru", "[", "-"}) {
    EXPECT_THAT(ParseJson(text), StatusIs(StatusCode::kInvalidArgument,
                                          HasSubstr("unexpected end of input at byte " +
                                                    std::to_string(text.size()))))
        << text;
  }
}

TEST(ParseJsonTest, RejectsOtherSyntaxErrorsWithOffset) {
  const struct {
    std::string text;
    std::string message;
  } cases[] = {
      {"{\"a\" 1}", "at byte 5"},
      {"[1 2]", "at byte 3"},
      {"nul", "at byte 3"},
      {"[.5]", "at byte 1"},
      {"+1", "at byte 0"},
      {"NaN", "at byte 0"},
      {"[Infinity]", "at byte 1"},
      {"'a'", "at byte 0"},
      {"{a:1}", "at byte 1"},
      {"\"\\x\"", "at byte 2"},
      {"\xEF\xBB\xBF{}", "UTF-8 byte-order mark (EF BB BF) at byte 0, which JSON does not allow"},
      {"\"a\tb\"", "unescaped control character U+0009 at byte 2"},
      {"[\"a\nb\"]", "unescaped control character U+000A at byte 3"},
      {"\"\x01\"", "unescaped control character U+0001 at byte 1"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(ParseJson(c.text), StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.text;
  }
}

TEST(ParseJsonTest, OverMaxBytesIsResourceExhausted) {
  JsonLimits limits;
  limits.max_bytes = 10;
  EXPECT_OK(ParseJson("[1,2,3,45]", limits));  // exactly 10 bytes
  EXPECT_THAT(ParseJson("[1,2,3,456]", limits),
              StatusIs(StatusCode::kResourceExhausted, HasSubstr("11 bytes")));
  // Checked before anything else, so even garbage gets this code.
  EXPECT_THAT(ParseJson(std::string(11, '\xFF'), limits),
              StatusIs(StatusCode::kResourceExhausted, HasSubstr("limit of 10 bytes")));
  // The default is 1 MiB.
  EXPECT_THAT(ParseJson("\"" + std::string(1 << 20, 'a') + "\""),
              StatusIs(StatusCode::kResourceExhausted, HasSubstr("limit of 1048576 bytes")));
}

TEST(ParseJsonTest, KeepsIntegersAsBoostDoes) {
  ASSERT_OK_AND_ASSIGN(bj::value v,
                       ParseJson("[9223372036854775807,-9223372036854775808,18446744073709551615,"
                                 "18446744073709551616,-0,1.0,1e2]"));
  const bj::array& a = v.as_array();
  EXPECT_EQ(a[0].as_int64(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(a[1].as_int64(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(a[2].as_uint64(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(a[3].as_double(), 18446744073709551616.0);  // beyond uint64
  EXPECT_EQ(a[4].as_int64(), 0);
  EXPECT_EQ(a[5].as_double(), 1.0);
  EXPECT_EQ(a[6].as_double(), 100.0);
}

TEST(ParseJsonTest, ReadsDecimalNumbersWithCorrectRounding) {
  // strtod (glibc) rounds correctly and is independent of the code under test.
  // Long mantissas with large exponents are where a fast approximate
  // conversion (Boost 1.81's default) is off by one unit in the last place.
  std::mt19937_64 rng(20260101);
  std::uniform_int_distribution<int> digit(0, 9), exponent(-330, 310), length(15, 25);
  int checked = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = std::to_string(1 + digit(rng) % 9) + ".";
    for (int n = length(rng); n > 0; --n) text += static_cast<char>('0' + digit(rng));
    text += "e" + std::to_string(exponent(rng));
    const double expected = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(expected)) continue;
    auto v = ParseJson(text);
    ASSERT_OK(v);
    ASSERT_EQ(v->as_double(), expected) << text;
    ++checked;
  }
  EXPECT_GT(checked, 19000);
}

// ---------------------------------------------------------------------------
// Canonical output

TEST(CanonicalJsonTest, NumbersUseEcmaScriptForm) {
  // Number.prototype.toString results, as printed by any JavaScript engine.
  const std::pair<std::string, std::string> cases[] = {
      {"1.0", "1"},
      {"1e0", "1"},
      {"-0", "0"},
      {"-0.0", "0"},
      {"1e-400", "0"},
      {"100", "100"},
      {"1E2", "100"},
      {"0.1e1", "1"},
      {"1e20", "100000000000000000000"},
      {"1e21", "1e+21"},
      {"123e20", "1.23e+22"},
      {"0.000001", "0.000001"},
      {"0.0000001", "1e-7"},
      {"-0.00000123", "-0.00000123"},
      {"1.5e-7", "1.5e-7"},
      {"9007199254740993", "9007199254740992"},
      {"-9007199254740993", "-9007199254740992"},
      {"9223372036854775807", "9223372036854776000"},
      {"-9223372036854775808", "-9223372036854776000"},
      {"18446744073709551615", "18446744073709552000"},
      {"123456789012345678901234567890", "1.2345678901234568e+29"},
      {"5e-324", "5e-324"},
      {"1.7976931348623157e308", "1.7976931348623157e+308"},
      {"0.1", "0.1"},
      {"0.30000000000000004", "0.30000000000000004"},
      {"333333333.33333329", "333333333.3333333"},
      {"1E+30", "1e+30"},
      {"4.50", "4.5"},
      {"2e-3", "0.002"},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(Canon(in), want) << in;
  }
}

TEST(CanonicalJsonTest, FormatJsonNumberMatchesSpecialValues) {
  EXPECT_EQ(FormatJsonNumber(0.0), "0");
  EXPECT_EQ(FormatJsonNumber(-0.0), "0");
  EXPECT_EQ(FormatJsonNumber(std::numeric_limits<double>::denorm_min()), "5e-324");
  EXPECT_EQ(FormatJsonNumber(-std::numeric_limits<double>::max()), "-1.7976931348623157e+308");
  EXPECT_EQ(FormatJsonNumber(std::numeric_limits<double>::min()), "2.2250738585072014e-308");
  EXPECT_EQ(FormatJsonNumber(1e21), "1e+21");
  EXPECT_EQ(FormatJsonNumber(999999999999999900000.0), "999999999999999900000");
  EXPECT_EQ(FormatJsonNumber(1e-6), "0.000001");
  EXPECT_EQ(FormatJsonNumber(1e-7), "1e-7");
  EXPECT_EQ(FormatJsonNumber(-1.5), "-1.5");
  EXPECT_EQ(FormatJsonNumber(1e100), "1e+100");
  // Outside the contract, but defined: ECMAScript's names.
  EXPECT_EQ(FormatJsonNumber(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(FormatJsonNumber(-std::numeric_limits<double>::infinity()), "-Infinity");
  EXPECT_EQ(FormatJsonNumber(std::nan("")), "NaN");
}

TEST(CanonicalJsonTest, IntegersBuiltInCodeMatchDoubles) {
  // Whatever the C++ type, the canonical form is that of the double JavaScript would hold.
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    const int shift = static_cast<int>(rng() % 64);
    const uint64_t u = rng() >> shift;
    const int64_t s = static_cast<int64_t>(rng()) >> shift;
    EXPECT_EQ(CanonValue(bj::value(u)), FormatJsonNumber(static_cast<double>(u))) << u;
    EXPECT_EQ(CanonValue(bj::value(s)), FormatJsonNumber(static_cast<double>(s))) << s;
  }
  EXPECT_EQ(CanonValue(bj::value(int64_t{1} << 53)), "9007199254740992");
  EXPECT_EQ(CanonValue(bj::value((int64_t{1} << 53) + 1)), "9007199254740992");
  EXPECT_EQ(CanonValue(bj::value(-(int64_t{1} << 53) - 1)), "-9007199254740992");
  EXPECT_EQ(CanonValue(bj::value(std::numeric_limits<uint64_t>::max())), "18446744073709552000");
}

TEST(CanonicalJsonTest, EscapesStringsPerRfc8785) {
  // §3.2.2.2: the two-character escapes for \b \t \n \f \r " \, \u00xx (lower
  // case) for other control characters, every other character as it is.
  for (char32_t cp = 0; cp < 0x800; ++cp) {
    std::string want;
    switch (cp) {
      case '\b':
        want = "\\b";
        break;
      case '\t':
        want = "\\t";
        break;
      case '\n':
        want = "\\n";
        break;
      case '\f':
        want = "\\f";
        break;
      case '\r':
        want = "\\r";
        break;
      case '"':
        want = "\\\"";
        break;
      case '\\':
        want = "\\\\";
        break;
      default:
        if (cp < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
          want = buf;
        } else {
          want = Utf8(cp);
        }
    }
    std::string out = "x";
    AppendJsonString(Utf8(cp), &out);
    EXPECT_EQ(out, "x\"" + want + "\"") << static_cast<unsigned>(cp);
  }
  // Beyond ASCII nothing is escaped, not even U+2028, U+FEFF, noncharacters or astral.
  for (char32_t cp : {0x2028u, 0x2029u, 0xFEFFu, 0xFFFEu, 0xFFFFu, 0xE000u, 0x1F600u, 0x10FFFFu}) {
    EXPECT_EQ(Canon("\"" + Utf8(cp) + "\""), "\"" + Utf8(cp) + "\"");
  }
  EXPECT_EQ(Canon(R"("\u20ac\/\u007F\u001F\u00e9")"), "\"\xE2\x82\xAC/\x7F\\u001f\xC3\xA9\"");
}

// The escaper skips 8 bytes at a time and checks the last 8 at once; put each
// kind of byte at every position of strings around those boundaries.
TEST(CanonicalJsonTest, EscapesAtEveryPositionAndLength) {
  // Byte-wise reference: in valid UTF-8 only ASCII bytes can need escaping.
  auto reference = [](const std::string& s) {
    std::string r = "\"";
    for (unsigned char c : s) {
      if (c == '"' || c == '\\') {
        r += '\\';
        r += static_cast<char>(c);
      } else if (c == '\n') {
        r += "\\n";
      } else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        r += buf;
      } else {
        r += static_cast<char>(c);
      }
    }
    return r + "\"";
  };
  const std::string specials[] = {"\"", "\\", "\n", "\x1f", "\x7f", "\xC3\xA9", "\xF0\x9F\x98\x80"};
  for (size_t len = 0; len <= 34; ++len) {
    for (size_t at = 0; at <= len; ++at) {
      for (const std::string& special : specials) {
        std::string s(len, 'a');
        s.insert(at, special);
        std::string out;
        AppendJsonString(s, &out);
        ASSERT_EQ(out, reference(s)) << len << " " << at;
        ASSERT_EQ(CanonValue(bj::value(s)), out);
      }
      // An ill-formed byte anywhere is refused, with its offset.
      std::string bad(len, 'a');
      bad.insert(at, "\xC3");
      EXPECT_THAT(CanonicalJson(bj::value(bad)),
                  StatusIs(StatusCode::kInvalidArgument,
                           HasSubstr("invalid UTF-8 in string at byte " + std::to_string(at))));
    }
  }
}

TEST(CanonicalJsonTest, SortsKeysByUtf16CodeUnits) {
  // U+E000..U+FFFF sort after astral characters in UTF-16 (whose surrogates
  // are D800..DFFF), although their UTF-8 bytes sort before.
  EXPECT_EQ(Canon("{\"\xEE\x80\x80\":1,\"\xF0\x9F\x98\x80\":2,\"\xED\x9F\xBF\":3}"),
            "{\"\xED\x9F\xBF\":3,\"\xF0\x9F\x98\x80\":2,\"\xEE\x80\x80\":1}");
  // A prefix sorts first; the empty key sorts before everything.
  EXPECT_EQ(Canon(R"({"ab":1,"a":2,"":3,"b":4})"), R"({"":3,"a":2,"ab":1,"b":4})");

  // Property: for random keys over an alphabet chosen to hit every boundary,
  // the canonical order is the order of the UTF-16 strings.
  const char32_t alphabet[] = {0x00,   0x1F,    0x41,    0x7F,     0x80,   0x7FF,
                               0x800,  0xD7FF,  0xE000,  0xEFFF,   0xF000, 0xFFFD,
                               0xFFFF, 0x10000, 0x1F600, 0x10FFFF, 0x41,   0xFB33};
  std::mt19937 rng(99);
  for (int round = 0; round < 300; ++round) {
    std::vector<std::pair<std::u16string, std::string>> keys;  // (UTF-16, UTF-8)
    bj::object obj;
    for (int k = 0; k < 12; ++k) {
      std::vector<char32_t> cps;
      for (int n = 1 + static_cast<int>(rng() % 3); n > 0; --n) {
        cps.push_back(alphabet[rng() % std::size(alphabet)]);
      }
      std::string utf8;
      for (char32_t cp : cps) utf8 += Utf8(cp);
      if (obj.contains(utf8)) continue;
      obj[utf8] = k;
      keys.emplace_back(Utf16(cps), utf8);
    }
    std::sort(keys.begin(), keys.end());
    ASSERT_OK_AND_ASSIGN(std::string canonical, CanonicalJson(bj::value(obj)));
    ASSERT_OK_AND_ASSIGN(bj::value reparsed, ParseJson(canonical));
    std::vector<std::string> got, want;
    for (const auto& kv : reparsed.as_object()) got.emplace_back(kv.key());
    for (const auto& k : keys) want.push_back(k.second);
    ASSERT_EQ(got, want) << canonical;
  }
}

TEST(CanonicalJsonTest, SortsNestedObjectsIndependently) {
  EXPECT_EQ(Canon(R"({"b":{"z":1,"y":{"q":[{"d":1,"c":2}],"p":0}},"a":[{"b":1,"a":2}]})"),
            R"({"a":[{"a":2,"b":1}],"b":{"y":{"p":0,"q":[{"c":2,"d":1}]},"z":1}})");
  EXPECT_EQ(Canon(" [ ] "), "[]");
  EXPECT_EQ(Canon(" { } "), "{}");
  EXPECT_EQ(Canon("[null,true,false,\"\"]"), "[null,true,false,\"\"]");
}

TEST(CanonicalJsonTest, AppendsAndLeavesOutputUntouchedOnError) {
  std::string out = "prefix:";
  EXPECT_OK(AppendCanonicalJson(bj::value{{"b", 1}, {"a", 2}}, &out));
  EXPECT_EQ(out, "prefix:{\"a\":2,\"b\":1}");

  bj::value bad = {{"a", bj::array{1, std::nan("")}}, {"b", 1}};
  EXPECT_THAT(AppendCanonicalJson(bad, &out),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("non-finite number at \"/a/1\"")));
  EXPECT_EQ(out, "prefix:{\"a\":2,\"b\":1}");

  bj::value inf = {{"x/y~z", std::numeric_limits<double>::infinity()}};
  EXPECT_THAT(CanonicalJson(inf),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("at \"/x~1y~0z\"")));

  bj::value bad_string = bj::array{"ok", "\xC3("};
  EXPECT_THAT(CanonicalJson(bad_string),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("invalid UTF-8 in string at byte 0 of the string at \"/1\"")));
  bj::object bad_key;
  bad_key["a\xED\xA0\x80"] = 1;
  EXPECT_THAT(CanonicalJson(bj::value(bad_key)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("invalid UTF-8 in key at byte 1")));
}

TEST(CanonicalJsonTest, CanonicalFormIsAFixedPoint) {
  const std::string text =
      R"({"z":[1.50,-0,1e-7,"\u00e9\t"],"\ud83d\ude00":{"b":null,"a":true},"\ue000":1E3})";
  ASSERT_OK_AND_ASSIGN(std::string once, CanonicalizeJsonText(text));
  ASSERT_OK_AND_ASSIGN(std::string twice, CanonicalizeJsonText(once));
  EXPECT_EQ(once, twice);
  EXPECT_NE(once, text);
}

// AT-4: verify re-canonicalises every stored event and demands identical
// bytes, so a stored line edited into any other encoding of the same JSON is
// caught, and a changed value changes the hash. RV-1: the content hash is
// SHA-256 of the RFC 8785 form, so every encoding of one value hashes alike.
TEST(CanonicalJsonTest, DetectsNonCanonicalEditsAndHashesTheCanonicalForm) {
  ASSERT_OK_AND_ASSIGN(
      const std::string event,
      CanonicalizeJsonText(
          R"({"seq":42,"type":"record.modified","changes":[{"path":"/label","old":"nodule",)"
          R"("new":"mass"}],"reason":"re-read at 2 mm","prev":"sha256:00"})"));
  const std::vector<std::string> same_value_other_bytes = {
      " " + event,
      R"({"changes":[{"new":"mass","old":"nodule","path":"/label"}],"prev":"sha256:00",)"
      R"("reason":"re-read at 2 mm","seq":42.0,"type":"record.modified"})",
      R"({"changes":[{"new":"mass","old":"nodule","path":"\/label"}],"prev":"sha256:00",)"
      R"("reason":"re-read at 2 mm","seq":42,"type":"record.modified"})",
      R"({"type":"record.modified","changes":[{"new":"mass","old":"nodule","path":"/label"}],)"
      R"("prev":"sha256:00","reason":"re-read at 2 mm","seq":42})",
      R"({"changes":[{"new":"mass","old":"nodule","path":"/label"}],"prev":"sha256:00",)"
      R"("reason":"re-read at 2 mm","seq":4.2e1,"typ\u0065":"record.modified"})",
  };
  for (const auto& edited : same_value_other_bytes) {
    ASSERT_NE(edited, event);
    ASSERT_OK_AND_ASSIGN(std::string recanonicalised, CanonicalizeJsonText(edited));
    EXPECT_EQ(recanonicalised, event) << edited;        // same value ...
    EXPECT_EQ(Sha256(recanonicalised), Sha256(event));  // ... same content hash (RV-1)
  }
  std::string tampered = event;
  tampered.replace(tampered.find("mass"), 4, "masS");
  ASSERT_OK_AND_ASSIGN(std::string tampered_canonical, CanonicalizeJsonText(tampered));
  EXPECT_EQ(tampered_canonical, tampered);
  EXPECT_NE(Sha256(tampered_canonical), Sha256(event));
}

// ---------------------------------------------------------------------------
// UTF-8 validation

TEST(Utf8Test, AgreesWithReferenceOnEveryShortSequence) {
  unsigned char b[4];
  for (int x = 0; x < 256; ++x) {
    b[0] = static_cast<unsigned char>(x);
    ASSERT_EQ(IsValidUtf8({reinterpret_cast<char*>(b), 1}), ReferenceValidUtf8(b, 1)) << x;
    for (int y = 0; y < 256; ++y) {
      b[1] = static_cast<unsigned char>(y);
      ASSERT_EQ(IsValidUtf8({reinterpret_cast<char*>(b), 2}), ReferenceValidUtf8(b, 2)) << x << y;
      // Every three-byte sequence whose lead is not ASCII (16.7M minus the trivial ones).
      if (x < 0x80) continue;
      for (int z = 0; z < 256; ++z) {
        b[2] = static_cast<unsigned char>(z);
        ASSERT_EQ(IsValidUtf8({reinterpret_cast<char*>(b), 3}), ReferenceValidUtf8(b, 3))
            << x << " " << y << " " << z;
      }
    }
  }
  // Four-byte sequences: every lead and second byte from F0, sampled tails.
  for (int x = 0xF0; x < 0x100; ++x) {
    for (int y = 0; y < 256; ++y) {
      for (int z : {0x00, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0}) {
        for (int w : {0x41, 0x80, 0xBF, 0xC0, 0xFF}) {
          b[0] = static_cast<unsigned char>(x), b[1] = static_cast<unsigned char>(y);
          b[2] = static_cast<unsigned char>(z), b[3] = static_cast<unsigned char>(w);
          ASSERT_EQ(IsValidUtf8({reinterpret_cast<char*>(b), 4}), ReferenceValidUtf8(b, 4))
              << x << " " << y << " " << z << " " << w;
        }
      }
    }
  }
}

TEST(Utf8Test, FindsErrorsPastTheAsciiFastPath) {
  std::string s(100, 'a');
  EXPECT_TRUE(IsValidUtf8(s));
  for (size_t at : {0u, 7u, 8u, 15u, 63u, 99u}) {
    std::string bad = s;
    bad[at] = '\x80';
    EXPECT_FALSE(IsValidUtf8(bad)) << at;
    EXPECT_THAT(ParseJson("\"" + bad + "\""),
                StatusIs(StatusCode::kInvalidArgument,
                         HasSubstr("invalid UTF-8 at byte " + std::to_string(at + 1))));
  }
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8(Utf8(0x10FFFF) + Utf8(0xFFFF) + Utf8(0x80) + std::string(9, 'x')));
  EXPECT_FALSE(IsValidUtf8(std::string(9, 'x') + "\xF0\x9F\x98"));
}

// ---------------------------------------------------------------------------
// IsCanonicalJsonText must agree with "re-encoding gives the same bytes", the
// check it replaces on verify's hot path.

bool ReencodesToItself(const std::string& text) {
  auto c = CanonicalizeJsonText(text);
  return c.ok() && *c == text;
}

TEST(IsCanonicalJsonTextTest, AgreesWithReencodingOnEdgeCases) {
  const std::vector<std::string> texts = {
      "{}",
      "[]",
      "0",
      "-0",
      "1",
      "-1",
      "1.0",
      "1e0",
      "1E2",
      "100",
      "0.1",
      "0.10",
      "1e-7",
      "1e-6",
      "0.000001",
      "1e21",
      "1e+21",
      "100000000000000000000",
      "1000000000000000000000",
      "123456789012345",
      "1234567890123456",
      "9007199254740992",
      "9007199254740993",
      "-9007199254740993",
      "9223372036854775807",
      "-9223372036854775808",
      "18446744073709551615",
      "18446744073709551616",
      "-18446744073709551616",
      "1e-400",
      "5e-324",
      "1.5e300",
      "1.5e+300",
      "-1.5e-300",
      "0.5",
      "-0.0",
      "1.7976931348623157e308",
      "4.35",
      "4.350",
      "true",
      "false",
      "null",
      "\"\"",
      "\"a\"",
      " {}",
      "{} ",
      "{ }",
      "[1, 2]",
      "[1,2]",
      "{\"a\":1,\"b\":2}",
      "{\"b\":2,\"a\":1}",
      "{\"a\" :1}",
      "{\"a\":1 }",
      "{\"a\":\n1}",
      "\"\\n\"",
      "\"\\u000a\"",
      "\"\\u001f\"",
      "\"\\u001F\"",
      "\"\\u0008\"",
      "\"\\b\"",
      "\"\\/\"",
      "\"/\"",
      "\"\\u0041\"",
      "\"\\u00e9\"",
      "\"\xc3\xa9\"",
      "\"\\u007f\"",
      "\"\x7f\"",
      "\"\\\\\"",
      "\"\\\"\"",
      "\"\\ud83d\\ude00\"",
      "\"\xf0\x9f\x98\x80\"",
      // Key order: escapes compare by value, astral characters before U+E000..U+FFFF.
      "{\"\\n\":1,\"a\":2}",
      "{\"a\":2,\"\\n\":1}",
      "{\"\\u001f\":1,\" \":2}",
      "{\" \":2,\"\\u001f\":1}",
      "{\"\\\"\":1,\"#\":2}",
      "{\"#\":2,\"\\\"\":1}",
      "{\"a\":1,\"a\\n\":2}",
      "{\"a\\n\":2,\"a\":1}",
      "{\"\xf0\x9f\x98\x80\":1,\"\xef\xac\x81\":2}",
      "{\"\xef\xac\x81\":2,\"\xf0\x9f\x98\x80\":1}",
      "{\"a\":{\"d\":1,\"c\":2},\"b\":3}",
      "{\"a\":{\"c\":2,\"d\":1},\"b\":3}",
      "{\"a\":[{\"y\":1,\"x\":2}],\"b\":[]}",
      "{\"a\":[{\"x\":2,\"y\":1}],\"b\":[]}",
      "[{\"b\":1},{\"a\":1}]",
      "{\"a\":[1,{\"b\":[\"x\",{\"c\":null}]}],\"z\":{}}",
  };
  for (const auto& t : texts) {
    ASSERT_OK(ParseJson(t).status()) << t;
    EXPECT_EQ(IsCanonicalJsonText(t), ReencodesToItself(t)) << t;
    ASSERT_OK_AND_ASSIGN(std::string c, CanonicalizeJsonText(t));
    EXPECT_TRUE(IsCanonicalJsonText(c)) << c;
  }
}

// Numbers decide most of the work: random decimals of every length, with and
// without leading and trailing zeros, signs and exponents.
TEST(IsCanonicalJsonTextTest, AgreesWithReencodingOnRandomNumbers) {
  std::mt19937_64 rng(8785);
  auto digits = [&](size_t n, bool nonzero_first) {
    std::string d;
    for (size_t i = 0; i < n; ++i) d.push_back(static_cast<char>('0' + rng() % 10));
    if (nonzero_first && !d.empty() && d[0] == '0') d[0] = '1';
    return d;
  };
  int canonical = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string t = (rng() % 4 == 0) ? "-" : "";
    t += (rng() % 3 == 0) ? "0" : digits(1 + rng() % 18, true);
    if (rng() % 5 != 0) t += "." + std::string(rng() % 9, '0') + digits(1 + rng() % 18, false);
    if (rng() % 6 == 0) t += (rng() % 2 ? "e" : "e-") + std::to_string(rng() % 30);
    ASSERT_OK(ParseJson(t).status()) << t;
    const bool want = ReencodesToItself(t);
    canonical += want;
    ASSERT_EQ(IsCanonicalJsonText(t), want) << t;
    ASSERT_EQ(IsCanonicalJsonText("[" + t + "]"), want) << t;
  }
  EXPECT_GT(canonical, 2000);
}

// Random documents in canonical form, then small edits of them: the scanner
// and re-encoding agree on every text the parser accepts.
TEST(IsCanonicalJsonTextTest, AgreesWithReencodingOnRandomEdits) {
  std::mt19937_64 rng(20261125);
  const std::vector<std::string> keys = {"a",
                                         "b",
                                         "ab",
                                         "",
                                         "\n",
                                         "\x1f",
                                         "\"",
                                         "\\",
                                         "\xc3\xa9",
                                         "\xef\xac\x81",
                                         "\xf0\x9f\x98\x80",
                                         "A",
                                         "a\tb",
                                         "/"};
  const std::vector<std::string> numbers = {"0",
                                            "-0",
                                            "1",
                                            "1.0",
                                            "1e2",
                                            "12.5",
                                            "-3.25e-9",
                                            "1e21",
                                            "9007199254740993",
                                            "18446744073709551616",
                                            "0.1",
                                            "7E-7"};
  std::function<std::string(int)> gen = [&](int depth) -> std::string {
    switch (depth > 3 ? rng() % 4 : rng() % 6) {
      case 0:
        return numbers[rng() % numbers.size()];
      case 1: {
        bj::string s(keys[rng() % keys.size()]);
        return bj::serialize(bj::value(s));
      }
      case 2:
        return (rng() % 2) ? "true" : "null";
      case 3:
        return "false";
      case 4: {
        std::string out = "[";
        for (size_t i = 0, n = rng() % 4; i < n; ++i) out += (i ? "," : "") + gen(depth + 1);
        return out + "]";
      }
      default: {
        std::string out = "{";
        std::vector<std::string> ks = keys;
        std::shuffle(ks.begin(), ks.end(), rng);
        for (size_t i = 0, n = rng() % 4; i < n; ++i) {
          out +=
              (i ? "," : "") + bj::serialize(bj::value(bj::string(ks[i]))) + ":" + gen(depth + 1);
        }
        return out + "}";
      }
    }
  };
  const std::vector<std::string> inserts = {" ", "\n", "\\u0061", "\\/", "0", ".0", "e0", "-"};
  int canonical = 0, checked = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string text = gen(0);
    for (std::string t :
         {text, CanonicalizeJsonText(text).ok() ? *CanonicalizeJsonText(text) : text}) {
      for (int edit = 0; edit < 4; ++edit) {
        if (edit > 0 && !t.empty()) {
          const size_t at = rng() % (t.size() + 1);
          if (rng() % 3 == 0 && at < t.size())
            t.erase(at, 1);
          else
            t.insert(at, inserts[rng() % inserts.size()]);
        }
        if (!ParseJson(t).ok()) continue;
        ++checked;
        const bool want = ReencodesToItself(t);
        canonical += want;
        ASSERT_EQ(IsCanonicalJsonText(t), want) << t;
      }
    }
  }
  // Both answers occur often enough for the comparison to mean something.
  EXPECT_GT(canonical, 1000);
  EXPECT_GT(checked - canonical, 1000);
}

// IsCanonicalJson decides without the parser: it must agree with "the parser
// accepts it and re-encoding gives the same bytes" on any text at all.
bool ParsesAndReencodesToItself(const std::string& text, size_t max_depth) {
  JsonLimits limits;
  limits.max_bytes = text.size() + 1;
  limits.max_string_bytes = text.size() + 1;
  limits.max_depth = max_depth;
  auto c = CanonicalizeJsonText(text, limits);
  return c.ok() && *c == text;
}

// AT-4: verify proves each line canonical with this one-pass check; it must accept exactly
// what parsing and re-encoding to the same bytes accepts.
TEST(IsCanonicalJsonTest, AgreesWithParsingOnEdgeCases) {
  const std::vector<std::string> texts = {
      "", " ", "{}", "[]", "{} ", "{}{}", "[1,]", "[,1]", "[1 ]", "{\"a\":}", "{\"a\"}", "{\"a\":1,}",
      "{,}", "{\"a\":1,\"a\":2}", "{\"b\":1,\"a\":2}", "{1:2}", "[\"a\":1]", "tru", "true",
      "[true,]", "[null,1]", "nul", "falsey", "[01]", "[-]", "[1.]", "[1e]", "[.5]", "[1e400]",
      "[\"\x01\"]", "[\"\\u0001\"]", "[\"\\ud800\"]", "[\"\\ud83d\\ude00\"]", "[\"\xff\"]",
      "[\"\xc3\xa9\"]", "[\"abc", "[\"a\\\"]", "]", "[", "[[]]", "[[[]]]", "[{}]", "{\"a\":[{}]}",
      "\"x\"", "0", "-0", "1,2", ":", "[1:2]", "{\"a\"::1}", "[[1],[2]]", "[]]", "[1]1"};
  for (const auto& t : texts) {
    EXPECT_EQ(IsCanonicalJson(t, 2), ParsesAndReencodesToItself(t, 2)) << t;
    EXPECT_EQ(IsCanonicalJson(t, 64), ParsesAndReencodesToItself(t, 64)) << t;
  }
}

// AT-4: IsCanonicalJson checks UTF-8 while it scans strings, not in a pass of
// its own (outside strings any non-ASCII byte already breaks the form): every
// well-formed and ill-formed sequence, at every position relative to the
// 16- and 8-byte steps of the string scan, next to escapes and closing quotes, in keys
// and values, and outside strings.
TEST(IsCanonicalJsonTest, AgreesWithParsingOnUtf8AtEveryPosition) {
  const std::vector<std::string> sequences = {
      "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf",
      "\xee\x80\x80", "\xc2\x80", "\xdf\xbf",
      // Overlong, surrogates, above U+10FFFF, stray or missing continuation bytes.
      "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
      "\xf0\x80\x80\xaf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\x80", "\xbf", "\xc3",
      "\xe2\x82", "\xf0\x9f\x98", "\xc3\x28", "\xe2\x28\xa1", "\xff", "\xfe"};
  const std::vector<std::string> afters = {"", "x", "\\n", "\\\"", "\\u001f"};
  int checked = 0;
  for (const std::string& seq : sequences) {
    for (size_t before = 0; before <= 35; ++before) {
      for (const std::string& after : afters) {
        for (size_t tail = 0; tail <= 9; tail += 3) {
          const std::string text = std::string(before, 'a') + seq + after + std::string(tail, 'b');
          for (const std::string& t : {"[\"" + text + "\"]", "{\"" + text + "\":1}",
                                       "{\"a\":\"" + text + "\",\"b\":[\"" + text + "\"]}"}) {
            ++checked;
            ASSERT_EQ(IsCanonicalJson(t, 4), ParsesAndReencodesToItself(t, 4)) << t;
          }
        }
      }
    }
    for (const std::string& t : {seq, "[" + seq + "]", "[1" + seq + "]", "{\"a\":" + seq + "}",
                                 "[\"a\"" + seq + "]", "[true]" + seq, seq + "[]"}) {
      ASSERT_EQ(IsCanonicalJson(t, 4), ParsesAndReencodesToItself(t, 4)) << t;
    }
  }
  EXPECT_GT(checked, 10000);
}

// AT-4: verify's canonical check of a line. The string scan steps 16 bytes
// (SSE2), then 8, then 1 at a time: each byte that must stop it (an escape, a quote, a control character, a non-ASCII
// byte) and some that must not, at every position in strings of every length
// up to 40, answered as parsing and re-encoding answer.
TEST(IsCanonicalJsonTest, AgreesWithParsingOnEveryStopByteAtEveryPosition) {
  const std::vector<std::string> bytes = {"\\n", "\\\"", "\\\\", "\\u001f", "\\u0000", "\\/", "\\u0061",
                                          std::string(1, '\0'), "\x01", "\x1f", "\x7f", " ", "~", "\"",
                                          "\xc3\xa9", "\xff"};
  int checked = 0;
  for (const std::string& b : bytes) {
    for (size_t len = 0; len <= 40; ++len) {
      for (size_t pos = 0; pos <= len; ++pos) {
        const std::string text = std::string(pos, 'a') + b + std::string(len - pos, 'z');
        for (const std::string& t : {"[\"" + text + "\"]", "{\"" + text + "\":1}"}) {
          ++checked;
          ASSERT_EQ(IsCanonicalJson(t, 4), ParsesAndReencodesToItself(t, 4)) << t;
          if (ParseJson(t).ok()) {
            ASSERT_EQ(IsCanonicalJsonText(t), ReencodesToItself(t)) << t;
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 10000);
}

// AT-4
TEST(IsCanonicalJsonTest, AgreesWithParsingOnRandomEdits) {
  std::mt19937_64 rng(9162);
  const std::vector<std::string> atoms = {"0", "-1", "12.5", "1e21", "true", "false", "null",
                                          "\"a\"", "\"\\n\"", "\"\xc3\xa9\"", "\"\\\"\""};
  std::function<std::string(int)> gen = [&](int depth) -> std::string {
    switch (depth > 3 ? 0 : rng() % 3) {
      case 0:
        return atoms[rng() % atoms.size()];
      case 1: {
        std::string out = "[";
        for (size_t i = 0, n = rng() % 4; i < n; ++i) out += (i ? "," : "") + gen(depth + 1);
        return out + "]";
      }
      default: {
        std::string out = "{";
        for (size_t i = 0, n = rng() % 4; i < n; ++i)
          out += (i ? ",\"" : "\"") + std::string(1, static_cast<char>('a' + i)) + "\":" + gen(depth + 1);
        return out + "}";
      }
    }
  };
  const std::vector<std::string> inserts = {" ", ",", ":", "[", "]", "{", "}", "\"", "\\", "0",
                                            "-", ".", "e", "t", "\x01", "\xff", "\\u0061", "\\ud800"};
  int canonical = 0, checked = 0;
  for (int round = 0; round < 5000; ++round) {
    std::string t = gen(0);
    for (int edit = 0; edit < 4; ++edit) {
      if (edit > 0 && !t.empty()) {
        const size_t at = rng() % (t.size() + 1);
        if (rng() % 3 == 0 && at < t.size())
          t.erase(at, 1);
        else
          t.insert(at, inserts[rng() % inserts.size()]);
      }
      ++checked;
      const size_t depth = 1 + rng() % 4;
      const bool want = ParsesAndReencodesToItself(t, depth);
      canonical += want;
      ASSERT_EQ(IsCanonicalJson(t, depth), want) << t << " depth " << depth;
    }
  }
  EXPECT_GT(canonical, 2000);
  EXPECT_GT(checked - canonical, 2000);
}

// Readers of event lines pick values out of the text with WellFormedValueEnd.
TEST(WellFormedValueEndTest, EndsWhereTheValueEnds) {
  const std::string text = R"([1,-2.5e3,"a\"b,]",{"k":["}",{"x":"\\"}]},[],true,null,"",{}])";
  std::vector<std::string> values;
  for (size_t at = 1; at < text.size() - 1; ++at) {
    const size_t end = WellFormedValueEnd(text, at);
    values.push_back(text.substr(at, end - at));
    at = end;  // the comma
  }
  EXPECT_EQ(values, (std::vector<std::string>{"1", "-2.5e3", R"("a\"b,]")", R"({"k":["}",{"x":"\\"}]})", "[]",
                                              "true", "null", R"("")", "{}"}));
  EXPECT_EQ(WellFormedValueEnd(text, 0), text.size());
  EXPECT_EQ(WellFormedValueEnd("42", 0), 2u);
  // Text that breaks the precondition ends the scan at the end of the text, never beyond.
  EXPECT_EQ(WellFormedValueEnd("[\"abc", 0), 5u);
  EXPECT_EQ(WellFormedValueEnd("{{", 0), 2u);
}

// AT-4: the member ends IsCanonicalJson records are where WellFormedValueEnd puts
// the end of each top-level member's value (readers of event lines use either),
// and the answer is the same as without them.
TEST(IsCanonicalJsonTest, RecordsWhereEachTopLevelMemberValueEnds) {
  const std::string object =
      R"({"a":1,"b":-2.5,"c":"x\"y,}","d":{"k":["}",{"x":"\\"}]},"e":[],"f":true,"g":null,"h":"","i":{}})";
  std::vector<size_t> ends;
  ASSERT_TRUE(IsCanonicalJson(object, 8, &ends));
  std::vector<size_t> want;
  for (size_t at = object.find(':') + 1; at < object.size(); at = object.find(':', want.back()) + 1) {
    want.push_back(WellFormedValueEnd(object, at));
    if (object[want.back()] == '}') break;
  }
  EXPECT_EQ(ends, want);
  for (const std::string text : {"{}", "[1,{\"a\":2}]", "\"s\"", "3", "{\"a\":[{\"b\":1}]}"}) {
    ASSERT_TRUE(IsCanonicalJson(text, 8, &ends)) << text;
    EXPECT_EQ(ends.size(), text == "{\"a\":[{\"b\":1}]}" ? 1u : 0u) << text;
  }
  for (const std::string text : {"{\"b\":1,\"a\":2}", "{\"a\":1,}", "{\"a\":\"\xff\"}", "[1] "}) {
    EXPECT_FALSE(IsCanonicalJson(text, 8, &ends)) << text;
    EXPECT_EQ(IsCanonicalJson(text, 8), false) << text;
  }
}

}  // namespace
}  // namespace vellum::core
