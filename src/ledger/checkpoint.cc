#include "ledger/checkpoint.h"

#include <charconv>
#include <utility>

#include "core/clock.h"
#include "core/encoding.h"

namespace vellum::ledger {
namespace {

constexpr std::string_view kVellumPrefix = "vellum-";
constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";  // "— "

Status BodyError(std::string why) {
  return InvalidArgumentError("malformed checkpoint body: " + std::move(why));
}

StatusOr<uint64_t> ParseTreeSize(std::string_view line) {
  if (line.size() > 1 && line[0] == '0') {
    return BodyError("tree size \"" + std::string(line) + "\" has a leading zero");
  }
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), v);
  if (ec != std::errc() || end != line.data() + line.size()) {
    return BodyError("tree size \"" + std::string(line) + "\" is not a 64-bit decimal number");
  }
  return v;
}

StatusOr<core::Hash> ParseRootHash(std::string_view line) {
  auto raw = core::Base64Decode(line);
  if (!raw.ok()) return BodyError("root hash is not valid base64");
  if (raw->size() != 32) {
    return BodyError("root hash is " + std::to_string(raw->size()) + " bytes, not 32");
  }
  return core::HashFromBytes(*raw);
}

// Parses one "vellum-…" line into `cp`; each must be in its one canonical form.
Status ParseVellumLine(std::string_view line, Checkpoint* cp) {
  auto [keyword, value] = [&]() -> std::pair<std::string_view, std::string_view> {
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return {line, {}};
    return {line.substr(0, sp), line.substr(sp + 1)};
  }();
  if (keyword == kCheckpointTimeKeyword) {
    if (cp->time_micros) return BodyError("more than one vellum-time line");
    auto t = core::ParseTimestamp(value);
    if (!t.ok() || core::FormatTimestamp(*t) != value) {
      return BodyError("vellum-time \"" + std::string(value) +
                       "\" is not of the form 2026-11-25T13:01:02.123456Z");
    }
    cp->time_micros = *t;
    return OkStatus();
  }
  if (keyword == kCheckpointPrevKeyword) {
    if (cp->prev) return BodyError("more than one vellum-prev line");
    auto h = core::HashFromTagged(value);
    if (!h.ok() || core::HashToTagged(*h) != value) {
      return BodyError("vellum-prev is not sha256: and 64 lower-case hex digits");
    }
    cp->prev = *h;
    return OkStatus();
  }
  return BodyError("unknown Vellum extension line \"" + std::string(keyword) + "\"");
}

}  // namespace

std::string FormatCheckpointBody(const Checkpoint& cp) {
  std::string out = cp.origin + "\n" + std::to_string(cp.size) + "\n" +
                    core::Base64Encode(core::AsBytes(cp.root)) + "\n";
  if (cp.time_micros) {
    out +=
        std::string(kCheckpointTimeKeyword) + " " + core::FormatTimestamp(*cp.time_micros) + "\n";
  }
  if (cp.prev)
    out += std::string(kCheckpointPrevKeyword) + " " + core::HashToTagged(*cp.prev) + "\n";
  for (const std::string& line : cp.extensions) out += line + "\n";
  return out;
}

StatusOr<Checkpoint> ParseCheckpointBody(std::string_view body) {
  Status text = core::CheckNoteText(body);
  if (!text.ok()) return text.WithContext("malformed checkpoint body");
  std::vector<std::string_view> lines;
  for (std::string_view rest = body; !rest.empty();) {
    size_t nl = rest.find('\n');  // found: the body ends in '\n'
    lines.push_back(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
  }
  if (lines.size() < 3) return BodyError("fewer than three lines");
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) return BodyError("line " + std::to_string(i + 1) + " is empty");
  }
  Checkpoint cp;
  cp.origin = std::string(lines[0]);
  ASSIGN_OR_RETURN(cp.size, ParseTreeSize(lines[1]));
  ASSIGN_OR_RETURN(cp.root, ParseRootHash(lines[2]));
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].substr(0, kVellumPrefix.size()) == kVellumPrefix) {
      RETURN_IF_ERROR(ParseVellumLine(lines[i], &cp));
    } else {
      cp.extensions.emplace_back(lines[i]);
    }
  }
  // Every field above is checked to be in its canonical form, so only the order of
  // the extension lines can make the body differ from what we would write.
  if (FormatCheckpointBody(cp) != body) {
    return BodyError("extension lines out of order (vellum-time, vellum-prev, then others)");
  }
  return cp;
}

StatusOr<std::string> SignCheckpoint(const Checkpoint& cp, const core::NoteSigner& signer) {
  if (signer.name != cp.origin) {
    return InvalidArgumentError("cannot sign checkpoint: origin \"" + cp.origin +
                                "\" differs from the key name \"" + signer.name + "\"");
  }
  std::string body = FormatCheckpointBody(cp);
  auto parsed = ParseCheckpointBody(body);
  if (!parsed.ok()) return parsed.status().WithContext("cannot sign checkpoint");
  if (*parsed != cp) {
    return InvalidArgumentError("cannot sign checkpoint: it would not parse back unchanged");
  }
  return core::SignNote(body, signer);
}

StatusOr<Checkpoint> OpenCheckpoint(std::string_view note, const core::NoteVerifier& verifier,
                                    std::string_view expected_origin) {
  auto opened = core::OpenNote(note, {verifier});
  if (!opened.ok()) return opened.status().WithContext("checkpoint");
  auto cp = ParseCheckpointBody(opened->text);
  if (!cp.ok()) return cp.status().WithContext("checkpoint");
  if (cp->origin != expected_origin) {
    return InvalidArgumentError("checkpoint origin \"" + cp->origin + "\" is not the expected \"" +
                                std::string(expected_origin) + "\"");
  }
  return cp;
}

core::Hash CheckpointNoteHash(std::string_view signed_note) { return core::Sha256(signed_note); }

namespace {

// The end of the note that starts at `start` of `f` (the index after its last
// signature line), or what makes it no whole note.
StatusOr<size_t> NoteEnd(std::string_view f, size_t start) {
  size_t pos = start;
  // Returns the end of the line starting at `at` (the index of its '\n').
  auto line_end = [&](size_t at) -> StatusOr<size_t> {
    size_t nl = f.find('\n', at);
    if (nl == std::string_view::npos) {
      return InvalidArgumentError("note file: truncated note (no final newline) at byte " +
                                  std::to_string(at));
    }
    return nl;
  };
  // Text: one or more non-empty lines, up to the empty line.
  while (true) {
    ASSIGN_OR_RETURN(size_t nl, line_end(pos));
    bool empty = nl == pos;
    pos = nl + 1;
    if (empty) break;
    if (pos == f.size()) {
      return InvalidArgumentError("note file: note at byte " + std::to_string(start) + " has no signatures");
    }
  }
  if (pos - 1 == start) {
    return InvalidArgumentError("note file: empty line at byte " + std::to_string(start));
  }
  // Signatures: every following line that starts with "— ".
  const size_t sig_start = pos;
  while (pos < f.size() && f.substr(pos, kSignaturePrefix.size()) == kSignaturePrefix) {
    ASSIGN_OR_RETURN(size_t nl, line_end(pos));
    pos = nl + 1;
  }
  if (pos == sig_start) {
    return InvalidArgumentError("note file: note at byte " + std::to_string(start) +
                                " has an empty line not followed by a signature line");
  }
  return pos;
}

}  // namespace

StatusOr<std::vector<std::string>> SplitNotes(std::string_view file_contents) {
  std::vector<std::string> notes;
  size_t pos = 0;
  while (pos < file_contents.size()) {
    ASSIGN_OR_RETURN(size_t end, NoteEnd(file_contents, pos));
    notes.emplace_back(file_contents.substr(pos, end - pos));
    pos = end;
  }
  return notes;
}

size_t WholeNotesLength(std::string_view file_contents) {
  size_t pos = 0;
  while (pos < file_contents.size()) {
    auto end = NoteEnd(file_contents, pos);
    if (!end.ok()) break;
    pos = *end;
  }
  return pos;
}

bool EndsWithSignatureLine(std::string_view tail) {
  if (tail.empty() || tail.back() != '\n') return false;
  const size_t nl = tail.rfind('\n', tail.size() - 2);
  if (nl == std::string_view::npos) return false;  // the line may begin before `tail`
  return tail.substr(nl + 1, kSignaturePrefix.size()) == kSignaturePrefix;
}

}  // namespace vellum::ledger
