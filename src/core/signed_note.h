// C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 signatures.
//
// A note is UTF-8 text ending in a newline, a blank line, then one or more
// signature lines "— <name> <base64(key id ‖ signature)>". Key id =
// SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]. Verifier keys are written
// "<name>+<hex key id>+<base64(0x01 ‖ public key)>" as golang.org/x/mod/sumdb/note does.
//
// The whole note must be valid UTF-8 without control characters below U+0020 other
// than newline. The text may contain empty lines: the signatures start after the last one.
// A note may carry at most kMaxNoteSignatures signature lines (the spec asks for at
// least 16; 100 is golang.org/x/mod's limit).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/ed25519.h"
#include "core/status.h"

namespace vellum::core {

inline constexpr size_t kMaxNoteSignatures = 100;

struct NoteVerifier {
  std::string name;
  uint32_t key_id = 0;
  Ed25519PublicKey public_key{};
};

// Key id for an Ed25519 key of the given name.
uint32_t NoteKeyId(std::string_view name, const Ed25519PublicKey& key);
NoteVerifier MakeNoteVerifier(std::string_view name, const Ed25519PublicKey& key);
std::string FormatVerifierKey(const NoteVerifier& v);
// Rejects bad names (see IsValidNoteKeyName), malformed or wrong key ids, unknown algorithms and
// wrong key lengths (kInvalidArgument).
StatusOr<NoteVerifier> ParseVerifierKey(std::string_view vkey);

// True for a valid key name: non-empty UTF-8 without '+', Unicode white space
// (Go's unicode.IsSpace) or control characters below U+0020.
bool IsValidNoteKeyName(std::string_view name);

// Private signing keys in x/mod's "PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>" form.
// The result is a secret. REQUIRES: IsValidNoteKeyName(name).
std::string FormatSignerKey(std::string_view name, const Ed25519PrivateKey& key);
struct NoteSigner {
  std::string name;
  uint32_t key_id = 0;
  Ed25519PrivateKey key;
};
// Checks the key id against the public key derived from the seed.
StatusOr<NoteSigner> ParseSignerKey(std::string_view skey);

struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  std::string signature;  // raw bytes after the key id (64 for Ed25519)
};

struct Note {
  std::string text;                       // the signed text, ending in '\n'
  std::vector<NoteSignature> signatures;  // see ParseNote / OpenNote
  // OpenNote only: signatures from keys not in the verifier set, never checked
  // (e.g. witness cosignatures); repeated identical lines appear once.
  std::vector<NoteSignature> unverified;
};

// OK when `text` can be the text of a signed note: valid UTF-8, no control character
// below U+0020 other than newline, ends in '\n'. Otherwise kInvalidArgument naming the problem.
Status CheckNoteText(std::string_view text);

// Returns text followed by the blank line and one signature line.
// REQUIRES: CheckNoteText(text) is OK, signer.name is a valid key name and
// signer.key_id matches it and the key (violations → kInvalidArgument).
// The text may contain empty lines and may end in one.
StatusOr<std::string> SignNote(std::string_view text, const NoteSigner& signer);

// Splits a note into text and signature lines (no verification); `signatures` holds
// every line, in order. Each signature must decode to a 4-byte key id and at least one
// byte (other algorithms have other lengths). Malformed → kInvalidArgument.
StatusOr<Note> ParseNote(std::string_view note);

// Parses and verifies: succeeds when at least one signature comes from a key in
// `verifiers` and every signature from a known key (same name and id) verifies.
// Unlike golang.org/x/mod, a second, different signature line from a known key is
// verified too rather than skipped (the spec says known keys MUST be verified).
// A bad signature from a known key fails the whole note (kDataLoss); no known
// signature → kUnauthenticated; malformed note, or two different verifiers with the
// same name and id → kInvalidArgument. Returns the note with `signatures` = the
// verified signatures (one per key, in order of first appearance) and `unverified`.
StatusOr<Note> OpenNote(std::string_view note, const std::vector<NoteVerifier>& verifiers);

}  // namespace vellum::core
