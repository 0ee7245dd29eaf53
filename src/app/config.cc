#include "app/config.h"

#include <fmt/format.h>

#include <limits>
#include <set>
#include <toml++/toml.h>

#include <algorithm>

#include "core/display_text.h"

namespace vellum::app {
namespace {

// A TOML basic string. Control characters other than tab may not appear
// literally (TOML 1.0 §String), so they are written as \uXXXX.
std::string TomlString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if ((u < 0x20 && c != '\t') || u == 0x7f) {
      out += fmt::format("\\u{:04X}", u);
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

Status CheckKeys(const toml::table& t, std::string_view where, const std::set<std::string_view>& allowed) {
  for (const auto& [k, v] : t) {
    if (!allowed.count(k.str())) {
      return InvalidArgumentError(fmt::format("vellum.toml: unknown setting {}{}", where, k.str()));
    }
  }
  return OkStatus();
}

template <typename T>
Status ReadInt(const toml::table& t, std::string_view key, std::string_view where, int64_t min,
               T* out, int64_t max = std::numeric_limits<int64_t>::max()) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return OkStatus();
  auto v = n->value<int64_t>();
  if (!n->is_integer() || !v) return InvalidArgumentError(fmt::format("vellum.toml: {}{} must be an integer", where, key));
  if (*v < min) return InvalidArgumentError(fmt::format("vellum.toml: {}{} must be at least {}", where, key, min));
  if (*v > max) {
    return InvalidArgumentError(
        fmt::format("vellum.toml: {}{} must be at most {}", where, key, max));
  }
  *out = static_cast<T>(*v);
  return OkStatus();
}

// Seconds and milliseconds are converted to microseconds (int64) when the ledger opens.
constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / 1'000'000;
constexpr int64_t kMaxMillis = std::numeric_limits<int64_t>::max() / 1'000;

}  // namespace

Status ValidateOrigin(std::string_view origin) {
  const bool printable = std::all_of(origin.begin(), origin.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (origin.empty() || origin.size() > 255 || !printable || origin.find('+') != std::string_view::npos) {
    return InvalidArgumentError(fmt::format(
        "the origin {} is not a ledger name: 1 to 255 printable ASCII characters, no space and no '+'",
        core::ForTerminal(origin.substr(0, 100))));
  }
  return OkStatus();
}

StatusOr<Config> ParseConfig(std::string_view text) {
  toml::table root;
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error& e) {
    return InvalidArgumentError(fmt::format("vellum.toml: {} (line {})", e.description(), e.source().begin.line));
  }
  Config c;
  RETURN_IF_ERROR(CheckKeys(root, "", {"origin", "checkpoint", "clock", "limits"}));
  if (const auto* o = root.get("origin")) {
    auto s = o->value<std::string>();
    if (!o->is_string() || !s || s->empty()) return InvalidArgumentError("vellum.toml: origin must be a non-empty string");
    RETURN_IF_ERROR(ValidateOrigin(*s).WithContext("vellum.toml"));
    c.origin = *s;
  }
  if (const auto* cp = root.get_as<toml::table>("checkpoint")) {
    RETURN_IF_ERROR(CheckKeys(*cp, "checkpoint.", {"every_events", "every_seconds", "witness_files"}));
    RETURN_IF_ERROR(ReadInt(*cp, "every_events", "checkpoint.", 1, &c.checkpoint_every_events));
    RETURN_IF_ERROR(
        ReadInt(*cp, "every_seconds", "checkpoint.", 1, &c.checkpoint_every_seconds, kMaxSeconds));
    if (const auto* w = cp->get("witness_files")) {
      const toml::array* arr = w->as_array();
      if (arr == nullptr) return InvalidArgumentError("vellum.toml: checkpoint.witness_files must be an array of paths");
      for (const auto& e : *arr) {
        auto s = e.value<std::string>();
        if (!e.is_string() || !s || s->empty()) {
          return InvalidArgumentError("vellum.toml: checkpoint.witness_files must be an array of paths");
        }
        c.witness_files.push_back(*s);
      }
    }
  } else if (root.get("checkpoint")) {
    return InvalidArgumentError("vellum.toml: checkpoint must be a table");
  }
  if (const auto* cl = root.get_as<toml::table>("clock")) {
    RETURN_IF_ERROR(CheckKeys(*cl, "clock.", {"tolerance_ms"}));
    RETURN_IF_ERROR(ReadInt(*cl, "tolerance_ms", "clock.", 0, &c.clock_tolerance_ms, kMaxMillis));
  } else if (root.get("clock")) {
    return InvalidArgumentError("vellum.toml: clock must be a table");
  }
  if (const auto* l = root.get_as<toml::table>("limits")) {
    RETURN_IF_ERROR(CheckKeys(*l, "limits.", {"max_event_bytes", "max_segment_bytes"}));
    RETURN_IF_ERROR(ReadInt(*l, "max_event_bytes", "limits.", 1024, &c.max_event_bytes));
    RETURN_IF_ERROR(ReadInt(*l, "max_segment_bytes", "limits.", 4096, &c.max_segment_bytes));
  } else if (root.get("limits")) {
    return InvalidArgumentError("vellum.toml: limits must be a table");
  }
  return c;
}

std::string FormatConfig(const Config& c) {
  std::string w;
  for (size_t i = 0; i < c.witness_files.size(); ++i) {
    if (i) w += ", ";
    w += TomlString(c.witness_files[i]);
  }
  return fmt::format(
      "# Vellum data directory settings. Changes take effect when Vellum next opens the ledger.\n"
      "\n"
      "# Name of this ledger in its signed checkpoints (C2SP tlog-checkpoint origin).\n"
      "# Fixed at init: changing it invalidates verification of existing checkpoints.\n"
      "origin = {}\n"
      "\n"
      "[checkpoint]\n"
      "# Sign a checkpoint after this many events or this many seconds, whichever comes first.\n"
      "every_events = {}\n"
      "every_seconds = {}\n"
      "# Files each new checkpoint is appended to; keep them where the ledger's host cannot rewrite them.\n"
      "witness_files = [{}]\n"
      "\n"
      "[clock]\n"
      "# Writes stop with a security event when the clock steps back by more than this.\n"
      "tolerance_ms = {}\n"
      "\n"
      "[limits]\n"
      "max_event_bytes = {}\n"
      "max_segment_bytes = {}\n",
      TomlString(c.origin), c.checkpoint_every_events, c.checkpoint_every_seconds, w, c.clock_tolerance_ms,
      c.max_event_bytes, c.max_segment_bytes);
}

StatusOr<Config> LoadConfig(core::Env* env, const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, env->ReadFile(path));
  return ParseConfig(text);
}

}  // namespace vellum::app
