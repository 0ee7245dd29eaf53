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

}  // namespace
}  // namespace vellum::core
