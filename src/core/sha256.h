// SHA-256 through OpenSSL 3 EVP, with the message digest fetched once per
// process (OpenSSL 3's implicit fetch costs more than hashing a short event).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vellum::core {

using Hash = std::array<uint8_t, 32>;

Hash Sha256(std::string_view data);
// SHA-256 of prefix ‖ data, without copying (used for RFC 9162 domain separation).
Hash Sha256WithPrefix(uint8_t prefix, std::string_view data);
// SHA-256 of prefix ‖ a ‖ b (RFC 9162 interior node when prefix = 0x01).
Hash Sha256Pair(uint8_t prefix, const Hash& a, const Hash& b);

std::string_view AsBytes(const Hash& h);
std::string HashToHex(const Hash& h);
// "sha256:<64 lower-case hex digits>", the form used in events and documents.
std::string HashToTagged(const Hash& h);
StatusOr<Hash> HashFromHex(std::string_view hex);
StatusOr<Hash> HashFromTagged(std::string_view tagged);
// REQUIRES: bytes.size() == 32 (otherwise InvalidArgument).
StatusOr<Hash> HashFromBytes(std::string_view bytes);

// Incremental hashing of a stream (files, large inputs). Not copyable.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(std::string_view data);
  Hash Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vellum::core
