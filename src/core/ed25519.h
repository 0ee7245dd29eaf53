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

// A private key. Not copyable; the seed is wiped from memory on destruction.
class Ed25519PrivateKey {
 public:
  // A fresh key from the operating system's CSPRNG.
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
  Ed25519Signature Sign(std::string_view message) const;

 private:
  Ed25519PrivateKey() = default;
  std::array<uint8_t, 32> seed_{};
  Ed25519PublicKey public_key_{};
};

// True only for a valid signature of `message` under `key` (RFC 8032 §5.1.7,
// as OpenSSL implements it: non-canonical S and small-order points rejected).
bool Ed25519Verify(const Ed25519PublicKey& key, std::string_view message,
                   std::string_view signature);

// REQUIRES: bytes.size() == 32 (otherwise InvalidArgument).
StatusOr<Ed25519PublicKey> Ed25519PublicKeyFromBytes(std::string_view bytes);

}  // namespace vellum::core
