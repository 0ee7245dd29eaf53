// RandomBytes and RandomToken: lengths, the base64url alphabet, and that draws differ
// (session and API tokens are 256-bit random values, AC-7).
#include "core/random.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/encoding.h"
#include "testing/status_matchers.h"

namespace vellum::core {
namespace {

// Standard base64 with padding, from unpadded base64url, so the strict existing decoder
// (an independent implementation) can check the token's encoding.
std::string ToStandardBase64(std::string token) {
  std::replace(token.begin(), token.end(), '-', '+');
  std::replace(token.begin(), token.end(), '_', '/');
  while (token.size() % 4 != 0) token += '=';
  return token;
}

TEST(RandomTest, BytesHaveTheRequestedLength) {
  for (size_t n : {0, 1, 16, 32, 1000, 100000}) EXPECT_EQ(RandomBytes(n).size(), n);
}

TEST(RandomTest, DrawsDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(RandomBytes(16));
  EXPECT_EQ(seen.size(), 1000u);
  // Not all-zero (a CSPRNG that silently failed into a zeroed buffer would be caught here).
  EXPECT_NE(RandomBytes(32), std::string(32, '\0'));
}

// AC-7: a 256-bit token is 43 base64url characters, without padding.
TEST(RandomTest, TokenIsUnpaddedBase64Url) {
  for (size_t n = 0; n <= 64; ++n) {
    SCOPED_TRACE(n);
    std::string token = RandomToken(n);
    EXPECT_EQ(token.size(), (n * 4 + 2) / 3);
    EXPECT_EQ(
        token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos)
        << token;
    ASSERT_OK_AND_ASSIGN(std::string raw, Base64Decode(ToStandardBase64(token)));
    EXPECT_EQ(raw.size(), n);
  }
  EXPECT_EQ(RandomToken(32).size(), 43u);
}

TEST(RandomTest, TokensDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(RandomToken(32));
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace vellum::core
