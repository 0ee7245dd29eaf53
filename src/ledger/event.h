// The event: one canonical JSON object (RFC 8785) per line of the ledger.
// Those exact bytes are stored and hashed; docs/formats/event.md is the spec.
//
// Every event carries every envelope field (AT-2). Fields that do not apply
// are null, never absent, so the schema is the same for every line:
//   seq, id, ts, type, actor, actor_name, session, client, source,
//   record {type, id, version, hash}, changes [{path, old?, new?}],
//   reason, guideline, data, prev
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/sha256.h"
#include "core/status.h"

namespace vellum::ledger {

// Who caused an event. Filled by the server, never by a client.
struct Actor {
  std::string id;                            // user id, or "system"
  std::string name;                          // printed name at the time
  std::optional<std::string> session;        // session id (identity module)
  std::optional<std::string> client;         // workstation / client address
  std::optional<boost::json::object> source; // machine input: system, version, … (DC-1)
};

// The record an event changes, at the version the event creates.
struct RecordRef {
  std::string type;
  std::string id;
  uint64_t version = 0;
  // SHA-256 of the new version's canonical content; nullopt for a tombstone.
  std::optional<core::Hash> content_hash;
};

// What a domain decides to append; the ledger adds the envelope.
struct EventDraft {
  std::string type;  // "record.created", "security.clock_anomaly", …
  std::optional<RecordRef> record;
  boost::json::array changes;  // [{path, old?, new?}], RFC 6901 paths
  std::optional<std::string> reason;
  std::optional<std::string> guideline;
  boost::json::object data;  // type-specific details
  // The new version's canonical content (whose SHA-256 is record->content_hash)
  // when the decider computed it anyway. Transient, never encoded: it spares
  // the projector rebuilding, re-encoding and re-hashing the content from
  // `changes` on the sequencer. Replays (recovery, verify) decode events
  // without it and recompute. A projector may take the string itself when
  // this is its only reference (use_count() == 1), sparing a copy: nothing
  // reads it after the projection, so an applied event may carry it empty.
  std::shared_ptr<std::string> content;
  // `changes` in canonical form, when the decider encoded it off the
  // sequencer thread. Transient like `content`: EncodeEvent writes these bytes
  // instead of encoding `changes`. When set, `changes` is either its value or
  // empty (the text alone stands for them: a record create builds no value).
  // REQUIRES: the canonical encoding of the changes the event means.
  std::shared_ptr<const std::string> changes_text;
};

// The usual decider result: one draft. Builds the vector by moving `d` in
// (`std::vector<EventDraft>{std::move(d)}` would copy it out of the
// initializer list, deep-copying its changes and data).
inline std::vector<EventDraft> OneDraft(EventDraft d) {
  std::vector<EventDraft> v;
  v.push_back(std::move(d));
  return v;
}

struct Event {
  uint64_t seq = 0;
  std::string id;   // 32 lower-case hex digits, random
  int64_t ts = 0;   // µs since the epoch, UTC; formatted with 6 fractional digits
  std::string type;
  Actor actor;
  std::optional<RecordRef> record;
  boost::json::array changes;
  std::optional<std::string> reason;
  std::optional<std::string> guideline;
  boost::json::object data;
  std::optional<core::Hash> prev;  // leaf hash of event seq-1; nullopt only for seq 0
  // Carried from EventDraft::content and ::changes_text, transient as there:
  // absent from an event read by DecodeEvent.
  std::shared_ptr<std::string> content;
  // The canonical text of `changes`. Set by the decider or by
  // DecodeEventForReplay. When set, `changes` may be left empty (an appended
  // record create, a replayed event): a consumer that needs the value parses
  // this text.
  std::shared_ptr<const std::string> changes_text;
};

// How deep an event line may nest (its values one level less): what the
// decoders accept, so content and changes are bounded by it too.
inline constexpr size_t kMaxEventDepth = 1024;

// The event opening a ledger appends when recovery repaired something: which
// events entered records.db without a commit of their own (docs/architecture.md).
inline constexpr std::string_view kRecoveredEventType = "system.recovered";

// The canonical line (no trailing newline).
// Fails (kInvalidArgument) only when a string is not valid UTF-8 or a number is not finite.
StatusOr<std::string> EncodeEvent(const Event& e);

// The parts of an event line that come from its actor, checked and encoded
// once for all the events of one call (the sequencer encodes every event).
class EncodedActor {
 public:
  // Fails as EncodeEvent does for an event of this actor.
  static StatusOr<EncodedActor> Encode(const Actor& actor);

 private:
  friend StatusOr<std::string> EncodeEvent(const Event& e, const EncodedActor& actor);
  std::string head_;  // {"actor":…,"actor_name":…,"changes":
  std::string client_, session_, source_;  // their JSON values
};

// EncodeEvent with the actor's part already encoded.
// REQUIRES: `actor` was encoded from e.actor.
StatusOr<std::string> EncodeEvent(const Event& e, const EncodedActor& actor);

// Strict inverse of EncodeEvent: the line must be exactly the canonical
// encoding of a well-formed event (no missing, extra or mistyped fields).
// Errors are kDataLoss naming the problem ("field \"prev\" is missing").
StatusOr<Event> DecodeEvent(std::string_view line);

// DecodeEvent for readers that need only the envelope: the same checks and
// errors, but `changes` and `data` are left empty (their form is checked, no
// value is built for them). Verify of the ledger files alone reads this way.
StatusOr<Event> DecodeEventEnvelope(std::string_view line);

// DecodeEvent for replays (recovery, verify): the same checks and errors, but
// when the line is in canonical form `changes` is not built: its text is in
// `changes_text` (projectors read the common cases straight from the text).
// A line that is not canonical decodes as with DecodeEvent.
StatusOr<Event> DecodeEventForReplay(std::string_view line);

// DecodeEventEnvelope and DecodeEventForReplay into *out, every field of
// which they replace, reusing the storage its strings hold: for a reader that
// decodes many lines one after another (verify), which then allocates for a
// line only what the previous one did not. On an error *out is unspecified.
Status DecodeEventEnvelope(std::string_view line, Event* out);
Status DecodeEventForReplay(std::string_view line, Event* out);

// Whether `line` is not JSON at all: what a torn or zero-filled write leaves at
// the end of a segment, as opposed to an event that was altered (still JSON).
// Recovery cuts such a tail; verify reports it as a crash remnant.
bool IsNotJsonAtAll(std::string_view line);

// An event's leaf hash as stored in the Merkle tree and chained by `prev`.
core::Hash EventLeafHash(std::string_view line);

// Checks a record/actor id: 1..128 bytes of [A-Za-z0-9._:@-], not starting with a
// punctuation character. Keeps ids safe in file names, URLs, SQL and logs.
Status ValidateId(std::string_view what, std::string_view id);

}  // namespace vellum::ledger
