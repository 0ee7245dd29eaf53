// Ed25519 (RFC 8032) signing keys through OpenSSL 3 EVP.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vellum::core {

using Ed25519PublicKey = std::array<uint8_t, 32>;
using Ed25519Signature = std::array<uint8_t, 64>;

// A private key. Not copyable; the seed is wiped from memory on destruction and
// from a moved-from key (which is then left with an all-zero seed and public key).
class Ed25519PrivateKey {
 public:
  // A fresh key from OpenSSL's CSPRNG (RAND_bytes, seeded by the operating system).
  static StatusOr<Ed25519PrivateKey> Generate();
  // REQUIRES: seed.size() == 32.
  static StatusOr<Ed25519PrivateKey> FromSeed(std::string_view seed);

  Ed25519PrivateKey(Ed25519PrivateKey&&) noexcept;
  Ed25519PrivateKey& operator=(Ed25519PrivateKey&&) noexcept;
  Ed25519PrivateKey(const Ed25519PrivateKey&) = delete;
  Ed25519PrivateKey& operator=(const Ed25519PrivateKey&) = delete;
  ~Ed25519PrivateKey();

  const Ed25519PublicKey& public_key() const { return public_key_; }
  // The 32-byte seed; handle as a secret.
  std::string_view seed() const;
  // Deterministic (RFC 8032). Aborts the process only if OpenSSL cannot allocate.
  Ed25519Signature Sign(std::string_view message) const;

 private:
  Ed25519PrivateKey() = default;
  std::array<uint8_t, 32> seed_{};
  Ed25519PublicKey public_key_{};
};

// True only for a valid 64-byte signature of `message` under `key` (RFC 8032 §5.1.7,
// as OpenSSL 3 implements it: S >= L and undecodable points are rejected; the check is
// cofactorless and does not reject small-order keys or R by themselves). Passes every
// Wycheproof Ed25519 vector.
bool Ed25519Verify(const Ed25519PublicKey& key, std::string_view message,
                   std::string_view signature);

// REQUIRES: bytes.size() == 32 (otherwise InvalidArgument).
StatusOr<Ed25519PublicKey> Ed25519PublicKeyFromBytes(std::string_view bytes);

}  // namespace vellum::core
