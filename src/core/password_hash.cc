#include "core/password_hash.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "core/random.h"

namespace vellum::core {
namespace {

// libsodium must be initialised once before use; sodium_init() is idempotent, and the
// function-local static makes the first call race-free.
void EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) {
    std::fprintf(stderr, "vellum: fatal: sodium_init failed\n");
    std::abort();
  }
}

using HashBuffer = std::array<char, crypto_pwhash_argon2id_STRBYTES>;

// libsodium reads the encoded hash as a NUL-terminated string of at most STRBYTES - 1
// characters; a string_view carries neither guarantee, so copy into a terminated buffer.
std::optional<HashBuffer> Terminated(std::string_view encoded_hash) {
  if (encoded_hash.size() >= crypto_pwhash_argon2id_STRBYTES) return std::nullopt;
  if (encoded_hash.find('\0') != std::string_view::npos) return std::nullopt;
  HashBuffer buf{};
  encoded_hash.copy(buf.data(), encoded_hash.size());
  return buf;
}

}  // namespace

Status ValidatePasswordHashParams(const PasswordHashParams& params) {
  if (params.ops_limit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
      params.ops_limit > crypto_pwhash_argon2id_OPSLIMIT_MAX) {
    return InvalidArgumentError("argon2id ops limit must be between " +
                                std::to_string(crypto_pwhash_argon2id_OPSLIMIT_MIN) + " and " +
                                std::to_string(crypto_pwhash_argon2id_OPSLIMIT_MAX) + ", got " +
                                std::to_string(params.ops_limit));
  }
  if (params.mem_limit < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
      params.mem_limit > crypto_pwhash_argon2id_MEMLIMIT_MAX) {
    return InvalidArgumentError("argon2id memory limit must be between " +
                                std::to_string(crypto_pwhash_argon2id_MEMLIMIT_MIN) + " and " +
                                std::to_string(crypto_pwhash_argon2id_MEMLIMIT_MAX) +
                                " bytes, got " + std::to_string(params.mem_limit));
  }
  return OkStatus();
}

StatusOr<std::string> HashPassword(std::string_view password, const PasswordHashParams& params) {
  EnsureSodium();
  RETURN_IF_ERROR(ValidatePasswordHashParams(params));
  // Never echo the password (or its length) in an error.
  if (password.size() > crypto_pwhash_argon2id_PASSWD_MAX) {
    return InvalidArgumentError("password is too long to hash");
  }
  HashBuffer out{};
  // libsodium takes (pointer, length): no NUL-terminated copy of the password is needed.
  if (crypto_pwhash_argon2id_str(out.data(), password.data(), password.size(), params.ops_limit,
                                 params.mem_limit) != 0) {
    return ResourceExhaustedError("argon2id could not allocate " +
                                  std::to_string(params.mem_limit) + " bytes");
  }
  return std::string(out.data());
}

bool VerifyPassword(std::string_view encoded_hash, std::string_view password) {
  EnsureSodium();
  std::optional<HashBuffer> buf = Terminated(encoded_hash);
  if (!buf) return false;
  return crypto_pwhash_argon2id_str_verify(buf->data(), password.data(), password.size()) == 0;
}

bool NeedsRehash(std::string_view encoded_hash, const PasswordHashParams& params) {
  EnsureSodium();
  std::optional<HashBuffer> buf = Terminated(encoded_hash);
  if (!buf) return true;
  // 0: current; 1: other parameters; -1: not an argon2id hash at all.
  return crypto_pwhash_argon2id_str_needs_rehash(buf->data(), params.ops_limit, params.mem_limit) !=
         0;
}

std::optional<PasswordHashParams> ParamsOfHash(std::string_view encoded_hash) {
  // "$argon2id$v=19$m=<KiB>,t=<passes>,p=1$<salt>$<tag>"
  constexpr std::string_view kPrefix = "$argon2id$v=19$m=";
  if (encoded_hash.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::string_view rest = encoded_hash.substr(kPrefix.size());
  uint64_t kib = 0;
  uint64_t passes = 0;
  const char* end = rest.data() + rest.size();
  auto m = std::from_chars(rest.data(), end, kib);
  if (m.ec != std::errc() || std::string_view(m.ptr, end - m.ptr).substr(0, 3) != ",t=") return std::nullopt;
  auto t = std::from_chars(m.ptr + 3, end, passes);
  if (t.ec != std::errc() || t.ptr == end || *t.ptr != ',') return std::nullopt;
  PasswordHashParams p;
  p.ops_limit = passes;
  p.mem_limit = static_cast<size_t>(kib) * 1024;
  return p;
}

std::vector<PasswordHashParams> TimingPads(const PasswordHashParams& stored,
                                           const PasswordHashParams& current) {
  // Argon2id fills its memory once and then makes its passes over it, so time
  // follows both the memory allocated and memory × passes. Made-up memory runs
  // at the current passes; made-up passes run over the stored memory. When the
  // cost was raised along one axis (the usual case) the sum matches both.
  std::vector<PasswordHashParams> pads;
  const size_t min_mem = crypto_pwhash_argon2id_MEMLIMIT_MIN;
  if (current.mem_limit >= stored.mem_limit + min_mem && current.ops_limit >= 1) {
    pads.push_back({.ops_limit = current.ops_limit, .mem_limit = current.mem_limit - stored.mem_limit});
  }
  if (current.ops_limit > stored.ops_limit && stored.mem_limit >= min_mem) {
    pads.push_back({.ops_limit = current.ops_limit - stored.ops_limit, .mem_limit = stored.mem_limit});
  }
  return pads;
}

const std::string& DummyHash(const PasswordHashParams& params) {
  if (Status s = ValidatePasswordHashParams(params); !s.ok()) {
    std::fprintf(stderr, "vellum: fatal: DummyHash: %s\n", s.ToString().c_str());
    std::abort();
  }
  // Entries are never erased, so references handed out stay valid (std::map nodes are
  // stable); the number of distinct parameter sets in one process is tiny.
  static std::mutex mu;
  static auto* cache = new std::map<std::pair<uint64_t, size_t>, std::string>();
  const auto key = std::make_pair(params.ops_limit, params.mem_limit);
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = cache->find(key); it != cache->end()) return it->second;
  }
  // Hash outside the lock: a login under other parameters must not wait for this one.
  // If two threads race, both results are equally good and the first one stored wins.
  std::string secret = RandomBytes(32);
  StatusOr<std::string> hash = HashPassword(secret, params);
  sodium_memzero(secret.data(), secret.size());
  if (!hash.ok()) {
    std::fprintf(stderr, "vellum: fatal: DummyHash: %s\n", hash.status().ToString().c_str());
    std::abort();
  }
  std::lock_guard<std::mutex> lock(mu);
  return cache->emplace(key, std::move(hash).value()).first->second;
}

}  // namespace vellum::core
