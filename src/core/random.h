// Random bytes and tokens from OpenSSL's CSPRNG (RAND_bytes, seeded by the operating system).
#pragma once

#include <cstddef>
#include <string>

namespace vellum::core {

// `n` bytes of cryptographic randomness. Aborts the process if the CSPRNG fails:
// there is no safe fallback for a key, salt or token, and none may ever be predictable.
std::string RandomBytes(size_t n);

// `bytes` random bytes as unpadded base64url (RFC 4648 §5): safe in URLs, file names,
// HTTP headers and cookies. RandomToken(32) gives a 256-bit session or API token of 43
// characters. Handle the result as a secret.
std::string RandomToken(size_t bytes);

}  // namespace vellum::core
