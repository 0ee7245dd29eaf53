// Hex and base64 (RFC 4648, standard alphabet with padding) for hashes, keys and signatures.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vellum::core {

std::string HexEncode(std::string_view bytes);
// Accepts lower- or upper-case digits; rejects odd length and non-hex characters.
StatusOr<std::string> HexDecode(std::string_view hex);

std::string Base64Encode(std::string_view bytes);
// Strict: requires canonical padding and rejects characters outside the alphabet.
StatusOr<std::string> Base64Decode(std::string_view text);

}  // namespace vellum::core
