// The ledger's signed checkpoints: C2SP tlog-checkpoint notes
// (https://c2sp.org/tlog-checkpoint) with two Vellum extension lines.
// The format is specified in docs/formats/checkpoint.md (version 1).
//
//   <origin>
//   <tree size, decimal>
//   <base64 root hash>
//   vellum-time 2026-11-25T13:01:02.123456Z
//   vellum-prev sha256:<hex SHA-256 of the previous checkpoint's signed note>
//
// vellum-prev is absent from a ledger's first checkpoint. Checkpoints of other logs
// (no Vellum lines) parse too, so witness and test data can be read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/sha256.h"
#include "core/signed_note.h"
#include "core/status.h"

namespace vellum::ledger {

inline constexpr std::string_view kCheckpointTimeKeyword = "vellum-time";
inline constexpr std::string_view kCheckpointPrevKeyword = "vellum-prev";

struct Checkpoint {
  std::string origin;  // also the name of the ledger key that signs it
  uint64_t size = 0;
  core::Hash root{};  // RFC 9162 root of the first `size` events
  // vellum-time: when the checkpoint was made (µs since the Unix epoch, UTC).
  // Vellum always writes it; other logs' checkpoints have none.
  std::optional<int64_t> time_micros;
  // vellum-prev: CheckpointNoteHash of the previous checkpoint; none for the first.
  std::optional<core::Hash> prev;
  // Any other extension lines, verbatim and in order (written after Vellum's).
  std::vector<std::string> extensions;

  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

// The note text. Output is only meaningful for a checkpoint that SignCheckpoint accepts.
std::string FormatCheckpointBody(const Checkpoint& cp);

// Strict: the body must be valid note text (UTF-8, no control characters, final
// newline), have at least three lines, all non-empty; a non-empty origin; a size in
// decimal without leading zeros that fits 64 bits; a root that is base64 of exactly
// 32 bytes. Vellum lines must be well-formed, appear at most once and come first
// among the extension lines, time before prev; any other line starting with
// "vellum-" is rejected. Other extension lines are kept in `extensions`. In short,
// FormatCheckpointBody(result) == body. Violations → kInvalidArgument naming the line.
StatusOr<Checkpoint> ParseCheckpointBody(std::string_view body);

// The complete signed note: body, blank line, one signature line by `signer`.
// REQUIRES: signer.name == cp.origin, and the body parses back to `cp` (so the
// origin holds no newline, extensions are non-empty and not Vellum lines, …);
// otherwise kInvalidArgument.
StatusOr<std::string> SignCheckpoint(const Checkpoint& cp, const core::NoteSigner& signer);

// Opens the note with `verifier` (core::OpenNote: kInvalidArgument malformed,
// kDataLoss bad signature, kUnauthenticated not signed by `verifier`; other
// signature lines such as witness cosignatures are ignored), then parses the body
// (kInvalidArgument) and checks that its origin is `expected_origin` (kInvalidArgument).
// Every error message starts with "checkpoint" and names the problem.
StatusOr<Checkpoint> OpenCheckpoint(std::string_view note, const core::NoteVerifier& verifier,
                                    std::string_view expected_origin);

// SHA-256 of the complete signed note bytes, for the next checkpoint's vellum-prev.
// Hash the note exactly as the ledger signed it (one signature line), not a copy to
// which witnesses have added cosignatures.
core::Hash CheckpointNoteHash(std::string_view signed_note);

// Splits a file of signed notes appended one after another (a witness file) into the
// notes, byte for byte, without verifying them. Each note is text lines without an
// empty line (true of every checkpoint), one empty line, then one or more lines
// starting with "— ". An empty file gives no notes. Anything else (a truncated last
// note, a stray empty line) → kInvalidArgument naming the byte offset.
StatusOr<std::vector<std::string>> SplitNotes(std::string_view file_contents);

// The length of the longest prefix of a note file that is whole notes, as SplitNotes
// reads them: where a repair cuts what an append cut short (a crash, a full disk) left.
size_t WholeNotesLength(std::string_view file_contents);

// True when `tail`, the last bytes of a note file, ends with a complete signature line
// (the file ends where a note does); false also when that line begins before `tail`.
bool EndsWithSignatureLine(std::string_view tail);

}  // namespace vellum::ledger
