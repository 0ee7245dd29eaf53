// Cross-checks CanonicalizeJsonText against an independent RFC 8785
// implementation (RV-1: a content hash anyone can recompute), npm canonicalize@4.0.0 running on V8 (JSON.parse for input,
// V8's Number.prototype.toString for numbers, JavaScript's UTF-16 string sort
// for keys), on thousands of random documents built to hit the hard parts:
// astral-plane and U+E000..U+FFFF keys, control characters, escapes of every
// kind, and numbers from tiny subnormals to huge integers.
//
// Needs `node` and `npm ci` in tests/tools/node (scripts/setup.sh does it).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/json.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::core {
namespace {

// Writes random JSON text (not canonical: random whitespace, escapes and
// number spellings) from a seeded generator, so every run tests the same set.
class RandomJson {
 public:
  explicit RandomJson(uint64_t seed) : rng_(seed) {}

  std::string Document() {
    out_.clear();
    Space();
    if (Chance(80)) {
      Object(0);
    } else {
      Value(2);
    }
    Space();
    return out_;
  }

 private:
  static constexpr int kMaxDepth = 4;

  bool Chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }
  uint64_t Below(uint64_t n) { return rng_() % n; }

  void Space() {
    static const char* const kSpaces[] = {"", "", "", " ", "\t", "\r", "  ", " \t "};
    out_ += kSpaces[Below(std::size(kSpaces))];
  }

  void Value(int depth) {
    const uint64_t k = Below(depth >= kMaxDepth ? 6 : 8);
    switch (k) {
      case 0:
        out_ += "null";
        break;
      case 1:
        out_ += Chance(50) ? "true" : "false";
        break;
      case 2:
      case 3:
        Number();
        break;
      case 4:
      case 5:
        String(RandomText());
        break;
      case 6:
        Array(depth + 1);
        break;
      default:
        Object(depth + 1);
        break;
    }
  }

  void Array(int depth) {
    out_ += '[';
    Space();
    const uint64_t n = Below(6);
    for (uint64_t i = 0; i < n; ++i) {
      if (i) out_ += ',', Space();
      Value(depth);
      Space();
    }
    out_ += ']';
  }

  void Object(int depth) {
    out_ += '{';
    Space();
    std::set<std::u32string> keys;  // keys must be unique (duplicates are tested elsewhere)
    const uint64_t n = Below(depth == 0 ? 12 : 7);
    for (uint64_t i = 0; i < n; ++i) {
      std::u32string key = RandomKey();
      if (!keys.insert(key).second) continue;
      if (keys.size() > 1) out_ += ',', Space();
      String(key);
      Space();
      out_ += ':';
      Space();
      Value(depth);
      Space();
    }
    out_ += '}';
  }

  // Keys share atoms so that sorting must compare past common prefixes, and
  // the atoms straddle every boundary where UTF-8 and UTF-16 orders differ.
  std::u32string RandomKey() {
    static constexpr char32_t kAtoms[] = {
        U'a',   U'b',   U'Z',   U'0',    U'_',    0x00,    0x0A,     0x1F,   0x7F,   0x80,
        0xE9,   0x7FF,  0x800,  0x20AC,  0xD7FF,  0xE000,  0xE001,   0xEFFF, 0xF000, 0xFB33,
        0xFEFF, 0xFFFD, 0xFFFF, 0x10000, 0x1F600, 0x1F602, 0x10FFFF, 0x2028};
    if (Chance(15)) return RandomText();
    std::u32string key;
    for (uint64_t n = Below(4); n > 0; --n) key += kAtoms[Below(std::size(kAtoms))];
    return key;
  }

  char32_t RandomCodePoint() {
    switch (Below(10)) {
      case 0:
        return static_cast<char32_t>(Below(0x20));  // controls
      case 1: {
        static constexpr char32_t kSpecial[] = {'"',    '\\',   '/',    0x7F,   0x2028,
                                                0x2029, 0xFEFF, 0xFFFE, 0xFFFF, 0x10FFFF};
        return kSpecial[Below(std::size(kSpecial))];
      }
      case 2:
        return static_cast<char32_t>(0x80 + Below(0x780));  // two-byte
      case 3:
        return static_cast<char32_t>(0x800 + Below(0xD800 - 0x800));
      case 4:
        return static_cast<char32_t>(0xE000 + Below(0x2000));  // E000..FFFF
      case 5:
        return static_cast<char32_t>(0x10000 + Below(0x100000));  // astral
      default:
        return static_cast<char32_t>(0x20 + Below(0x5F));  // printable ASCII
    }
  }

  std::u32string RandomText() {
    std::u32string s;
    for (uint64_t n = Below(Chance(10) ? 40 : 8); n > 0; --n) s += RandomCodePoint();
    return s;
  }

  void Hex4(unsigned v) {
    static constexpr char kLower[] = "0123456789abcdef", kUpper[] = "0123456789ABCDEF";
    const char* digits = Chance(50) ? kLower : kUpper;
    out_ += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out_ += digits[(v >> shift) & 0xF];
  }

  void Utf8(char32_t cp) {
    if (cp < 0x80) {
      out_ += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out_ += static_cast<char>(0xC0 | (cp >> 6));
      out_ += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out_ += static_cast<char>(0xE0 | (cp >> 12));
      out_ += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out_ += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out_ += static_cast<char>(0xF0 | (cp >> 18));
      out_ += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out_ += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out_ += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // Writes s as a JSON string, choosing at random between raw UTF-8 and each
  // escape that JSON allows for the character.
  void String(const std::u32string& s) {
    out_ += '"';
    for (char32_t cp : s) {
      const bool must_escape = cp < 0x20 || cp == '"' || cp == '\\';
      const char* short_escape = nullptr;
      switch (cp) {
        case '\b':
          short_escape = "\\b";
          break;
        case '\f':
          short_escape = "\\f";
          break;
        case '\n':
          short_escape = "\\n";
          break;
        case '\r':
          short_escape = "\\r";
          break;
        case '\t':
          short_escape = "\\t";
          break;
        case '"':
          short_escape = "\\\"";
          break;
        case '\\':
          short_escape = "\\\\";
          break;
        case '/':
          short_escape = "\\/";
          break;
        default:
          break;
      }
      if (short_escape && (must_escape || Chance(50)) && Chance(70)) {
        out_ += short_escape;
      } else if (must_escape || Chance(20)) {
        if (cp < 0x10000) {
          Hex4(cp);
        } else {
          Hex4(0xD800 + ((cp - 0x10000) >> 10));
          Hex4(0xDC00 + ((cp - 0x10000) & 0x3FF));
        }
      } else {
        Utf8(cp);
      }
    }
    out_ += '"';
  }

  void Append(const char* fmt, double d) {
    char buf[512];
    std::snprintf(buf, sizeof buf, fmt, d);
    out_ += buf;
  }

  void Number() {
    char buf[64];
    switch (Below(12)) {
      case 0: {  // any finite double, shortest text
        double d;
        do d = std::bit_cast<double>(rng_());
        while (!std::isfinite(d));
        out_.append(buf, std::to_chars(buf, buf + sizeof buf, d).ptr);
        break;
      }
      case 1: {  // any finite double, 17 digits or a random precision
        double d;
        do d = std::bit_cast<double>(rng_());
        while (!std::isfinite(d));
        char fmt[16];
        std::snprintf(fmt, sizeof fmt, Chance(50) ? "%%.17g" : "%%.%de",
                      static_cast<int>(Below(25)));
        Append(fmt, d);
        break;
      }
      case 2:  // small integers, sometimes spelled as decimals
        out_ += std::to_string(static_cast<int64_t>(Below(2001)) - 1000);
        if (Chance(20)) out_ += ".0";
        if (Chance(10)) out_ += "e0";
        break;
      case 3: {  // integers around 2^53, where doubles stop being exact
        const int64_t v = (int64_t{1} << 53) + static_cast<int64_t>(Below(41)) - 20;
        out_ += (Chance(50) ? "-" : "") + std::to_string(v);
        break;
      }
      case 4:  // int64 and uint64 range
        out_ += Chance(50) ? std::to_string(static_cast<int64_t>(rng_())) : std::to_string(rng_());
        break;
      case 5: {  // integers too long for 64 bits
        if (Chance(50)) out_ += '-';
        out_ += static_cast<char>('1' + Below(9));
        for (uint64_t n = 19 + Below(30); n > 0; --n) out_ += static_cast<char>('0' + Below(10));
        break;
      }
      case 6: {  // decimal text with a random exponent (some overflow, some underflow)
        if (Chance(30)) out_ += '-';
        out_ += static_cast<char>('0' + Below(10));
        if (Chance(70)) {
          out_ += '.';
          for (uint64_t n = 1 + Below(20); n > 0; --n) out_ += static_cast<char>('0' + Below(10));
        }
        out_ += Chance(50) ? 'e' : 'E';
        const uint64_t sign = Below(3);
        out_ += sign == 0 ? "" : sign == 1 ? "+" : "-";
        out_ += std::to_string(Below(Chance(95) ? 330 : 500));
        break;
      }
      case 7: {  // subnormals
        const double d = std::bit_cast<double>(rng_() & 0x800FFFFFFFFFFFFFull);
        Append(Chance(50) ? "%.17g" : "%.3e", d);
        break;
      }
      case 8:  // near the top of the range
        Append("%.17g", std::nextafter(1.7976931348623157e308, 0.0) * (1.0 - Below(1000) * 1e-16));
        break;
      case 9: {  // the ECMAScript layout boundaries: 1e-7, 1e-6, 1e20, 1e21
        static const int kExps[] = {-8, -7, -6, -5, 19, 20, 21, 22};
        const double d = (1 + Below(999)) * std::pow(10.0, kExps[Below(std::size(kExps))] - 2);
        Append("%.17g", Chance(30) ? -d : d);
        break;
      }
      case 10: {
        static const char* const kZeros[] = {"0", "-0", "0.0", "-0.0", "0e10", "-0E-3", "0.000"};
        out_ += kZeros[Below(std::size(kZeros))];
        break;
      }
      default:  // short decimals, as people write them
        out_ += std::to_string(Below(100000));
        out_ += '.';
        out_ += std::to_string(Below(1000));
        break;
    }
  }

  std::mt19937_64 rng_;
  std::string out_;
};

TEST(JsonOracleTest, MatchesNpmCanonicalizeOnRandomDocuments) {
  const std::string tools = vellum::testing::SourceDir() + "/tests/tools/node";
  if (!vellum::testing::HaveProgram("node")) {
    GTEST_SKIP() << "node not on PATH: the npm canonicalize oracle cannot run";
  }
  if (!std::filesystem::exists(tools + "/node_modules/canonicalize/package.json")) {
    GTEST_SKIP() << "npm canonicalize not installed: run `npm ci` in " << tools;
  }

  constexpr int kDocuments = 4000;
  RandomJson gen(0x5EED0001);
  std::vector<std::string> docs;
  std::string input;
  for (int i = 0; i < kDocuments; ++i) {
    docs.push_back(gen.Document());
    input += docs.back() + "\n";
  }
  const auto r = vellum::testing::RunProcess({"node", tools + "/canonicalize_lines.mjs"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> expected;
  for (size_t pos = 0; pos < r.out.size();) {
    const size_t nl = r.out.find('\n', pos);
    ASSERT_NE(nl, std::string::npos) << "unterminated oracle output";
    expected.push_back(r.out.substr(pos, nl - pos));
    pos = nl + 1;
  }
  ASSERT_EQ(expected.size(), docs.size());

  int agreed = 0, both_rejected = 0, mismatches = 0;
  for (size_t i = 0; i < docs.size() && mismatches < 10; ++i) {
    const auto ours = CanonicalizeJsonText(docs[i]);
    if (expected[i].starts_with('!')) {
      // The oracle rejects only numbers that overflow to Infinity.
      EXPECT_THAT(ours, StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("finite")))
          << "oracle: " << expected[i] << "\ndocument: " << docs[i];
      ++both_rejected;
      continue;
    }
    if (!ours.ok() || *ours != expected[i]) {
      ++mismatches;
      ADD_FAILURE() << "document " << i << ": " << docs[i]
                    << "\n   ours: " << (ours.ok() ? *ours : ours.status().ToString())
                    << "\n oracle: " << expected[i];
      continue;
    }
    ++agreed;
  }
  EXPECT_EQ(mismatches, 0);
  // Nearly all documents are valid; a few hold a number that overflows.
  EXPECT_GT(agreed, kDocuments * 9 / 10);
  EXPECT_GT(both_rejected, 0);
  RecordProperty("agreed", agreed);
  RecordProperty("both_rejected", both_rejected);
}

}  // namespace
}  // namespace vellum::core
