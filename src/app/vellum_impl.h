// Internal to the app layer: the state of one open data directory, shared by
// the files that implement Vellum (vellum.cc, records_service.cc, authority.cc,
// sign_in.cc, accounts.cc, account_review.cc, qualifications.cc).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "app/vellum.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/signed_note.h"
#include "ledger/ledger.h"
#include "records/records.h"
#include "storage/embedded/file_log_store.h"
#include "storage/embedded/sqlite_projection.h"
#include "storage/embedded/sqlite_secret_store.h"

namespace vellum::app {

using ledger::SystemActor;

struct Vellum::Impl {
  std::string dir;
  core::Env* env = nullptr;
  core::Clock* clock = nullptr;
  core::SystemClock system_clock;
  std::unique_ptr<core::FileLock> lock;
  Config config;
  std::optional<core::NoteSigner> signer;
  core::NoteVerifier verifier;
  std::unique_ptr<storage::FileLogStore> log;
  std::unique_ptr<storage::SqliteProjectionStore> projection;
  std::unique_ptr<storage::SqliteSecretStore> secrets;
  records::RecordsProjector projector;
  std::unique_ptr<ledger::Ledger> ledger;
  ledger::OpenReport report;

  Status Prepare(const std::string& d, const OpenOptions& o);
  Status LoadKeys();
  ledger::LedgerDeps Deps();

  // Submits one command and returns its events.
  StatusOr<std::vector<ledger::Event>> Submit(const ledger::Actor& actor, StatusOr<ledger::Decider> decider);
  // Submits a command that appends exactly one event.
  StatusOr<ledger::Event> SubmitOne(const ledger::Actor& actor, StatusOr<ledger::Decider> decider);

  // The authority check against `state` (the projection as the command sees it).
  static Status CheckAuthority(storage::ProjectionReader& state, const Principal& p, identity::Action action,
                               int64_t now_us);
  // Wraps a decider so the authority check runs on the sequencer, against the
  // state the command is decided on: a role removed a moment ago is already
  // gone (AC-5). `denied` is set when the check refused.
  //
  // The deciders of one SubmitAll call may share `verdict`: the first one to run
  // checks and stores the result, the others reuse it. That is the same check:
  // the sequencer decides a call's commands one after another with no other
  // call's events in between, and record commands cannot change an account or
  // the policy (their types are reserved), so the state the check reads is the
  // same for all of them.
  using SharedVerdict = std::shared_ptr<std::optional<Status>>;
  // The deciders of one call also share their principal (a copy in each cost
  // as much as the check they share).
  ledger::Decider Guarded(std::shared_ptr<const Principal> p, identity::Action action, ledger::Decider inner,
                          std::shared_ptr<bool> denied, SharedVerdict verdict = nullptr);
  // Submits `decider` guarded by `action`; records a refusal.
  StatusOr<std::vector<ledger::Event>> SubmitAs(const Principal& p, identity::Action action,
                                                StatusOr<ledger::Decider> decider, std::string_view object);
  StatusOr<ledger::Event> SubmitOneAs(const Principal& p, identity::Action action,
                                      StatusOr<ledger::Decider> decider, std::string_view object);
  // Records security.access_denied for a refused action (AC-5, §11.10(g)).
  void RecordDenied(const Principal& p, identity::Action action, std::string_view object, const Status& why);
  // kPermissionDenied, recorded, while p's password change is pending (sign_in.cc).
  Status RefuseSecondFactorWhilePasswordChangePending(Vellum& v, const Principal& p);
};

}  // namespace vellum::app
