// Settings of one data directory, kept in <data>/vellum.toml. Every setting
// has a default; the file written by `vellum init` lists them all.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/status.h"

namespace vellum::app {

struct Config {
  // Checkpoint origin and signing key name (C2SP tlog-checkpoint).
  std::string origin;
  uint64_t checkpoint_every_events = 100000;
  int64_t checkpoint_every_seconds = 60;
  std::vector<std::string> witness_files;
  int64_t clock_tolerance_ms = 1000;
  uint64_t max_event_bytes = 1 << 20;
  uint64_t max_segment_bytes = 64ull << 20;
};

// A ledger's origin: its name in every checkpoint and its signing key's name,
// copied into backup manifests. 1 to 255 characters of printable ASCII (0x21 to
// 0x7e) other than '+' (the C2SP key name separator), one rule everywhere, so
// that no ledger can be made whose checkpoints or backups another part refuses.
Status ValidateOrigin(std::string_view origin);

// Parses vellum.toml. Unknown keys, wrong types and out-of-range values are
// kInvalidArgument naming the key (a typo must not silently fall back to a default).
StatusOr<Config> ParseConfig(std::string_view toml_text);
// The TOML text for `c`, with a comment per setting.
std::string FormatConfig(const Config& c);

StatusOr<Config> LoadConfig(core::Env* env, const std::string& path);

}  // namespace vellum::app
