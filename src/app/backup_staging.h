// Where a backup or a restore is made: a staging directory beside the
// target, laid out as a data directory, into which files are copied with what
// a manifest says of each, and which takes the target's name only when it is
// complete (an interrupted copy never looks like a finished one). Used by
// app/backup.cc only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/backup_manifest.h"
#include "core/env.h"
#include "core/status.h"

namespace vellum::app {

inline constexpr size_t kBackupCopyChunk = 4 << 20;

// A directory the result may take the name of: absent, or an empty directory.
Status CheckTarget(const std::string& dir, std::string_view what);

// Removes the staging directory unless it was given its final name.
class StagingGuard {
 public:
  explicit StagingGuard(std::string path) : path_(std::move(path)) {}
  ~StagingGuard();
  StagingGuard(const StagingGuard&) = delete;
  StagingGuard& operator=(const StagingGuard&) = delete;
  void Release() { path_.clear(); }

 private:
  std::string path_;
};

// A new directory beside `target`, laid out as a data directory (its
// directories with their modes), where the copy is made.
StatusOr<std::string> MakeStagingDir(core::Env* env, const std::string& target);

// Moves the finished staging directory to `target` (an empty directory there
// is replaced) and makes the new name durable.
Status Publish(core::Env* env, const std::string& staging, const std::string& target);

// A file's size and SHA-256, read in one pass.
struct HashedFile {
  uint64_t bytes = 0;
  core::Hash sha256{};
};
StatusOr<HashedFile> HashFile(core::Env* env, const std::string& path);

// Writes files into a directory, keeping what the manifest says of each
// (size, SHA-256, mode). Each file is synced and given its mode once written.
class FileCopier {
 public:
  FileCopier(core::Env* env, std::string root) : env_(env), root_(std::move(root)) {}

  // The first `bytes` bytes of `from` (kDataLoss naming it if it is shorter).
  Status CopyBytes(const std::string& from, const std::string& rel, uint64_t bytes, int mode);
  // The first `lines` lines of `from`; returns the offset index of the copy
  // (the byte offset of each line, 8 bytes little-endian).
  StatusOr<std::string> CopyLines(const std::string& from, const std::string& rel, uint64_t lines, int mode);
  // A file with the given bytes.
  Status Write(const std::string& rel, std::string_view data, int mode);
  // A SQLite database, as one consistent snapshot of it.
  Status CopyDatabase(const std::string& from, const std::string& rel, int mode);

  const std::vector<BackupManifestFile>& files() const { return files_; }

 private:
  // How much of a chunk read at offset `done` to copy; nullopt: stop.
  using Take = std::function<std::optional<size_t>(std::string_view chunk, uint64_t done)>;
  // Copies the chunks of `from` as long as `take` says how much of each to
  // copy; `exact` is the size the copy must reach.
  Status Copy(const std::string& from, const std::string& rel, int mode, const Take& take,
              std::optional<uint64_t> exact, const std::string& wanted);

  core::Env* env_;
  std::string root_;
  std::vector<BackupManifestFile> files_;
};

}  // namespace vellum::app
