// One-time passwords for the optional second factor: HOTP (RFC 4226) and TOTP (RFC 6238) over
// OpenSSL HMAC, the RFC 4648 base32 that authenticator apps use for secrets, and the
// otpauth:// key URI that enrols a secret (by QR code or by hand).
//
// Secrets are raw bytes (std::string used as a byte buffer); handle them as secrets.
// Thread safety: every function may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vellum::core {

enum class TotpAlgorithm { kSha1, kSha256, kSha512 };

// "SHA1", "SHA256", "SHA512": the spelling of the otpauth:// `algorithm` parameter.
std::string_view TotpAlgorithmName(TotpAlgorithm algorithm);

// RFC 6238 parameters; T0 is always 0 (the Unix epoch), as every authenticator app assumes.
// The defaults are what authenticator apps use when a key URI names nothing else.
struct TotpParams {
  int64_t step_seconds = 30;
  int digits = 6;  // 6, 7 or 8
  TotpAlgorithm algorithm = TotpAlgorithm::kSha1;
};

// InvalidArgument unless step_seconds > 0 and 6 <= digits <= 8.
Status ValidateTotpParams(const TotpParams& params);

// A fresh random secret as long as the HMAC output (20, 32 or 64 bytes), the length
// RFC 6238 §5.1 recommends and RFC 4226 §4 requires at least 128 bits of.
std::string GenerateTotpSecret(TotpAlgorithm algorithm);

// RFC 4226 HOTP value for `counter`, zero-padded to `digits` digits.
// InvalidArgument for an empty secret or digits outside 6..8.
StatusOr<std::string> Hotp(std::string_view secret, uint64_t counter, int digits,
                           TotpAlgorithm algorithm);

// The RFC 6238 time step of `unix_seconds`: floor(unix_seconds / step_seconds).
// InvalidArgument for negative times or bad params.
StatusOr<uint64_t> TotpTimeStep(int64_t unix_seconds, const TotpParams& params);

// The TOTP code at `unix_seconds` (= Hotp(secret, TotpTimeStep(unix_seconds))).
StatusOr<std::string> Totp(std::string_view secret, int64_t unix_seconds,
                           const TotpParams& params = {});

// Checks `code` against the time steps T-window..T+window around `unix_seconds` (window
// allows for clock drift between the device and the server; RFC 6238 §5.2 recommends at most
// one step). Returns the matched time step, preferring the nearest one, or nullopt when none
// matches, the code is not exactly `digits` ASCII digits, or the inputs are invalid.
// Codes are compared in constant time. A code stays valid for the whole window, so the
// caller must store the last accepted step per user and reject any step <= it (RFC 6238 §5.2:
// a verifier must not accept the same OTP twice).
std::optional<uint64_t> VerifyTotp(std::string_view secret, std::string_view code,
                                   int64_t unix_seconds, const TotpParams& params = {},
                                   int window = 1);

// RFC 4648 §6 base32, upper-case, without '=' padding (as key URIs want it).
std::string Base32Encode(std::string_view bytes);

// Lenient RFC 4648 §6 base32 for secrets typed or pasted by people: accepts either case,
// with or without trailing '=' padding, and ignores spaces (apps show secrets in groups).
// Rejects other characters, '=' before the end, and lengths no encoding can produce
// (1, 3 or 6 characters in the last group). Unused low bits of the last character are
// ignored, as authenticator apps do.
StatusOr<std::string> Base32Decode(std::string_view text);

// The otpauth:// key URI ("Key Uri Format" used by authenticator apps):
//   otpauth://totp/<issuer>:<account>?secret=<base32>&issuer=<issuer>&algorithm=SHA1&digits=6&period=30
// Issuer and account are percent-encoded (RFC 3986 unreserved characters stay as they are).
// InvalidArgument if either is empty or contains ':' (the label separator), or for an empty
// secret or bad params. The result contains the secret: show it once, never log it.
StatusOr<std::string> TotpKeyUri(std::string_view issuer, std::string_view account,
                                 std::string_view secret, const TotpParams& params = {});

}  // namespace vellum::core
