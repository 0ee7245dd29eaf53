// What a test needs to run a ledger::Ledger directly, without app::Vellum: a
// fresh ledger key, a fake clock, the records projector, and the deps, verify
// inputs and genesis that join them to the stores the test chooses (files
// with a fault-injecting Env, or another engine). Header-only: only test
// binaries that link the ledger and records libraries include it.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/ed25519.h"
#include "core/signed_note.h"
#include "ledger/ledger.h"
#include "ledger/verifier.h"
#include "records/records.h"

namespace vellum::testing {

class DirectLedgerParts {
 public:
  explicit DirectLedgerParts(std::string origin) : origin_(std::move(origin)) {}

  // Makes the ledger key. Call once before anything else.
  Status Init() {
    ASSIGN_OR_RETURN(core::Ed25519PrivateKey key, core::Ed25519PrivateKey::Generate());
    ASSIGN_OR_RETURN(core::NoteSigner signer, core::ParseSignerKey(core::FormatSignerKey(origin_, key)));
    signer_ = std::move(signer);
    verifier_ = core::MakeNoteVerifier(origin_, key.public_key());
    return OkStatus();
  }

  // The genesis event's data: the ledger's public key, as `vellum init` records it.
  boost::json::object GenesisData() const { return {{"public_key", core::FormatVerifierKey(verifier_)}}; }

  ledger::LedgerDeps Deps(core::Env* env, storage::LogStore* log, storage::ProjectionStore* projection) {
    ledger::LedgerDeps d;
    d.env = env;
    d.clock = &clock_;
    d.log = log;
    d.projection = projection;
    d.projector = &projector_;
    d.signer = &*signer_;
    return d;
  }

  // What `vellum verify` checks the given stores with.
  ledger::VerifyInputs VerifyInputsFor(core::Env* env, const storage::LogStore* log,
                                       storage::ProjectionStore* projection) {
    ledger::VerifyInputs in;
    in.log = log;
    in.projection = projection;
    in.projector = &projector_;
    in.ledger_key = verifier_;
    in.origin = origin_;
    in.env = env;
    return in;
  }

  // The person the tests' commands are written by.
  static ledger::Actor Writer() {
    ledger::Actor a;
    a.id = "u-1";
    a.name = "Dr. Test";
    return a;
  }

  const std::string& origin() const { return origin_; }
  const core::NoteVerifier& verifier() const { return verifier_; }
  core::FakeClock& clock() { return clock_; }

 private:
  std::string origin_;
  core::FakeClock clock_{1'767'225'600'000'000};  // 2026-01-01T00:00:00Z
  std::optional<core::NoteSigner> signer_;
  core::NoteVerifier verifier_;
  records::RecordsProjector projector_;
};

}  // namespace vellum::testing
