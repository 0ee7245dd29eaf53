#include "app/backup.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>
#include <vector>

#include "app/backup_manifest.h"
#include "app/backup_staging.h"
#include "app/config.h"
#include "app/path_within.h"
#include "app/power_cut_rebuild.h"
#include "app/restore_record.h"
#include "app/vellum.h"
#include "app/verify_directory.h"
#include "core/encoding.h"
#include "storage/embedded/file_log_store.h"
#include "storage/embedded/sqlite_projection.h"

namespace vellum::app {
namespace {

namespace fs = std::filesystem;
using storage::FileLogStore;

constexpr uint64_t kHashBytes = 32;
constexpr uint64_t kOffsetBytes = 8;

// What a backup or restore reports of the copy, before its verification.
BackupCopyReport ReportOf(const BackupManifest& m, std::string_view manifest_text) {
  BackupCopyReport report;
  report.events = m.events;
  report.tree_size = m.tree_size;
  report.checkpoint_size = m.checkpoint;
  report.files = m.files.size();
  for (const auto& f : m.files) report.bytes += f.bytes;
  report.manifest_sha256 = core::Sha256(manifest_text);
  return report;
}

// ---- backup ----

// The ledger's files in `ledger` up to `events` events and the durable tree,
// copied into `copier`. Returns {tree size, latest checkpoint}.
struct LedgerCut {
  uint64_t tree_size = 0;
  std::optional<uint64_t> checkpoint;
};

StatusOr<LedgerCut> CopyLedger(core::Env* env, const std::string& ledger, uint64_t events, FileCopier& copier) {
  auto path = [&](const std::string& rel) { return core::JoinPath(ledger, rel); };
  // Checkpoints before the tree's durable size: a checkpoint is written only
  // after its tree was made durable, so every one listed here is within the
  // size read next, which only grows.
  std::vector<uint64_t> checkpoints;
  ASSIGN_OR_RETURN(auto cp_names, env->ListDir(path("checkpoints")));
  for (const auto& n : cp_names) {
    auto size = FileLogStore::ParseNumberedName(n, ".note");
    if (size && *size <= events) checkpoints.push_back(*size);  // others: newer, or a write's temporary file
  }
  LedgerCut cut;
  ASSIGN_OR_RETURN(uint64_t synced, FileLogStore::ReadTreeSyncedSize(env, ledger));
  cut.tree_size = std::min(synced, events);
  for (uint64_t c : checkpoints) {
    if (c > cut.tree_size) {
      return DataLossError(fmt::format("ledger/checkpoints/{} is beyond the tree size made durable ({})",
                                       FileLogStore::CheckpointName(c), cut.tree_size));
    }
  }

  // Segments: whole where every event is within the cut, the last one up to it.
  ASSIGN_OR_RETURN(auto seg_names, env->ListDir(path("segments")));
  std::vector<uint64_t> firsts;
  for (const auto& n : seg_names) {
    auto first = FileLogStore::ParseNumberedName(n, ".jsonl");
    if (!first) return DataLossError(fmt::format("unexpected file ledger/segments/{} in the ledger", n));
    if (*first <= events) firsts.push_back(*first);
  }
  if (firsts.empty() || firsts.front() != 0) return DataLossError("the ledger has no segment starting at seq 0");
  for (size_t i = 0; i < firsts.size(); ++i) {
    const std::string seg = "segments/" + FileLogStore::SegmentName(firsts[i]);
    const std::string idx = "offsets/" + FileLogStore::OffsetsName(firsts[i]);
    const bool last = i + 1 == firsts.size();
    if (!last) {
      const uint64_t lines = firsts[i + 1] - firsts[i];
      ASSIGN_OR_RETURN(uint64_t bytes, env->FileSize(path(seg)));
      RETURN_IF_ERROR(copier.CopyBytes(path(seg), "ledger/" + seg, bytes, 0444));
      RETURN_IF_ERROR(copier.CopyBytes(path(idx), "ledger/" + idx, lines * kOffsetBytes, 0444));
      continue;
    }
    // The open segment: its lines up to the cut, and an offset index made from them.
    ASSIGN_OR_RETURN(std::string offsets, copier.CopyLines(path(seg), "ledger/" + seg, events - firsts[i], 0644));
    RETURN_IF_ERROR(copier.Write("ledger/" + idx, offsets, 0644));
  }

  // The tree files up to the durable size; the next open recomputes the rest.
  for (int level = 0; level < 64 && (cut.tree_size >> level) > 0; ++level) {
    const std::string rel = "tree/" + FileLogStore::LevelName(level);
    RETURN_IF_ERROR(copier.CopyBytes(path(rel), "ledger/" + rel, (cut.tree_size >> level) * kHashBytes, 0644));
  }
  if (cut.tree_size > 0) RETURN_IF_ERROR(copier.Write("ledger/tree/synced", fmt::format("{}\n", cut.tree_size), 0644));

  for (uint64_t c : checkpoints) {
    const std::string rel = "checkpoints/" + FileLogStore::CheckpointName(c);
    ASSIGN_OR_RETURN(uint64_t bytes, env->FileSize(path(rel)));
    RETURN_IF_ERROR(copier.CopyBytes(path(rel), "ledger/" + rel, bytes, 0444));
  }
  if (!checkpoints.empty()) cut.checkpoint = checkpoints.back();
  return cut;
}

// Verifies the data directory `dir` (a staging copy or a backup) as `vellum
// verify` would, and leaves it as it was found: the lock file verify takes is
// removed again unless it was there before.
StatusOr<ledger::VerifyReport> VerifyWhereItIs(core::Env* env, const std::string& dir,
                                               const BackupCopyOptions& options) {
  const std::string lock = core::JoinPath(dir, "LOCK");
  const bool had_lock = env->Exists(lock);
  DirectoryVerifyOptions v;
  v.env = env;
  v.lock_wait_ms = 0;
  v.progress = options.verify_progress;
  auto report = VerifyDirectory(dir, v);
  if (!had_lock && env->Exists(lock)) RETURN_IF_ERROR(env->Remove(lock));
  return report;
}

struct LoadedManifest {
  BackupManifest manifest;
  std::string text;
};

// The manifest of the backup in `backup_dir`, read strictly.
StatusOr<LoadedManifest> LoadManifest(core::Env* env, const std::string& backup_dir) {
  const std::string path = core::JoinPath(backup_dir, kBackupManifestName);
  if (!env->Exists(path)) {
    return NotFoundError(fmt::format("no Vellum backup at {} (it has no {})", backup_dir, kBackupManifestName));
  }
  ASSIGN_OR_RETURN(uint64_t bytes, env->FileSize(path));
  if (bytes > kMaxBackupManifestBytes) {
    return InvalidArgumentError(fmt::format("{} is not a Vellum backup manifest: it holds {} bytes, more than {}",
                                            kBackupManifestName, bytes, kMaxBackupManifestBytes));
  }
  LoadedManifest loaded;
  ASSIGN_OR_RETURN(loaded.text, env->ReadFile(path));
  ASSIGN_OR_RETURN(loaded.manifest, ParseBackupManifest(loaded.text, kBackupManifestName));
  return loaded;
}

// An entry of the backup that is not a file its manifest lists, and why.
struct StrayEntry {
  std::string path;  // relative to the backup, as the link or file itself is named
  std::string why;
};

// Entries of the backup that are not files its manifest lists (the manifest itself
// and the lock file a `verify` of the backup leaves are not among them): an
// unlisted file, or anything but a directory or a regular file. A symbolic link is
// never followed: in a backup it could make a restore take a file from elsewhere.
StatusOr<std::vector<StrayEntry>> StrayEntries(const std::string& backup_dir, const BackupManifest& m) {
  std::set<std::string> listed;
  for (const auto& f : m.files) listed.insert(f.path);
  std::vector<StrayEntry> stray;
  std::error_code ec;
  const fs::path root(backup_dir);
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const std::string rel = it->path().lexically_relative(root).generic_string();
    const fs::file_status st = it->symlink_status(ec);
    if (ec) break;
    if (fs::is_symlink(st)) {
      stray.push_back({rel, "a symbolic link (a backup holds regular files only)"});
    } else if (fs::is_directory(st)) {
      continue;
    } else if (!fs::is_regular_file(st)) {
      stray.push_back({rel, "not a regular file"});
    } else if (rel != kBackupManifestName && rel != "LOCK" && !listed.count(rel)) {
      stray.push_back({rel, "not listed in the manifest"});
    }
  }
  if (ec) return DataLossError(fmt::format("the backup {} cannot be listed: {}", backup_dir, ec.message()));
  std::sort(stray.begin(), stray.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return stray;
}

// What is wrong with the backup's copy of `f`, in words that follow its name
// ("" when it is the file the manifest lists).
StatusOr<std::string> FileMismatch(core::Env* env, const std::string& backup_dir, const BackupManifestFile& f) {
  const std::string path = core::JoinPath(backup_dir, f.path);
  if (!env->Exists(path)) return std::string("missing: its manifest lists it");
  ASSIGN_OR_RETURN(uint64_t bytes, env->FileSize(path));
  if (bytes != f.bytes) return fmt::format("holds {} bytes, its manifest says {}", bytes, f.bytes);
  ASSIGN_OR_RETURN(HashedFile found, HashFile(env, path));
  if (found.sha256 != f.sha256) {
    return std::string("not the file its manifest lists (its SHA-256 differs)");
  }
  return std::string();
}

}  // namespace

StatusOr<BackupCopyReport> BackupDataDirectory(const std::string& dir, const std::string& out_dir,
                                               const BackupCopyOptions& options) {
  core::Env* env = options.env ? options.env : core::Env::Default();
  core::SystemClock system_clock;
  core::Clock* clock = options.clock ? options.clock : &system_clock;
  RETURN_IF_ERROR(CheckTarget(out_dir, "backup"));
  RETURN_IF_ERROR(CheckDataDirectory(env, dir));
  if (IsWithinDirectory(out_dir, dir)) {
    return InvalidArgumentError(fmt::format("{} is inside the data directory {}: back up outside it", out_dir, dir));
  }
  for (const std::string& needed : {PrivateKeyPath(dir), PublicKeyPath(dir), RecordsDbPath(dir), AuthDbPath(dir)}) {
    if (!env->Exists(needed)) return DataLossError(fmt::format("{} is missing: this is no complete data directory",
                                                               needed));
  }
  // Such a records.db may have lost any of its pages: the next writer
  // rebuilds it, and the backup would copy what it replaces.
  ASSIGN_OR_RETURN(std::string unsynced, DescribeRecordsLeftUnsynced(env, dir));
  if (!unsynced.empty()) {
    return FailedPreconditionError(unsynced + "; back up once a command has opened the data directory");
  }
  ASSIGN_OR_RETURN(Config config, LoadConfig(env, ConfigPath(dir)));
  ASSIGN_OR_RETURN(std::string staging, MakeStagingDir(env, out_dir));
  StagingGuard guard(staging);
  FileCopier copier(env, staging);

  // auth.db first: every change that grants access (a password, an API key)
  // is recorded in the ledger before auth.db is written, so a
  // snapshot of auth.db taken before the cut grants nothing the backup's trail
  // does not record — at worst a change the trail records and auth.db has not
  // reached, which a crash between the two writes leaves too and which opens
  // nothing. What auth.db gets first (a session begun or ended, a second
  // factor's secret, a code used) only restricts, or is ended by the restore
  // (docs/formats/backup.md).
  RETURN_IF_ERROR(copier.CopyDatabase(AuthDbPath(dir), "auth.db", 0600));
  // The cut: records.db as of one transaction, and the events it says it applied.
  RETURN_IF_ERROR(copier.CopyDatabase(RecordsDbPath(dir), "records.db", 0644));
  uint64_t events = 0;
  {
    ASSIGN_OR_RETURN(auto copy, storage::SqliteProjectionStore::OpenReadOnly(core::JoinPath(staging, "records.db")));
    ASSIGN_OR_RETURN(events, copy->AppliedCount());
  }
  if (events == 0) return FailedPreconditionError("records.db has applied no events yet: nothing to back up");
  for (const auto& [rel, mode] : std::initializer_list<std::pair<const char*, int>>{
           {"vellum.toml", 0644}, {"keys/ledger.key", 0600}, {"keys/ledger.pub", 0644}}) {
    const std::string from = core::JoinPath(dir, rel);
    ASSIGN_OR_RETURN(uint64_t bytes, env->FileSize(from));
    RETURN_IF_ERROR(copier.CopyBytes(from, rel, bytes, mode));
  }
  ASSIGN_OR_RETURN(LedgerCut cut, CopyLedger(env, LedgerDir(dir), events, copier));

  BackupManifest m;
  m.origin = config.origin;
  m.created = core::FormatTimestamp(clock->NowMicros());
  m.events = events;
  m.tree_size = cut.tree_size;
  m.checkpoint = cut.checkpoint;
  m.files = copier.files();
  std::sort(m.files.begin(), m.files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  ASSIGN_OR_RETURN(std::string manifest, EncodeBackupManifest(m));
  RETURN_IF_ERROR(env->WriteFileAtomic(core::JoinPath(staging, kBackupManifestName), manifest, 0644));

  BackupCopyReport report = ReportOf(m, manifest);
  ASSIGN_OR_RETURN(report.verify, VerifyWhereItIs(env, staging, options));
  if (!report.verify.ok()) return report;  // the guard removes the copy
  RETURN_IF_ERROR(Publish(env, staging, out_dir));
  guard.Release();
  return report;
}

// ---- restore ----

StatusOr<BackupCopyReport> RestoreDataDirectory(const std::string& backup_dir, const std::string& dir,
                                                const BackupCopyOptions& options) {
  core::Env* env = options.env ? options.env : core::Env::Default();
  RETURN_IF_ERROR(CheckTarget(dir, "restore"));
  if (IsWithinDirectory(dir, backup_dir)) {
    return InvalidArgumentError(fmt::format("{} is inside the backup {}: restore outside it", dir, backup_dir));
  }
  ASSIGN_OR_RETURN(LoadedManifest loaded, LoadManifest(env, backup_dir));
  const BackupManifest& m = loaded.manifest;
  const std::string& text = loaded.text;
  // Every file of the backup is in the manifest, and nothing else is taken.
  ASSIGN_OR_RETURN(std::vector<StrayEntry> stray, StrayEntries(backup_dir, m));
  if (!stray.empty()) {
    return DataLossError(fmt::format("the backup holds {}: {}", stray.front().path, stray.front().why));
  }

  ASSIGN_OR_RETURN(std::string staging, MakeStagingDir(env, dir));
  StagingGuard guard(staging);
  FileCopier copier(env, staging);
  for (const auto& f : m.files) {
    const std::string from = core::JoinPath(backup_dir, f.path);
    if (!env->Exists(from)) return DataLossError(fmt::format("the backup's {} is missing", f.path));
    ASSIGN_OR_RETURN(uint64_t bytes, env->FileSize(from));
    if (bytes != f.bytes) {
      return DataLossError(fmt::format("the backup's {} holds {} bytes, its manifest says {}", f.path, bytes, f.bytes));
    }
    RETURN_IF_ERROR(copier.CopyBytes(from, f.path, f.bytes, f.mode));
    if (copier.files().back().sha256 != f.sha256) {
      return DataLossError(fmt::format("the backup's {} is not the file its manifest lists (its SHA-256 differs)",
                                       f.path));
    }
  }

  BackupCopyReport report = ReportOf(m, text);
  ASSIGN_OR_RETURN(report.verify, VerifyWhereItIs(env, staging, options));
  if (report.verify.ok() && report.verify.events != m.events) {
    return DataLossError(fmt::format("the backup holds {} events, its manifest says {}", report.verify.events,
                                     m.events));
  }
  if (!report.verify.ok()) return report;
  core::SystemClock system_clock;
  core::Clock* clock = options.clock ? options.clock : &system_clock;
  RETURN_IF_ERROR(WriteRestoreNote(env, staging, {core::HashToHex(report.manifest_sha256), m.created, m.events,
                                                  core::FormatTimestamp(clock->NowMicros())}));
  RETURN_IF_ERROR(Publish(env, staging, dir));
  guard.Release();
  return report;
}

// ---- checking a backup where it is ----

StatusOr<BackupCopyReport> VerifyBackup(const std::string& backup_dir, const BackupCopyOptions& options) {
  core::Env* env = options.env ? options.env : core::Env::Default();
  ASSIGN_OR_RETURN(LoadedManifest loaded, LoadManifest(env, backup_dir));
  const BackupManifest& m = loaded.manifest;
  BackupCopyReport report = ReportOf(m, loaded.text);
  // Every file is checked and every difference named, as verify names every problem.
  std::vector<ledger::VerifyProblem> files;
  ASSIGN_OR_RETURN(std::vector<StrayEntry> stray, StrayEntries(backup_dir, m));
  for (const auto& s : stray) files.push_back({"backup", std::nullopt, s.path, s.why});
  for (const auto& f : m.files) {
    ASSIGN_OR_RETURN(std::string mismatch, FileMismatch(env, backup_dir, f));
    if (!mismatch.empty()) files.push_back({"backup", std::nullopt, f.path, mismatch});
  }
  // Then the ledger in it, as `vellum verify` reads a data directory (a backup is laid out as one).
  auto verified = VerifyWhereItIs(env, backup_dir, options);
  if (verified.ok()) {
    report.verify = std::move(*verified);
    if (report.verify.events != m.events) {
      files.push_back({"backup", std::nullopt, kBackupManifestName,
                       fmt::format("the manifest says {} events, the backup's ledger holds {}", m.events,
                                   report.verify.events)});
    }
  } else if (verified.status().code() == StatusCode::kDataLoss) {
    files.push_back({"open", std::nullopt, backup_dir, std::string(verified.status().message())});
  } else {
    return verified.status();
  }
  report.verify.problems.insert(report.verify.problems.begin(), files.begin(), files.end());
  return report;
}

}  // namespace vellum::app
