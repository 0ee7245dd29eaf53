#include "core/random.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace vellum::core {
namespace {

constexpr char kBase64UrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64UrlNoPad(const std::string& bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  auto at = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) out += kBase64UrlAlphabet[(v >> shift) & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t v = at(i) << 16;
    out += kBase64UrlAlphabet[(v >> 18) & 63];
    out += kBase64UrlAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    uint32_t v = (at(i) << 16) | (at(i + 1) << 8);
    out += kBase64UrlAlphabet[(v >> 18) & 63];
    out += kBase64UrlAlphabet[(v >> 12) & 63];
    out += kBase64UrlAlphabet[(v >> 6) & 63];
  }
  return out;
}

}  // namespace

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  // RAND_bytes takes an int length; ask in chunks so any size_t works.
  for (size_t done = 0; done < n;) {
    size_t chunk = std::min<size_t>(n - done, INT_MAX);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data() + done), static_cast<int>(chunk)) !=
        1) {
      std::fprintf(stderr, "vellum: fatal: OpenSSL RAND_bytes failed\n");
      std::abort();
    }
    done += chunk;
  }
  return out;
}

std::string RandomToken(size_t bytes) {
  std::string raw = RandomBytes(bytes);
  std::string token = Base64UrlNoPad(raw);
  OPENSSL_cleanse(raw.data(), raw.size());
  return token;
}

}  // namespace vellum::core
