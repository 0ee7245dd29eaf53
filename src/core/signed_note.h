// C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 signatures.
//
// A note is UTF-8 text ending in a newline, a blank line, then one or more
// signature lines "— <name> <base64(key id ‖ signature)>". Key id =
// SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]. Verifier keys are written
// "<name>+<hex key id>+<base64(0x01 ‖ public key)>" as golang.org/x/mod/sumdb/note does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/ed25519.h"
#include "core/status.h"

namespace vellum::core {

struct NoteVerifier {
  std::string name;
  uint32_t key_id = 0;
  Ed25519PublicKey public_key{};
};

// Key id for an Ed25519 key of the given name.
uint32_t NoteKeyId(std::string_view name, const Ed25519PublicKey& key);
NoteVerifier MakeNoteVerifier(std::string_view name, const Ed25519PublicKey& key);
std::string FormatVerifierKey(const NoteVerifier& v);
// Rejects bad names (empty, containing '+', whitespace or non-printing characters),
// wrong key ids, unknown algorithms and wrong key lengths.
StatusOr<NoteVerifier> ParseVerifierKey(std::string_view vkey);

// Private signing keys in x/mod's "PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>" form.
std::string FormatSignerKey(std::string_view name, const Ed25519PrivateKey& key);
struct NoteSigner {
  std::string name;
  uint32_t key_id = 0;
  Ed25519PrivateKey key;
};
StatusOr<NoteSigner> ParseSignerKey(std::string_view skey);

struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  std::string signature;  // raw bytes (64 for Ed25519)
};

struct Note {
  std::string text;                       // the signed text, ending in '\n'
  std::vector<NoteSignature> signatures;  // every signature line, in order
};

// Returns text followed by the blank line and one signature line.
// REQUIRES: text is valid UTF-8, ends in '\n', and has no other empty line... (see spec);
// violations → kInvalidArgument.
StatusOr<std::string> SignNote(std::string_view text, const NoteSigner& signer);

// Splits a note into text and signature lines (no verification). Malformed → kInvalidArgument.
StatusOr<Note> ParseNote(std::string_view note);

// Parses and verifies: succeeds when at least one signature comes from a key in
// `verifiers` and every signature from a known key (same name and id) verifies;
// a bad signature from a known key fails the whole note (kDataLoss);
// no known signature → kUnauthenticated. Returns the parsed note with only the
// verified signatures.
StatusOr<Note> OpenNote(std::string_view note, const std::vector<NoteVerifier>& verifiers);

}  // namespace vellum::core
