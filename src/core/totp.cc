#include "core/totp.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdlib>

#include "core/random.h"

namespace vellum::core {
namespace {

constexpr char kBase32Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

const EVP_MD* Md(TotpAlgorithm algorithm) {
  switch (algorithm) {
    case TotpAlgorithm::kSha1:
      return EVP_sha1();
    case TotpAlgorithm::kSha256:
      return EVP_sha256();
    case TotpAlgorithm::kSha512:
      return EVP_sha512();
  }
  std::abort();  // unreachable: every enumerator is handled above
}

size_t DigestSize(TotpAlgorithm algorithm) {
  switch (algorithm) {
    case TotpAlgorithm::kSha1:
      return 20;
    case TotpAlgorithm::kSha256:
      return 32;
    case TotpAlgorithm::kSha512:
      return 64;
  }
  std::abort();  // unreachable
}

Status ValidateDigits(int digits) {
  if (digits < 6 || digits > 8) {
    return InvalidArgumentError("one-time password digits must be 6, 7 or 8, got " +
                                std::to_string(digits));
  }
  return OkStatus();
}

int Base32Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

}  // namespace

std::string_view TotpAlgorithmName(TotpAlgorithm algorithm) {
  switch (algorithm) {
    case TotpAlgorithm::kSha1:
      return "SHA1";
    case TotpAlgorithm::kSha256:
      return "SHA256";
    case TotpAlgorithm::kSha512:
      return "SHA512";
  }
  std::abort();  // unreachable
}

Status ValidateTotpParams(const TotpParams& params) {
  if (params.step_seconds <= 0) {
    return InvalidArgumentError("TOTP time step must be positive, got " +
                                std::to_string(params.step_seconds));
  }
  return ValidateDigits(params.digits);
}

std::string GenerateTotpSecret(TotpAlgorithm algorithm) {
  return RandomBytes(DigestSize(algorithm));
}

StatusOr<std::string> Hotp(std::string_view secret, uint64_t counter, int digits,
                           TotpAlgorithm algorithm) {
  if (secret.empty()) return InvalidArgumentError("one-time password secret is empty");
  RETURN_IF_ERROR(ValidateDigits(digits));
  std::array<unsigned char, 8> message{};  // the counter, 8 bytes big-endian (RFC 4226 §5.2)
  for (int i = 7; i >= 0; --i, counter >>= 8) message[i] = static_cast<unsigned char>(counter);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_len = 0;
  if (HMAC(Md(algorithm), secret.data(), static_cast<int>(secret.size()), message.data(),
           message.size(), mac.data(), &mac_len) == nullptr ||
      mac_len != DigestSize(algorithm)) {
    return InternalError("OpenSSL HMAC failed");
  }
  // Dynamic truncation (RFC 4226 §5.3): 31 bits at the offset named by the last nibble.
  size_t offset = mac[mac_len - 1] & 0x0f;
  uint32_t bin = (static_cast<uint32_t>(mac[offset] & 0x7f) << 24) |
                 (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                 (static_cast<uint32_t>(mac[offset + 2]) << 8) | mac[offset + 3];
  OPENSSL_cleanse(mac.data(), mac.size());
  uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  uint32_t value = bin % modulus;
  std::string code(static_cast<size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, value /= 10) code[i] = static_cast<char>('0' + value % 10);
  return code;
}

StatusOr<uint64_t> TotpTimeStep(int64_t unix_seconds, const TotpParams& params) {
  RETURN_IF_ERROR(ValidateTotpParams(params));
  if (unix_seconds < 0) {
    return InvalidArgumentError("TOTP time before the Unix epoch: " + std::to_string(unix_seconds));
  }
  return static_cast<uint64_t>(unix_seconds / params.step_seconds);
}

StatusOr<std::string> Totp(std::string_view secret, int64_t unix_seconds,
                           const TotpParams& params) {
  ASSIGN_OR_RETURN(uint64_t step, TotpTimeStep(unix_seconds, params));
  return Hotp(secret, step, params.digits, params.algorithm);
}

std::optional<uint64_t> VerifyTotp(std::string_view secret, std::string_view code,
                                   int64_t unix_seconds, const TotpParams& params, int window) {
  StatusOr<uint64_t> now = TotpTimeStep(unix_seconds, params);
  if (!now.ok() || secret.empty()) return std::nullopt;
  if (code.size() != static_cast<size_t>(params.digits)) return std::nullopt;
  for (char c : code) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  if (window < 0) window = 0;
  // Every candidate is computed and compared whatever matched earlier, so the time taken
  // does not depend on which step (if any) matched. Order: T, T-1, T+1, T-2, T+2, ...
  std::optional<uint64_t> matched;
  for (int distance = 0; distance <= window; ++distance) {
    for (int sign : {-1, 1}) {
      if (distance == 0 && sign == 1) continue;
      if (sign < 0 && *now < static_cast<uint64_t>(distance)) continue;  // before the epoch
      uint64_t step = sign < 0 ? *now - static_cast<uint64_t>(distance)
                               : *now + static_cast<uint64_t>(distance);
      StatusOr<std::string> expected = Hotp(secret, step, params.digits, params.algorithm);
      if (!expected.ok()) return std::nullopt;
      bool equal = CRYPTO_memcmp(expected->data(), code.data(), code.size()) == 0;
      if (equal && !matched) matched = step;
    }
  }
  return matched;
}

std::string Base32Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  uint32_t buffer = 0;
  int bits = 0;
  for (char ch : bytes) {
    buffer = (buffer << 8) | static_cast<unsigned char>(ch);
    bits += 8;
    while (bits >= 5) {
      out += kBase32Alphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kBase32Alphabet[(buffer << (5 - bits)) & 31];
  return out;
}

StatusOr<std::string> Base32Decode(std::string_view text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  size_t chars = 0;
  bool padding = false;
  for (char c : text) {
    if (c == ' ') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    if (padding) return InvalidArgumentError("base32 text continues after '=' padding");
    int v = Base32Value(c);
    if (v < 0) return InvalidArgumentError("invalid base32 character");
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    ++chars;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  // A final group of 1, 3 or 6 characters holds less than one more whole byte than a
  // shorter group would: no encoder produces it, so the text was truncated or mistyped.
  switch (chars % 8) {
    case 1:
    case 3:
    case 6:
      return InvalidArgumentError("base32 text has an impossible length (truncated?)");
    default:
      break;
  }
  return out;
}

StatusOr<std::string> TotpKeyUri(std::string_view issuer, std::string_view account,
                                 std::string_view secret, const TotpParams& params) {
  RETURN_IF_ERROR(ValidateTotpParams(params));
  if (issuer.empty() || account.empty()) {
    return InvalidArgumentError("a TOTP key URI needs an issuer and an account name");
  }
  if (issuer.find(':') != std::string_view::npos || account.find(':') != std::string_view::npos) {
    return InvalidArgumentError("TOTP issuer and account name must not contain ':'");
  }
  if (secret.empty()) return InvalidArgumentError("one-time password secret is empty");
  std::string issuer_enc = PercentEncode(issuer);
  return "otpauth://totp/" + issuer_enc + ":" + PercentEncode(account) +
         "?secret=" + Base32Encode(secret) + "&issuer=" + issuer_enc +
         "&algorithm=" + std::string(TotpAlgorithmName(params.algorithm)) +
         "&digits=" + std::to_string(params.digits) +
         "&period=" + std::to_string(params.step_seconds);
}

}  // namespace vellum::core
