// RFC 8785 public test vectors (cyberphone/json-canonicalization, by the
// RFC's author): the input/output pairs byte for byte, the ES6 number lines,
// and the upstream number sequence regenerated here and checked against the
// SHA-256 checkpoints its README publishes (RV-1: anyone can recompute a
// content hash from the RFC's algorithm).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <boost/json.hpp>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/json.h"
#include "core/sha256.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::core {
namespace {

namespace fs = std::filesystem;
using vellum::testing::ReadFileOrDie;
using vellum::testing::VectorsDir;

#define REQUIRE_VECTORS(dir)                                                           \
  const auto vectors_ = VectorsDir();                                                  \
  if (!vectors_) GTEST_SKIP() << "public test vectors not found (set VELLUM_VECTORS)"; \
  const std::string dir = *vectors_ + "/jcs"

double FromBits(uint64_t bits) { return std::bit_cast<double>(bits); }

std::string HexBits(double d) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%llx",
                static_cast<unsigned long long>(std::bit_cast<uint64_t>(d)));
  return buf;
}

// RV-1: the content hash is SHA-256 of exactly these bytes, so they must match
// the reference implementation's output byte for byte.
TEST(JcsVectorsTest, EveryInputCanonicalisesToItsOutput) {
  REQUIRE_VECTORS(jcs);
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(jcs + "/input")) {
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    const std::string input = ReadFileOrDie(entry.path().string());
    const std::string want = ReadFileOrDie(jcs + "/output/" + name);
    ASSERT_OK_AND_ASSIGN(std::string got, CanonicalizeJsonText(input));
    EXPECT_EQ(got, want) << "got hex  " << HexEncode(got) << "\nwant hex " << HexEncode(want);
    EXPECT_EQ(Sha256(got), Sha256(want));
    // The outhex files are the same bytes spelled as hex.
    std::string hex = ReadFileOrDie(jcs + "/outhex/" + entry.path().stem().string() + ".txt");
    std::erase_if(hex, [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
    ASSERT_OK_AND_ASSIGN(std::string from_hex, HexDecode(hex));
    EXPECT_EQ(got, from_hex);
    // Canonical output is a fixed point.
    EXPECT_EQ(CanonicalizeJsonText(got).value(), got);
    ++checked;
  }
  EXPECT_GE(checked, 6);
}

// Checks every "hex-ieee,expected" line of an ES6 number file; returns the count.
int CheckNumberLines(const std::string& path) {
  std::istringstream in(ReadFileOrDie(path));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const size_t comma = line.find(',');
    EXPECT_NE(comma, std::string::npos) << line;
    if (comma == std::string::npos) continue;
    const std::string expected = line.substr(comma + 1);
    const double d = FromBits(std::stoull(line.substr(0, comma), nullptr, 16));
    EXPECT_EQ(FormatJsonNumber(d), expected) << line;
    // The same number through the parser: its JCS text reads back as itself.
    auto canonical = CanonicalizeJsonText(expected);
    EXPECT_TRUE(canonical.ok() && *canonical == expected) << line;
    // And the shortest text isn't needed: 17 significant digits read back the same.
    char long_form[40];
    std::snprintf(long_form, sizeof long_form, "%.17g", d);
    auto from_long = CanonicalizeJsonText(long_form);
    EXPECT_TRUE(from_long.ok() && *from_long == expected) << line << " from " << long_form;
    ++n;
  }
  return n;
}

TEST(JcsVectorsTest, Es6NumberLines) {
  REQUIRE_VECTORS(jcs);
  EXPECT_EQ(CheckNumberLines(jcs + "/es6_numbers_readme_samples.txt"), 7);
  EXPECT_EQ(CheckNumberLines(jcs + "/es6_numbers_first1000.txt"), 1000);
  EXPECT_EQ(CheckNumberLines(jcs + "/es6_numbers_lines9001-10000.txt"), 1000);
}

// The generator in UPSTREAM_README.md: 168 listed edge cases, 2000 doubles
// counting up from the smallest normal, then the doubles in successive
// SHA-256 blocks (block 0 is 32 zero bytes; each is the hash of the one
// before, read as four little-endian doubles), skipping zeros and non-finite
// values.
class Es6Sequence {
 public:
  explicit Es6Sequence(std::vector<uint64_t> statics) : statics_(std::move(statics)) {}

  double Next() {
    const size_t i = idx_++;
    if (i < statics_.size()) return FromBits(statics_[i]);
    if (i < statics_.size() + 2000) return FromBits(0x0010000000000000ull + (i - statics_.size()));
    double f = 0;
    while (f == 0.0 || !std::isfinite(f)) {
      if (used_ == 4) {
        block_ = Sha256(AsBytes(block_));
        used_ = 0;
      }
      uint64_t bits = 0;
      for (int b = 7; b >= 0; --b) bits = bits << 8 | block_[used_ * 8 + b];
      ++used_;
      f = FromBits(bits);
    }
    return f;
  }

 private:
  std::vector<uint64_t> statics_;
  size_t idx_ = 0;
  Hash block_{};
  int used_ = 4;
};

struct Checkpoint {
  std::string sha256;
  size_t lines;
  size_t bytes;
};

// Reads the static values and the checkpoint table out of the upstream README,
// so nothing here is transcribed by hand.
void ReadUpstreamReadme(const std::string& text, std::vector<uint64_t>* statics,
                        std::vector<Checkpoint>* checkpoints) {
  const size_t begin = text.find("staticU64s = new BigUint64Array([");
  const size_t end = text.find("])", begin);
  ASSERT_NE(begin, std::string::npos);
  const std::string list = text.substr(begin, end - begin);
  const std::regex hex_literal("0x([0-9a-f]+)n");
  for (auto it = std::sregex_iterator(list.begin(), list.end(), hex_literal);
       it != std::sregex_iterator(); ++it) {
    statics->push_back(std::stoull((*it)[1].str(), nullptr, 16));
  }
  const std::regex row(R"(\| ([0-9a-f]{64}) \| (\d+) +\| (\d+) +\|)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), row); it != std::sregex_iterator();
       ++it) {
    checkpoints->push_back(
        {(*it)[1].str(), std::stoull((*it)[2].str()), std::stoull((*it)[3].str())});
  }
}

TEST(JcsVectorsTest, GeneratedEs6SequenceMatchesPublishedHashes) {
  REQUIRE_VECTORS(jcs);
  std::vector<uint64_t> statics;
  std::vector<Checkpoint> checkpoints;
  ReadUpstreamReadme(ReadFileOrDie(jcs + "/UPSTREAM_README.md"), &statics, &checkpoints);
  ASSERT_EQ(statics.size(), 168u);
  ASSERT_GE(checkpoints.size(), 4u);

  // One million lines (40 MB) take a fraction of a second. For a longer run
  // set VELLUM_ES6_LINES (10000000 takes a few seconds, 100000000 about 30).
  size_t max_lines = 1000000;
  if (const char* env = std::getenv("VELLUM_ES6_LINES"); env && *env) max_lines = std::stoull(env);
  std::vector<std::unique_ptr<Sha256Stream>> streams;
  std::vector<Checkpoint> wanted;
  for (const auto& c : checkpoints) {
    if (c.lines > max_lines) continue;
    wanted.push_back(c);
    streams.push_back(std::make_unique<Sha256Stream>());
  }
  ASSERT_FALSE(wanted.empty()) << "VELLUM_ES6_LINES is below the first checkpoint";
  max_lines = wanted.back().lines;

  // The file's own lines 1-1000 and 9001-10000 must come out of the generator too.
  const std::string first1000 = ReadFileOrDie(jcs + "/es6_numbers_first1000.txt");
  const std::string lines9001 = ReadFileOrDie(jcs + "/es6_numbers_lines9001-10000.txt");
  std::string generated_first1000, generated_9001;

  Es6Sequence seq(statics);
  std::string chunk;
  size_t bytes = 0;
  for (size_t line = 1; line <= max_lines; ++line) {
    const double d = seq.Next();
    const size_t before = chunk.size();
    chunk += HexBits(d);
    chunk += ',';
    chunk += FormatJsonNumber(d);
    chunk += '\n';
    if (line <= 1000) generated_first1000.append(chunk, before);
    if (line > 9000 && line <= 10000) generated_9001.append(chunk, before);
    const bool at_checkpoint = std::any_of(wanted.begin(), wanted.end(),
                                           [&](const Checkpoint& c) { return c.lines == line; });
    if (chunk.size() > (1 << 16) || at_checkpoint || line == max_lines) {
      for (size_t i = 0; i < wanted.size(); ++i) {
        if (line <= wanted[i].lines && streams[i]) streams[i]->Update(chunk);
      }
      bytes += chunk.size();
      chunk.clear();
    }
    for (size_t i = 0; i < wanted.size(); ++i) {
      if (wanted[i].lines != line) continue;
      EXPECT_EQ(bytes, wanted[i].bytes) << "first " << line << " lines";
      EXPECT_EQ(HashToHex(streams[i]->Finish()), wanted[i].sha256) << "first " << line << " lines";
      streams[i].reset();
    }
  }
  EXPECT_EQ(generated_first1000, first1000);
  EXPECT_EQ(generated_9001, lines9001);
}

}  // namespace
}  // namespace vellum::core
