#include "app/backup_manifest.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include <boost/json.hpp>

#include "app/config.h"
#include "core/clock.h"
#include "core/encoding.h"
#include "core/json.h"
#include "storage/embedded/file_log_store.h"

namespace vellum::app {
namespace {

// A name read from a manifest, for a message: JSON-quoted (no control
// characters reach a terminal) and cut to 100 bytes at a character boundary.
std::string Quoted(std::string_view s) {
  size_t n = std::min<size_t>(s.size(), 100);
  while (n < s.size() && n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  std::string out;
  core::AppendJsonString(s.substr(0, n), &out);
  return n < s.size() ? out + "…" : out;
}

std::string ModeText(int mode) { return fmt::format("{:04o}", mode); }

// Reads a manifest strictly: a backup directory is input like any other.
class ManifestReader {
 public:
  explicit ManifestReader(std::string name) : name_(std::move(name)) {}

  StatusOr<BackupManifest> Read(std::string_view text) {
    core::JsonLimits limits;
    limits.max_bytes = kMaxBackupManifestBytes;
    limits.max_depth = 8;
    auto v = core::ParseJson(text, limits);
    if (!v.ok()) return Bad(std::string(v.status().message()));
    if (!v->is_object()) return Bad("it is not a JSON object");
    const auto& o = v->get_object();
    RETURN_IF_ERROR(OnlyKeys(o, "", {"format", "origin", "created", "events", "tree_size", "checkpoint", "files"}));
    BackupManifest m;
    ASSIGN_OR_RETURN(std::string format, String(o, "format"));
    if (format != kBackupManifestFormat) {
      return Bad(fmt::format("format is {}, not \"{}\"", Quoted(format), kBackupManifestFormat));
    }
    ASSIGN_OR_RETURN(m.origin, String(o, "origin"));
    // A log origin is printable ASCII (C2SP signed-note); the restore copies the
    // time into the restored ledger's trail, so it must be a time and nothing else.
    if (!ValidateOrigin(m.origin).ok()) return Bad(fmt::format("\"origin\" {} is not a log origin", Quoted(m.origin)));
    ASSIGN_OR_RETURN(m.created, String(o, "created"));
    int64_t created_us = 0;
    if (!core::ParseCanonicalTimestamp(m.created, &created_us)) {
      return Bad(fmt::format("\"created\" {} is not a time as Vellum writes it (UTC, microseconds)",
                             Quoted(m.created)));
    }
    ASSIGN_OR_RETURN(m.events, Number(o, "events"));
    ASSIGN_OR_RETURN(m.tree_size, Number(o, "tree_size"));
    const auto* cp = o.if_contains("checkpoint");
    if (cp == nullptr) return Bad("\"checkpoint\" is missing");
    if (!cp->is_null()) {
      ASSIGN_OR_RETURN(uint64_t size, Number(o, "checkpoint"));
      m.checkpoint = size;
    }
    const auto* files = o.if_contains("files");
    if (files == nullptr || !files->is_array()) return Bad("\"files\" is not an array");
    std::set<std::string> seen;
    for (const auto& f : files->get_array()) {
      if (!f.is_object()) return Bad("an entry of \"files\" is not an object");
      const auto& fo = f.get_object();
      RETURN_IF_ERROR(OnlyKeys(fo, "a file entry", {"path", "bytes", "sha256", "mode"}));
      BackupManifestFile mf;
      ASSIGN_OR_RETURN(mf.path, String(fo, "path"));
      if (!IsDataDirectoryFile(mf.path)) {
        return Bad(fmt::format("{} is not a file of a data directory", Quoted(mf.path)));
      }
      if (!seen.insert(mf.path).second) return Bad(fmt::format("{} is listed twice", mf.path));
      ASSIGN_OR_RETURN(mf.bytes, Number(fo, "bytes"));
      ASSIGN_OR_RETURN(std::string hex, String(fo, "sha256"));
      auto hash = core::HashFromHex(hex);
      if (!hash.ok()) return Bad(fmt::format("the sha256 of {} is not 64 hex digits", mf.path));
      mf.sha256 = *hash;
      ASSIGN_OR_RETURN(std::string mode, String(fo, "mode"));
      if (mode != "0444" && mode != "0600" && mode != "0644") {
        return Bad(fmt::format("the mode of {} is not 0444, 0600 or 0644", mf.path));
      }
      mf.mode = std::stoi(mode, nullptr, 8);
      m.files.push_back(std::move(mf));
    }
    // Everything `backup` always copies: without the signing key or auth.db a
    // restored directory could neither sign nor let anyone in.
    for (const char* needed : {"vellum.toml", "keys/ledger.key", "keys/ledger.pub", "records.db", "auth.db"}) {
      if (!seen.count(needed)) return Bad(fmt::format("it lists no {}", needed));
    }
    RETURN_IF_ERROR(CheckConsistent(m));
    // Exactly the bytes Vellum writes for what was read (which also puts the
    // files in path order): a manifest is identified by its SHA-256, so there is
    // one spelling of each.
    ASSIGN_OR_RETURN(std::string canonical, EncodeBackupManifest(m));
    if (canonical != text) return Bad("it is not written as Vellum writes one (RFC 8785 canonical JSON and a newline)");
    return m;
  }

 private:
  // What the fields say of each other: the files in path order, the tree copied
  // no further than the events, the latest checkpoint within that tree and the
  // one the listed checkpoint files end with.
  Status CheckConsistent(const BackupManifest& m) const {
    for (size_t i = 1; i < m.files.size(); ++i) {
      if (!(m.files[i - 1].path < m.files[i].path)) {
        return Bad(fmt::format("its files are not in path order ({} before {})", Quoted(m.files[i - 1].path),
                               Quoted(m.files[i].path)));
      }
    }
    if (m.tree_size > m.events) {
      return Bad(fmt::format("\"tree_size\" {} is more than its {} events", m.tree_size, m.events));
    }
    std::optional<uint64_t> latest;
    constexpr std::string_view kCheckpoints = "ledger/checkpoints/";
    for (const auto& f : m.files) {
      if (f.path.compare(0, kCheckpoints.size(), kCheckpoints) != 0) continue;
      const auto size = storage::FileLogStore::ParseNumberedName(f.path.substr(kCheckpoints.size()), ".note");
      if (size && (!latest || *size > *latest)) latest = size;
    }
    if (m.checkpoint != latest) {
      return Bad(fmt::format("\"checkpoint\" is {} but the latest checkpoint it lists is {}",
                             m.checkpoint ? std::to_string(*m.checkpoint) : "null",
                             latest ? std::to_string(*latest) : "none"));
    }
    if (m.checkpoint && *m.checkpoint > m.tree_size) {
      return Bad(fmt::format("\"checkpoint\" {} is beyond its tree size {}", *m.checkpoint, m.tree_size));
    }
    return OkStatus();
  }

  Status Bad(const std::string& why) const {
    return InvalidArgumentError(fmt::format("{} is not a Vellum backup manifest: {}", name_, why));
  }
  Status OnlyKeys(const boost::json::object& o, std::string_view where, std::initializer_list<std::string_view> keys) {
    for (const auto& kv : o) {
      if (std::find(keys.begin(), keys.end(), kv.key()) == keys.end()) {
        return Bad(fmt::format("unknown field {}{}{}", Quoted(kv.key()),
                               where.empty() ? "" : " in ", where));
      }
    }
    return OkStatus();
  }
  StatusOr<std::string> String(const boost::json::object& o, std::string_view key) const {
    const auto* v = o.if_contains(key);
    if (v == nullptr || !v->is_string()) return Bad(fmt::format("\"{}\" is not a string", key));
    return std::string(v->get_string());
  }
  // At most 2^53 - 1: every such integer is an exact double, so the canonical
  // form writes it back as read (a larger one would round, and the manifest
  // written again would no longer be the one read).
  StatusOr<uint64_t> Number(const boost::json::object& o, std::string_view key) const {
    constexpr uint64_t kMaxExact = (uint64_t{1} << 53) - 1;
    const auto* v = o.if_contains(key);
    std::optional<uint64_t> n;
    if (v != nullptr && v->is_uint64()) n = v->get_uint64();
    if (v != nullptr && v->is_int64() && v->get_int64() >= 0) n = static_cast<uint64_t>(v->get_int64());
    if (!n) return Bad(fmt::format("\"{}\" is not a non-negative integer", key));
    if (*n > kMaxExact) return Bad(fmt::format("\"{}\" is larger than 2^53 - 1", key));
    return *n;
  }
  std::string name_;
};

}  // namespace

bool IsDataDirectoryFile(std::string_view rel) {
  static const std::set<std::string_view> fixed = {"vellum.toml",     "keys/ledger.key", "keys/ledger.pub",
                                                   "records.db",      "auth.db",         "ledger/tree/synced"};
  if (fixed.count(rel)) return true;
  auto numbered = [&](std::string_view dir, std::string_view suffix) {
    return rel.size() > dir.size() && rel.substr(0, dir.size()) == dir &&
           storage::FileLogStore::ParseNumberedName(rel.substr(dir.size()), suffix).has_value();
  };
  if (numbered("ledger/segments/", ".jsonl") || numbered("ledger/offsets/", ".idx") ||
      numbered("ledger/checkpoints/", ".note")) {
    return true;
  }
  constexpr std::string_view kLevel = "ledger/tree/level-";
  return rel.size() == kLevel.size() + 7 && rel.substr(0, kLevel.size()) == kLevel &&
         rel.substr(kLevel.size() + 2) == ".hash" && std::isdigit(static_cast<unsigned char>(rel[kLevel.size()])) &&
         std::isdigit(static_cast<unsigned char>(rel[kLevel.size() + 1])) &&
         std::stoi(std::string(rel.substr(kLevel.size(), 2))) < 64;
}

StatusOr<std::string> EncodeBackupManifest(const BackupManifest& m) {
  boost::json::array files;
  for (const auto& f : m.files) {
    files.push_back(boost::json::object{{"path", f.path},
                                        {"bytes", f.bytes},
                                        {"sha256", core::HashToHex(f.sha256)},
                                        {"mode", ModeText(f.mode)}});
  }
  boost::json::object o{{"format", kBackupManifestFormat},
                        {"origin", m.origin},
                        {"created", m.created},
                        {"events", m.events},
                        {"tree_size", m.tree_size},
                        {"checkpoint", m.checkpoint ? boost::json::value(*m.checkpoint) : boost::json::value()},
                        {"files", std::move(files)}};
  ASSIGN_OR_RETURN(std::string text, core::CanonicalJson(o));
  return text + "\n";
}

StatusOr<BackupManifest> ParseBackupManifest(std::string_view text, const std::string& name) {
  return ManifestReader(name).Read(text);
}

}  // namespace vellum::app
