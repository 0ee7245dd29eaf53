#include "core/signed_note.h"

#include <openssl/crypto.h>

#include <cstdio>
#include <utility>

#include "core/encoding.h"
#include "core/sha256.h"

namespace vellum::core {
namespace {

constexpr uint8_t kAlgEd25519 = 0x01;
// "— ": U+2014 EM DASH, then a space.
constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";
constexpr std::string_view kSignerKeyPrefix = "PRIVATE+KEY+";

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 when it is not
// valid UTF-8 (truncated, overlong, a surrogate or above U+10FFFF).
size_t DecodeRune(std::string_view s, size_t i, char32_t* out) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    *out = b0;
    return 1;
  }
  size_t len;
  char32_t cp;
  char32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *out = cp;
  return len;
}

// Unicode White_Space, the set Go's unicode.IsSpace (and so x/mod) rejects in names.
bool IsUnicodeSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// Valid UTF-8 and no control character below U+0020 other than newline.
Status CheckNoteCharacters(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    char32_t c;
    size_t len = DecodeRune(s, i, &c);
    if (len == 0) return InvalidArgumentError("invalid UTF-8 at byte " + std::to_string(i));
    if (c < 0x20 && c != '\n') {
      char code[8];
      std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(c));
      return InvalidArgumentError(std::string("control character ") + code + " at byte " +
                                  std::to_string(i));
    }
    i += len;
  }
  return OkStatus();
}

std::pair<std::string_view, std::string_view> Chop(std::string_view s, char sep) {
  size_t i = s.find(sep);
  if (i == std::string_view::npos) return {s, {}};
  return {s.substr(0, i), s.substr(i + 1)};
}

std::string KeyIdHex(uint32_t id) {
  const char be[4] = {static_cast<char>(id >> 24), static_cast<char>(id >> 16),
                      static_cast<char>(id >> 8), static_cast<char>(id)};
  return HexEncode(std::string_view(be, 4));
}

uint32_t ReadBigEndian32(std::string_view b) {
  return (uint32_t{static_cast<unsigned char>(b[0])} << 24) |
         (uint32_t{static_cast<unsigned char>(b[1])} << 16) |
         (uint32_t{static_cast<unsigned char>(b[2])} << 8) |
         uint32_t{static_cast<unsigned char>(b[3])};
}

StatusOr<uint32_t> ParseKeyIdHex(std::string_view hex) {
  if (hex.size() != 8) return InvalidArgumentError("key id must be 8 hex digits");
  auto bytes = HexDecode(hex);
  if (!bytes.ok()) return InvalidArgumentError("key id must be 8 hex digits");
  return ReadBigEndian32(*bytes);
}

// The parts shared by verifier and signer keys: "<name>+<hex id>+<base64(alg ‖ key)>".
// `key_bytes` receives the 32 key bytes after the algorithm byte.
struct KeyParts {
  std::string_view name;
  uint32_t key_id = 0;
  std::string key_bytes;
  ~KeyParts() { OPENSSL_cleanse(key_bytes.data(), key_bytes.size()); }
};

Status ParseKeyParts(std::string_view encoded, KeyParts* parts) {
  auto [name, rest] = Chop(encoded, '+');
  auto [id_hex, key_b64] = Chop(rest, '+');
  if (!IsValidNoteKeyName(name)) return InvalidArgumentError("invalid key name");
  ASSIGN_OR_RETURN(parts->key_id, ParseKeyIdHex(id_hex));
  auto decoded = Base64Decode(key_b64);
  if (!decoded.ok() || decoded->empty()) return InvalidArgumentError("key is not valid base64");
  std::string& raw = *decoded;
  bool ed25519 = static_cast<uint8_t>(raw[0]) == kAlgEd25519;
  bool right_size = raw.size() == 33;
  if (ed25519 && right_size) parts->key_bytes = raw.substr(1);
  OPENSSL_cleanse(raw.data(), raw.size());
  if (!ed25519) return InvalidArgumentError("unknown key algorithm (only Ed25519, 0x01)");
  if (!right_size) return InvalidArgumentError("Ed25519 key must be 32 bytes");
  parts->name = name;
  return OkStatus();
}

bool SameKey(const NoteSignature& s, std::string_view name, uint32_t key_id) {
  return s.name == name && s.key_id == key_id;
}

bool SameSignature(const NoteSignature& a, const NoteSignature& b) {
  return SameKey(a, b.name, b.key_id) && a.signature == b.signature;
}

}  // namespace

uint32_t NoteKeyId(std::string_view name, const Ed25519PublicKey& key) {
  std::string buf(name);
  buf += '\n';
  buf += static_cast<char>(kAlgEd25519);
  buf.append(reinterpret_cast<const char*>(key.data()), key.size());
  Hash h = Sha256(buf);
  return ReadBigEndian32(AsBytes(h));
}

NoteVerifier MakeNoteVerifier(std::string_view name, const Ed25519PublicKey& key) {
  return NoteVerifier{std::string(name), NoteKeyId(name, key), key};
}

std::string FormatVerifierKey(const NoteVerifier& v) {
  std::string key(1, static_cast<char>(kAlgEd25519));
  key.append(reinterpret_cast<const char*>(v.public_key.data()), v.public_key.size());
  return v.name + "+" + KeyIdHex(v.key_id) + "+" + Base64Encode(key);
}

StatusOr<NoteVerifier> ParseVerifierKey(std::string_view vkey) {
  KeyParts parts;
  Status s = ParseKeyParts(vkey, &parts);
  if (!s.ok()) return s.WithContext("malformed verifier key");
  ASSIGN_OR_RETURN(Ed25519PublicKey pub, Ed25519PublicKeyFromBytes(parts.key_bytes));
  if (NoteKeyId(parts.name, pub) != parts.key_id) {
    return InvalidArgumentError("verifier key id " + KeyIdHex(parts.key_id) +
                                " does not match its name and public key");
  }
  return NoteVerifier{std::string(parts.name), parts.key_id, pub};
}

bool IsValidNoteKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size();) {
    char32_t c;
    size_t len = DecodeRune(name, i, &c);
    if (len == 0 || c == '+' || c < 0x20 || IsUnicodeSpace(c)) return false;
    i += len;
  }
  return true;
}

std::string FormatSignerKey(std::string_view name, const Ed25519PrivateKey& key) {
  std::string raw(1, static_cast<char>(kAlgEd25519));
  raw.append(key.seed());
  std::string encoded = Base64Encode(raw);
  std::string out = std::string(kSignerKeyPrefix) + std::string(name) + "+" +
                    KeyIdHex(NoteKeyId(name, key.public_key())) + "+" + encoded;
  OPENSSL_cleanse(raw.data(), raw.size());
  OPENSSL_cleanse(encoded.data(), encoded.size());
  return out;
}

StatusOr<NoteSigner> ParseSignerKey(std::string_view skey) {
  // Error messages never quote the key: it is a secret.
  if (skey.substr(0, kSignerKeyPrefix.size()) != kSignerKeyPrefix) {
    return InvalidArgumentError("malformed signer key: missing PRIVATE+KEY+ prefix");
  }
  KeyParts parts;
  Status s = ParseKeyParts(skey.substr(kSignerKeyPrefix.size()), &parts);
  if (!s.ok()) return s.WithContext("malformed signer key");
  ASSIGN_OR_RETURN(Ed25519PrivateKey key, Ed25519PrivateKey::FromSeed(parts.key_bytes));
  if (NoteKeyId(parts.name, key.public_key()) != parts.key_id) {
    return InvalidArgumentError("signer key id " + KeyIdHex(parts.key_id) +
                                " does not match its name and public key");
  }
  return NoteSigner{std::string(parts.name), parts.key_id, std::move(key)};
}

Status CheckNoteText(std::string_view text) {
  RETURN_IF_ERROR(CheckNoteCharacters(text));
  if (text.empty() || text.back() != '\n') {
    return InvalidArgumentError("note text does not end in a newline");
  }
  return OkStatus();
}

StatusOr<std::string> SignNote(std::string_view text, const NoteSigner& signer) {
  Status s = CheckNoteText(text);
  if (!s.ok()) return s.WithContext("cannot sign note");
  if (!IsValidNoteKeyName(signer.name)) {
    return InvalidArgumentError("cannot sign note: invalid key name");
  }
  if (signer.key_id != NoteKeyId(signer.name, signer.key.public_key())) {
    return InvalidArgumentError("cannot sign note: key id does not match the name and key");
  }
  Ed25519Signature sig = signer.key.Sign(text);
  std::string raw(4, '\0');
  for (int k = 0; k < 4; ++k) raw[k] = static_cast<char>(signer.key_id >> (24 - 8 * k));
  raw.append(reinterpret_cast<const char*>(sig.data()), sig.size());
  std::string out(text);
  out += '\n';
  out += kSignaturePrefix;
  out += signer.name;
  out += ' ';
  out += Base64Encode(raw);
  out += '\n';
  return out;
}

StatusOr<Note> ParseNote(std::string_view note) {
  auto malformed = [](std::string why) { return InvalidArgumentError("malformed note: " + why); };
  Status chars = CheckNoteCharacters(note);
  if (!chars.ok()) return chars.WithContext("malformed note");
  size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) return malformed("no blank line before the signatures");
  Note out;
  out.text = std::string(note.substr(0, split + 1));
  std::string_view block = note.substr(split + 2);
  if (block.empty()) return malformed("no signature lines");
  if (block.back() != '\n') return malformed("signature block does not end in a newline");
  while (!block.empty()) {
    size_t nl = block.find('\n');  // found: the block ends in '\n'
    std::string_view line = block.substr(0, nl);
    block.remove_prefix(nl + 1);
    std::string n = std::to_string(out.signatures.size() + 1);
    if (out.signatures.size() == kMaxNoteSignatures) {
      return malformed("more than " + std::to_string(kMaxNoteSignatures) + " signatures");
    }
    if (line.substr(0, kSignaturePrefix.size()) != kSignaturePrefix) {
      return malformed("signature line " + n + " does not start with an em dash and a space");
    }
    auto [name, b64] = Chop(line.substr(kSignaturePrefix.size()), ' ');
    if (!IsValidNoteKeyName(name)) return malformed("signature line " + n + ": invalid key name");
    auto raw = Base64Decode(b64);
    if (!raw.ok()) return malformed("signature line " + n + ": signature is not valid base64");
    if (raw->size() < 5) return malformed("signature line " + n + ": signature too short");
    out.signatures.push_back(
        NoteSignature{std::string(name), ReadBigEndian32(*raw), raw->substr(4)});
  }
  return out;
}

StatusOr<Note> OpenNote(std::string_view note, const std::vector<NoteVerifier>& verifiers) {
  for (size_t i = 0; i < verifiers.size(); ++i) {
    for (size_t j = i + 1; j < verifiers.size(); ++j) {
      const NoteVerifier& a = verifiers[i];
      const NoteVerifier& b = verifiers[j];
      if (a.name == b.name && a.key_id == b.key_id && a.public_key != b.public_key) {
        return InvalidArgumentError("ambiguous verifier keys: two keys named " + a.name +
                                    " with id " + KeyIdHex(a.key_id));
      }
    }
  }
  ASSIGN_OR_RETURN(Note parsed, ParseNote(note));
  Note out;
  out.text = std::move(parsed.text);
  std::vector<NoteSignature> checked;  // every distinct signature verified so far
  for (NoteSignature& sig : parsed.signatures) {
    const NoteVerifier* v = nullptr;
    for (const NoteVerifier& candidate : verifiers) {
      if (SameKey(sig, candidate.name, candidate.key_id)) v = &candidate;
    }
    if (v == nullptr) {
      bool seen = false;
      for (const NoteSignature& u : out.unverified) seen = seen || SameSignature(u, sig);
      if (!seen) out.unverified.push_back(std::move(sig));
      continue;
    }
    bool seen = false;
    for (const NoteSignature& c : checked) seen = seen || SameSignature(c, sig);
    if (seen) continue;
    if (!Ed25519Verify(v->public_key, out.text, sig.signature)) {
      return DataLossError("invalid signature for key " + sig.name + "+" + KeyIdHex(sig.key_id));
    }
    bool key_listed = false;
    for (const NoteSignature& c : checked)
      key_listed = key_listed || SameKey(c, sig.name, sig.key_id);
    if (!key_listed) out.signatures.push_back(sig);
    checked.push_back(std::move(sig));
  }
  if (out.signatures.empty()) {
    std::string names;
    for (const NoteSignature& u : out.unverified) names += (names.empty() ? "" : ", ") + u.name;
    return UnauthenticatedError("note has no signature from a trusted key (signed by: " + names +
                                ")");
  }
  return out;
}

}  // namespace vellum::core
