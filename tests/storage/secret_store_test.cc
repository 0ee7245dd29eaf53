// SqliteSecretStore: auth.db, where password hashes, TOTP secrets, API-key
// hashes and session-token hashes live beside (never in) the ledger. Covers
// every method, durability across reopen, the file's 0600 mode (and refusal of
// a readable one), concurrent use from threads and from two connections, and
// that no error message ever carries secret material.
#include "storage/embedded/sqlite_secret_store.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <tuple>
#include <thread>
#include <vector>

#include "core/encoding.h"
#include "core/env.h"
#include "core/sha256.h"
#include "testing/fault_env.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::storage {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using vellum::testing::TempDir;

// Secret material is made of recognisable markers, so a leak into a message
// is found by searching for them (raw, hex and base64).
constexpr char kPasswordHash[] = "$argon2id$v=19$m=19456,t=2,p=1$PWSALTMARKER$PWHASHMARKERxyz";
constexpr char kTotpSecret[] = "TOTPSECRETMARKER\x01\x00\xff!";  // binary, with a NUL
const std::string kTotp(kTotpSecret, sizeof(kTotpSecret) - 1);
constexpr char kKeyHash[] = "APIKEYHASHMARKER-0123456789abcde";    // 32 bytes
constexpr char kTokenHash[] = "SESSIONTOKENHASHMARKER-456789abc";  // 32 bytes
static_assert(sizeof(kKeyHash) - 1 == kTokenHashSize);
static_assert(sizeof(kTokenHash) - 1 == kTokenHashSize);

std::string HashOf(const std::string& s) {
  core::Hash h = core::Sha256(s);
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

int ModeOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

// Runs one SQL statement on the file with SQLite directly (independent of the store).
std::string RawQuery(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_exec(
        db, sql.c_str(),
        [](void* p, int n, char** vals, char**) {
          auto* o = static_cast<std::string*>(p);
          for (int i = 0; i < n; ++i) *o += std::string(vals[i] ? vals[i] : "NULL") + "|";
          *o += "\n";
          return 0;
        },
        &out, nullptr);
  }
  sqlite3_close(db);
  return out;
}

class SecretStoreTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.Sub("auth.db"); }
  std::unique_ptr<SqliteSecretStore> OpenOrDie(bool create = true) {
    auto s = SqliteSecretStore::Open(*core::Env::Default(), path(), create);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  TempDir dir_;
};

// ---- The file -------------------------------------------------------------

TEST_F(SecretStoreTest, CreatesTheFileWithMode0600WhateverTheUmask) {
  // AC-2: the hashes are readable by the service's user only. umask 0 would let
  // SQLite's default 0644 through; 0277 would leave the owner unable to write.
  for (mode_t mask : {mode_t{0}, mode_t{022}, mode_t{0277}}) {
    SCOPED_TRACE(mask);
    std::string p = dir_.Sub("umask-" + std::to_string(mask) + ".db");
    mode_t old = ::umask(mask);
    auto store = SqliteSecretStore::Open(*core::Env::Default(), p, /*create=*/true);
    ::umask(old);
    ASSERT_OK(store.status());
    EXPECT_EQ(ModeOf(p), 0600);
    ASSERT_OK((*store)->SetPasswordHash("alice", kPasswordHash, 1, false));
    // The WAL (and shm) exist while the store is open; SQLite gives them the file's mode.
    for (const char* suffix : {"-wal", "-shm"}) {
      ASSERT_TRUE(core::Env::Default()->Exists(p + suffix)) << suffix;
      EXPECT_EQ(ModeOf(p + suffix), 0600) << suffix;
    }
  }
}

TEST_F(SecretStoreTest, RefusesAFileGroupOrOthersMayRead) {
  {
    auto store = OpenOrDie();
    ASSERT_OK(store->SetPasswordHash("alice", kPasswordHash, 1, false));
  }
  for (int mode : {0644, 0640, 0604, 0660}) {
    ASSERT_EQ(::chmod(path().c_str(), static_cast<mode_t>(mode)), 0);
    auto s = SqliteSecretStore::Open(*core::Env::Default(), path(), /*create=*/true);
    std::string named = fmt::format("{:04o}", mode);
    EXPECT_THAT(s.status(), StatusIs(StatusCode::kPermissionDenied, HasSubstr(named)));
    EXPECT_THAT(s.status().message(), Not(HasSubstr("PWHASHMARKER")));
    EXPECT_EQ(ModeOf(path()), mode) << "the store must not quietly fix the mode and go on";
  }
  ASSERT_EQ(::chmod(path().c_str(), 0600), 0);
  auto store = OpenOrDie(false);
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(auto pw, store->GetPassword("alice"));
  EXPECT_TRUE(pw.has_value());
}

TEST_F(SecretStoreTest, RefusesAReadableWalLeftBeside) {
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
  }
  // A WAL restored from a backup keeps its own mode and holds recent commits.
  testing::WriteFileOrDie(path() + "-wal", "");
  ASSERT_EQ(::chmod((path() + "-wal").c_str(), 0644), 0);
  auto s = SqliteSecretStore::Open(*core::Env::Default(), path(), /*create=*/false);
  EXPECT_THAT(s.status(), StatusIs(StatusCode::kPermissionDenied,
                                   ::testing::AllOf(HasSubstr("auth.db-wal"), HasSubstr("0644"))));
}

TEST_F(SecretStoreTest, OpenWithoutCreateNeedsAnExistingFile) {
  auto s = SqliteSecretStore::Open(*core::Env::Default(), path(), /*create=*/false);
  EXPECT_THAT(s.status(), StatusIs(StatusCode::kNotFound, HasSubstr("auth.db")));
  EXPECT_FALSE(core::Env::Default()->Exists(path()));
}

TEST_F(SecretStoreTest, ANewFileIsDurableOnlyAfterItsDirectoryIsSynced) {
  // The directory entry of a new auth.db is synced before the store is used; if
  // that fails, Open fails rather than building on an entry a power cut may lose.
  testing::FaultInjectionEnv env;
  env.FailNth(testing::FaultOp::kSyncDir, 1, UnavailableError("injected"));
  auto s = SqliteSecretStore::Open(env, path(), /*create=*/true);
  EXPECT_THAT(s.status(), StatusIs(StatusCode::kUnavailable, HasSubstr("injected")));
  ASSERT_OK(SqliteSecretStore::Open(env, path(), /*create=*/true).status());
  EXPECT_EQ(env.OpCount(testing::FaultOp::kSyncDir), 2u);
}

TEST_F(SecretStoreTest, SchemaIsStrictAndVersioned) {
  { ASSERT_NE(OpenOrDie(), nullptr); }
  EXPECT_EQ(RawQuery(path(), "SELECT value FROM meta WHERE key='schema_version'"),
            std::to_string(kAuthDbSchemaVersion) + "|\n");
  // Every table of ours is STRICT: a wrongly typed value fails instead of being stored.
  EXPECT_EQ(RawQuery(path(),
                     "SELECT name, strict FROM pragma_table_list WHERE schema='main' AND "
                     "name NOT LIKE 'sqlite_%' ORDER BY name"),
            "api_keys|1|\nmeta|1|\npassword_history|1|\npasswords|1|\nsessions|1|\ntotp|1|\n");
  EXPECT_EQ(RawQuery(path(), "PRAGMA journal_mode"), "wal|\n");

  RawQuery(path(), "UPDATE meta SET value=99 WHERE key='schema_version'");
  auto s = SqliteSecretStore::Open(*core::Env::Default(), path(), false);
  EXPECT_THAT(s.status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("schema version 99")));
}

// ---- Passwords ------------------------------------------------------------

TEST_F(SecretStoreTest, PasswordSetGetAndMustChange) {
  // AC-2: the hash is stored here and read back byte for byte; forced change on first login.
  auto store = OpenOrDie();
  ASSERT_OK_AND_ASSIGN(auto none, store->GetPassword("alice"));
  EXPECT_FALSE(none.has_value());

  ASSERT_OK(store->SetPasswordHash("alice", kPasswordHash, 1000, /*must_change=*/true));
  ASSERT_OK_AND_ASSIGN(auto pw, store->GetPassword("alice"));
  ASSERT_TRUE(pw.has_value());
  EXPECT_EQ(*pw, (PasswordRecord{kPasswordHash, 1000, true}));

  ASSERT_OK(store->ClearMustChange("alice"));
  ASSERT_OK_AND_ASSIGN(pw, store->GetPassword("alice"));
  EXPECT_EQ(*pw, (PasswordRecord{kPasswordHash, 1000, false}));

  // A user's own change clears the flag; an administrator's reset sets it again.
  ASSERT_OK(store->SetPasswordHash("alice", "$argon2id$second", 2000, false));
  ASSERT_OK_AND_ASSIGN(pw, store->GetPassword("alice"));
  EXPECT_EQ(*pw, (PasswordRecord{"$argon2id$second", 2000, false}));
  ASSERT_OK(store->SetPasswordHash("alice", "$argon2id$reset", 3000, true));
  ASSERT_OK_AND_ASSIGN(pw, store->GetPassword("alice"));
  EXPECT_EQ(*pw, (PasswordRecord{"$argon2id$reset", 3000, true}));

  EXPECT_THAT(store->ClearMustChange("bob"), StatusIs(StatusCode::kNotFound, HasSubstr("bob")));
  EXPECT_THAT(store->SetPasswordHash("", kPasswordHash, 1, false),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("user id")));
  EXPECT_THAT(store->SetPasswordHash("bob", "", 1, false),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("empty")));
  ASSERT_OK_AND_ASSIGN(auto bob, store->GetPassword("bob"));
  EXPECT_FALSE(bob.has_value()) << "a refused set leaves nothing behind";
}

TEST_F(SecretStoreTest, PasswordHistoryIsNewestFirstBoundedAndPerUser) {
  // AC-2 (reuse history): the check looks back n passwords, the current one included.
  auto store = OpenOrDie();
  ASSERT_OK_AND_ASSIGN(auto empty, store->PasswordHistory("alice", 5));
  EXPECT_THAT(empty, IsEmpty());

  // Times go backwards on purpose: order is the order of setting, not the clock's.
  ASSERT_OK(store->SetPasswordHash("alice", "h1", 300, false));
  ASSERT_OK(store->SetPasswordHash("bob", "b1", 100, false));
  ASSERT_OK(store->SetPasswordHash("alice", "h2", 200, false));
  ASSERT_OK(store->SetPasswordHash("alice", "h3", 100, false));
  ASSERT_OK_AND_ASSIGN(auto h, store->PasswordHistory("alice", 5));
  EXPECT_THAT(h, ElementsAre("h3", "h2", "h1"));
  ASSERT_OK_AND_ASSIGN(h, store->PasswordHistory("alice", 2));
  EXPECT_THAT(h, ElementsAre("h3", "h2"));
  ASSERT_OK_AND_ASSIGN(h, store->PasswordHistory("alice", 1));
  EXPECT_THAT(h, ElementsAre("h3"));
  ASSERT_OK_AND_ASSIGN(h, store->PasswordHistory("alice", 0));
  EXPECT_THAT(h, IsEmpty());
  ASSERT_OK_AND_ASSIGN(h, store->PasswordHistory("bob", 5));
  EXPECT_THAT(h, ElementsAre("b1"));

  // Only the newest kMaxPasswordHistory are kept; a huge n is no error.
  for (size_t i = 4; i <= kMaxPasswordHistory + 6; ++i) {
    ASSERT_OK(store->SetPasswordHash("alice", "h" + std::to_string(i), 1000 + i, false));
  }
  ASSERT_OK_AND_ASSIGN(h, store->PasswordHistory("alice", SIZE_MAX));
  ASSERT_EQ(h.size(), kMaxPasswordHistory);
  EXPECT_EQ(h.front(), "h" + std::to_string(kMaxPasswordHistory + 6));
  EXPECT_EQ(h.back(), "h7");
  EXPECT_EQ(RawQuery(path(), "SELECT count(*) FROM password_history WHERE user_id='alice'"),
            std::to_string(kMaxPasswordHistory) + "|\n")
      << "dropped hashes are deleted, not just hidden";
}

// ---- TOTP -----------------------------------------------------------------

TEST_F(SecretStoreTest, TotpSecretRoundTripsAndReplaysAreRejected) {
  // AC-2: optional TOTP second factor; a code is good for one use only (RFC 6238 §5.2).
  auto store = OpenOrDie();
  ASSERT_OK_AND_ASSIGN(auto none, store->GetTotpSecret("alice"));
  EXPECT_FALSE(none.has_value());
  EXPECT_THAT(store->UseTotpStep("alice", 1), StatusIs(StatusCode::kNotFound, HasSubstr("alice")));

  ASSERT_OK(store->SetTotpSecret("alice", kTotp));
  ASSERT_OK_AND_ASSIGN(auto secret, store->GetTotpSecret("alice"));
  ASSERT_TRUE(secret.has_value());
  EXPECT_EQ(*secret, kTotp) << "binary secrets survive, NUL included";

  ASSERT_OK(store->UseTotpStep("alice", 100));
  EXPECT_THAT(store->UseTotpStep("alice", 100), StatusIs(StatusCode::kAlreadyExists, _));
  EXPECT_THAT(store->UseTotpStep("alice", 99), StatusIs(StatusCode::kAlreadyExists, _))
      << "an older code within the verification window is a replay too";
  ASSERT_OK(store->UseTotpStep("alice", 102));
  EXPECT_THAT(store->UseTotpStep("alice", 101), StatusIs(StatusCode::kAlreadyExists, _));
  EXPECT_THAT(store->UseTotpStep("alice", -1), StatusIs(StatusCode::kInvalidArgument, _));

  // A new secret is a new credential: its codes start afresh.
  ASSERT_OK(store->SetTotpSecret("alice", "another secret"));
  ASSERT_OK(store->UseTotpStep("alice", 102));
  ASSERT_OK_AND_ASSIGN(secret, store->GetTotpSecret("alice"));
  EXPECT_EQ(*secret, "another secret");

  ASSERT_OK(store->RemoveTotp("alice"));
  ASSERT_OK_AND_ASSIGN(none, store->GetTotpSecret("alice"));
  EXPECT_FALSE(none.has_value());
  EXPECT_THAT(store->RemoveTotp("alice"), StatusIs(StatusCode::kNotFound, _));
  EXPECT_THAT(store->UseTotpStep("alice", 200), StatusIs(StatusCode::kNotFound, _));
  EXPECT_THAT(store->SetTotpSecret("alice", ""), StatusIs(StatusCode::kInvalidArgument, _));
}

// ---- API keys -------------------------------------------------------------

TEST_F(SecretStoreTest, ApiKeysAreFoundByHashRevokedAndListedWithoutHashes) {
  // DC-1: machines use their own revocable keys; AC-7: tokens stored only as hashes.
  auto store = OpenOrDie();
  const std::string k1 = HashOf("key one"), k2 = HashOf("key two"), k3 = HashOf("key three");
  ASSERT_OK(store->AddApiKey("key-1", "svc-importer", k1, 1000, std::nullopt));
  ASSERT_OK(store->AddApiKey("key-2", "svc-importer", k2, 2000, int64_t{9000}));
  ASSERT_OK(store->AddApiKey("key-3", "svc-model", k3, 1500, std::nullopt));

  ASSERT_OK_AND_ASSIGN(auto found, store->FindApiKey(k2));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, (ApiKeyInfo{"key-2", "svc-importer", 2000, int64_t{9000}, std::nullopt}));
  ASSERT_OK_AND_ASSIGN(found, store->FindApiKey(HashOf("never issued")));
  EXPECT_FALSE(found.has_value());

  // Duplicates of id or hash are refused and change nothing.
  EXPECT_THAT(store->AddApiKey("key-1", "svc-other", HashOf("x"), 1, std::nullopt),
              StatusIs(StatusCode::kAlreadyExists, HasSubstr("key-1")));
  EXPECT_THAT(store->AddApiKey("key-9", "svc-other", k1, 1, std::nullopt),
              StatusIs(StatusCode::kAlreadyExists, HasSubstr("hash")));
  ASSERT_OK_AND_ASSIGN(found, store->FindApiKey(k1));
  EXPECT_EQ(found->key_id, "key-1");
  EXPECT_EQ(found->user_id, "svc-importer");

  ASSERT_OK(store->RevokeApiKey("key-1", 5000));
  EXPECT_THAT(store->RevokeApiKey("key-1", 6000),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("already revoked")));
  EXPECT_THAT(store->RevokeApiKey("key-404", 6000), StatusIs(StatusCode::kNotFound, _));
  ASSERT_OK_AND_ASSIGN(found, store->FindApiKey(k1));
  ASSERT_TRUE(found.has_value()) << "a revoked key is still found, so the caller can say why";
  EXPECT_EQ(found->revoked_us, int64_t{5000}) << "the first revocation time stays";

  ASSERT_OK_AND_ASSIGN(auto list, store->ListApiKeys("svc-importer"));
  EXPECT_THAT(list,
              ElementsAre(ApiKeyInfo{"key-1", "svc-importer", 1000, std::nullopt, int64_t{5000}},
                          ApiKeyInfo{"key-2", "svc-importer", 2000, int64_t{9000}, std::nullopt}));
  ASSERT_OK_AND_ASSIGN(list, store->ListApiKeys("nobody"));
  EXPECT_THAT(list, IsEmpty());

  EXPECT_THAT(store->AddApiKey("key-5", "svc", "short", 1, std::nullopt),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("32 bytes, got 5")));
  EXPECT_THAT(store->AddApiKey("", "svc", HashOf("y"), 1, std::nullopt),
              StatusIs(StatusCode::kInvalidArgument, _));
  EXPECT_THAT(store->FindApiKey(std::string(33, 'a')).status(),
              StatusIs(StatusCode::kInvalidArgument, _));
}

// ---- Sessions -------------------------------------------------------------

TEST_F(SecretStoreTest, SessionLifecycle) {
  // AC-7: sessions are found by the hash of their token; activity, re-authentication
  // (ES-3) and the end are recorded; an ended session cannot be revived.
  auto store = OpenOrDie();
  const std::string t1 = HashOf("token one"), t2 = HashOf("token two");
  ASSERT_OK(store->CreateSession("s-1", t1, "alice", 1000, "ws-12 vellum/0.1", true));
  ASSERT_OK_AND_ASSIGN(auto s, store->FindSession(t1));
  ASSERT_TRUE(s.has_value());
  SessionInfo want{"s-1", "alice", 1000, 1000, std::nullopt, "", "ws-12 vellum/0.1", true};
  EXPECT_EQ(*s, want);

  ASSERT_OK(store->TouchSession("s-1", 2000));
  ASSERT_OK(store->TouchSession("s-1", 1500));  // a late caller does not move it back
  ASSERT_OK_AND_ASSIGN(s, store->FindSession(t1));
  EXPECT_EQ(s->last_seen_us, 2000);

  ASSERT_OK(store->MarkReauthenticated("s-1", 3000));
  ASSERT_OK_AND_ASSIGN(s, store->FindSession(t1));
  EXPECT_EQ(s->last_reauth_us, int64_t{3000});
  EXPECT_EQ(s->last_seen_us, 3000) << "re-authenticating is activity";

  ASSERT_OK(store->CreateSession("s-2", t2, "alice", 4000, "ws-13", false));
  EXPECT_THAT(store->CreateSession("s-2", HashOf("other"), "bob", 1, "c", false),
              StatusIs(StatusCode::kAlreadyExists, HasSubstr("s-2")));
  EXPECT_THAT(store->CreateSession("s-3", t1, "bob", 1, "c", false),
              StatusIs(StatusCode::kAlreadyExists, HasSubstr("token hash")));

  ASSERT_OK(store->EndSession("s-1", 5000, "logout"));
  ASSERT_OK_AND_ASSIGN(s, store->FindSession(t1));
  ASSERT_TRUE(s.has_value()) << "an ended session is still found, so the caller can say why";
  EXPECT_EQ(s->ended_us, int64_t{5000});
  EXPECT_EQ(s->end_reason, "logout");
  for (Status st : {store->TouchSession("s-1", 6000), store->MarkReauthenticated("s-1", 6000),
                    store->EndSession("s-1", 6000, "idle_timeout")}) {
    EXPECT_THAT(st, StatusIs(StatusCode::kFailedPrecondition, HasSubstr("s-1 has ended")));
  }
  ASSERT_OK_AND_ASSIGN(s, store->FindSession(t1));
  EXPECT_EQ(s->ended_us, int64_t{5000});
  EXPECT_EQ(s->end_reason, "logout");
  EXPECT_EQ(s->last_seen_us, 3000);

  for (Status st : {store->TouchSession("s-404", 1), store->MarkReauthenticated("s-404", 1),
                    store->EndSession("s-404", 1, "logout")}) {
    EXPECT_THAT(st, StatusIs(StatusCode::kNotFound, HasSubstr("s-404")));
  }
  EXPECT_THAT(store->EndSession("s-2", 1, ""), StatusIs(StatusCode::kInvalidArgument, _));
  ASSERT_OK_AND_ASSIGN(auto none, store->FindSession(HashOf("unknown")));
  EXPECT_FALSE(none.has_value());

  ASSERT_OK_AND_ASSIGN(auto list, store->ListSessions("alice"));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].session_id, "s-1");
  EXPECT_TRUE(list[0].ended_us.has_value());
  EXPECT_EQ(list[1], (SessionInfo{"s-2", "alice", 4000, 4000, std::nullopt, "", "ws-13", false,
                                  std::nullopt}));
  ASSERT_OK_AND_ASSIGN(list, store->ListSessions("bob"));
  EXPECT_THAT(list, IsEmpty());
  EXPECT_THAT(store->CreateSession("s-5", "short", "alice", 1, "c", false),
              StatusIs(StatusCode::kInvalidArgument, _));
}

TEST_F(SecretStoreTest, EndOpenSessionsEndsOnlyTheOpenOnes) {
  // SR-2: a restored copy ends every session its auth.db held open; ended ones keep their end.
  auto store = OpenOrDie();
  ASSERT_OK(store->CreateSession("s-1", HashOf("one"), "alice", 1000, "ws-1", false));
  ASSERT_OK(store->CreateSession("s-2", HashOf("two"), "bob", 1100, "ws-2", false));
  ASSERT_OK(store->CreateSession("s-3", HashOf("three"), "alice", 1200, "ws-1", false));
  ASSERT_OK(store->EndSession("s-2", 1500, "logout"));
  EXPECT_THAT(store->EndOpenSessions(2000, ""), StatusIs(StatusCode::kInvalidArgument, _));
  ASSERT_OK_AND_ASSIGN(uint64_t ended, store->EndOpenSessions(2000, "restored"));
  EXPECT_EQ(ended, 2u);
  for (const auto& [token, at, reason] : {std::tuple{"one", 2000, "restored"}, std::tuple{"two", 1500, "logout"},
                                          std::tuple{"three", 2000, "restored"}}) {
    ASSERT_OK_AND_ASSIGN(auto s, store->FindSession(HashOf(token)));
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->ended_us, int64_t{at}) << token;
    EXPECT_EQ(s->end_reason, reason) << token;
  }
  ASSERT_OK_AND_ASSIGN(ended, store->EndOpenSessions(3000, "restored"));
  EXPECT_EQ(ended, 0u);
}

// ---- Durability -----------------------------------------------------------

TEST_F(SecretStoreTest, EverythingSurvivesAReopen) {
  {
    auto store = OpenOrDie();
    ASSERT_OK(store->SetPasswordHash("alice", "old", 1, false));
    ASSERT_OK(store->SetPasswordHash("alice", kPasswordHash, 2, true));
    ASSERT_OK(store->SetTotpSecret("alice", kTotp));
    ASSERT_OK(store->UseTotpStep("alice", 500));
    ASSERT_OK(store->AddApiKey("key-1", "svc", kKeyHash, 10, int64_t{20}));
    ASSERT_OK(store->RevokeApiKey("key-1", 15));
    ASSERT_OK(store->CreateSession("s-1", kTokenHash, "alice", 100, "ws", true));
    ASSERT_OK(store->TouchSession("s-1", 150));
    ASSERT_OK(store->MarkReauthenticated("s-1", 160));
    ASSERT_OK(store->EndSession("s-1", 170, "logout"));
  }
  auto store = OpenOrDie(/*create=*/false);
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(auto pw, store->GetPassword("alice"));
  EXPECT_EQ(*pw, (PasswordRecord{kPasswordHash, 2, true}));
  ASSERT_OK_AND_ASSIGN(auto hist, store->PasswordHistory("alice", 10));
  EXPECT_THAT(hist, ElementsAre(kPasswordHash, "old"));
  ASSERT_OK_AND_ASSIGN(auto totp, store->GetTotpSecret("alice"));
  EXPECT_EQ(*totp, kTotp);
  EXPECT_THAT(store->UseTotpStep("alice", 500), StatusIs(StatusCode::kAlreadyExists, _))
      << "a restart must not reopen a used step to replay";
  ASSERT_OK_AND_ASSIGN(auto key, store->FindApiKey(kKeyHash));
  EXPECT_EQ(*key, (ApiKeyInfo{"key-1", "svc", 10, int64_t{20}, int64_t{15}}));
  ASSERT_OK_AND_ASSIGN(auto s, store->FindSession(kTokenHash));
  EXPECT_EQ(*s, (SessionInfo{"s-1", "alice", 100, 160, int64_t{170}, "logout", "ws", true,
                             int64_t{160}}));
}

TEST_F(SecretStoreTest, ACommitIsVisibleToAnotherConnectionAtOnce) {
  // Every mutation is committed when it returns (no batching in memory): a second
  // process (here, a second connection) sees it immediately.
  auto a = OpenOrDie();
  auto b = OpenOrDie(false);
  ASSERT_OK(a->SetPasswordHash("alice", kPasswordHash, 1, false));
  ASSERT_OK_AND_ASSIGN(auto pw, b->GetPassword("alice"));
  ASSERT_TRUE(pw.has_value());
  ASSERT_OK(a->CreateSession("s-1", kTokenHash, "alice", 1, "ws", false));
  ASSERT_OK(b->EndSession("s-1", 2, "revoked"));
  EXPECT_THAT(a->TouchSession("s-1", 3), StatusIs(StatusCode::kFailedPrecondition, _));
}

// ---- Concurrency ----------------------------------------------------------

TEST_F(SecretStoreTest, ConcurrentUseFromThreadsAndConnections) {
  // Threads share one store; a second store on the same file stands in for a second
  // process. Each thread works on its own user, and all race for the same TOTP steps
  // of one shared user: each step must be accepted exactly once (AC-2, no replay).
  auto a = OpenOrDie();
  auto b = OpenOrDie(false);
  ASSERT_OK(a->SetTotpSecret("shared", kTotp));
  constexpr int kThreads = 4;
  constexpr int kSteps = 15;
  std::atomic<int> accepted{0}, rejected{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SqliteSecretStore& store = (t % 2 == 0) ? *a : *b;
      const std::string user = "user-" + std::to_string(t);
      for (int i = 0; i < kSteps; ++i) {
        const std::string sid = user + "-s" + std::to_string(i);
        if (!store.SetPasswordHash(user, "h" + std::to_string(i), i, false).ok()) ++failed;
        if (!store.CreateSession(sid, HashOf(sid), user, i, "ws", false).ok()) ++failed;
        if (!store.TouchSession(sid, i + 1).ok()) ++failed;
        Status st = store.UseTotpStep("shared", i);
        ++(st.ok() ? accepted : st.code() == StatusCode::kAlreadyExists ? rejected : failed);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  // Steps rise within each thread, so a thread may also lose a step to a later one
  // already used by another: at most kSteps accepted, at least one, none twice.
  EXPECT_GE(accepted.load(), 1);
  EXPECT_LE(accepted.load(), kSteps);
  EXPECT_EQ(accepted.load() + rejected.load(), kThreads * kSteps);
  EXPECT_THAT(a->UseTotpStep("shared", kSteps - 1), StatusIs(StatusCode::kAlreadyExists, _));

  for (int t = 0; t < kThreads; ++t) {
    const std::string user = "user-" + std::to_string(t);
    ASSERT_OK_AND_ASSIGN(auto hist, b->PasswordHistory(user, kSteps));
    ASSERT_EQ(hist.size(), static_cast<size_t>(kSteps));
    EXPECT_EQ(hist.front(), "h" + std::to_string(kSteps - 1));
    EXPECT_EQ(hist.back(), "h0");
    ASSERT_OK_AND_ASSIGN(auto sessions, a->ListSessions(user));
    ASSERT_EQ(sessions.size(), static_cast<size_t>(kSteps));
    for (const SessionInfo& s : sessions) EXPECT_EQ(s.last_seen_us, s.created_us + 1);
  }
}

TEST_F(SecretStoreTest, EachTotpStepIsAcceptedOnceUnderContention) {
  // Several threads on two connections present the same code at once: one wins.
  auto a = OpenOrDie();
  auto b = OpenOrDie(false);
  ASSERT_OK(a->SetTotpSecret("alice", kTotp));
  for (int64_t step = 1; step <= 5; ++step) {
    std::atomic<int> ok{0}, replay{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        Status s = ((t % 2 == 0) ? *a : *b).UseTotpStep("alice", step);
        if (s.ok()) ++ok;
        if (s.code() == StatusCode::kAlreadyExists) ++replay;
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(ok.load(), 1) << "step " << step;
    EXPECT_EQ(replay.load(), 3) << "step " << step;
  }
}

// ---- Secrets never in errors ----------------------------------------------

// True if `text` contains any marker (or a hex/base64 rendering of a whole secret).
bool LeaksSecret(const std::string& text) {
  const std::vector<std::string> secrets = {
      kPasswordHash, kTotp, kKeyHash, kTokenHash, std::string(kKeyHash, 31),
      std::string(kTokenHash, 31)};
  for (const char* marker : {"PWSALTMARKER", "PWHASHMARKER", "TOTPSECRETMARKER", "APIKEYHASHMARKER",
                             "SESSIONTOKENHASHMARKER"}) {
    if (text.find(marker) != std::string::npos) return true;
  }
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  for (const std::string& s : secrets) {
    if (lower.find(core::HexEncode(s)) != std::string::npos) return true;
    if (text.find(core::Base64Encode(s)) != std::string::npos) return true;
  }
  return false;
}

TEST_F(SecretStoreTest, NoErrorMessageContainsSecretMaterial) {
  // AC-2, AC-7: hashes, secrets and tokens never reach error messages (which end up
  // in logs, CLI output and HTTP problem details). Every error the store can be
  // made to return with the secrets in play is collected and searched.
  std::vector<Status> errors;
  auto collect = [&](const Status& s) {
    EXPECT_FALSE(s.ok());
    errors.push_back(s);
  };
  {
    auto store = OpenOrDie();
    ASSERT_OK(store->SetPasswordHash("alice", kPasswordHash, 1, true));
    ASSERT_OK(store->SetTotpSecret("alice", kTotp));
    ASSERT_OK(store->UseTotpStep("alice", 7));
    ASSERT_OK(store->AddApiKey("key-1", "svc", kKeyHash, 1, std::nullopt));
    ASSERT_OK(store->CreateSession("s-1", kTokenHash, "alice", 1, "ws", false));

    collect(store->SetPasswordHash("", kPasswordHash, 1, false));
    collect(store->SetTotpSecret("", kTotp));
    collect(store->UseTotpStep("alice", 7));
    collect(store->UseTotpStep("nobody", 7));
    collect(store->AddApiKey("key-1", "svc", HashOf("other"), 1, std::nullopt));
    collect(store->AddApiKey("key-2", "svc", kKeyHash, 1, std::nullopt));
    collect(store->AddApiKey("key-3", "svc", std::string(kKeyHash, 31), 1, std::nullopt));
    collect(store->AddApiKey("", "svc", kKeyHash, 1, std::nullopt));
    collect(store->FindApiKey(std::string(kKeyHash, 31)).status());
    collect(store->FindApiKey(std::string(kKeyHash) + "!").status());
    collect(store->CreateSession("s-1", HashOf("other"), "alice", 1, "ws", false));
    collect(store->CreateSession("s-2", kTokenHash, "alice", 1, "ws", false));
    collect(store->CreateSession("s-3", std::string(kTokenHash, 31), "alice", 1, "ws", false));
    collect(store->FindSession(std::string(kTokenHash, 31)).status());
    collect(store->EndSession("s-1", 2, ""));
    ASSERT_OK(store->EndSession("s-1", 2, "logout"));
    collect(store->TouchSession("s-1", 3));
    collect(store->MarkReauthenticated("s-1", 3));
    collect(store->RevokeApiKey("key-404", 3));
    collect(store->ClearMustChange("nobody"));
  }
  // The file itself, made readable: refused by its mode before anything is read.
  ASSERT_EQ(::chmod(path().c_str(), 0644), 0);
  collect(SqliteSecretStore::Open(*core::Env::Default(), path(), false).status());
  ASSERT_EQ(::chmod(path().c_str(), 0600), 0);

  // A file that is not a database but full of secret bytes.
  const std::string garbage_path = dir_.Sub("garbage.db");
  std::string garbage;
  for (int i = 0; i < 200; ++i) {
    garbage += std::string(kPasswordHash) + kTotp + kKeyHash + kTokenHash;
  }
  testing::WriteFileOrDie(garbage_path, garbage);
  ASSERT_EQ(::chmod(garbage_path.c_str(), 0600), 0);
  collect(SqliteSecretStore::Open(*core::Env::Default(), garbage_path, false).status());

  // The real file, cut short: SQLite reports corruption on open or on a read.
  const std::string data = testing::ReadFileOrDie(path());
  ASSERT_GT(data.size(), 4096u * 3);
  const std::string cut_path = dir_.Sub("cut.db");
  testing::WriteFileOrDie(cut_path, data.substr(0, data.size() / 2));
  ASSERT_EQ(::chmod(cut_path.c_str(), 0600), 0);
  auto cut = SqliteSecretStore::Open(*core::Env::Default(), cut_path, false);
  if (!cut.ok()) {
    collect(cut.status());
  } else {
    // Some reads may still succeed, depending on which pages were cut; keep the errors.
    auto keep = [&](const Status& s) {
      if (!s.ok()) errors.push_back(s);
    };
    keep((*cut)->GetPassword("alice").status());
    keep((*cut)->PasswordHistory("alice", 10).status());
    keep((*cut)->GetTotpSecret("alice").status());
    keep((*cut)->FindApiKey(kKeyHash).status());
    keep((*cut)->FindSession(kTokenHash).status());
    keep((*cut)->ListSessions("alice").status());
    keep((*cut)->SetPasswordHash("alice", kPasswordHash, 9, false));
  }

  // The store's file is large enough that a corrupted page is met (the assertion
  // above), and at least the errors provoked on purpose were collected.
  ASSERT_GE(errors.size(), 22u);
  for (const Status& s : errors) {
    EXPECT_FALSE(LeaksSecret(s.ToString())) << s.ToString();
  }
  // Sanity check of the search itself: it does find a leak.
  EXPECT_TRUE(LeaksSecret(std::string("oops ") + core::HexEncode(kKeyHash)));
  EXPECT_TRUE(LeaksSecret(std::string("oops ") + kPasswordHash));
}

}  // namespace
}  // namespace vellum::storage
