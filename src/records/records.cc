#include "records/records.h"

#include <fmt/format.h>

#include <algorithm>
#include <type_traits>

#include "core/display_text.h"
#include "core/json.h"
#include "records/changes.h"

namespace vellum::records {
namespace {

namespace json = boost::json;
using ledger::EventDraft;
using storage::ProjectionReader;
using storage::RecordVersionRow;

Status ValidateReason(const std::optional<std::string>& reason, bool required, std::string_view action) {
  const std::string what_for = fmt::format("{} a record", action);
  if (!reason) return required ? CheckReason("", what_for) : OkStatus();
  // An optional reason left empty (or as plain spaces) is no reason; anything else is checked.
  if (!required && reason->find_first_not_of(" \t\r\n") == std::string::npos) return OkStatus();
  return CheckReason(*reason, what_for);
}

Status ValidateGuideline(const std::optional<std::string>& g) {
  if (!g) return OkStatus();
  return ledger::ValidateId("guideline", *g);
}

Status ValidateRef(const std::string& type, const std::string& id) {
  RETURN_IF_ERROR(ledger::ValidateId("record type", type));
  return ledger::ValidateId("record id", id);
}

// Nesting depth of containers (a scalar is 0), exact up to `limit` + 1: the
// recursion stops there, whatever the caller built.
size_t Depth(const json::value& v, size_t limit);

template <typename Container>
size_t ContainerDepth(const Container& c, size_t limit) {
  size_t deepest = 0;
  if (limit > 0) {
    for (const auto& e : c) {
      if constexpr (std::is_same_v<Container, json::object>) {
        deepest = std::max(deepest, Depth(e.value(), limit - 1));
      } else {
        deepest = std::max(deepest, Depth(e, limit - 1));
      }
    }
  }
  return deepest + 1;
}

size_t Depth(const json::value& v, size_t limit) {
  if (v.is_object()) return ContainerDepth(v.get_object(), limit);
  if (v.is_array()) return ContainerDepth(v.get_array(), limit);
  return 0;
}

// Content must stay within what JSON input may nest (core::JsonLimits), so that
// every event carrying it can be decoded again.
Status ValidateContent(const json::object& content) {
  const size_t limit = core::JsonLimits{}.max_depth;
  if (ContainerDepth(content, limit) > limit) {
    return InvalidArgumentError(
        fmt::format("the record content is nested deeper than {} levels", limit));
  }
  return OkStatus();
}

std::optional<std::string> NonEmpty(std::optional<std::string> s) {
  if (s && s->find_first_not_of(" \t\r\n") == std::string::npos) return std::nullopt;
  return s;
}

StatusOr<RecordVersionRow> CurrentVersion(ProjectionReader& state, const std::string& type, const std::string& id,
                                          std::optional<uint64_t> expected) {
  ASSIGN_OR_RETURN(auto latest, state.LatestVersion(type, id));
  if (!latest) return NotFoundError(fmt::format("record {}/{} does not exist", type, id));
  if (latest->deleted) {
    return FailedPreconditionError(fmt::format("record {}/{} was deleted at version {}", type, id, latest->version));
  }
  if (expected && *expected != latest->version) {
    return AbortedError(fmt::format("record {}/{} is at version {}, not {}: it changed meanwhile",
                                    type, id, latest->version, *expected));
  }
  return *latest;
}

StatusOr<json::object> ParseContent(const std::string& canonical) {
  ASSIGN_OR_RETURN(json::value v, core::ParseJson(canonical, {canonical.size() + 1, 1024, canonical.size() + 1}));
  if (!v.is_object()) return DataLossError("stored record content is not an object");
  return std::move(v.get_object());
}

}  // namespace

Status CheckReason(std::string_view reason, std::string_view what_for) {
  if (core::IsBlankText(reason)) return InvalidArgumentError(fmt::format("a reason is required to {}", what_for));
  if (reason.size() > kMaxReasonBytes) {
    return InvalidArgumentError(fmt::format("the reason is longer than {} bytes", kMaxReasonBytes));
  }
  if (!core::IsValidUtf8(reason)) return InvalidArgumentError("the reason is not valid UTF-8");
  if (core::HasControlCharacters(reason)) {
    return InvalidArgumentError("the reason holds a control character (only line breaks and tabs may be in it)");
  }
  return OkStatus();
}

bool IsReservedType(std::string_view type) {
  return type == "user" || type == "policy" || type == "credential" || type == "training";
}

namespace {

Status RefuseReserved(const std::string& type) {
  if (!IsReservedType(type)) return OkStatus();
  return PermissionDeniedError(fmt::format(
      "records of type \"{}\" are managed by their own commands (vellum user, vellum policy), not as generic records",
      type));
}

}  // namespace

StatusOr<boost::json::object> ParseStoredContent(const storage::RecordVersionRow& row) {
  if (row.deleted) return FailedPreconditionError("a tombstone has no content");
  return ParseContent(row.content);
}

StatusOr<EventDraft> DraftVersion(std::string event_type, const std::string& type, const std::string& id,
                                  const std::optional<RecordVersionRow>& current, const json::object& content,
                                  std::optional<std::string> reason) {
  json::object before;
  if (current) {
    if (current->deleted) return FailedPreconditionError(fmt::format("record {}/{} was deleted", type, id));
    ASSIGN_OR_RETURN(before, ParseContent(current->content));
  }
  ASSIGN_OR_RETURN(std::string canonical, core::CanonicalJson(content));
  EventDraft d;
  d.type = std::move(event_type);
  d.record = ledger::RecordRef{type, id, current ? current->version + 1 : 1, core::Sha256(canonical)};
  ASSIGN_OR_RETURN(d.changes, DiffContent(before, content));
  d.reason = std::move(reason);
  d.content = std::make_shared<std::string>(std::move(canonical));
  return d;
}

StatusOr<ledger::Decider> DecideCreate(CreateRecord cmd) {
  RETURN_IF_ERROR(ValidateRef(cmd.type, cmd.id));
  RETURN_IF_ERROR(RefuseReserved(cmd.type));
  RETURN_IF_ERROR(ValidateReason(cmd.reason, false, "create"));
  RETURN_IF_ERROR(ValidateGuideline(cmd.guideline));
  RETURN_IF_ERROR(ValidateContent(cmd.content));
  ASSIGN_OR_RETURN(std::string canonical, core::CanonicalJson(cmd.content));
  core::Hash hash = core::Sha256(canonical);
  // A create's changes do not depend on the ledger's state: encoded here, on
  // the caller's thread, the sequencer only copies the bytes into the event.
  // They are read off the canonical content (only keys that need escaping
  // take the way through values), and the event carries them as text only:
  // the line, the projection (which has the content) and the caller need no
  // value, and building one and freeing it was a tenth of an append's cost.
  std::optional<std::string> changes_canonical = CreateChangesText(canonical);
  if (!changes_canonical) {
    ASSIGN_OR_RETURN(changes_canonical, core::CanonicalJson(CreateChanges(std::move(cmd.content))));
  }
  json::object().swap(cmd.content);  // freed now, on the caller's thread
  auto content = std::make_shared<std::string>(std::move(canonical));
  auto changes_text = std::make_shared<const std::string>(std::move(*changes_canonical));
  return ledger::Decider([cmd = std::move(cmd), hash, content = std::move(content),
                          changes_text = std::move(changes_text)](
                             ProjectionReader& state) mutable -> StatusOr<std::vector<EventDraft>> {
    ASSIGN_OR_RETURN(auto latest, state.LatestVersion(cmd.type, cmd.id));
    if (latest) {
      return AlreadyExistsError(fmt::format(
          "record {}/{} already exists{}; record ids are never reused", cmd.type, cmd.id,
          latest->deleted ? fmt::format(" (deleted at version {})", latest->version) : ""));
    }
    EventDraft d;
    d.type = kCreated;
    d.record = ledger::RecordRef{cmd.type, cmd.id, 1, hash};
    d.reason = NonEmpty(std::move(cmd.reason));
    d.guideline = std::move(cmd.guideline);
    d.content = std::move(content);
    d.changes_text = std::move(changes_text);
    return ledger::OneDraft(std::move(d));
  });
}

StatusOr<ledger::Decider> DecideModify(ModifyRecord cmd) {
  RETURN_IF_ERROR(ValidateRef(cmd.type, cmd.id));
  RETURN_IF_ERROR(RefuseReserved(cmd.type));
  RETURN_IF_ERROR(ValidateReason(cmd.reason, true, "modify"));
  RETURN_IF_ERROR(ValidateGuideline(cmd.guideline));
  RETURN_IF_ERROR(ValidateContent(cmd.content));
  ASSIGN_OR_RETURN(std::string canonical, core::CanonicalJson(cmd.content));
  core::Hash hash = core::Sha256(canonical);
  auto content = std::make_shared<std::string>(std::move(canonical));
  return ledger::Decider([cmd = std::move(cmd), hash, content = std::move(content)](
                             ProjectionReader& state) -> StatusOr<std::vector<EventDraft>> {
    ASSIGN_OR_RETURN(RecordVersionRow cur, CurrentVersion(state, cmd.type, cmd.id, cmd.expected_version));
    if (cur.content_hash == hash) {
      return InvalidArgumentError(fmt::format("the new content of {}/{} is identical to version {}: nothing to change",
                                              cmd.type, cmd.id, cur.version));
    }
    ASSIGN_OR_RETURN(json::object old_content, ParseContent(cur.content));
    ASSIGN_OR_RETURN(json::array changes, DiffContent(old_content, cmd.content));
    EventDraft d;
    d.type = kModified;
    d.record = ledger::RecordRef{cmd.type, cmd.id, cur.version + 1, hash};
    d.changes = std::move(changes);
    d.reason = cmd.reason;
    d.guideline = cmd.guideline;
    d.content = content;
    return ledger::OneDraft(std::move(d));
  });
}

StatusOr<ledger::Decider> DecideDelete(DeleteRecord cmd) {
  RETURN_IF_ERROR(ValidateRef(cmd.type, cmd.id));
  RETURN_IF_ERROR(RefuseReserved(cmd.type));
  RETURN_IF_ERROR(ValidateReason(cmd.reason, true, "delete"));
  return ledger::Decider([cmd = std::move(cmd)](ProjectionReader& state) -> StatusOr<std::vector<EventDraft>> {
    ASSIGN_OR_RETURN(RecordVersionRow cur, CurrentVersion(state, cmd.type, cmd.id, cmd.expected_version));
    EventDraft d;
    d.type = kDeleted;
    d.record = ledger::RecordRef{cmd.type, cmd.id, cur.version + 1, std::nullopt};
    d.reason = cmd.reason;
    return ledger::OneDraft(std::move(d));
  });
}

Status RecordsProjector::Apply(const ledger::Event& e, storage::ProjectionTxn& txn) {
  // Every event that names a record version makes that version, whatever its
  // type ("record.modified", "user.locked", …): a tombstone when it carries no
  // content hash, else version 1 is a create and later versions modify.
  if (!e.record) {
    if (e.type == kCreated || e.type == kModified || e.type == kDeleted) {
      return DataLossError(fmt::format("event {} ({}) names no record", e.seq, e.type));
    }
    return OkStatus();
  }
  const ledger::RecordRef& ref = *e.record;
  const bool generic = e.type == kCreated || e.type == kModified || e.type == kDeleted;
  const bool deleted = generic ? e.type == kDeleted : !ref.content_hash;
  const bool created = generic ? e.type == kCreated : !deleted && ref.version == 1;
  const bool modified = !deleted && !created;
  auto where = [&](std::string_view problem) {
    return DataLossError(fmt::format("event {} ({} {}/{} v{}): {}", e.seq, e.type, ref.type, ref.id, ref.version, problem));
  };
  ASSIGN_OR_RETURN(auto latest, txn.LatestVersion(ref.type, ref.id));
  RecordVersionRow row;
  row.record_type = ref.type;
  row.record_id = ref.id;
  row.version = ref.version;
  row.seq = e.seq;
  row.ts = e.ts;
  json::object content;
  if (created) {
    if (latest) return where("the record already exists");
    if (ref.version != 1) return where("a new record must be version 1");
  } else {
    if (!latest) return where("the record does not exist");
    if (latest->deleted) return where("the record was deleted");
    if (ref.version != latest->version + 1) {
      return where(fmt::format("version does not follow version {}", latest->version));
    }
    if (modified && !e.content) {
      auto parsed = ParseContent(latest->content);
      if (!parsed.ok()) return where(parsed.status().message());
      content = std::move(*parsed);
    }
  }
  // Decoded for replay, an event carries its changes as canonical text only.
  const bool changes_as_text = e.changes_text && e.changes.empty();
  if (deleted) {
    if (ref.content_hash) return where("a tombstone has no content hash");
    if (changes_as_text ? *e.changes_text != "[]" : !e.changes.empty()) return where("a delete carries no changes");
    row.deleted = true;
  } else if (e.content) {
    // Decided in this process: the decider diffed and hashed this very
    // content, so applying the changes would only rebuild it. A replay has
    // no carried content and takes the branch below.
    if (!ref.content_hash) return where("the content hash does not match the changes");
    // The only reference (a create's, on the sequencer): taken, not copied.
    if (e.content.use_count() == 1) row.content = std::move(*e.content);
    else row.content = *e.content;
    row.content_hash = *ref.content_hash;
  } else {
    // A replay: rebuild the content from the changes. A create's content is
    // read straight from their text when they have the usual form.
    std::optional<std::string> created_text;
    if (created && changes_as_text) created_text = CreatedContentFromText(*e.changes_text);
    if (created_text) {
      row.content = std::move(*created_text);
    } else {
      json::array parsed;
      if (changes_as_text) {
        auto v = core::ParseJson(*e.changes_text, {e.changes_text->size() + 1, ledger::kMaxEventDepth,
                                                   e.changes_text->size() + 1});
        if (!v.ok() || !v->is_array()) return where("its changes cannot be read");
        parsed = std::move(v->get_array());
      }
      Status s = ApplyChanges(changes_as_text ? parsed : e.changes, &content);
      if (!s.ok()) return where(s.message());
      ASSIGN_OR_RETURN(row.content, core::CanonicalJson(content));
    }
    row.content_hash = core::Sha256(row.content);
    if (!ref.content_hash || *ref.content_hash != row.content_hash) {
      return where("the content hash does not match the changes");
    }
  }
  if ((modified || deleted) && (!e.reason || e.reason->empty())) return where("a reason is required");
  return txn.PutRecordVersion(std::move(row));
}

}  // namespace vellum::records
