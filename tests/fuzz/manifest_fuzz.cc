// libFuzzer target for the backup manifest reader (SR-2): `vellum restore`
// and `vellum verify-backup` read `vellum-backup.json` from a directory anyone
// may have handed over, and the paths in it decide where a restore writes. Not
// part of the default build: `scripts/fuzz.sh manifest` builds and runs it.
// Properties checked on every input:
//  - nothing crashes, leaks, throws or hits undefined behaviour;
//  - a rejection is kInvalidArgument and names the manifest;
//  - every path an accepted manifest lists is a file of a data directory:
//    relative, without "." or ".." components, listed once;
//  - every mode is 0444, 0600 or 0644;
//  - an accepted manifest, written again, reads back the same, and its text
//    is a fixed point (written, read and written again gives the same bytes).
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "app/backup_manifest.h"
#include "fuzz_check.h"

using vellum::fuzz::Check;

namespace {

bool Same(const vellum::app::BackupManifest& a, const vellum::app::BackupManifest& b) {
  if (a.origin != b.origin || a.created != b.created || a.events != b.events || a.tree_size != b.tree_size ||
      a.checkpoint != b.checkpoint || a.files.size() != b.files.size()) {
    return false;
  }
  for (size_t i = 0; i < a.files.size(); ++i) {
    const auto& x = a.files[i];
    const auto& y = b.files[i];
    if (x.path != y.path || x.bytes != y.bytes || x.sha256 != y.sha256 || x.mode != y.mode) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vellum::app;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = ParseBackupManifest(text, "vellum-backup.json");
  if (!parsed.ok()) {
    Check(parsed.status().code() == vellum::StatusCode::kInvalidArgument, "a rejection is kInvalidArgument");
    Check(std::string(parsed.status().message()).rfind("vellum-backup.json", 0) == 0,
          "a rejection names the manifest");
    return 0;
  }
  std::set<std::string> paths;
  for (const auto& f : parsed->files) {
    Check(IsDataDirectoryFile(f.path), "every listed path is a file of a data directory");
    Check(!f.path.empty() && f.path.front() != '/', "every listed path is relative");
    Check(f.path.find("/../") == std::string::npos && f.path.rfind("../", 0) != 0 &&
              f.path.find("/./") == std::string::npos && f.path.rfind("./", 0) != 0,
          "no listed path has a . or .. component");
    Check(paths.insert(f.path).second, "every path is listed once");
    Check(f.mode == 0444 || f.mode == 0600 || f.mode == 0644, "every mode is 0444, 0600 or 0644");
  }
  auto written = EncodeBackupManifest(*parsed);
  Check(written.ok(), "an accepted manifest is written again");
  auto again = ParseBackupManifest(*written, "vellum-backup.json");
  Check(again.ok(), "a written manifest reads back");
  Check(Same(*parsed, *again), "a written manifest reads back the same");
  auto rewritten = EncodeBackupManifest(*again);
  Check(rewritten.ok() && *rewritten == *written, "the written text is a fixed point");
  return 0;
}
