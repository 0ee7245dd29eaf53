// Vellum: one open data directory — the application service every interface
// (CLI now, HTTP later) goes through. Each command passes the same path:
// validate → decide (on the sequencer) → append (durable) → apply → respond.
//
// Layout of a data directory (docs/formats/ledger-files.md):
//   vellum.toml, keys/ledger.key (0600), keys/ledger.pub, ledger/…, records.db, LOCK
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "app/config.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/signed_note.h"
#include "ledger/event.h"
#include "ledger/ledger.h"
#include "ledger/verifier.h"
#include "records/records.h"
#include "storage/projection_store.h"

namespace vellum::app {

struct InitOptions {
  std::string origin;  // empty: "vellum/<random id>"
  Config config;       // origin is taken from `origin`
};

struct OpenOptions {
  core::Env* env = nullptr;      // default: Env::Default()
  core::Clock* clock = nullptr;  // default: the system clock
  int lock_wait_ms = 10000;
};

// A record version with the event that made it.
struct RecordVersionView {
  storage::RecordVersionRow row;
  ledger::Event event;
};

class Vellum {
 public:
  // Creates a data directory with a new ledger key, the genesis event and a
  // first checkpoint. Fails with kAlreadyExists if `dir` already holds a ledger.
  static StatusOr<std::unique_ptr<Vellum>> Init(const std::string& dir, const InitOptions& init,
                                                const OpenOptions& options = {});
  // Opens an existing data directory (kNotFound if there is none), recovering
  // from a crash. Holds the directory's lock until destroyed.
  static StatusOr<std::unique_ptr<Vellum>> Open(const std::string& dir, const OpenOptions& options = {});
  ~Vellum();

  const std::string& dir() const;
  const Config& config() const;
  const ledger::OpenReport& open_report() const;
  const core::NoteVerifier& ledger_key() const;

  // Records (RV-1). The actor is a parameter until identity exists.
  StatusOr<ledger::Event> CreateRecord(const ledger::Actor& actor, records::CreateRecord cmd);
  StatusOr<ledger::Event> ModifyRecord(const ledger::Actor& actor, records::ModifyRecord cmd);
  StatusOr<ledger::Event> DeleteRecord(const ledger::Actor& actor, records::DeleteRecord cmd);
  // Runs several commands as one call (an importer's batch); each has its own result.
  std::vector<StatusOr<ledger::Event>> SubmitAll(const ledger::Actor& actor, std::vector<ledger::Decider> deciders);

  // Latest version (a tombstone included) or the given one, with its event.
  StatusOr<RecordVersionView> GetRecord(const std::string& type, const std::string& id,
                                        std::optional<uint64_t> version = std::nullopt);
  StatusOr<std::vector<RecordVersionView>> History(const std::string& type, const std::string& id);

  // Stored event lines matching the query, in sequence order.
  Status QueryEvents(const storage::EventQuery& q,
                     const std::function<Status(uint64_t seq, const std::string& line)>& fn);
  StatusOr<std::string> ReadEvent(uint64_t seq);
  uint64_t Size() const;

  ledger::Ledger& ledger();
  storage::LogStore& log();

  StatusOr<ledger::VerifyReport> Verify(const std::vector<std::string>& witness_files,
                                        std::optional<core::NoteVerifier> witness_key);

 private:
  struct Impl;
  explicit Vellum(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Paths inside a data directory.
std::string ConfigPath(const std::string& dir);
std::string PrivateKeyPath(const std::string& dir);
std::string PublicKeyPath(const std::string& dir);
std::string LedgerDir(const std::string& dir);
std::string RecordsDbPath(const std::string& dir);

}  // namespace vellum::app
