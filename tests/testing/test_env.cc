#include "testing/test_env.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace vellum::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/vellum-test-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  // Sealed segments are read-only; make everything writable so removal works.
  for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
  }
  std::filesystem::remove_all(path_, ec);
}

std::string VellumBinary() {
  const char* env = std::getenv("VELLUM_BIN");
  return env && *env ? env : VELLUM_BINARY_PATH;
}

std::string SourceDir() { return VELLUM_SOURCE_PATH; }

std::optional<std::string> VectorsDir() {
  const char* env = std::getenv("VELLUM_VECTORS");
  std::string dir = env && *env ? env : VELLUM_DEFAULT_VECTORS;
  if (std::filesystem::is_directory(dir)) return dir;
  return std::nullopt;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::map<std::string, std::string> SnapshotFiles(const std::string& dir) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string path = entry.path().string();
    if (!entry.is_regular_file() || path.ends_with("-shm")) continue;
    const auto mode = static_cast<unsigned>(entry.status().permissions());
    files[fs::relative(entry.path(), dir).string()] = std::to_string(mode) + ":" + ReadFileOrDie(path);
  }
  return files;
}

void WriteFileOrDie(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << data;
}

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& input,
                         const std::vector<std::string>& env) {
  signal(SIGPIPE, SIG_IGN);  // a child that stops reading stdin must not kill the test
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)) {
    throw std::runtime_error("pipe failed");
  }
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    for (const auto& kv : env) putenv(strdup(kv.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  ProcessResult r;
  size_t written = 0;
  int in_fd = in_pipe[1];
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  int out_fd = out_pipe[0], err_fd = err_pipe[0];
  char buf[65536];
  while (out_fd >= 0 || err_fd >= 0 || in_fd >= 0) {
    pollfd fds[3];
    int n = 0;
    if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      int fd = fds[i].fd;
      if (fd == in_fd) {
        ssize_t w = write(fd, input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN) written = input.size();
        if (written >= input.size()) {
          close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      ssize_t got = read(fd, buf, sizeof buf);
      if (got <= 0) {
        close(fd);
        if (fd == out_fd) out_fd = -1; else err_fd = -1;
      } else {
        (fd == out_fd ? r.out : r.err).append(buf, static_cast<size_t>(got));
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

bool HaveProgram(const std::string& name) {
  return RunProcess({"sh", "-c", "command -v " + name + " >/dev/null 2>&1"}).exit_code == 0;
}

bool HaveOfflineVerifier() {
  return std::filesystem::exists("/usr/bin/python3") &&
         RunProcess({"/usr/bin/python3", "-c", "import cryptography"}).exit_code == 0;
}

ProcessResult RunOfflineTool(const std::string& script, const std::vector<std::string>& args,
                             const std::string& input) {
  // -B: no bytecode cache written beside the tools in the source tree.
  std::vector<std::string> argv{"/usr/bin/python3", "-B", SourceDir() + "/tools/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, input);
}

std::string LockHolderOfThisBinary(int pid) {
  std::string name;
  std::getline(std::ifstream("/proc/self/comm"), name);
  return "pid " + std::to_string(pid) + ", " + name;
}

}  // namespace vellum::testing
