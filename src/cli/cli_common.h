// Shared pieces of the `vellum` command line: global options, exit codes,
// input limits and output formats. Commands are thin: parse, call one app
// service, render.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <boost/json/value.hpp>

#include "app/vellum.h"
#include "core/status.h"

namespace vellum::cli {

// Exit codes (docs/cli.md). Kept stable for scripts.
enum ExitCode : int {
  kExitOk = 0,
  kExitVerifyFailed = 1,  // verify / verify-proof found a problem
  kExitBadInput = 2,      // bad usage or input; nothing was written
  kExitRefused = 3,       // not allowed now (state, permission, conflict)
  kExitFailure = 4,       // the system failed (I/O, corruption, internal)
};

// The one mapping from Status codes to exit codes.
int ExitCodeFor(const Status& s);

// kCsv: `log` only (main refuses it for every other command).
enum class Format { kJson, kJsonl, kTable, kCsv };

struct Globals {
  std::string data_dir;      // --data, $VELLUM_DATA, ./vellum-data
  std::string format_text;   // --format
  std::optional<Format> format;
  bool quiet = false;
  std::string api_key_file;  // --api-key-file, $VELLUM_API_KEY_FILE: act as a service account
};

// Prints "vellum: <code>: <message>" to stderr and returns the exit code.
int Fail(const Status& s);

// The usage error for arguments no command takes (`rest`, as CLI11 left them).
// Option names are shown; values are shown only when no unknown option is among
// them, as one may be the value of `--password` or `--api-key`, which Vellum
// never takes on a command line and must not echo either.
std::string DescribeUnexpectedArguments(const std::vector<std::string>& rest);

// Reads all of stdin (or a file, "-" meaning stdin), at most `limit` bytes:
// kResourceExhausted beyond it.
StatusOr<std::string> ReadInput(const std::string& path, size_t limit);

// The output format for data: --format if given, else `fallback`.
Format OutputFormat(const Globals& g, Format fallback);

void PrintJson(const boost::json::value& v, bool pretty);
// Pretty JSON for people (2-space indent); canonical single-line otherwise.
std::string JsonText(const boost::json::value& v, bool pretty);

StatusOr<std::unique_ptr<app::Vellum>> OpenData(const Globals& g);

// Tells the user on stderr (unless -q) that another process holds the data
// directory and this command waits for it.
app::LockWaitNotice NoticeLockWait(const Globals& g);

// The data directory opened for a signed-in user (the session saved by
// `vellum login`) or a service account (its API key file).
struct SignedIn {
  std::unique_ptr<app::Vellum> vellum;
  app::Principal principal;
};
StatusOr<SignedIn> OpenSignedIn(const Globals& g);

// Every unsigned option carries ->transform(kNonNegative): CLI11 would otherwise read
// "-1" as 2^64-1, "010" as octal 8, "0x10" as 16 and "" as 0, and a typo would
// become another sequence number, size or limit. Only decimal digits pass.
extern const CLI::Validator kNonNegative;
// A count or a duration that must be more than zero ("must be a number greater than 0";
// CLI11's PositiveNumber would print its range up to 1.8e308).
extern const CLI::Validator kPositive;

// Every command registers itself with one of these; `run` is set when it is chosen.
using Runner = std::function<int()>;
void RegisterInit(CLI::App& app, Globals& g, Runner& run);
void RegisterLogin(CLI::App& app, Globals& g, Runner& run);
void RegisterUser(CLI::App& app, Globals& g, Runner& run);
void RegisterPolicy(CLI::App& app, Globals& g, Runner& run);
void RegisterRecord(CLI::App& app, Globals& g, Runner& run);
void RegisterLog(CLI::App& app, Globals& g, Runner& run);
void RegisterProof(CLI::App& app, Globals& g, Runner& run);
void RegisterVerify(CLI::App& app, Globals& g, Runner& run);
void RegisterStatus(CLI::App& app, Globals& g, Runner& run);
void RegisterTiles(CLI::App& app, Globals& g, Runner& run);
void RegisterBackup(CLI::App& app, Globals& g, Runner& run);
void RegisterRestore(CLI::App& app, Globals& g, Runner& run);
void RegisterRebuildRecords(CLI::App& app, Globals& g, Runner& run);
void RegisterVerifyBackup(CLI::App& app, Globals& g, Runner& run);
void RegisterCheckpoint(CLI::App& app, Globals& g, Runner& run);
void RegisterCanon(CLI::App& app, Globals& g, Runner& run);
void RegisterDemo(CLI::App& app, Globals& g, Runner& run);
void RegisterBench(CLI::App& app, Globals& g, Runner& run);

}  // namespace vellum::cli
