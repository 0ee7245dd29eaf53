// The embedded engine's projection: records.db, SQLite in WAL mode.
// Commits are not fsync'd (synchronous=NORMAL): after a power cut the
// database is consistent but may lag behind the ledger, and the ledger
// re-applies the missing events on open. Schema: docs/formats/records-db.md.
#pragma once

#include <memory>
#include <string>

#include "storage/projection_store.h"

namespace vellum::storage {

class SqliteProjectionStore final : public ProjectionStore {
 public:
  // Opens (creating if `create`) records.db at `path` and ensures the schema.
  static StatusOr<std::unique_ptr<SqliteProjectionStore>> Open(const std::string& path, bool create);
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
