#include "core/ed25519.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace vellum::core {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// OpenSSL keeps its own copy of the private key and wipes it when the EVP_PKEY is freed.
PkeyPtr PrivateKeyFromSeed(const std::array<uint8_t, 32>& seed) {
  return PkeyPtr(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
}

// Signing can fail only if OpenSSL cannot allocate; there is no sensible result to
// return then, and a missing signature must never pass for a valid one.
[[noreturn]] void DieOnOpenSslFailure(const char* what) {
  std::fprintf(stderr, "vellum: fatal: OpenSSL Ed25519 %s failed\n", what);
  std::abort();
}

}  // namespace

StatusOr<Ed25519PrivateKey> Ed25519PrivateKey::Generate() {
  std::array<uint8_t, 32> seed{};
  if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) != 1) {
    return InternalError("RAND_bytes failed to produce an Ed25519 seed");
  }
  auto key = FromSeed(std::string_view(reinterpret_cast<const char*>(seed.data()), seed.size()));
  OPENSSL_cleanse(seed.data(), seed.size());
  return key;
}

StatusOr<Ed25519PrivateKey> Ed25519PrivateKey::FromSeed(std::string_view seed) {
  if (seed.size() != 32) {
    return InvalidArgumentError("Ed25519 seed must be 32 bytes, got " +
                                std::to_string(seed.size()));
  }
  Ed25519PrivateKey key;
  std::memcpy(key.seed_.data(), seed.data(), 32);
  PkeyPtr pkey = PrivateKeyFromSeed(key.seed_);
  if (!pkey) return InternalError("OpenSSL rejected the Ed25519 seed");
  size_t len = key.public_key_.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), key.public_key_.data(), &len) != 1 || len != 32) {
    return InternalError("OpenSSL could not derive the Ed25519 public key");
  }
  return key;
}

Ed25519PrivateKey::Ed25519PrivateKey(Ed25519PrivateKey&& other) noexcept
    : seed_(other.seed_), public_key_(other.public_key_) {
  OPENSSL_cleanse(other.seed_.data(), other.seed_.size());
  other.public_key_.fill(0);
}

Ed25519PrivateKey& Ed25519PrivateKey::operator=(Ed25519PrivateKey&& other) noexcept {
  if (this != &other) {
    seed_ = other.seed_;
    public_key_ = other.public_key_;
    OPENSSL_cleanse(other.seed_.data(), other.seed_.size());
    other.public_key_.fill(0);
  }
  return *this;
}

Ed25519PrivateKey::~Ed25519PrivateKey() { OPENSSL_cleanse(seed_.data(), seed_.size()); }

std::string_view Ed25519PrivateKey::seed() const {
  return std::string_view(reinterpret_cast<const char*>(seed_.data()), seed_.size());
}

Ed25519Signature Ed25519PrivateKey::Sign(std::string_view message) const {
  PkeyPtr pkey = PrivateKeyFromSeed(seed_);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!pkey || !ctx) DieOnOpenSslFailure("key allocation");
  // Ed25519 is one-shot (PureEdDSA): no digest is named and the whole message goes in at once.
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
    DieOnOpenSslFailure("sign init");
  }
  Ed25519Signature sig{};
  size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, Bytes(message), message.size()) != 1 ||
      len != sig.size()) {
    DieOnOpenSslFailure("sign");
  }
  return sig;
}

bool Ed25519Verify(const Ed25519PublicKey& key, std::string_view message,
                   std::string_view signature) {
  if (signature.size() != 64) return false;
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!pkey || !ctx) return false;
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(), Bytes(message),
                          message.size()) == 1;
}

StatusOr<Ed25519PublicKey> Ed25519PublicKeyFromBytes(std::string_view bytes) {
  if (bytes.size() != 32) {
    return InvalidArgumentError("Ed25519 public key must be 32 bytes, got " +
                                std::to_string(bytes.size()));
  }
  Ed25519PublicKey key{};
  std::memcpy(key.data(), bytes.data(), 32);
  return key;
}

}  // namespace vellum::core
