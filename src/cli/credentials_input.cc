#include "cli/credentials_input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "core/encoding.h"
#include "core/env.h"
#include "core/sha256.h"

namespace vellum::cli {
namespace {

constexpr size_t kMaxSecretBytes = 4096;

// Reads one line (without the newline) from fd.
StatusOr<std::string> ReadLine(int fd, std::string_view what) {
  std::string line;
  char c;
  for (;;) {
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return InvalidArgumentError(fmt::format("cannot read the {}", what));
    if (n == 0 || c == '\n') break;
    line.push_back(c);
    if (line.size() > kMaxSecretBytes) return InvalidArgumentError(fmt::format("the {} is too long", what));
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string ConfigHome() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg && *xdg) return xdg;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.config";
}

}  // namespace

StatusOr<std::string> ReadSecret(const std::string& prompt, const std::string& file) {
  std::string secret;
  if (!file.empty() && file != "-") {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return InvalidArgumentError(fmt::format("cannot open {}: {}", file, std::strerror(errno)));
    auto line = ReadLine(fd, "password file");
    ::close(fd);
    if (!line.ok()) return line.status();
    secret = std::move(*line);
  } else if (file.empty() && ::isatty(0)) {
    int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (tty < 0) return InvalidArgumentError("no terminal to ask for the password on");
    (void)!::write(tty, prompt.data(), prompt.size());
    termios old{};
    bool restore = ::tcgetattr(tty, &old) == 0;
    if (restore) {
      termios quiet = old;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      ::tcsetattr(tty, TCSAFLUSH, &quiet);
    }
    auto line = ReadLine(tty, "password");
    if (restore) ::tcsetattr(tty, TCSAFLUSH, &old);
    (void)!::write(tty, "\n", 1);
    ::close(tty);
    if (!line.ok()) return line.status();
    secret = std::move(*line);
  } else {
    ASSIGN_OR_RETURN(secret, ReadLine(0, "password from stdin"));
  }
  if (secret.empty()) return InvalidArgumentError("an empty password was given");
  return secret;
}

std::string SessionFilePath(const std::string& data_dir) {
  const char* env = std::getenv("VELLUM_SESSION_FILE");
  if (env && *env) return env;
  char real[PATH_MAX];
  std::string dir = ::realpath(data_dir.c_str(), real) ? std::string(real) : data_dir;
  std::string id = core::HashToHex(core::Sha256(dir)).substr(0, 16);
  return ConfigHome() + "/vellum/sessions/" + id;
}

Status SaveSessionToken(const std::string& data_dir, const std::string& token) {
  std::string path = SessionFilePath(data_dir);
  size_t slash = path.rfind('/');
  if (slash != std::string::npos) {
    RETURN_IF_ERROR(core::Env::Default()->CreateDirs(path.substr(0, slash), 0700));
  }
  return core::Env::Default()->WriteFileAtomic(path, token + "\n", 0600);
}

StatusOr<std::string> LoadSessionToken(const std::string& data_dir) {
  std::string path = SessionFilePath(data_dir);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return UnauthenticatedError("not signed in to this data directory (run `vellum login`)");
  struct stat st{};
  if (::fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
    ::close(fd);
    return PermissionDeniedError(fmt::format("the session file {} is readable by others; sign in again", path));
  }
  auto line = ReadLine(fd, "session file");
  ::close(fd);
  if (!line.ok() || line->empty()) return UnauthenticatedError("the session file is empty (run `vellum login`)");
  return std::move(*line);
}

void ForgetSessionToken(const std::string& data_dir) { ::unlink(SessionFilePath(data_dir).c_str()); }

std::string ClientName() {
  char host[256] = {0};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "cli";
  return std::string("cli@") + host;
}

}  // namespace vellum::cli
