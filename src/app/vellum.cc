#include "app/vellum.h"

#include <fmt/format.h>

#include <filesystem>
#include <openssl/rand.h>

#include <boost/json/parse.hpp>

#include "app/data_dir_lock.h"
#include "app/power_cut_rebuild.h"
#include "app/rebuild_records.h"
#include "app/restore_record.h"
#include "app/vellum_impl.h"
#include "core/encoding.h"
#include "core/json.h"
#include "core/password_hash.h"
#include "identity/accounts.h"
#include "identity/password_policy.h"
#include "identity/security_policy.h"

namespace vellum::app {

namespace json = boost::json;

std::string ConfigPath(const std::string& dir) { return core::JoinPath(dir, "vellum.toml"); }
std::string PrivateKeyPath(const std::string& dir) { return core::JoinPath(dir, "keys/ledger.key"); }
std::string PublicKeyPath(const std::string& dir) { return core::JoinPath(dir, "keys/ledger.pub"); }
std::string LedgerDir(const std::string& dir) { return core::JoinPath(dir, "ledger"); }
std::string RecordsDbPath(const std::string& dir) { return core::JoinPath(dir, "records.db"); }
std::string AuthDbPath(const std::string& dir) { return core::JoinPath(dir, "auth.db"); }

std::string LockPath(const std::string& dir) { return core::JoinPath(dir, "LOCK"); }

namespace {

// vellum.toml without ledger/: what an init cut short between the two leaves (it
// writes the keys and vellum.toml first), or a ledger/ someone removed.
Status NoLedgerFolder(const std::string& dir) {
  return DataLossError(fmt::format(
      "{} holds vellum.toml but no ledger/: either `vellum init` was interrupted before it wrote the ledger "
      "(then nothing was recorded: remove the directory and run `vellum init` again), or ledger/ was removed "
      "(restore the directory from a backup)",
      dir));
}

}  // namespace

Status CheckDataDirectory(core::Env* env, const std::string& dir) {
  auto mode = env->GetMode(ConfigPath(dir));
  if (mode.ok()) {
    auto ledger = env->GetMode(LedgerDir(dir));
    if (!ledger.ok() && ledger.status().code() == StatusCode::kNotFound) return NoLedgerFolder(dir);
    return OkStatus();
  }
  switch (mode.status().code()) {
    case StatusCode::kNotFound:
      return NotFoundError(fmt::format("no Vellum data directory at {} (create one with `vellum init`)", dir));
    case StatusCode::kFailedPrecondition:  // ENOTDIR: `dir` (or a parent) is a file
      return InvalidArgumentError(fmt::format("no Vellum data directory at {}: it is not a directory", dir));
    default:
      return mode.status().WithContext("cannot read the data directory " + dir);
  }
}

Status CheckNoLedgerYet(core::Env* env, const std::string& dir) {
  const bool config = env->Exists(ConfigPath(dir)), ledger = env->Exists(LedgerDir(dir));
  if (config && !ledger) return NoLedgerFolder(dir);
  if (config || ledger || env->Exists(PrivateKeyPath(dir))) {
    return AlreadyExistsError(fmt::format("{} already holds a Vellum ledger", dir));
  }
  return OkStatus();
}

Status MissingFileIsDamage(const Status& s) {
  if (s.code() != StatusCode::kNotFound) return s;
  return DataLossError("the data directory is incomplete: " + s.message());
}

StatusOr<core::NoteVerifier> ReadLedgerPublicKey(core::Env* env, const std::string& dir) {
  ASSIGN_OR_RETURN(std::string text, env->ReadFile(PublicKeyPath(dir)));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto key = core::ParseVerifierKey(text);
  if (!key.ok()) return DataLossError("keys/ledger.pub is not a valid verifier key: " + key.status().message());
  return *key;
}

namespace {

std::string RandomHex(size_t bytes) {
  std::string b(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(b.data()), static_cast<int>(bytes)) != 1) std::abort();
  return core::HexEncode(b);
}

ledger::LedgerOptions LedgerOptionsFrom(const Config& c) {
  ledger::LedgerOptions o;
  o.origin = c.origin;
  o.checkpoint_every_events = c.checkpoint_every_events;
  o.checkpoint_every_micros = c.checkpoint_every_seconds * 1'000'000;
  o.clock_tolerance_micros = c.clock_tolerance_ms * 1000;
  o.max_event_bytes = c.max_event_bytes;
  o.witness_files = c.witness_files;
  return o;
}

}  // namespace

Status Vellum::Impl::Prepare(const std::string& d, const OpenOptions& o) {
  dir = d;
  env = o.env ? o.env : core::Env::Default();
  clock = o.clock ? o.clock : &system_clock;
  return OkStatus();
}

Status Vellum::Impl::LoadKeys() {
  std::string key_path = PrivateKeyPath(dir);
  ASSIGN_OR_RETURN(int mode, env->GetMode(key_path));
  if ((mode & 077) != 0) {
    return PermissionDeniedError(fmt::format(
        "keys/ledger.key is accessible to other users (mode {:04o}); it must be 0600", mode & 07777));
  }
  ASSIGN_OR_RETURN(std::string skey, env->ReadFile(key_path));
  while (!skey.empty() && (skey.back() == '\n' || skey.back() == '\r')) skey.pop_back();
  auto s = core::ParseSignerKey(skey);
  if (!s.ok()) return DataLossError("keys/ledger.key is not a valid signing key");  // never echo key material
  signer = std::move(*s);
  ASSIGN_OR_RETURN(verifier, ReadLedgerPublicKey(env, dir));
  if (verifier.public_key != signer->key.public_key() || verifier.name != signer->name) {
    return DataLossError("keys/ledger.pub does not belong to keys/ledger.key");
  }
  return OkStatus();
}

ledger::LedgerDeps Vellum::Impl::Deps() {
  ledger::LedgerDeps d;
  d.env = env;
  d.clock = clock;
  d.log = log.get();
  d.projection = projection.get();
  d.projector = &projector;
  d.signer = &*signer;
  return d;
}

StatusOr<std::vector<ledger::Event>> Vellum::Impl::Submit(const ledger::Actor& actor,
                                                          StatusOr<ledger::Decider> decider) {
  RETURN_IF_ERROR(decider.status());
  return ledger->Submit(actor, std::move(*decider));
}

StatusOr<ledger::Event> Vellum::Impl::SubmitOne(const ledger::Actor& actor, StatusOr<ledger::Decider> decider) {
  ASSIGN_OR_RETURN(auto events, Submit(actor, std::move(decider)));
  if (events.size() != 1) return InternalError("the command was expected to append exactly one event");
  return std::move(events.front());
}

Vellum::Vellum(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Vellum::~Vellum() {
  // Close the ledger (final checkpoint) before the stores and the lock go.
  if (impl_) impl_->ledger.reset();
}

StatusOr<std::unique_ptr<Vellum>> Vellum::Init(const std::string& dir, const InitOptions& init,
                                               const OpenOptions& options) {
  const FirstAdministrator& admin = init.admin;
  {
    // Everything about the first administrator is checked before anything is written.
    identity::User first;
    first.id = admin.id;
    first.name = admin.name;
    first.email = admin.email;
    first.roles = {identity::Role::kSystemAdministrator};
    RETURN_IF_ERROR(identity::ValidateNewUser(first).WithContext("the first administrator"));
    identity::PasswordPolicy rules;
    rules.min_length = identity::SecurityPolicy{}.password_min_length;
    RETURN_IF_ERROR(identity::CheckNewPassword(admin.password, rules, admin.id, admin.name)
                        .WithContext("the first administrator's password"));
  }
  // Everything that can be refused is refused before anything is created.
  if (!init.origin.empty()) RETURN_IF_ERROR(ValidateOrigin(init.origin));
  for (const std::string& w : init.config.witness_files) {
    // A path no checkpoint could ever be appended to would be written into
    // vellum.toml, and every later open would fail on it or the witness get nothing.
    std::error_code ec;
    if (w.empty()) return InvalidArgumentError("a witness file path is empty");
    if (std::filesystem::exists(w, ec) && !std::filesystem::is_regular_file(w, ec)) {
      return InvalidArgumentError(fmt::format("the witness file {} is not a regular file", w));
    }
  }
  auto m = std::make_unique<Impl>();
  RETURN_IF_ERROR(m->Prepare(dir, options));
  core::Env* env = m->env;
  RETURN_IF_ERROR(CheckNoLedgerYet(env, dir));
  // The check is made again under the lock: a second init started at the same
  // moment passes the first check, waits for the lock, and must then find the
  // first one's ledger rather than write its own key over the first one's.
  RETURN_IF_ERROR(env->CreateDirs(dir));
  ASSIGN_OR_RETURN(m->lock,
                   LockDataDirectory(env, dir, /*exclusive=*/true, options.lock_wait_ms, options.on_lock_wait));
  RETURN_IF_ERROR(CheckNoLedgerYet(env, dir));
  RETURN_IF_ERROR(env->CreateDirs(core::JoinPath(dir, "keys"), 0700));

  Config config = init.config;
  config.origin = init.origin.empty() ? "vellum/" + RandomHex(8) : init.origin;
  m->config = config;

  ASSIGN_OR_RETURN(core::Ed25519PrivateKey key, core::Ed25519PrivateKey::Generate());
  std::string skey = core::FormatSignerKey(config.origin, key);
  RETURN_IF_ERROR(env->WriteFileAtomic(PrivateKeyPath(dir), skey + "\n", 0600));
  core::NoteVerifier verifier = core::MakeNoteVerifier(config.origin, key.public_key());
  RETURN_IF_ERROR(env->WriteFileAtomic(PublicKeyPath(dir), core::FormatVerifierKey(verifier) + "\n", 0644));
  RETURN_IF_ERROR(env->WriteFileAtomic(ConfigPath(dir), FormatConfig(config), 0644));
  RETURN_IF_ERROR(m->LoadKeys());

  storage::FileLogStoreOptions lo;
  lo.max_segment_bytes = config.max_segment_bytes;
  ASSIGN_OR_RETURN(m->log, storage::FileLogStore::Create(env, LedgerDir(dir), lo));
  ASSIGN_OR_RETURN(m->projection, storage::SqliteProjectionStore::Open(RecordsDbPath(dir), /*create=*/true, env));

  json::object genesis;
  genesis["format"] = 1;
  genesis["origin"] = config.origin;
  genesis["public_key"] = core::FormatVerifierKey(verifier);
  genesis["software"] = json::object{{"name", "vellum"}, {"version", VELLUM_VERSION}};
  auto clock_info = core::ParseJson(m->clock->DescribeJson());
  genesis["clock"] = clock_info.ok() ? *clock_info : json::value(m->clock->DescribeJson());
  genesis["settings"] = json::object{
      {"checkpoint_every_events", config.checkpoint_every_events},
      {"checkpoint_every_seconds", config.checkpoint_every_seconds},
      {"clock_tolerance_ms", config.clock_tolerance_ms},
      {"max_event_bytes", config.max_event_bytes},
  };
  ASSIGN_OR_RETURN(m->secrets, storage::SqliteSecretStore::Open(*env, AuthDbPath(dir), /*create=*/true));
  ASSIGN_OR_RETURN(m->ledger, ledger::Ledger::Create(m->Deps(), LedgerOptionsFrom(config), SystemActor(),
                                                     std::move(genesis)));
  // The security policy in force from the start, then the first administrator.
  RETURN_IF_ERROR(m->Submit(SystemActor(), identity::DecideChangePolicy(
                                               identity::SecurityPolicy{},
                                               "initial security policy (defaults), set by vellum init"))
                      .status());
  const identity::SecurityPolicy policy;
  identity::PasswordPolicy rules;
  rules.min_length = policy.password_min_length;
  RETURN_IF_ERROR(identity::CheckNewPassword(admin.password, rules, admin.id, admin.name));
  core::PasswordHashParams params;
  params.ops_limit = policy.argon2_ops;
  params.mem_limit = static_cast<size_t>(policy.argon2_memory_kib) * 1024;
  ASSIGN_OR_RETURN(std::string hash, core::HashPassword(admin.password, params));
  identity::User first;
  first.id = admin.id;
  first.name = admin.name;
  first.email = admin.email;
  first.roles = {identity::Role::kSystemAdministrator};
  first.must_change_password = false;  // chosen by its owner at init
  first.password_changed_at = m->clock->NowMicros();
  // The password goes to auth.db first: if init stops between the two writes, the
  // ledger has no account and Open names the interrupted init, instead of an
  // administrator existing whom no one can sign in as.
  RETURN_IF_ERROR(m->secrets->SetPasswordHash(admin.id, hash, *first.password_changed_at, false));
  RETURN_IF_ERROR(m->SubmitOne(SystemActor(), identity::DecideCreateUser(
                                                  first, std::string("first system administrator, created by vellum init")))
                      .status());
  return std::unique_ptr<Vellum>(new Vellum(std::move(m)));
}

StatusOr<std::unique_ptr<Vellum>> Vellum::Open(const std::string& dir, const OpenOptions& options) {
  auto m = std::make_unique<Impl>();
  RETURN_IF_ERROR(m->Prepare(dir, options));
  core::Env* env = m->env;
  RETURN_IF_ERROR(CheckDataDirectory(env, dir));
  ASSIGN_OR_RETURN(m->lock,
                   LockDataDirectory(env, dir, /*exclusive=*/true, options.lock_wait_ms, options.on_lock_wait));
  ASSIGN_OR_RETURN(m->config, LoadConfig(env, ConfigPath(dir)));
  RETURN_IF_ERROR(MissingFileIsDamage(m->LoadKeys()));
  if (m->signer->name != m->config.origin) {
    return FailedPreconditionError("the origin in vellum.toml differs from the ledger key's name; it cannot change");
  }
  storage::FileLogStoreOptions lo;
  lo.max_segment_bytes = m->config.max_segment_bytes;
  ASSIGN_OR_RETURN(m->log, MissingFileIsDamage(storage::FileLogStore::Open(env, LedgerDir(dir), lo)));
  RETURN_IF_ERROR(FinishInterruptedRebuildSwap(env, dir));
  RETURN_IF_ERROR(RebuildRecordsLeftUnsynced(env, m->clock, dir, *m->log, m->verifier, m->config.origin,
                                             options.on_rebuild_at_open));
  ASSIGN_OR_RETURN(m->projection, MissingFileIsDamage(storage::SqliteProjectionStore::Open(
                                      RecordsDbPath(dir), /*create=*/false, env)));
  ASSIGN_OR_RETURN(m->secrets,
                   MissingFileIsDamage(storage::SqliteSecretStore::Open(*env, AuthDbPath(dir), /*create=*/false)));
  ledger::LedgerOptions ledger_options = LedgerOptionsFrom(m->config);
  ledger_options.checkpoint_at_close = options.checkpoint_at_close;
  ASSIGN_OR_RETURN(m->ledger, ledger::Ledger::Open(m->Deps(), ledger_options));
  // Init writes the genesis event before it returns, so a ledger without one is an
  // interrupted init. Opening it would let the next write become seq 0 without a
  // genesis event: a ledger that could never verify.
  if (m->ledger->Size() == 0) {
    return FailedPreconditionError(fmt::format(
        "{} holds no genesis event: `vellum init` was interrupted before it finished. Nothing was "
        "recorded in it; remove the directory and run `vellum init` again",
        dir));
  }
  // Init records the first administrator right after the genesis event; a
  // ledger without any account is an init interrupted in between, which no one
  // could ever sign in to.
  if (m->ledger->open_report().damage.empty()) {
    // One indexed lookup that stops at the first account, not a read of every
    // account: this runs at each open, i.e. for every CLI command.
    storage::EventQuery first_account;
    first_account.type = identity::kUserCreated;
    first_account.limit = 1;
    bool any_account = false;
    RETURN_IF_ERROR(m->projection->QueryEvents(first_account, [&any_account](uint64_t) {
      any_account = true;
      return false;
    }));
    if (!any_account) {
      return FailedPreconditionError(fmt::format(
          "{} has no accounts: `vellum init` was interrupted before it created the first administrator. "
          "Remove the directory and run `vellum init` again", dir));
    }
  }
  // A restored ledger, or one whose records.db was rebuilt, says so in its
  // trail before anything else is written there.
  if (m->ledger->open_report().damage.empty()) {
    RETURN_IF_ERROR(
        RecordPendingRestore(env, dir, *m->ledger, *m->projection, *m->secrets, m->clock->NowMicros()));
    RETURN_IF_ERROR(RecordPendingRebuild(env, dir, *m->ledger, *m->projection));
    RETURN_IF_ERROR(RecordRebuildAtOpen(env, dir, *m->ledger, *m->projection));
  }
  m->report = m->ledger->open_report();
  const auto& rec = m->log->recovery();
  // The ledger removed an incomplete last line (only when it found no damage).
  if (m->report.torn_tail_bytes > 0) {
    m->report.torn_tail_location = fmt::format("{}:{}", rec.torn_tail_file, rec.torn_tail_offset);
  }
  return std::unique_ptr<Vellum>(new Vellum(std::move(m)));
}

const std::string& Vellum::dir() const { return impl_->dir; }
const Config& Vellum::config() const { return impl_->config; }
const core::NoteVerifier& Vellum::ledger_key() const { return impl_->verifier; }
ledger::Ledger& Vellum::ledger() { return *impl_->ledger; }
storage::LogStore& Vellum::log() { return *impl_->log; }
uint64_t Vellum::Size() const { return impl_->ledger->Size(); }

const ledger::OpenReport& Vellum::open_report() const { return impl_->report; }

StatusOr<ledger::VerifyReport> Vellum::Verify(const std::vector<std::string>& witness_files,
                                              std::optional<core::NoteVerifier> witness_key, bool check_projection) {
  ledger::VerifyInputs in;
  in.log = impl_->log.get();
  in.projection = impl_->projection.get();
  in.projector = &impl_->projector;
  in.ledger_key = impl_->verifier;
  in.origin = impl_->config.origin;
  in.witness_notes_files = witness_files;
  in.witness_key = std::move(witness_key);
  in.env = impl_->env;
  in.check_projection = check_projection;
  return ledger::Verify(in);
}

}  // namespace vellum::app
