// Shared fixtures: temporary directories, the path of the built binary, the
// public test vectors, and running a child process.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vellum::testing {

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The `vellum` binary under test ($VELLUM_BIN overrides the build's own).
std::string VellumBinary();
// The source tree (for tools under tests/tools).
std::string SourceDir();
// The public test vectors folder ($VELLUM_VECTORS, else the default beside the
// source tree), or nullopt when absent; tests then GTEST_SKIP() with a message.
std::optional<std::string> VectorsDir();

std::string ReadFileOrDie(const std::string& path);
void WriteFileOrDie(const std::string& path, const std::string& data);

// Every file under `dir` (relative path → bytes and mode), for asserting that a
// command wrote nothing. SQLite's -shm files are left out: they hold its
// shared-memory index of the -wal file, which any reader may rebuild.
std::map<std::string, std::string> SnapshotFiles(const std::string& dir);

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};
// Runs argv (argv[0] is looked up in PATH) with `input` on stdin and optional
// extra environment entries "K=V"; waits and captures both outputs.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& input = "",
                         const std::vector<std::string>& env = {});
// True when a program is on PATH.
bool HaveProgram(const std::string& name);
// True when /usr/bin/python3 and its cryptography package (scripts/setup.sh
// installs them) can run tools/offline_verify*.py, the checks written from the
// published formats alone.
bool HaveOfflineVerifier();
// tools/<script> run by /usr/bin/python3 with `args`, `input` on stdin.
ProcessResult RunOfflineTool(const std::string& script, const std::vector<std::string>& args,
                             const std::string& input = "");
// What core::LockHolder says of process `pid` when it runs this test binary
// (a forked child keeps its parent's command name): "pid N, NAME".
std::string LockHolderOfThisBinary(int pid);

}  // namespace vellum::testing
