// Password hashing with argon2id (RFC 9106) through libsodium's crypto_pwhash_argon2id_str.
//
// A stored hash is the PHC string "$argon2id$v=19$m=<KiB>,t=<passes>,p=1$<salt>$<tag>": it
// carries its own random 16-byte salt and parameters, so hashes made under older parameters
// still verify, and NeedsRehash tells the caller to replace one after a successful login.
// The hash is a secret in its own right (it permits offline guessing): it must never appear
// in the ledger, logs, exports or error messages.
//
// Thread safety: every function may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vellum::core {

// Argon2id cost. The defaults are OWASP's minimum for argon2id (19 MiB, 2 passes,
// parallelism 1; libsodium always uses one lane).
struct PasswordHashParams {
  uint64_t ops_limit = 2;               // passes over memory (t)
  size_t mem_limit = 19 * 1024 * 1024;  // bytes; the hash records it in KiB (m)
};

// InvalidArgument unless libsodium's argon2id bounds hold: ops_limit >= 1
// (crypto_pwhash_argon2id_OPSLIMIT_MIN) and mem_limit >= 8 KiB (MEMLIMIT_MIN), each at most
// its _MAX.
Status ValidatePasswordHashParams(const PasswordHashParams& params);

// A fresh PHC-encoded argon2id hash of `password` with a random salt.
// InvalidArgument for bad params or a password longer than libsodium accepts;
// ResourceExhausted if the memory cannot be allocated.
StatusOr<std::string> HashPassword(std::string_view password, const PasswordHashParams& params);

// True only if `encoded_hash` is a well-formed argon2id hash of `password`. A malformed,
// truncated or non-argon2id hash gives false (never an exception or a crash). The cost is
// that of the parameters inside `encoded_hash`.
bool VerifyPassword(std::string_view encoded_hash, std::string_view password);

// True when `encoded_hash` was made with parameters other than `params` (or is not a valid
// argon2id hash): after a successful VerifyPassword the caller should store
// HashPassword(password, params) instead.
bool NeedsRehash(std::string_view encoded_hash, const PasswordHashParams& params);

// The parameters a PHC-encoded argon2id hash was made with; nullopt if it is not one.
std::optional<PasswordHashParams> ParamsOfHash(std::string_view encoded_hash);

// What makes verifying a hash with `stored` parameters cost as much as one with
// `current` ones: parameters for further verifications (against DummyHash) that
// make up the difference in memory and in passes; empty when `stored` costs as
// much. After the policy raises the cost, a wrong password for an account not
// yet rehashed then takes as long as one for an unknown id (no user enumeration).
std::vector<PasswordHashParams> TimingPads(const PasswordHashParams& stored,
                                           const PasswordHashParams& current);

// A hash of a random secret that nobody knows, made once per distinct `params` for the life
// of the process. Login for an unknown user id verifies the offered password against it, so
// that answering "no such user" costs one argon2id computation with the current parameters,
// exactly like a wrong password for a real user whose hash is current: response time does
// not reveal which user ids exist. VerifyPassword(DummyHash(p), x) is false for every x.
// REQUIRES: ValidatePasswordHashParams(params).ok(). Aborts if that does not hold or if the
// first hash for `params` cannot be computed (out of memory): returning anything cheaper would
// turn a caller bug into a fast path that tells unknown user ids apart.
const std::string& DummyHash(const PasswordHashParams& params);

}  // namespace vellum::core
