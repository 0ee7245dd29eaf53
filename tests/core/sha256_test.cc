// Hash text forms: HashToHex / HashToTagged and their strict inverses, which
// read every hash stored in an event line.
#include "core/sha256.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "testing/status_matchers.h"

namespace vellum::core {
namespace {

using ::testing::HasSubstr;

TEST(HashTextTest, RoundTripsEveryByteValue) {
  Hash h{};
  for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint8_t>(i * 8 + 7);  // 0x07 … 0xff
  ASSERT_OK_AND_ASSIGN(Hash from_hex, HashFromHex(HashToHex(h)));
  EXPECT_EQ(from_hex, h);
  ASSERT_OK_AND_ASSIGN(Hash from_tagged, HashFromTagged(HashToTagged(h)));
  EXPECT_EQ(from_tagged, h);
  // A published vector: SHA-256("abc").
  ASSERT_OK_AND_ASSIGN(
      Hash abc, HashFromHex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  EXPECT_EQ(abc, Sha256("abc"));
}

TEST(HashTextTest, RejectsAnythingButTaggedLowerCaseHex) {
  const std::string ok(64, 'a');
  EXPECT_THAT(HashFromHex(std::string(63, 'a')),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("64 hex digits")));
  EXPECT_THAT(HashFromHex(ok + "a"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("64 hex digits")));
  for (char bad : {'A', 'F', 'g', ':', '/', ' ', '\0'}) {
    std::string hex = ok;
    hex[17] = bad;
    EXPECT_THAT(HashFromHex(hex),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("lower-case hex")))
        << static_cast<int>(bad);
  }
  EXPECT_THAT(HashFromTagged("sha512:" + ok),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("sha256:")));
  EXPECT_THAT(HashFromTagged(ok), StatusIs(StatusCode::kInvalidArgument, HasSubstr("sha256:")));
  EXPECT_OK(HashFromTagged("sha256:" + ok).status());
}

// Verify reads every event's hashes with HashFromHex (AT-4): every byte value
// at every position is accepted exactly when it is a lower-case hex digit, and
// then decodes to its value.
TEST(HashTextTest, EachDigitPositionAcceptsExactlyLowerCaseHex) {
  const std::string base = "0123456789abcdeffedcba98765432100f1e2d3c4b5a69788796a5b4c3d2e1f0";
  ASSERT_OK_AND_ASSIGN(const Hash base_hash, HashFromHex(base));
  for (size_t at = 0; at < base.size(); ++at) {
    for (int b = 0; b < 256; ++b) {
      std::string hex = base;
      hex[at] = static_cast<char>(b);
      const bool digit = (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f');
      auto h = HashFromHex(hex);
      ASSERT_EQ(h.ok(), digit) << at << " " << b;
      if (!digit) continue;
      Hash want = base_hash;
      const uint8_t v = static_cast<uint8_t>(b <= '9' ? b - '0' : b - 'a' + 10);
      uint8_t& byte = want[at / 2];
      byte = at % 2 == 0 ? static_cast<uint8_t>((v << 4) | (byte & 0x0F))
                         : static_cast<uint8_t>((byte & 0xF0) | v);
      ASSERT_EQ(*h, want) << at << " " << b;
    }
  }
}

}  // namespace
}  // namespace vellum::core
