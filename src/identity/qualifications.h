// Credentials and training records (AC-8, ES-5): records other modules ask
// before letting someone act — "may U annotate under guideline version V
// now?", "does U hold an unexpired credential of type T?".
//
// Both are versioned records whose id is "<user id>:<type or subject>" (user
// ids never contain ':'), so the answer is one lookup, and every addition,
// renewal and revocation is an event with who, when and why.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "core/status.h"
#include "ledger/ledger.h"
#include "storage/projection_store.h"

namespace vellum::identity {

inline constexpr char kCredentialType[] = "credential";
inline constexpr char kTrainingType[] = "training";
inline constexpr char kCredentialRecorded[] = "credential.recorded";
inline constexpr char kCredentialRevoked[] = "credential.revoked";
inline constexpr char kTrainingRecorded[] = "training.recorded";

struct Credential {
  std::string user_id;
  std::string type;    // e.g. "board_certification", "medical_license"
  std::string issuer;  // e.g. "American Board of Radiology"
  std::string number;
  std::optional<int64_t> expires;        // µs (a date, midnight UTC); nullopt = does not expire
  std::optional<std::string> document;   // "sha256:…" of the scanned document
  bool revoked = false;
};

struct Training {
  std::string user_id;
  std::string subject;  // what was trained, e.g. a guideline version "g-chest-ct@4"
  int64_t completed = 0;  // µs (a date)
  std::string trainer;    // who trained or assessed
};

std::string QualificationId(const std::string& user_id, const std::string& what);

// Validates and returns the decider that records (adds or renews) a credential.
StatusOr<ledger::Decider> DecideRecordCredential(Credential c, std::string reason);
StatusOr<ledger::Decider> DecideRevokeCredential(std::string user_id, std::string type, std::string reason);
StatusOr<ledger::Decider> DecideRecordTraining(Training t, std::string reason);

StatusOr<std::optional<Credential>> LoadCredential(storage::ProjectionReader& state, const std::string& user_id,
                                                   const std::string& type);
StatusOr<std::optional<Training>> LoadTraining(storage::ProjectionReader& state, const std::string& user_id,
                                               const std::string& subject);

// The gates. OK when qualified; kPermissionDenied naming what is missing.
Status RequireCredential(storage::ProjectionReader& state, const std::string& user_id, const std::string& type,
                         int64_t now_us);
Status RequireTraining(storage::ProjectionReader& state, const std::string& user_id, const std::string& subject);

}  // namespace vellum::identity
