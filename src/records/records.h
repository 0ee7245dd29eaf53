// Generic versioned records (RV-1): create → v1, modify → v(n+1) with a
// field-level diff, delete → a tombstone version. Ids are never reused; every
// version stays retrievable with the SHA-256 of its canonical content.
//
// This module is pure: Decide* turn a command and the current projection into
// events (or a typed error), and RecordsProjector folds those events into
// record-version rows. The ledger runs both.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "ledger/ledger.h"
#include "ledger/projector.h"

namespace vellum::records {

inline constexpr char kCreated[] = "record.created";
inline constexpr char kModified[] = "record.modified";
inline constexpr char kDeleted[] = "record.deleted";

inline constexpr size_t kMaxReasonBytes = 4096;

// A reason as the ledger records it (AT-2): not blank (white space, control and
// invisible characters alone say nothing), valid UTF-8, at most kMaxReasonBytes,
// and no control character but a line break or a tab (which a terminal showing
// the trail would act on). `what_for` completes "a reason is required to ...".
Status CheckReason(std::string_view reason, std::string_view what_for);

struct CreateRecord {
  std::string type;
  std::string id;
  boost::json::object content;
  std::optional<std::string> reason;  // optional at first entry
  std::optional<std::string> guideline;
};

struct ModifyRecord {
  std::string type;
  std::string id;
  boost::json::object content;  // the complete new content
  std::string reason;           // required
  std::optional<uint64_t> expected_version;
  std::optional<std::string> guideline;
};

struct DeleteRecord {
  std::string type;
  std::string id;
  std::string reason;  // required
  std::optional<uint64_t> expected_version;
};

// Validates the command now (kInvalidArgument, naming the field) and returns a
// decider that checks it against the projection on the sequencer thread:
// kAlreadyExists (id in use or used before), kNotFound, kFailedPrecondition
// (record deleted), kAborted (expected_version is stale), kInvalidArgument
// (a modification that changes nothing).
StatusOr<ledger::Decider> DecideCreate(CreateRecord cmd);
StatusOr<ledger::Decider> DecideModify(ModifyRecord cmd);
StatusOr<ledger::Decider> DecideDelete(DeleteRecord cmd);

// Record types that other modules manage through their own commands (users,
// security policy, credentials, training): the generic record commands refuse
// them, so no one changes an account by editing a record.
bool IsReservedType(std::string_view type);

// The draft of the next version of a record (version 1 when `current` is
// empty): field-level changes from the current content and the new content's
// hash. For modules that keep their own records; `event_type` names the
// action ("user.locked"). REQUIRES: current, if given, is not a tombstone.
StatusOr<ledger::EventDraft> DraftVersion(std::string event_type, const std::string& type, const std::string& id,
                                          const std::optional<storage::RecordVersionRow>& current,
                                          const boost::json::object& content, std::optional<std::string> reason);

// The parsed content of a stored (non-tombstone) version.
StatusOr<boost::json::object> ParseStoredContent(const storage::RecordVersionRow& row);

// Folds every event that names a record version into record-version rows.
class RecordsProjector final : public ledger::Projector {
 public:
  Status Apply(const ledger::Event& e, storage::ProjectionTxn& txn) override;
};

}  // namespace vellum::records
