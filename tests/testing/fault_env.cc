#include "testing/fault_env.h"

#include <algorithm>
#include <cassert>
#include <iterator>
#include <random>
#include <utility>

namespace vellum::testing {
namespace {

std::string DirOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string StripTrailingSlashes(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

Status Crashed(const std::string& path) {
  return FailedPreconditionError(path + ": handle invalidated by a simulated crash");
}

}  // namespace

class FaultInjectionEnv::Writable final : public core::WritableFile {
 public:
  Writable(FaultInjectionEnv* env, std::string path, std::unique_ptr<core::WritableFile> base,
           std::shared_ptr<FileState> state)
      : env_(env), path_(std::move(path)), base_(std::move(base)), state_(std::move(state)) {}

  Status Append(std::string_view data) override {
    RETURN_IF_ERROR(CheckAlive());
    RETURN_IF_ERROR(env_->MaybeFail(FaultOp::kAppend));
    Status s = base_->Append(data);
    std::lock_guard<std::mutex> l(env_->mu_);
    state_->size = base_->Size();  // also after a partial failed write
    return s;
  }

  Status Sync() override {
    RETURN_IF_ERROR(CheckAlive());
    RETURN_IF_ERROR(env_->MaybeFail(FaultOp::kSync));
    RETURN_IF_ERROR(base_->Sync());
    std::lock_guard<std::mutex> l(env_->mu_);
    state_->synced = state_->size;
    return OkStatus();
  }

  Status Close() override {
    RETURN_IF_ERROR(env_->MaybeFail(FaultOp::kClose));
    return base_->Close();
  }

  uint64_t Size() const override { return base_->Size(); }

 private:
  Status CheckAlive() const {
    std::lock_guard<std::mutex> l(env_->mu_);
    return state_->crashed ? Crashed(path_) : OkStatus();
  }

  FaultInjectionEnv* const env_;
  const std::string path_;
  const std::unique_ptr<core::WritableFile> base_;
  const std::shared_ptr<FileState> state_;
};

class FaultInjectionEnv::RandomAccess final : public core::RandomAccessFile {
 public:
  RandomAccess(FaultInjectionEnv* env, std::string path, std::unique_ptr<core::RandomAccessFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    RETURN_IF_ERROR(env_->MaybeFail(FaultOp::kRead));
    return base_->Read(offset, n, out);
  }
  Status ReadExact(uint64_t offset, size_t n, char* buf) const override {
    RETURN_IF_ERROR(env_->MaybeFail(FaultOp::kRead));
    return base_->ReadExact(offset, n, buf);
  }
  StatusOr<uint64_t> Size() const override { return base_->Size(); }
  void WillRead(uint64_t offset, size_t n) const override {
    {
      std::lock_guard<std::mutex> l(env_->mu_);
      env_->advice_[path_].emplace_back(offset, n);
    }
    base_->WillRead(offset, n);
  }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  const std::unique_ptr<core::RandomAccessFile> base_;
};

FaultInjectionEnv::FaultInjectionEnv(core::Env* base) : base_(base) {}

void FaultInjectionEnv::Arm(FaultOp op, uint64_t nth, Status status, bool sticky) {
  assert(nth >= 1 && !status.ok());
  std::lock_guard<std::mutex> l(mu_);
  faults_.push_back({op, counts_[static_cast<int>(op)] + nth, sticky, std::move(status)});
}

void FaultInjectionEnv::FailNth(FaultOp op, uint64_t nth, Status status) {
  Arm(op, nth, std::move(status), /*sticky=*/false);
}

void FaultInjectionEnv::FailFromNth(FaultOp op, uint64_t nth, Status status) {
  Arm(op, nth, std::move(status), /*sticky=*/true);
}

uint64_t FaultInjectionEnv::HoldNth(FaultOp op, uint64_t nth) {
  assert(nth >= 1);
  std::lock_guard<std::mutex> l(mu_);
  // Armed under mu_, so the number cannot be overtaken by a call counted meanwhile.
  const uint64_t call = counts_[static_cast<int>(op)] + nth;
  holds_[static_cast<int>(op)].Arm(call);
  return call;
}

bool FaultInjectionEnv::AwaitHeld(FaultOp op, uint64_t call, std::chrono::milliseconds timeout) {
  return holds_[static_cast<int>(op)].AwaitArrival(call, timeout);
}

void FaultInjectionEnv::ReleaseHeld(FaultOp op, uint64_t call) {
  holds_[static_cast<int>(op)].Release(call);
}

void FaultInjectionEnv::ClearFaults() {
  {
    std::lock_guard<std::mutex> l(mu_);
    faults_.clear();
  }
  for (CallHolds& h : holds_) h.ReleaseAll();
}

std::vector<std::pair<uint64_t, size_t>> FaultInjectionEnv::ReadAdvice(const std::string& path) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = advice_.find(path);
  return it == advice_.end() ? std::vector<std::pair<uint64_t, size_t>>() : it->second;
}

uint64_t FaultInjectionEnv::OpCount(FaultOp op) const {
  std::lock_guard<std::mutex> l(mu_);
  return counts_[static_cast<int>(op)];
}

Status FaultInjectionEnv::MaybeFail(FaultOp op) {
  std::unique_lock<std::mutex> l(mu_);
  const uint64_t n = ++counts_[static_cast<int>(op)];
  // A held call waits without mu_: other threads' calls go on meanwhile.
  l.unlock();
  holds_[static_cast<int>(op)].Pass(n);
  l.lock();
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->op != op || n < it->first || (!it->sticky && n != it->first)) continue;
    Status s = it->status;
    if (!it->sticky) faults_.erase(it);
    return s;
  }
  return OkStatus();
}

Status FaultInjectionEnv::Drop(bool torn, uint64_t seed) {
  std::lock_guard<std::mutex> l(mu_);
  std::mt19937_64 rng(seed);
  Status first_error;
  // std::map iterates in path order, so a seed always tears the same files the same way.
  for (auto& [path, file] : files_) {
    file->crashed = true;
    if (file->size <= file->synced) continue;
    uint64_t keep = file->synced;
    if (torn) keep += rng() % (file->size - file->synced + 1);
    Status s = base_->Truncate(path, keep);
    if (!s.ok() && first_error.ok()) first_error = s;
  }
  files_.clear();  // reopening starts from the (now durable) length on disk
  return first_error;
}

Status FaultInjectionEnv::DropUnsyncedData() { return Drop(/*torn=*/false, 0); }

Status FaultInjectionEnv::DropUnsyncedDataTorn(uint64_t seed) { return Drop(/*torn=*/true, seed); }

Status FaultInjectionEnv::DeleteFilesCreatedSinceDirSync() {
  std::lock_guard<std::mutex> l(mu_);
  Status first_error;
  for (const std::string& path : created_) {
    if (auto it = files_.find(path); it != files_.end()) {
      it->second->crashed = true;
      files_.erase(it);
    }
    Status s = base_->Remove(path);
    if (!s.ok() && s.code() != StatusCode::kNotFound && first_error.ok()) first_error = s;
  }
  created_.clear();
  return first_error;
}

uint64_t FaultInjectionEnv::UnsyncedBytes(const std::string& path) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = files_.find(path);
  if (it == files_.end() || it->second->size <= it->second->synced) return 0;
  return it->second->size - it->second->synced;
}

StatusOr<std::unique_ptr<core::WritableFile>> FaultInjectionEnv::OpenAppendable(
    const std::string& path, int mode, core::AppendCaching caching) {
  RETURN_IF_ERROR(MaybeFail(FaultOp::kOpen));
  const bool existed = base_->Exists(path);
  ASSIGN_OR_RETURN(std::unique_ptr<core::WritableFile> base, base_->OpenAppendable(path, mode, caching));
  std::lock_guard<std::mutex> l(mu_);
  if (!existed) created_.insert(path);
  std::shared_ptr<FileState>& state = files_[path];
  if (!state) {
    // First sight of this file: whatever it already holds counts as durable.
    state = std::make_shared<FileState>();
    state->synced = state->size = base->Size();
  }
  return std::unique_ptr<core::WritableFile>(new Writable(this, path, std::move(base), state));
}

StatusOr<std::unique_ptr<core::RandomAccessFile>> FaultInjectionEnv::OpenRandomAccess(
    const std::string& path) {
  RETURN_IF_ERROR(MaybeFail(FaultOp::kOpen));
  ASSIGN_OR_RETURN(std::unique_ptr<core::RandomAccessFile> base, base_->OpenRandomAccess(path));
  return std::unique_ptr<core::RandomAccessFile>(new RandomAccess(this, path, std::move(base)));
}

StatusOr<std::string> FaultInjectionEnv::ReadFile(const std::string& path) {
  RETURN_IF_ERROR(MaybeFail(FaultOp::kRead));
  return base_->ReadFile(path);
}

Status FaultInjectionEnv::WriteFileAtomic(const std::string& path, std::string_view data,
                                          int mode) {
  RETURN_IF_ERROR(MaybeFail(FaultOp::kWriteAtomic));
  RETURN_IF_ERROR(base_->WriteFileAtomic(path, data, mode));
  std::lock_guard<std::mutex> l(mu_);
  created_.erase(path);
  if (auto it = files_.find(path); it != files_.end()) {
    // Open handles now refer to the replaced inode; the new contents are durable.
    it->second->crashed = true;
    files_.erase(it);
  }
  return OkStatus();
}

bool FaultInjectionEnv::Exists(const std::string& path) { return base_->Exists(path); }

StatusOr<std::vector<std::string>> FaultInjectionEnv::ListDir(const std::string& dir) {
  RETURN_IF_ERROR(MaybeFail(FaultOp::kListDir));
  return base_->ListDir(dir);
}

Status FaultInjectionEnv::CreateDirs(const std::string& dir, int mode) {
  RETURN_IF_ERROR(MaybeFail(FaultOp::kCreateDirs));
  return base_->CreateDirs(dir, mode);
}

StatusOr<uint64_t> FaultInjectionEnv::FileSize(const std::string& path) {
  RETURN_IF_ERROR(MaybeFail(FaultOp::kFileSize));
  return base_->FileSize(path);
}

Status FaultInjectionEnv::Truncate(const std::string& path, uint64_t size) {
  RETURN_IF_ERROR(MaybeFail(FaultOp::kTruncate));
  RETURN_IF_ERROR(base_->Truncate(path, size));
  std::lock_guard<std::mutex> l(mu_);
  if (auto it = files_.find(path); it != files_.end()) {
    it->second->size = size;
    it->second->synced = std::min(it->second->synced, size);
  }
  return OkStatus();
}

Status FaultInjectionEnv::Rename(const std::string& from, const std::string& to) {
  RETURN_IF_ERROR(MaybeFail(FaultOp::kRename));
  RETURN_IF_ERROR(base_->Rename(from, to));
  if (from == to) return OkStatus();
  std::lock_guard<std::mutex> l(mu_);
  if (auto it = files_.find(from); it != files_.end()) {
    files_[to] = std::move(it->second);
    files_.erase(from);
  } else {
    files_.erase(to);
  }
  if (created_.erase(from) > 0) created_.insert(to);
  return OkStatus();
}

Status FaultInjectionEnv::Remove(const std::string& path) {
  RETURN_IF_ERROR(MaybeFail(FaultOp::kRemove));
  RETURN_IF_ERROR(base_->Remove(path));
  std::lock_guard<std::mutex> l(mu_);
  files_.erase(path);
  created_.erase(path);
  return OkStatus();
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  RETURN_IF_ERROR(MaybeFail(FaultOp::kSyncDir));
  RETURN_IF_ERROR(base_->SyncDir(dir));
  const std::string d = StripTrailingSlashes(dir);
  std::lock_guard<std::mutex> l(mu_);
  for (auto it = created_.begin(); it != created_.end();) {
    it = DirOf(*it) == d ? created_.erase(it) : std::next(it);
  }
  return OkStatus();
}

Status FaultInjectionEnv::Chmod(const std::string& path, int mode) {
  RETURN_IF_ERROR(MaybeFail(FaultOp::kChmod));
  return base_->Chmod(path, mode);
}

StatusOr<int> FaultInjectionEnv::GetMode(const std::string& path) {
  RETURN_IF_ERROR(MaybeFail(FaultOp::kGetMode));
  return base_->GetMode(path);
}

StatusOr<std::unique_ptr<core::FileLock>> FaultInjectionEnv::Lock(const std::string& path,
                                                                  bool exclusive, int wait_ms) {
  RETURN_IF_ERROR(MaybeFail(FaultOp::kLock));
  return base_->Lock(path, exclusive, wait_ms);
}

void FaultInjectionEnv::SetBootId(std::string id) {
  std::lock_guard lock(mu_);
  boot_id_ = std::move(id);
}

std::string FaultInjectionEnv::BootId() {
  {
    std::lock_guard lock(mu_);
    if (boot_id_) return *boot_id_;
  }
  return base_->BootId();
}

}  // namespace vellum::testing
