// The embedded engine's projection: records.db, SQLite in WAL mode.
// Schema: docs/formats/records-db.md.
//
// Nothing records.db holds is lost when it is lost: the ledger re-applies what
// it lacks, or rebuilds it whole. So its commits are not made durable one by
// one. Opened with an Env that names the system's boot, they are not synced at
// all (SQLite's synchronous=OFF): a process that dies loses nothing (the kernel
// holds the writes), but a power cut or system crash may leave the file
// damaged. A mark file beside it, records.db-unsynced, names the boot in which
// writes were left unsynced; it is written (durably) before the first such
// write and removed only once every write is on stable storage (at close, or
// while SetDurableCommits(true) holds). A mark naming another boot means the
// file must be rebuilt from the ledger: Open refuses it. Without such an Env,
// commits are synced at each WAL checkpoint (synchronous=NORMAL): after a power
// cut the file is consistent but may lag behind the ledger.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/env.h"
#include "storage/projection_store.h"

namespace vellum::storage {

// The suffix of records.db's mark file (see above).
inline constexpr char kUnsyncedMarkSuffix[] = "-unsynced";

class SqliteProjectionStore final : public ProjectionStore {
 public:
  // Opens (creating if `create`) records.db at `path` and ensures the schema.
  // With `env` (its BootId not empty): commits unsynced, under a mark file
  // written and removed through `env`; kDataLoss if a mark names another boot.
  static StatusOr<std::unique_ptr<SqliteProjectionStore>> Open(const std::string& path, bool create,
                                                               core::Env* env = nullptr);
  // The boot a mark beside records.db at `path` names, if there is one.
  static StatusOr<std::optional<std::string>> UnsyncedMark(core::Env* env, const std::string& path);
  // Opens records.db for reading only, as it is: no schema is created or
  // migrated, and BeginWrite fails. REQUIRES: the caller keeps writers out (the
  // data directory's lock) while the store is open.
  static StatusOr<std::unique_ptr<SqliteProjectionStore>> OpenReadOnly(const std::string& path);
  ~SqliteProjectionStore() override;

  // The file's page size (16 KiB for a file this Vellum made, 4 KiB for one
  // made before 2026-11-27: SQLite fixes it when the file is created).
  StatusOr<int> PageBytes();
  // The page size this Vellum creates records.db with.
  static int NewFilePageBytes();

  StatusOr<uint64_t> AppliedCount() override;
  StatusOr<std::optional<RecoveryNote>> UnrecordedRecovery() override;
  Status SetDurableCommits(bool durable) override;
  StatusOr<std::unique_ptr<ProjectionTxn>> BeginWrite() override;
  StatusOr<std::unique_ptr<ProjectionReader>> BeginRead(bool snapshot) override;
  Status QueryEvents(const EventQuery& q, const std::function<bool(uint64_t)>& fn) override;
  StatusOr<std::vector<RecordVersionRow>> ListRecords(const std::string& type) override;
  StatusOr<std::vector<RecordVersionRow>> History(const std::string& type, const std::string& id) override;
  StatusOr<std::vector<std::string>> SchemaDifferences() override;
  StatusOr<std::vector<std::string>> StructureDamage() override;

  struct Impl;

 private:
  explicit SqliteProjectionStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vellum::storage
