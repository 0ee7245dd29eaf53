// The manifest of a backup directory, `vellum-backup.json`
// (docs/formats/backup.md): what it says, how it is written, and how it is
// read — strictly, since a backup directory is input like any other. Used by
// app/backup.cc only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/sha256.h"
#include "core/status.h"

namespace vellum::app {

inline constexpr char kBackupManifestFormat[] = "vellum-backup/1";
// A manifest lists a few files per 64 MiB segment: 16 MiB is hundreds of terabytes of ledger.
inline constexpr size_t kMaxBackupManifestBytes = 16 << 20;

// One file of a backup.
struct BackupManifestFile {
  std::string path;  // relative to the data directory, '/'-separated
  uint64_t bytes = 0;
  core::Hash sha256{};
  int mode = 0;
};

// What a manifest says.
struct BackupManifest {
  std::string origin;
  std::string created;
  uint64_t events = 0;
  uint64_t tree_size = 0;
  std::optional<uint64_t> checkpoint;
  std::vector<BackupManifestFile> files;
};

// Whether `rel` is a name a data directory holds, so that a manifest can never
// make a restore write anywhere else (no "..", no absolute path, no other file).
bool IsDataDirectoryFile(std::string_view rel);

// The manifest's text: RFC 8785 canonical JSON and a newline.
StatusOr<std::string> EncodeBackupManifest(const BackupManifest& m);

// Reads the text of the manifest called `name` (for messages): kInvalidArgument
// naming what is wrong — not JSON, an unknown field, a wrong type, a path that
// is not a file of a data directory, a file listed twice, a required file missing.
StatusOr<BackupManifest> ParseBackupManifest(std::string_view text, const std::string& name);

}  // namespace vellum::app
