// One-time passwords for the optional second factor (AC-2): RFC 6238 Appendix B and RFC 4226
// Appendix D known answers, RFC 4648 §10 base32 vectors, OATH Toolkit's oathtool as an
// independent oracle, the verification window, and the otpauth:// enrolment URI.
#include "core/totp.h"

#include <boost/json.hpp>
#include <random>

#include "core/encoding.h"
#include "core/random.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::core {
namespace {

using ::testing::HasSubstr;

std::string Str(const boost::json::value& v) { return std::string(v.as_string()); }

TotpAlgorithm AlgorithmFromName(const std::string& name) {
  if (name == "SHA256") return TotpAlgorithm::kSha256;
  if (name == "SHA512") return TotpAlgorithm::kSha512;
  EXPECT_EQ(name, "SHA1");
  return TotpAlgorithm::kSha1;
}

// All 18 rows of RFC 6238 Appendix B (8 digits, 30 s steps; SHA256 and SHA512 rows use the
// 32- and 64-byte seeds of the Appendix A code), including a time past 2^32 seconds.
TEST(TotpTest, Rfc6238AppendixBVectors) {
  auto dir = vellum::testing::VectorsDir();
  if (!dir) GTEST_SKIP() << "test vectors not found (set VELLUM_VECTORS)";
  auto doc =
      boost::json::parse(vellum::testing::ReadFileOrDie(*dir + "/totp/rfc6238_appendix_b.json"));
  const auto& params_json = doc.at("parameters");
  ASSERT_EQ(params_json.at("t0").to_number<int>(), 0);
  const auto& vectors = doc.at("vectors").as_array();
  ASSERT_EQ(vectors.size(), 18u);
  for (const auto& v : vectors) {
    const std::string mode = Str(v.at("mode"));
    const int64_t time = v.at("time").to_number<int64_t>();
    SCOPED_TRACE(mode + " @" + std::to_string(time));
    ASSERT_OK_AND_ASSIGN(std::string seed, HexDecode(Str(doc.at("seeds").at(mode).at("hex"))));
    TotpParams params{.step_seconds = params_json.at("step_seconds").to_number<int64_t>(),
                      .digits = params_json.at("digits").to_number<int>(),
                      .algorithm = AlgorithmFromName(mode)};
    ASSERT_OK_AND_ASSIGN(uint64_t step, TotpTimeStep(time, params));
    EXPECT_EQ(step, std::stoull(Str(v.at("t_hex")), nullptr, 16));
    ASSERT_OK_AND_ASSIGN(std::string code, Totp(seed, time, params));
    EXPECT_EQ(code, Str(v.at("totp")));
    EXPECT_EQ(VerifyTotp(seed, code, time, params, 0), step);
  }
}

// RFC 4226 Appendix D: HOTP for counters 0..9 with the ASCII seed "12345678901234567890".
TEST(TotpTest, Rfc4226AppendixDVectors) {
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (uint64_t counter = 0; counter < 10; ++counter) {
    ASSERT_OK_AND_ASSIGN(std::string code,
                         Hotp("12345678901234567890", counter, 6, TotpAlgorithm::kSha1));
    EXPECT_EQ(code, expected[counter]) << counter;
  }
}

TEST(TotpTest, InvalidInputsAreRejected) {
  EXPECT_THAT(Totp("", 59), StatusIs(StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(Totp("secret", -1), StatusIs(StatusCode::kInvalidArgument, HasSubstr("epoch")));
  EXPECT_THAT(Totp("secret", 59, {.digits = 5}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("digits")));
  EXPECT_THAT(Totp("secret", 59, {.digits = 9}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("digits")));
  EXPECT_THAT(Totp("secret", 59, {.step_seconds = 0}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("step")));
  ASSERT_OK_AND_ASSIGN(std::string seven, Totp("secret", 59, {.digits = 7}));
  EXPECT_EQ(seven.size(), 7u);
}

TEST(TotpTest, GeneratedSecretsMatchTheHmacLength) {
  EXPECT_EQ(GenerateTotpSecret(TotpAlgorithm::kSha1).size(), 20u);
  EXPECT_EQ(GenerateTotpSecret(TotpAlgorithm::kSha256).size(), 32u);
  EXPECT_EQ(GenerateTotpSecret(TotpAlgorithm::kSha512).size(), 64u);
  EXPECT_NE(GenerateTotpSecret(TotpAlgorithm::kSha1), GenerateTotpSecret(TotpAlgorithm::kSha1));
}

// The window accepts one step of drift either way and reports which step matched, so the
// caller can refuse a code whose step was already used.
TEST(TotpTest, VerifyReportsTheMatchedStepWithinTheWindow) {
  const std::string secret = "12345678901234567890";
  const int64_t now = 1'700'000'015;  // step 56666667
  const uint64_t t = 56'666'667;
  auto code_at = [&](uint64_t step) {
    auto c = Hotp(secret, step, 6, TotpAlgorithm::kSha1);
    EXPECT_TRUE(c.ok());
    return *c;
  };
  EXPECT_EQ(VerifyTotp(secret, code_at(t), now), t);
  EXPECT_EQ(VerifyTotp(secret, code_at(t - 1), now), t - 1);
  EXPECT_EQ(VerifyTotp(secret, code_at(t + 1), now), t + 1);
  EXPECT_EQ(VerifyTotp(secret, code_at(t - 2), now), std::nullopt);
  EXPECT_EQ(VerifyTotp(secret, code_at(t + 2), now), std::nullopt);
  EXPECT_EQ(VerifyTotp(secret, code_at(t - 2), now, {}, 2), t - 2);
  EXPECT_EQ(VerifyTotp(secret, code_at(t - 1), now, {}, 0), std::nullopt);
  EXPECT_EQ(VerifyTotp(secret, code_at(t), now, {}, -3), t);  // negative window means 0

  // Replay: the caller stores the last accepted step and refuses any step not after it.
  uint64_t last_used = *VerifyTotp(secret, code_at(t), now);
  auto replay = VerifyTotp(secret, code_at(t), now + 30);  // same code, next step's clock
  ASSERT_TRUE(replay.has_value());
  EXPECT_LE(*replay, last_used);
}

TEST(TotpTest, VerifyRejectsMalformedCodes) {
  const std::string secret = "12345678901234567890";
  ASSERT_OK_AND_ASSIGN(std::string code, Totp(secret, 1'700'000'000));
  EXPECT_TRUE(VerifyTotp(secret, code, 1'700'000'000).has_value());
  EXPECT_FALSE(VerifyTotp(secret, code + "0", 1'700'000'000).has_value());
  EXPECT_FALSE(VerifyTotp(secret, code.substr(1), 1'700'000'000).has_value());
  EXPECT_FALSE(VerifyTotp(secret, " " + code.substr(1), 1'700'000'000).has_value());
  EXPECT_FALSE(VerifyTotp(secret, "", 1'700'000'000).has_value());
  EXPECT_FALSE(VerifyTotp(secret, "abcdef", 1'700'000'000).has_value());
  EXPECT_FALSE(VerifyTotp("", code, 1'700'000'000).has_value());
  EXPECT_FALSE(VerifyTotp(secret, code, -5).has_value());
  EXPECT_FALSE(VerifyTotp("another secret", code, 1'700'000'000).has_value());
}

// Near the epoch the window does not wrap below step 0.
TEST(TotpTest, WindowAtTheEpoch) {
  ASSERT_OK_AND_ASSIGN(std::string code, Totp("12345678901234567890", 0));
  EXPECT_EQ(VerifyTotp("12345678901234567890", code, 0, {}, 2), 0u);
}

// RFC 4648 §10 test vectors; the encoder leaves out '=' padding.
TEST(Base32Test, Rfc4648Section10Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "MY======"},
      {"fo", "MZXQ===="},
      {"foo", "MZXW6==="},
      {"foob", "MZXW6YQ="},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI======"},
  };
  for (const auto& [plain, padded] : vectors) {
    SCOPED_TRACE(plain);
    std::string unpadded(padded);
    unpadded.erase(unpadded.find_last_not_of('=') + 1);  // npos + 1 == 0 clears ""
    EXPECT_EQ(Base32Encode(plain), unpadded);
    ASSERT_OK_AND_ASSIGN(std::string from_padded, Base32Decode(padded));
    EXPECT_EQ(from_padded, plain);
    ASSERT_OK_AND_ASSIGN(std::string from_unpadded, Base32Decode(unpadded));
    EXPECT_EQ(from_unpadded, plain);
  }
}

// People type secrets: case, padding and the spaces apps group them with do not matter.
TEST(Base32Test, DecodeIsLenientAboutCaseSpacesAndPadding) {
  ASSERT_OK_AND_ASSIGN(std::string a, Base32Decode("mzxw6ytboi"));
  EXPECT_EQ(a, "foobar");
  ASSERT_OK_AND_ASSIGN(std::string b, Base32Decode("MzXw 6YtB oI=="));
  EXPECT_EQ(b, "foobar");
  ASSERT_OK_AND_ASSIGN(std::string c, Base32Decode("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"));
  EXPECT_EQ(c, "12345678901234567890");
}

TEST(Base32Test, DecodeRejectsWhatNoEncoderProduces) {
  for (const char* bad : {"MZXW6YTB0I", "MZXW1", "MZXW8", "MZ=XW6", "MZXW6YTB!", "M", "MZX",
                          "MZXW6Y", "MZXW6YTBO", "mzxw-6ytb"}) {
    EXPECT_THAT(Base32Decode(bad), StatusIs(StatusCode::kInvalidArgument, ::testing::_)) << bad;
  }
}

TEST(Base32Test, RoundTripsRandomBytes) {
  for (size_t n = 0; n <= 70; ++n) {
    std::string bytes = RandomBytes(n);
    std::string text = Base32Encode(bytes);
    EXPECT_EQ(text.size(), (n * 8 + 4) / 5);
    ASSERT_OK_AND_ASSIGN(std::string back, Base32Decode(text));
    EXPECT_EQ(back, bytes) << n;
  }
}

TEST(TotpKeyUriTest, BuildsTheEnrolmentUri) {
  ASSERT_OK_AND_ASSIGN(std::string uri,
                       TotpKeyUri("Vellum", "jane.doe@example.org", "12345678901234567890"));
  EXPECT_EQ(uri,
            "otpauth://totp/Vellum:jane.doe%40example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&issuer=Vellum&algorithm=SHA1&digits=6&period=30");
  ASSERT_OK_AND_ASSIGN(
      std::string sha512,
      TotpKeyUri("ACME Labs & Co", "j doe", "k",
                 {.step_seconds = 60, .digits = 8, .algorithm = TotpAlgorithm::kSha512}));
  EXPECT_EQ(sha512,
            "otpauth://totp/ACME%20Labs%20%26%20Co:j%20doe?secret=NM&issuer=ACME%20Labs%20%26%20Co"
            "&algorithm=SHA512&digits=8&period=60");
}

TEST(TotpKeyUriTest, RejectsAmbiguousLabels) {
  EXPECT_THAT(TotpKeyUri("Vel:lum", "jane", "k"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("':'")));
  EXPECT_THAT(TotpKeyUri("Vellum", "ja:ne", "k"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("':'")));
  EXPECT_THAT(TotpKeyUri("", "jane", "k"), StatusIs(StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(TotpKeyUri("Vellum", "", "k"), StatusIs(StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(TotpKeyUri("Vellum", "jane", ""),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("empty")));
}

// Independent oracle: OATH Toolkit's oathtool computes the same codes for random secrets,
// times (past 2038 too), algorithms and lengths, given the secret in our base32.
TEST(TotpOracleTest, AgreesWithOathtool) {
  if (!vellum::testing::HaveProgram("oathtool")) {
    GTEST_SKIP() << "oathtool not installed (Debian package oathtool; scripts/setup.sh "
                    "installs it): the TOTP oracle did not run";
  }
  std::mt19937_64 rng(6238);
  const TotpAlgorithm algorithms[] = {TotpAlgorithm::kSha1, TotpAlgorithm::kSha256,
                                      TotpAlgorithm::kSha512};
  for (int i = 0; i < 24; ++i) {
    TotpParams params{.step_seconds = i % 4 == 3 ? 60 : 30,
                      .digits = 6 + static_cast<int>(rng() % 3),
                      .algorithm = algorithms[rng() % 3]};
    std::string secret = RandomBytes(10 + rng() % 55);
    int64_t time = static_cast<int64_t>(rng() % 5'000'000'000ULL);
    std::vector<std::string> argv = {
        "oathtool", "--totp=" + std::string(TotpAlgorithmName(params.algorithm)),
        "-b",       Base32Encode(secret),
        "-d",       std::to_string(params.digits),
        "-s",       std::to_string(params.step_seconds) + "s",
        "-N",       "@" + std::to_string(time)};
    SCOPED_TRACE(argv[1] + " " + argv[3] + " -d " + argv[5] + " -s " + argv[7] + " -N " + argv[9]);
    auto result = vellum::testing::RunProcess(argv, "", {"TZ=UTC"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    ASSERT_OK_AND_ASSIGN(std::string ours, Totp(secret, time, params));
    EXPECT_EQ(ours + "\n", result.out);
  }
}

}  // namespace
}  // namespace vellum::core
