// Vellum's record and audit-trail commands: each passes the authority check
// for its action, then the records module decides and the ledger appends.
#include <fmt/format.h>

#include "app/vellum.h"
#include "app/vellum_impl.h"
#include "core/clock.h"
#include "identity/roles.h"
#include "identity/user.h"

namespace vellum::app {

using identity::Action;

namespace {

// The action that reads records of `type`. Account records hold people's names,
// emails, roles and status: reading them is user.read, as through GetUser and
// ListUsers, whichever command does it (AC-5, AT-8).
Action ReadActionFor(const std::string& type) {
  return type == identity::kUserType ? Action::kUserRead : Action::kRecordRead;
}

}  // namespace

StatusOr<ledger::Event> Vellum::CreateRecord(const Principal& p, records::CreateRecord cmd) {
  std::string object = fmt::format("{}/{}", cmd.type, cmd.id);
  return impl_->SubmitOneAs(p, Action::kRecordCreate, records::DecideCreate(std::move(cmd)), object);
}

StatusOr<ledger::Event> Vellum::ModifyRecord(const Principal& p, records::ModifyRecord cmd) {
  std::string object = fmt::format("{}/{}", cmd.type, cmd.id);
  return impl_->SubmitOneAs(p, Action::kRecordModify, records::DecideModify(std::move(cmd)), object);
}

StatusOr<ledger::Event> Vellum::DeleteRecord(const Principal& p, records::DeleteRecord cmd) {
  std::string object = fmt::format("{}/{}", cmd.type, cmd.id);
  return impl_->SubmitOneAs(p, Action::kRecordDelete, records::DecideDelete(std::move(cmd)), object);
}

std::vector<StatusOr<ledger::Event>> Vellum::CreateRecords(const Principal& p, std::vector<records::CreateRecord> cmds) {
  // Each command's own refusal, if any; the others are submitted together.
  std::vector<std::optional<Status>> refused(cmds.size());
  std::vector<ledger::Decider> deciders;
  auto denied = std::make_shared<bool>(false);
  auto verdict = std::make_shared<std::optional<Status>>();  // one authority check for the call
  auto principal = std::make_shared<const Principal>(p);
  for (size_t i = 0; i < cmds.size(); ++i) {
    auto d = records::DecideCreate(std::move(cmds[i]));
    if (!d.ok()) {
      refused[i] = d.status();
      continue;
    }
    deciders.push_back(impl_->Guarded(principal, Action::kRecordCreate, std::move(*d), denied, verdict));
  }
  auto results = impl_->ledger->SubmitAll(p.Actor(), std::move(deciders));
  // Built in order, each element once: a placeholder status per command,
  // copied in and then overwritten, showed in the profile of large calls.
  std::vector<StatusOr<ledger::Event>> out;
  out.reserve(cmds.size());
  size_t k = 0;
  for (auto& why : refused) {
    if (why) {
      out.push_back(std::move(*why));
      continue;
    }
    auto& r = results[k++];
    if (!r.ok()) out.push_back(r.status());
    else if (r->size() != 1) out.push_back(InternalError("a record command must append exactly one event"));
    else out.push_back(std::move(r->front()));
  }
  if (*denied) impl_->RecordDenied(p, Action::kRecordCreate, "a batch of records", PermissionDeniedError("refused"));
  return out;
}

StatusOr<RecordVersionView> Vellum::GetRecord(const Principal& p, const std::string& type, const std::string& id,
                                              std::optional<uint64_t> version) {
  RETURN_IF_ERROR(ledger::ValidateId("record type", type));
  RETURN_IF_ERROR(ledger::ValidateId("record id", id));
  RETURN_IF_ERROR(Authorize(p, ReadActionFor(type), fmt::format("{}/{}", type, id)));
  ASSIGN_OR_RETURN(auto reader, impl_->projection->BeginRead(true));
  std::optional<storage::RecordVersionRow> row;
  if (version) {
    ASSIGN_OR_RETURN(row, reader->Version(type, id, *version));
  } else {
    ASSIGN_OR_RETURN(row, reader->LatestVersion(type, id));
  }
  if (!row) {
    return NotFoundError(version ? fmt::format("record {}/{} has no version {}", type, id, *version)
                                 : fmt::format("record {}/{} does not exist", type, id));
  }
  ASSIGN_OR_RETURN(std::string line, impl_->ledger->ReadEvent(row->seq));
  ASSIGN_OR_RETURN(ledger::Event e, ledger::DecodeEvent(line));
  return RecordVersionView{std::move(*row), std::move(e)};
}

StatusOr<std::vector<RecordVersionView>> Vellum::History(const Principal& p, const std::string& type,
                                                         const std::string& id) {
  RETURN_IF_ERROR(ledger::ValidateId("record type", type));
  RETURN_IF_ERROR(ledger::ValidateId("record id", id));
  RETURN_IF_ERROR(Authorize(p, ReadActionFor(type), fmt::format("{}/{}", type, id)));
  ASSIGN_OR_RETURN(auto rows, impl_->projection->History(type, id));
  if (rows.empty()) return NotFoundError(fmt::format("record {}/{} does not exist", type, id));
  std::vector<RecordVersionView> out;
  for (auto& r : rows) {
    ASSIGN_OR_RETURN(std::string line, impl_->ledger->ReadEvent(r.seq));
    ASSIGN_OR_RETURN(ledger::Event e, ledger::DecodeEvent(line));
    out.push_back({std::move(r), std::move(e)});
  }
  return out;
}

Status Vellum::QueryEvents(const Principal& p, const storage::EventQuery& q,
                           const std::function<Status(uint64_t, const std::string&)>& fn) {
  // A range that holds no time is a mistake (its ends swapped or equal), not a
  // question whose answer is "nothing happened".
  if (q.since && q.until && *q.since >= *q.until) {
    return InvalidArgumentError(fmt::format("the time range is empty: since {} is not before until {}",
                                            core::FormatTimestamp(*q.since), core::FormatTimestamp(*q.until)));
  }
  RETURN_IF_ERROR(Authorize(p, Action::kAuditRead, "the audit trail"));
  Status inner;
  RETURN_IF_ERROR(impl_->projection->QueryEvents(q, [&](uint64_t seq) {
    auto line = impl_->ledger->ReadEvent(seq);
    inner = line.ok() ? fn(seq, *line) : line.status();
    return inner.ok();
  }));
  return inner;
}

StatusOr<std::string> Vellum::ReadEvent(const Principal& p, uint64_t seq) {
  RETURN_IF_ERROR(Authorize(p, Action::kAuditRead, fmt::format("event {}", seq)));
  return impl_->ledger->ReadEvent(seq);
}

StatusOr<storage::StoredCheckpoint> Vellum::MakeCheckpoint(const Principal& p) {
  RETURN_IF_ERROR(Authorize(p, Action::kLedgerCheckpoint, "a checkpoint"));
  return impl_->ledger->MakeCheckpoint();
}

}  // namespace vellum::app
