// libFuzzer target for what Vellum reads of signed notes and checkpoints (AT-5):
// witness files, checkpoints handed back by witnesses or published tiles,
// verifier keys given on the command line (`verify-proof --key`). All of it may
// come from outside. Not part of the default build: `scripts/fuzz.sh note`
// builds and runs it. Properties checked on every input:
//  - nothing crashes, leaks, throws or hits undefined behaviour;
//  - every rejection is kInvalidArgument, and names what was wrong;
//  - a note ParseNote accepts is its text, a blank line and its signature
//    lines, each written back exactly as read;
//  - a checkpoint body ParseCheckpointBody accepts is exactly what
//    FormatCheckpointBody writes of the result;
//  - a verifier key ParseVerifierKey accepts reads back the same from
//    FormatVerifierKey, with the key id its name and key give;
//  - a witness file SplitNotes accepts is the concatenation of its notes,
//    each of which ends in a signature line;
//  - any text CheckNoteText accepts, signed with a fixed key, opens with that
//    key to the same text; with one byte of the signature changed it does not;
//  - a note that opens with the fixed key was signed by it (one verified
//    signature, with its key id), and OpenCheckpoint agrees with
//    ParseCheckpointBody on the text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/encoding.h"
#include "core/signed_note.h"
#include "fuzz_check.h"
#include "ledger/checkpoint.h"

using vellum::fuzz::Check;

namespace {

namespace core = vellum::core;
namespace ledger = vellum::ledger;

constexpr char kName[] = "fuzz.example/log";

const core::NoteSigner& Signer() {
  static const core::NoteSigner* signer = [] {
    auto key = core::Ed25519PrivateKey::FromSeed(std::string(32, '\x2a'));
    Check(key.ok(), "the fixed key is made");
    auto* s = new core::NoteSigner{kName, core::NoteKeyId(kName, key->public_key()), std::move(*key)};
    return s;
  }();
  return *signer;
}

const core::NoteVerifier& Verifier() {
  static const core::NoteVerifier verifier = core::MakeNoteVerifier(kName, Signer().key.public_key());
  return verifier;
}

void CheckRejection(const vellum::Status& s) {
  Check(s.code() == vellum::StatusCode::kInvalidArgument, "a rejection is kInvalidArgument");
  Check(!s.message().empty(), "a rejection says what was wrong");
}

std::string SignatureLine(const core::NoteSignature& sig) {
  std::string raw(4, '\0');
  for (int i = 0; i < 4; ++i) raw[static_cast<size_t>(i)] = static_cast<char>(sig.key_id >> (24 - 8 * i));
  return "\xe2\x80\x94 " + sig.name + " " + core::Base64Encode(raw + sig.signature) + "\n";
}

void CheckNote(std::string_view text) {
  auto note = core::ParseNote(text);
  if (!note.ok()) {
    CheckRejection(note.status());
  } else {
    std::string again = note->text + "\n";
    for (const auto& sig : note->signatures) again += SignatureLine(sig);
    Check(again == text, "a parsed note is its text, a blank line and its signature lines as read");
  }
  auto opened = core::OpenNote(text, {Verifier()});
  if (opened.ok()) {
    Check(note.ok(), "a note that opens parses");
    Check(opened->signatures.size() == 1 && opened->signatures[0].key_id == Verifier().key_id,
          "an opened note has the one verified signature of the fixed key");
    auto cp = ledger::OpenCheckpoint(text, Verifier(), kName);
    auto body = ledger::ParseCheckpointBody(opened->text);
    Check(cp.ok() == (body.ok() && body->origin == kName), "OpenCheckpoint agrees with ParseCheckpointBody");
  }
}

void CheckCheckpointBody(std::string_view text) {
  auto cp = ledger::ParseCheckpointBody(text);
  if (!cp.ok()) {
    CheckRejection(cp.status());
    return;
  }
  Check(ledger::FormatCheckpointBody(*cp) == text, "an accepted checkpoint body is what FormatCheckpointBody writes");
}

void CheckVerifierKey(std::string_view text) {
  auto key = core::ParseVerifierKey(text);
  if (!key.ok()) {
    CheckRejection(key.status());
    return;
  }
  Check(key->key_id == core::NoteKeyId(key->name, key->public_key), "the key id is the one its name and key give");
  auto again = core::ParseVerifierKey(core::FormatVerifierKey(*key));
  Check(again.ok() && again->name == key->name && again->key_id == key->key_id &&
            again->public_key == key->public_key,
        "a verifier key reads back the same");
}

void CheckWitnessFile(std::string_view text) {
  auto notes = ledger::SplitNotes(text);
  if (!notes.ok()) {
    CheckRejection(notes.status());
    return;
  }
  std::string joined;
  for (const auto& n : *notes) {
    Check(n.find("\n\n") != std::string::npos, "each note has a blank line before its signatures");
    Check(!n.empty() && n.back() == '\n', "each note ends in a newline");
    joined += n;
  }
  Check(joined == text, "a witness file is the concatenation of its notes");
}

void CheckSignAndOpen(std::string_view text) {
  if (!core::CheckNoteText(text).ok()) return;
  auto signed_note = core::SignNote(text, Signer());
  Check(signed_note.ok(), "text CheckNoteText accepts can be signed");
  auto opened = core::OpenNote(*signed_note, {Verifier()});
  Check(opened.ok() && opened->text == text, "a signed note opens with its key to the same text");
  // One byte of the signature (past the key id) changed: the note no longer opens.
  std::string forged = *signed_note;
  const size_t line = forged.rfind("\xe2\x80\x94 ");
  const size_t b64 = forged.find(' ', line + 4) + 1;
  const size_t pos = b64 + 8 + text.size() % 70;  // within the signature's base64, after the key id
  if (pos + 1 < forged.size()) {
    forged[pos] = forged[pos] == 'A' ? 'B' : 'A';
    auto f = core::OpenNote(forged, {Verifier()});
    Check(!f.ok(), "a note with a changed signature does not open");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckNote(text);
  CheckCheckpointBody(text);
  CheckVerifierKey(text);
  CheckWitnessFile(text);
  CheckSignAndOpen(text);
  return 0;
}
