// Ed25519 through OpenSSL: RFC 8032 §7.1 known answers, all Wycheproof verify
// vectors, key handling (AT-5 checkpoint keys, ES-2 server countersignatures).
#include "core/ed25519.h"

#include <boost/json.hpp>

#include "core/encoding.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::core {
namespace {

using ::testing::HasSubstr;

std::string Unhex(std::string_view hex) {
  auto bytes = HexDecode(hex);
  EXPECT_TRUE(bytes.ok()) << hex;
  return bytes.ok() ? *bytes : std::string();
}

std::string Str(const boost::json::value& v) { return std::string(v.as_string()); }

std::string AsString(const Ed25519Signature& sig) {
  return std::string(reinterpret_cast<const char*>(sig.data()), sig.size());
}

std::optional<boost::json::value> LoadVectors(const std::string& relative) {
  auto dir = vellum::testing::VectorsDir();
  if (!dir) return std::nullopt;
  return boost::json::parse(vellum::testing::ReadFileOrDie(*dir + "/" + relative));
}

// AT-5, ES-2: our signatures are exactly the RFC's (Ed25519 is deterministic), so any
// other implementation verifies them.
TEST(Ed25519Test, Rfc8032Section71Vectors) {
  auto doc = LoadVectors("ed25519/rfc8032_section7_1.json");
  if (!doc) GTEST_SKIP() << "test vectors not found (set VELLUM_VECTORS)";
  const auto& vectors = doc->at("vectors").as_array();
  ASSERT_EQ(vectors.size(), 5u);
  for (const auto& v : vectors) {
    SCOPED_TRACE(Str(v.at("name")));
    ASSERT_OK_AND_ASSIGN(auto key, Ed25519PrivateKey::FromSeed(Unhex(Str(v.at("secret_key")))));
    const std::string pub = Unhex(Str(v.at("public_key")));
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(key.public_key().data()), 32), pub);
    const std::string message = Unhex(Str(v.at("message")));
    ASSERT_EQ(message.size(), v.at("message_length").to_number<size_t>());
    Ed25519Signature sig = key.Sign(message);
    EXPECT_EQ(HexEncode(AsString(sig)), Str(v.at("signature")));
    EXPECT_TRUE(Ed25519Verify(key.public_key(), message, AsString(sig)));
    EXPECT_FALSE(Ed25519Verify(key.public_key(), message + "x", AsString(sig)));
  }
}

// Every Wycheproof case: verification succeeds exactly for the "valid" ones
// (malleable S, non-canonical encodings, truncated or padded signatures fail).
TEST(Ed25519Test, WycheproofVerifyVectors) {
  auto doc = LoadVectors("ed25519/wycheproof/ed25519_test.json");
  if (!doc) GTEST_SKIP() << "test vectors not found (set VELLUM_VECTORS)";
  int total = 0, valid = 0;
  for (const auto& group : doc->at("testGroups").as_array()) {
    ASSERT_OK_AND_ASSIGN(auto pk,
                         Ed25519PublicKeyFromBytes(Unhex(Str(group.at("publicKey").at("pk")))));
    for (const auto& t : group.at("tests").as_array()) {
      const bool want = Str(t.at("result")) == "valid";
      EXPECT_EQ(Ed25519Verify(pk, Unhex(Str(t.at("msg"))), Unhex(Str(t.at("sig")))), want)
          << "tcId " << t.at("tcId").as_int64() << ": " << Str(t.at("comment"));
      ++total;
      valid += want;
    }
  }
  EXPECT_EQ(total, doc->at("numberOfTests").as_int64());
  EXPECT_EQ(total, 151);
  EXPECT_EQ(valid, 88);
}

TEST(Ed25519Test, GeneratedKeysSignAndVerify) {
  ASSERT_OK_AND_ASSIGN(auto a, Ed25519PrivateKey::Generate());
  ASSERT_OK_AND_ASSIGN(auto b, Ed25519PrivateKey::Generate());
  EXPECT_NE(a.seed(), b.seed());
  EXPECT_NE(a.public_key(), b.public_key());
  EXPECT_NE(a.seed(), std::string(32, '\0'));

  ASSERT_OK_AND_ASSIGN(auto again, Ed25519PrivateKey::FromSeed(a.seed()));
  EXPECT_EQ(again.public_key(), a.public_key());

  const std::string msg = "checkpoint body\n";
  Ed25519Signature sig = a.Sign(msg);
  EXPECT_TRUE(Ed25519Verify(a.public_key(), msg, AsString(sig)));
  EXPECT_FALSE(Ed25519Verify(b.public_key(), msg, AsString(sig)));
  std::string flipped = AsString(sig);
  flipped[10] ^= 0x01;
  EXPECT_FALSE(Ed25519Verify(a.public_key(), msg, flipped));
  EXPECT_FALSE(Ed25519Verify(a.public_key(), msg, AsString(sig).substr(0, 63)));
  EXPECT_FALSE(Ed25519Verify(a.public_key(), msg, AsString(sig) + std::string(1, '\0')));
  EXPECT_FALSE(Ed25519Verify(a.public_key(), msg, ""));
}

TEST(Ed25519Test, RejectsWrongSizes) {
  EXPECT_THAT(Ed25519PrivateKey::FromSeed(std::string(31, 'x')),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("32 bytes")));
  EXPECT_THAT(Ed25519PrivateKey::FromSeed(std::string(33, 'x')),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("32 bytes")));
  EXPECT_THAT(Ed25519PublicKeyFromBytes(std::string(64, 'x')),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("32 bytes")));
  EXPECT_OK(Ed25519PublicKeyFromBytes(std::string(32, 'x')));
}

TEST(Ed25519Test, MoveWipesTheSourceSeed) {
  ASSERT_OK_AND_ASSIGN(auto a, Ed25519PrivateKey::Generate());
  const std::string seed(a.seed());
  const Ed25519PublicKey pub = a.public_key();

  Ed25519PrivateKey b(std::move(a));
  EXPECT_EQ(b.seed(), seed);
  EXPECT_EQ(b.public_key(), pub);
  EXPECT_EQ(a.seed(), std::string(32, '\0'));  // NOLINT(bugprone-use-after-move)

  ASSERT_OK_AND_ASSIGN(auto c, Ed25519PrivateKey::Generate());
  c = std::move(b);
  EXPECT_EQ(c.seed(), seed);
  EXPECT_EQ(b.seed(), std::string(32, '\0'));  // NOLINT(bugprone-use-after-move)
  const std::string msg = "m";
  EXPECT_TRUE(Ed25519Verify(pub, msg, AsString(c.Sign(msg))));
}

// What "as OpenSSL implements it" means for small-order points (header comment):
// OpenSSL's cofactorless check does not reject a small-order public key or R by
// itself. This signature (s = 0, A and R of small order, "Taming the many EdDSAs"
// test 0) satisfies [s]B = R + [k]A, so it verifies.
TEST(Ed25519Test, SmallOrderPointsAreNotRejectedByThemselves) {
  ASSERT_OK_AND_ASSIGN(
      auto pk, Ed25519PublicKeyFromBytes(
                   Unhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa")));
  const std::string msg = Unhex("8c93255d71dcab10e8f379c26200f3c7bd5f09d9bc3068d3ef4edeb4853022b6");
  const std::string sig =
      Unhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a") +
      std::string(32, '\0');
  EXPECT_TRUE(Ed25519Verify(pk, msg, sig));
}

}  // namespace
}  // namespace vellum::core
