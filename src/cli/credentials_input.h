// Where the CLI gets secrets and keeps its session: never from the command
// line (argv is visible to every user of the machine and lands in shell
// history). Passwords come from a prompt without echo, a file, or stdin; the
// session token lives in a file only its owner can read.
#pragma once

#include <string>

#include "core/status.h"

namespace vellum::cli {

// Reads a secret: the first line of `file` if given ("-" = stdin), else a
// prompt on the terminal with echo off, else (no terminal) one line of stdin.
// kInvalidArgument when empty or unreadable; the message never holds the secret.
StatusOr<std::string> ReadSecret(const std::string& prompt, const std::string& file);

// The session file for a data directory: $VELLUM_SESSION_FILE if set, else
// $XDG_CONFIG_HOME/vellum/sessions/<16 hex of SHA-256 of the directory's real path>
// ($XDG_CONFIG_HOME defaults to ~/.config).
std::string SessionFilePath(const std::string& data_dir);
// Stores a token with mode 0600 (directories 0700).
Status SaveSessionToken(const std::string& data_dir, const std::string& token);
// kUnauthenticated when there is none.
StatusOr<std::string> LoadSessionToken(const std::string& data_dir);
void ForgetSessionToken(const std::string& data_dir);

// "cli@<hostname>": the workstation recorded with every event (AT-2).
std::string ClientName();

}  // namespace vellum::cli
