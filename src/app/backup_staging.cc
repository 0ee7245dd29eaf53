#include "app/backup_staging.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "core/encoding.h"
#include "core/random.h"
#include "core/sha256.h"
#include "storage/embedded/sqlite_db.h"

namespace vellum::app {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kOffsetBytes = 8;

// The directories of a data directory, in creation order, with their modes.
constexpr std::pair<const char*, int> kDirs[] = {
    {"keys", 0700},           {"ledger", 0755},      {"ledger/segments", 0755},
    {"ledger/offsets", 0755}, {"ledger/tree", 0755}, {"ledger/checkpoints", 0755},
};

}  // namespace

Status CheckTarget(const std::string& dir, std::string_view what) {
  if (dir.empty()) return InvalidArgumentError(fmt::format("the {} directory is empty", what));
  std::error_code ec;
  // The result takes the name DIR by a rename beside it: a symbolic link there
  // would be replaced, not followed, and the copy would land on another disk
  // than the link points to. Name the directory itself.
  if (fs::is_symlink(fs::symlink_status(dir, ec))) {
    return InvalidArgumentError(fmt::format(
        "{} is a symbolic link: give the directory it points to, so the {} lands where it is meant to", dir, what));
  }
  if (!fs::exists(dir, ec)) return OkStatus();
  if (!fs::is_directory(dir, ec)) return InvalidArgumentError(fmt::format("{} is not a directory", dir));
  if (!fs::is_empty(dir, ec)) {
    return InvalidArgumentError(fmt::format("{} is not empty: a {} goes into a new directory", dir, what));
  }
  return OkStatus();
}

StatusOr<std::string> MakeStagingDir(core::Env* env, const std::string& target) {
  std::string base = target;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  std::string staging = fmt::format("{}.partial-{}", base, core::HexEncode(core::RandomBytes(4)));
  fs::path parent = fs::path(staging).parent_path();
  if (!parent.empty()) RETURN_IF_ERROR(env->CreateDirs(parent.string()));
  RETURN_IF_ERROR(env->CreateDirs(staging, 0700));
  StagingGuard guard(staging);
  RETURN_IF_ERROR(env->Chmod(staging, 0700));
  for (const auto& [sub, mode] : kDirs) {
    RETURN_IF_ERROR(env->CreateDirs(core::JoinPath(staging, sub), mode));
    RETURN_IF_ERROR(env->Chmod(core::JoinPath(staging, sub), mode));
  }
  guard.Release();
  return staging;
}

Status Publish(core::Env* env, const std::string& staging, const std::string& target) {
  for (const auto& [sub, mode] : kDirs) RETURN_IF_ERROR(env->SyncDir(core::JoinPath(staging, sub)));
  RETURN_IF_ERROR(env->SyncDir(staging));
  std::error_code ec;
  if (fs::exists(target, ec)) RETURN_IF_ERROR(env->Remove(target));
  RETURN_IF_ERROR(env->Rename(staging, target));
  fs::path parent = fs::path(target).parent_path();
  return env->SyncDir(parent.empty() ? "." : parent.string());
}

StatusOr<HashedFile> HashFile(core::Env* env, const std::string& path) {
  ASSIGN_OR_RETURN(auto in, env->OpenRandomAccess(path));
  core::Sha256Stream sha;
  HashedFile out;
  std::string buf;
  for (;;) {
    RETURN_IF_ERROR(in->Read(out.bytes, kBackupCopyChunk, &buf));
    if (buf.empty()) break;
    in->WillRead(out.bytes + buf.size(), kBackupCopyChunk);
    sha.Update(buf);
    out.bytes += buf.size();
  }
  out.sha256 = sha.Finish();
  return out;
}

StagingGuard::~StagingGuard() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

Status FileCopier::CopyBytes(const std::string& from, const std::string& rel, uint64_t bytes, int mode) {
  return Copy(from, rel, mode, [&](std::string_view chunk, uint64_t done) -> std::optional<size_t> {
    if (done >= bytes) return std::nullopt;
    return static_cast<size_t>(std::min<uint64_t>(chunk.size(), bytes - done));
  }, bytes, fmt::format("{} bytes", bytes));
}

StatusOr<std::string> FileCopier::CopyLines(const std::string& from, const std::string& rel, uint64_t lines, int mode) {
  std::string offsets;
  offsets.reserve(lines * kOffsetBytes);
  uint64_t seen = 0;
  bool line_start = true;
  auto take = [&](std::string_view chunk, uint64_t done) -> std::optional<size_t> {
    if (seen == lines) return std::nullopt;
    size_t i = 0;
    while (i < chunk.size() && seen < lines) {
      if (line_start) {
        uint64_t at = done + i;
        char le[kOffsetBytes];
        for (size_t b = 0; b < kOffsetBytes; ++b) le[b] = static_cast<char>((at >> (8 * b)) & 0xff);
        offsets.append(le, kOffsetBytes);
        line_start = false;
      }
      const void* nl = std::memchr(chunk.data() + i, '\n', chunk.size() - i);
      if (nl == nullptr) return chunk.size();
      i = static_cast<size_t>(static_cast<const char*>(nl) - chunk.data()) + 1;
      ++seen;
      line_start = true;
    }
    return i;
  };
  RETURN_IF_ERROR(Copy(from, rel, mode, take, std::nullopt, fmt::format("{} events", lines)));
  if (seen != lines) {
    return DataLossError(fmt::format("{} holds {} complete events, {} expected", rel, seen, lines));
  }
  return offsets;
}

Status FileCopier::Write(const std::string& rel, std::string_view data, int mode) {
  const std::string path = core::JoinPath(root_, rel);
  ASSIGN_OR_RETURN(auto out, env_->OpenAppendable(path, 0600));
  RETURN_IF_ERROR(out->Append(data));
  RETURN_IF_ERROR(out->Sync());
  RETURN_IF_ERROR(out->Close());
  RETURN_IF_ERROR(env_->Chmod(path, mode));
  files_.push_back({rel, data.size(), core::Sha256(data), mode});
  return OkStatus();
}

Status FileCopier::CopyDatabase(const std::string& from, const std::string& rel, int mode) {
  const std::string path = core::JoinPath(root_, rel);
  RETURN_IF_ERROR(storage::sqlite::CopyDatabase(from, path, mode));
  RETURN_IF_ERROR(env_->Chmod(path, mode));
  ASSIGN_OR_RETURN(HashedFile copy, HashFile(env_, path));
  files_.push_back({rel, copy.bytes, copy.sha256, mode});
  return OkStatus();
}

Status FileCopier::Copy(const std::string& from, const std::string& rel, int mode, const Take& take,
            std::optional<uint64_t> exact, const std::string& wanted) {
  const std::string path = core::JoinPath(root_, rel);
  ASSIGN_OR_RETURN(auto in, env_->OpenRandomAccess(from));
  ASSIGN_OR_RETURN(auto out, env_->OpenAppendable(path, 0600));
  core::Sha256Stream sha;
  uint64_t done = 0;
  std::string buf;
  for (;;) {
    RETURN_IF_ERROR(in->Read(done, kBackupCopyChunk, &buf));
    in->WillRead(done + buf.size(), kBackupCopyChunk);
    std::optional<size_t> n = buf.empty() ? std::nullopt : take(buf, done);
    if (!n) break;
    std::string_view part(buf.data(), *n);
    RETURN_IF_ERROR(out->Append(part));
    sha.Update(part);
    done += part.size();
    if (*n < buf.size()) break;
  }
  if (exact && done != *exact) {
    return DataLossError(fmt::format("{} holds {} bytes, {} expected", rel, done, wanted));
  }
  RETURN_IF_ERROR(out->Sync());
  RETURN_IF_ERROR(out->Close());
  RETURN_IF_ERROR(env_->Chmod(path, mode));
  files_.push_back({rel, done, sha.Finish(), mode});
  return OkStatus();
}

}  // namespace vellum::app
