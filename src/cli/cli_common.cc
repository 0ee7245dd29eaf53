#include "cli/cli_common.h"

#include <fmt/format.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>

#include "cli/credentials_input.h"
#include "core/display_text.h"
#include "core/env.h"
#include "core/json.h"

namespace vellum::cli {

// Decimal digits only, read as decimal: CLI11 would read "010" as octal 8 and
// "0x10" as 16, and "" as 0 (`--seq 010` must prove event 10, and a zero-padded
// checkpoint file name given to --size must mean its size). Leading zeros are
// dropped here, so what CLI11 then converts is plain decimal; a value too large
// for the option's type is still its range error.
const CLI::Validator kNonNegative(
    [](std::string& s) -> std::string {
      if (s.empty()) return "must be a number, not empty";
      if (s.front() == '-') return "must not be negative";
      if (s.find_first_not_of("0123456789") != std::string::npos) return "must be a whole number in decimal digits";
      s.erase(0, std::min(s.find_first_not_of('0'), s.size() - 1));
      return "";
    },
    "");

const CLI::Validator kPositive(
    [](std::string& s) -> std::string {
      char* end = nullptr;
      errno = 0;
      const double v = std::strtod(s.c_str(), &end);
      if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v) || !(v > 0)) {
        return "must be a number greater than 0";
      }
      return "";
    },
    "");

int ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kAlreadyExists:
    case StatusCode::kOutOfRange:
    case StatusCode::kResourceExhausted:
      return kExitBadInput;
    case StatusCode::kPermissionDenied:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAborted:
    case StatusCode::kUnauthenticated:
      return kExitRefused;
    case StatusCode::kInternal:
    case StatusCode::kUnavailable:
    case StatusCode::kDataLoss:
      return kExitFailure;
  }
  return kExitFailure;
}

namespace {
// One command per process: once it has failed, the ledger it opened closes
// without signing a checkpoint that fell due (exit 2 means nothing was written).
bool command_failed = false;
}  // namespace

int Fail(const Status& s) {
  command_failed = true;
  // A message may quote input (a path, an option's value): nothing in it acts on the terminal.
  fmt::print(stderr, "vellum: {}: {}\n", StatusCodeName(s.code()), core::ForTerminal(s.message(), true));
  return ExitCodeFor(s);
}

std::string DescribeUnexpectedArguments(const std::vector<std::string>& rest) {
  std::vector<std::string> options, values;
  bool secret = false;
  for (const std::string& arg : rest) {
    if (arg.size() > 1 && arg[0] == '-') {
      const std::string name = arg.substr(0, arg.find('='));
      secret = secret || name.find("password") != std::string::npos || name.find("key") != std::string::npos ||
               name.find("token") != std::string::npos || name.find("secret") != std::string::npos ||
               name.find("totp") != std::string::npos;
      const std::string shown = core::ShortenText(name, 60);
      options.push_back(arg.find('=') == std::string::npos ? shown : shown + "=(value not shown)");
    } else {
      values.push_back(arg);
    }
  }
  // A few are named; a script that passed a whole file list gets a count, not all of it back.
  constexpr size_t kShown = 8;
  auto more = [](size_t n) { return n > kShown ? fmt::format(" and {} more", n - kShown) : std::string(); };
  std::string what = "unexpected argument";
  if (options.empty()) {
    what += values.size() == 1 ? ": " : "s: ";
    for (size_t i = 0; i < std::min(values.size(), kShown); ++i) {
      what += (i ? " " : "") + fmt::format("\"{}\"", core::ShortenText(values[i], 60));
    }
    return what + more(values.size());
  }
  what += options.size() + values.size() == 1 ? ": " : "s: ";
  for (size_t i = 0; i < std::min(options.size(), kShown); ++i) what += (i ? " " : "") + options[i];
  what += more(options.size());
  if (!values.empty()) {
    what += fmt::format(" and {} value{} (not shown: it may be a secret)", values.size(), values.size() == 1 ? "" : "s");
  }
  if (secret) {
    what += ". Passwords, keys and codes are never given on the command line: use the prompt or a file "
            "(--password-file, --api-key-file, --code-file)";
  }
  return what;
}

StatusOr<std::string> ReadInput(const std::string& path, size_t limit) {
  std::string out;
  int fd = 0;
  if (path != "-" && !path.empty()) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return errno == ENOENT ? NotFoundError(fmt::format("{}: no such file", path))
                             : InvalidArgumentError(fmt::format("{}: {}", path, std::strerror(errno)));
    }
  }
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = InvalidArgumentError(fmt::format("reading {}: {}", path == "-" || path.empty() ? "stdin" : path,
                                                  std::strerror(errno)));
      if (fd != 0) ::close(fd);
      return s;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > limit) {
      if (fd != 0) ::close(fd);
      return ResourceExhaustedError(fmt::format("input is larger than the limit of {} bytes", limit));
    }
  }
  if (fd != 0) ::close(fd);
  return out;
}

Format OutputFormat(const Globals& g, Format fallback) { return g.format.value_or(fallback); }

namespace {

void Pretty(const boost::json::value& v, std::string* out, int indent) {
  std::string pad(static_cast<size_t>(indent) * 2, ' ');
  if (v.is_object() && !v.get_object().empty()) {
    out->append("{\n");
    bool first = true;
    for (const auto& kv : v.get_object()) {
      if (!first) out->append(",\n");
      first = false;
      out->append(pad + "  ");
      core::AppendJsonString(kv.key(), out);
      out->append(": ");
      Pretty(kv.value(), out, indent + 1);
    }
    out->append("\n" + pad + "}");
  } else if (v.is_array() && !v.get_array().empty()) {
    out->append("[\n");
    bool first = true;
    for (const auto& e : v.get_array()) {
      if (!first) out->append(",\n");
      first = false;
      out->append(pad + "  ");
      Pretty(e, out, indent + 1);
    }
    out->append("\n" + pad + "]");
  } else {
    auto c = core::CanonicalJson(v);
    out->append(c.ok() ? *c : "null");
  }
}

}  // namespace

std::string JsonText(const boost::json::value& v, bool pretty) {
  if (pretty) {
    std::string out;
    Pretty(v, &out, 0);
    return out;
  }
  auto c = core::CanonicalJson(v);
  return c.ok() ? *c : "null";
}

void PrintJson(const boost::json::value& v, bool pretty) { fmt::print("{}\n", JsonText(v, pretty)); }

app::LockWaitNotice NoticeLockWait(const Globals& g) {
  if (g.quiet) return nullptr;
  return [dir = g.data_dir](const std::string& holder, int wait_ms) {
    fmt::print(stderr, "vellum: {} is in use by another process{}; waiting up to {:g} s for it to finish\n", dir,
               holder.empty() ? "" : " (" + holder + ")", wait_ms / 1000.0);
  };
}

StatusOr<std::unique_ptr<app::Vellum>> OpenData(const Globals& g) {
  app::OpenOptions options;
  options.on_lock_wait = NoticeLockWait(g);
  options.checkpoint_at_close = [] { return !command_failed; };
  if (!g.quiet) {
    options.on_rebuild_at_open = [](const std::string& what) { fmt::print(stderr, "vellum: {}\n", what); };
  }
  ASSIGN_OR_RETURN(auto v, app::Vellum::Open(g.data_dir, options));
  const auto& r = v->open_report();
  if (!g.quiet) {
    if (r.torn_tail_bytes > 0) {
      fmt::print(stderr, "vellum: recovered: removed an incomplete last line ({} bytes at {})\n", r.torn_tail_bytes,
                 r.torn_tail_location);
    }
    if (r.invalid_tail_events_removed > 0) {
      fmt::print(stderr, "vellum: recovered: removed {} unacknowledged damaged event(s) at the end\n",
                 r.invalid_tail_events_removed);
    }
    if (r.events_reapplied > 0) {
      fmt::print(stderr, "vellum: recovered: applied {} event(s) to records.db (events {}..{}; recorded as system.recovered)\n",
                 r.events_reapplied, r.reapplied_from, r.reapplied_from + r.events_reapplied - 1);
    }
    if (r.earlier_unrecorded) {
      const storage::RecoveryNote& e = *r.earlier_unrecorded;
      std::string what;
      if (e.applied) what = fmt::format("applied events {}..{} to records.db", e.applied->first_seq, e.applied->last_seq);
      if (e.lines_removed > 0 || e.bytes_removed > 0) {
        what += fmt::format("{}removed {} unreadable line(s) and {} byte(s) of an incomplete line",
                            what.empty() ? "" : " and ", e.lines_removed, e.bytes_removed);
      }
      if (!what.empty()) {
        fmt::print(stderr,
                   "vellum: recovered: an earlier recovery {} and ended before it could say so; recorded now as "
                   "system.recovered\n",
                   what);
      }
    }
  }
  return v;
}

StatusOr<SignedIn> OpenSignedIn(const Globals& g) {
  // A directory that holds no ledger is named as such: "not signed in (run
  // `vellum login`)" would send the user to a login that cannot work either.
  RETURN_IF_ERROR(app::CheckDataDirectory(core::Env::Default(), g.data_dir));
  // Read the credential before opening, so a missing one fails fast and locks nothing.
  std::string api_key, token;
  if (!g.api_key_file.empty()) {
    // A key every user of the machine can read is a key anyone can act with (a pipe,
    // such as `<(vault read …)`, has no such mode and is read until its writer closes it).
    struct stat st{};
    if (::stat(g.api_key_file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0007) != 0) {
      return PermissionDeniedError(fmt::format(
          "the API key file {} can be read or written by every user of this machine (mode {:04o}); make it "
          "readable by the service only (chmod 600)",
          g.api_key_file, st.st_mode & 07777));
    }
    auto key = ReadInput(g.api_key_file, 4096);
    if (!key.ok()) return InvalidArgumentError("cannot read the API key file " + g.api_key_file);
    api_key = key->substr(0, key->find_first_of("\r\n"));
    if (api_key.empty()) {
      return InvalidArgumentError(fmt::format("the API key file {} holds no key on its first line", g.api_key_file));
    }
  } else {
    ASSIGN_OR_RETURN(token, LoadSessionToken(g.data_dir));
  }
  ASSIGN_OR_RETURN(auto v, OpenData(g));
  const bool by_key = !g.api_key_file.empty();
  StatusOr<app::Principal> p = by_key ? v->AuthenticateApiKey(api_key, ClientName())
                                      : v->Authenticate(token, ClientName());
  if (!p.ok()) {
    // Only a session token the service no longer accepts is dropped (never because an
    // API key failed); a failure to read auth.db (locked, damaged) says nothing about the session.
    if (!by_key && !token.empty() && p.status().code() == StatusCode::kUnauthenticated) {
      ForgetSessionToken(g.data_dir);
    }
    return p.status();
  }
  return SignedIn{std::move(v), std::move(*p)};
}

}  // namespace vellum::cli
