// `vellum backup` and `vellum restore` (SR-2): an online copy of a data
// directory that a restore turns back into one, byte for byte.
//
// A backup runs while writers go on, without the data directory's lock. Its
// cut is records.db's own snapshot: the SQLite online backup API copies
// records.db as of one transaction, whose applied count says how many events
// were acknowledged then (an event is acknowledged only once its projection is
// committed, which follows its sync). The backup holds exactly those events —
// the segments, every one of them, up to that line — the tree files up to the
// size made durable, the checkpoints they hold, vellum.toml, the keys and a
// snapshot of auth.db (password, key and token hashes: a backup is as secret as
// the data directory, so its directory is mode 0700). The ledger's files only
// grow, so what is copied is never being rewritten meanwhile. A manifest,
// `vellum-backup.json`, lists each file with its size, mode and SHA-256. The
// copy is verified as `vellum verify` would (the whole ledger and records.db
// against the replay) before it takes its name: a backup directory exists only
// complete and verified.
//
// A restore reads a backup into a new data directory: every file is checked
// against the manifest, nothing outside it is taken, the result is verified,
// and only then does the directory take its name. Its events are the backup's,
// byte for byte; the tree past the durable size is recomputed by the first
// command that opens the ledger, as after a crash. Format: docs/formats/backup.md.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/env.h"
#include "core/sha256.h"
#include "core/status.h"
#include "ledger/verifier.h"

namespace vellum::app {

inline constexpr char kBackupManifestName[] = "vellum-backup.json";

struct BackupCopyOptions {
  core::Env* env = nullptr;      // default: Env::Default()
  core::Clock* clock = nullptr;  // the manifest's time; default: the system clock
  // Told now and then how many events of the copy are verified of how many.
  std::function<void(uint64_t checked, uint64_t total)> verify_progress;
};

struct BackupCopyReport {
  uint64_t events = 0;                      // in the copy
  uint64_t tree_size = 0;                   // the durable tree size copied
  std::optional<uint64_t> checkpoint_size;  // the latest checkpoint in the copy
  uint64_t files = 0;                       // listed in the manifest
  uint64_t bytes = 0;                       // their total size
  core::Hash manifest_sha256{};             // of vellum-backup.json, to record elsewhere
  // The verification of the copy. Not ok: the copy was removed, nothing kept
  // (VerifyBackup: the backup's problems, its files' first).
  ledger::VerifyReport verify;
};

// Backs up data directory `dir` into `out_dir`, which must not exist or be an
// empty directory, and must not be inside `dir`. kNotFound: no data directory;
// kInvalidArgument: `out_dir` unusable; kDataLoss: the data directory's files
// are too damaged to copy (each message names the file).
StatusOr<BackupCopyReport> BackupDataDirectory(const std::string& dir, const std::string& out_dir,
                                               const BackupCopyOptions& options);

// Restores the backup in `backup_dir` as the new data directory `dir`, which
// must not exist or be an empty directory. kNotFound: no manifest there;
// kInvalidArgument: `dir` unusable or the manifest is not a backup manifest;
// kDataLoss: a file is missing, extra, or differs from the manifest (named).
StatusOr<BackupCopyReport> RestoreDataDirectory(const std::string& backup_dir, const std::string& dir,
                                                const BackupCopyOptions& options);

// Checks the backup in `backup_dir` where it is, writing nothing there: every
// file against the manifest (missing, extra, another size or SHA-256: each a
// problem, area "backup"), then its ledger as `vellum verify` checks a data
// directory. For the periodic check of stored backups (readable, complete,
// accurate) without restoring them. kNotFound: no manifest there;
// kInvalidArgument: the manifest is not a backup manifest.
StatusOr<BackupCopyReport> VerifyBackup(const std::string& backup_dir, const BackupCopyOptions& options);

}  // namespace vellum::app
