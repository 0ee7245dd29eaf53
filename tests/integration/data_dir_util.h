// Integration-test helpers that treat a data directory the way an outside party
// does: run the real `vellum` binary on it, and read or rewrite its files
// (docs/formats/ledger-files.md) and records.db directly, with no Vellum code
// in between. Header-only so every test of tests/integration can use it.
//
// Commands that read data or write need a signed-in user: CliDataDir
// (testing/identity_fixture.h) runs `init --admin … --password-file …`,
// `login`, and `user add` through the binary, and keeps each test user's
// password and session files in the test's temporary directory
// (VELLUM_SESSION_FILE), so no test touches ~/.config.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json/value.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "core/json.h"
#include "storage/embedded/sqlite_db.h"
#include "testing/identity_fixture.h"
#include "testing/test_env.h"

namespace vellum::testing {

// The first (and, below 64 MiB of events, only) segment of a ledger.
inline constexpr char kFirstSegment[] = "ledger/segments/00000000000000000000.jsonl";

inline std::string CheckpointFile(uint64_t size) {
  return fmt::format("ledger/checkpoints/{:020}.note", size);
}
inline std::string LevelFile(int level) {
  return fmt::format("ledger/tree/level-{:02}.hash", level);
}
inline std::string InDir(const std::string& dir, const std::string& rel) { return dir + "/" + rel; }

// Runs `vellum --data DIR args...` with `input` on stdin, signed in as nobody: for the
// commands that need no session (verify, verify-proof, canon, checkpoint --verifier-key).
// Signed-in runs go through CliDataDir::Run.
inline ProcessResult RunVellum(const std::string& dir, const std::vector<std::string>& args,
                               const std::string& input = "") {
  std::vector<std::string> argv = {VellumBinary(), "--data", dir};
  argv.insert(argv.end(), args.begin(), args.end());
  // A session file that never exists: nothing of ~/.config is read.
  return RunProcess(argv, input, {"VELLUM_SESSION_FILE=" + dir + ".no-session"});
}

// ---- files ----

// Writes `data` over `path` whatever its mode (sealed segments and checkpoints are 0444; a
// test may run as a user that root's override does not cover), then restores the mode.
inline void OverwriteFile(const std::string& path, const std::string& data) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool existed = fs::exists(path);
  const fs::perms before = existed ? fs::status(path).permissions() : fs::perms::none;
  if (existed) fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
  WriteFileOrDie(path, data);
  if (existed) fs::permissions(path, before, fs::perm_options::replace, ec);
}

// The complete lines of a JSON Lines file, without their '\n'.
inline std::vector<std::string> ReadLines(const std::string& path) {
  std::string text = ReadFileOrDie(path);
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  return lines;
}

inline std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// A copy of a data directory (modes included) at `to`, which must not exist.
inline void CopyDataDir(const std::string& from, const std::string& to) {
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

// Runs SQL on a closed database file with the plain SQLite C API (through our thin RAII
// wrapper), as anyone with write access to records.db could.
inline void ExecSql(const std::string& db_path, const std::string& sql) {
  auto db = storage::sqlite::Database::Open(db_path, /*create=*/false);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto s = (*db)->Exec(sql);
  ASSERT_TRUE(s.ok()) << sql << ": " << s.ToString();
}

// ---- verify ----

struct VerifyProblemView {
  std::string area;
  std::optional<uint64_t> seq;
  std::string location;
  std::string message;
};

inline std::ostream& operator<<(std::ostream& os, const VerifyProblemView& p) {
  return os << "[" << p.area << "]" << (p.seq ? " seq " + std::to_string(*p.seq) : "")
            << (p.location.empty() ? "" : " at " + p.location) << ": " << p.message;
}

struct VerifyOutput {
  int exit_code = -1;
  bool ok = false;
  uint64_t events = 0;
  uint64_t checkpoints = 0;
  uint64_t witness_checkpoints = 0;
  uint64_t signed_size = 0;
  std::vector<VerifyProblemView> problems;
  std::vector<std::string> notes;
  std::string table;  // what a person reads
  std::string err;

  std::string Describe() const {
    std::ostringstream os;
    os << "verify exit " << exit_code << ", " << problems.size() << " problem(s):\n";
    for (const auto& p : problems) os << "  " << p << "\n";
    for (const auto& n : notes) os << "  note: " << n << "\n";
    os << "stderr: " << err;
    return os.str();
  }
};

// What a test expects among the problems; empty strings and nullopt match anything.
struct WantProblem {
  std::string area;
  std::optional<uint64_t> seq;
  std::string location;  // substring
  std::string message;   // substring

  bool Matches(const VerifyProblemView& p) const {
    return (area.empty() || p.area == area) && (!seq || p.seq == seq) &&
           p.location.find(location) != std::string::npos &&
           p.message.find(message) != std::string::npos;
  }
};

inline std::ostream& operator<<(std::ostream& os, const WantProblem& w) {
  return os << "a problem [" << (w.area.empty() ? "*" : w.area) << "]"
            << (w.seq ? " seq " + std::to_string(*w.seq) : "") << " at *" << w.location << "*: *"
            << w.message << "*";
}

inline bool HasProblem(const VerifyOutput& v, const WantProblem& w) {
  for (const auto& p : v.problems) {
    if (w.Matches(p)) return true;
  }
  return false;
}

// Whether one of verify's notes contains `text`.
inline bool HasNote(const VerifyOutput& v, const std::string& text) {
  for (const auto& n : v.notes) {
    if (n.find(text) != std::string::npos) return true;
  }
  return false;
}

#define EXPECT_PROBLEM(verify_output, ...)                                     \
  do {                                                                         \
    const ::vellum::testing::WantProblem want_problem_{__VA_ARGS__};           \
    EXPECT_TRUE(::vellum::testing::HasProblem((verify_output), want_problem_)) \
        << "expected " << want_problem_ << "\n"                                \
        << (verify_output).Describe();                                         \
  } while (0)

// Runs `vellum verify` with --format json (parsed with boost::json for the structured
// problems) and again as a table (what a person reads), and checks the table names every
// problem and note exactly as the JSON does. verify reads only, so both runs see the
// same files.
inline VerifyOutput RunVerify(const std::string& dir, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> json_args = {"--format", "json", "verify"};
  json_args.insert(json_args.end(), extra.begin(), extra.end());
  ProcessResult j = RunVellum(dir, json_args);
  VerifyOutput v;
  v.exit_code = j.exit_code;
  v.err = j.err;
  auto parsed = core::ParseJson(j.out);
  if (!parsed.ok() || !parsed->is_object()) {
    ADD_FAILURE() << "verify --format json printed no JSON object (exit " << j.exit_code
                  << "): " << j.out << j.err;
    return v;
  }
  const auto& o = parsed->get_object();
  v.ok = o.at("ok").as_bool();
  v.events = o.at("events").to_number<uint64_t>();
  v.checkpoints = o.at("checkpoints").to_number<uint64_t>();
  v.witness_checkpoints = o.at("witness_checkpoints").to_number<uint64_t>();
  v.signed_size = o.at("signed_size").to_number<uint64_t>();
  for (const auto& n : o.at("notes").as_array()) v.notes.push_back(n.as_string().c_str());
  for (const auto& pv : o.at("problems").as_array()) {
    const auto& po = pv.as_object();
    VerifyProblemView p;
    p.area = po.at("area").as_string().c_str();
    if (!po.at("seq").is_null()) p.seq = po.at("seq").to_number<uint64_t>();
    p.location = po.at("location").as_string().c_str();
    p.message = po.at("message").as_string().c_str();
    v.problems.push_back(std::move(p));
  }
  EXPECT_EQ(v.ok, v.exit_code == 0) << v.Describe();

  std::vector<std::string> table_args = {"verify"};
  table_args.insert(table_args.end(), extra.begin(), extra.end());
  ProcessResult t = RunVellum(dir, table_args);
  v.table = t.out;
  EXPECT_EQ(t.exit_code, j.exit_code) << "table and JSON runs disagree\n" << t.out << t.err;
  for (const auto& p : v.problems) {
    std::ostringstream line;
    line << "PROBLEM " << p;
    EXPECT_NE(t.out.find(line.str()), std::string::npos)
        << "the table lacks: " << line.str() << "\n"
        << t.out;
  }
  for (const auto& n : v.notes) {
    EXPECT_NE(t.out.find("NOTE: " + n + "\n"), std::string::npos) << "the table lacks the note: " << n << "\n" << t.out;
  }
  return v;
}

}  // namespace vellum::testing
