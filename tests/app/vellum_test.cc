// Vellum, the application service: data-directory lifecycle, key protection,
// and the record commands end to end through the ledger (RV-1, AT-2, AT-3).
#include "app/vellum.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <boost/json.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/env.h"
#include "core/json.h"
#include "core/sha256.h"
#include "identity/accounts.h"
#include "ledger/event.h"
#include "ledger/merkle.h"
#include "storage/embedded/sqlite_db.h"
#include "testing/fault_env.h"
#include "testing/identity_fixture.h"
#include "testing/json_testing.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::app {
namespace {

namespace json = boost::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using vellum::testing::JsonObject;
using vellum::testing::Person;
using vellum::testing::ReadFileOrDie;
using vellum::testing::WriteFileOrDie;
using vellum::testing::TempDir;

// Alice leads the annotation project: her role may create, modify, delete and
// read records and read the audit trail (docs/permissions.md). She signs in
// from workstation 10.0.0.4.
const Person kAlice{"u-alice", "Dr. Alice Example", {identity::Role::kProjectManager}};
constexpr char kAliceClient[] = "10.0.0.4";
// What init writes: the genesis event, the security policy, the first administrator.
constexpr uint64_t kInitEvents = 3;

records::CreateRecord Create(std::string id, std::string_view content) {
  return {"annotation", std::move(id), JsonObject(content), std::nullopt, std::nullopt};
}
records::ModifyRecord Modify(std::string id, std::string_view content,
                             std::string reason = "re-read",
                             std::optional<uint64_t> expected = std::nullopt) {
  return {"annotation",      std::move(id), JsonObject(content),
          std::move(reason), expected,      std::nullopt};
}
records::DeleteRecord Delete(std::string id, std::string reason = "entered in error") {
  return {"annotation", std::move(id), std::move(reason), std::nullopt};
}

class VellumTest : public ::testing::Test {
 protected:
  std::string Dir() const { return tmp_.Sub("data"); }
  StatusOr<std::unique_ptr<Vellum>> Init() {
    InitOptions init;
    init.origin = "test.example/ledger";
    return vellum::testing::InitWithAdmin(Dir(), init, Fast());
  }
  // Init, then the administrator adds Alice, who signs in (alice_).
  StatusOr<std::unique_ptr<Vellum>> InitWithAlice() {
    ASSIGN_OR_RETURN(auto v, Init());
    ASSIGN_OR_RETURN(admin_, vellum::testing::SignInAdmin(*v));
    ASSIGN_OR_RETURN(alice_, vellum::testing::AddPerson(*v, admin_, kAlice, kAliceClient));
    return v;
  }
  StatusOr<std::unique_ptr<Vellum>> Open() { return Vellum::Open(Dir(), Fast()); }
  static OpenOptions Fast() {
    OpenOptions o;
    o.lock_wait_ms = 0;  // a held lock fails at once instead of waiting
    return o;
  }

  TempDir tmp_;
  Principal admin_;
  Principal alice_;
};

TEST_F(VellumTest, InitCreatesTheDataDirectory) {
  ASSERT_OK_AND_ASSIGN(auto v, Init());
  EXPECT_EQ(v->dir(), Dir());
  EXPECT_EQ(v->config().origin, "test.example/ledger");
  EXPECT_EQ(v->ledger_key().name, "test.example/ledger");
  // The genesis event, the security policy in force, the first administrator (AC-1).
  EXPECT_EQ(v->Size(), kInitEvents);
  core::Env* env = core::Env::Default();
  for (const std::string& p : {ConfigPath(Dir()), PrivateKeyPath(Dir()), PublicKeyPath(Dir()),
                               LedgerDir(Dir()), RecordsDbPath(Dir()), AuthDbPath(Dir())}) {
    EXPECT_TRUE(env->Exists(p)) << p;
  }
  ASSERT_OK_AND_ASSIGN(int key_mode, env->GetMode(PrivateKeyPath(Dir())));
  EXPECT_EQ(key_mode, 0600);
  ASSERT_OK_AND_ASSIGN(int auth_mode, env->GetMode(AuthDbPath(Dir())));
  EXPECT_EQ(auth_mode, 0600) << "auth.db holds the password hashes";
  ASSERT_OK_AND_ASSIGN(std::string genesis, v->ledger().ReadEvent(0));
  ASSERT_OK_AND_ASSIGN(ledger::Event g, ledger::DecodeEvent(genesis));
  EXPECT_EQ(g.type, "ledger.genesis");
  EXPECT_FALSE(g.prev.has_value());
  // The genesis event records the public key and the clock (AT-6).
  EXPECT_EQ(g.data.at("public_key").as_string(), core::FormatVerifierKey(v->ledger_key()));
  EXPECT_TRUE(g.data.contains("clock"));
  // Then the policy and the administrator, both by the system.
  ASSERT_OK_AND_ASSIGN(std::string policy_line, v->ledger().ReadEvent(1));
  ASSERT_OK_AND_ASSIGN(ledger::Event policy, ledger::DecodeEvent(policy_line));
  EXPECT_EQ(policy.type, identity::kPolicyChanged);
  EXPECT_EQ(policy.actor.id, "system");
  ASSERT_OK_AND_ASSIGN(std::string admin_line, v->ledger().ReadEvent(2));
  ASSERT_OK_AND_ASSIGN(ledger::Event admin, ledger::DecodeEvent(admin_line));
  EXPECT_EQ(admin.type, identity::kUserCreated);
  EXPECT_EQ(admin.actor.id, "system");
  ASSERT_TRUE(admin.record.has_value());
  EXPECT_EQ(admin.record->id, vellum::testing::kAdminId);
  // The password is in no event, only its hash in auth.db.
  EXPECT_THAT(admin_line, Not(HasSubstr(vellum::testing::TestPassword(vellum::testing::kAdminId))));
  // A first checkpoint exists.
  ASSERT_OK_AND_ASSIGN(auto cp, v->log().LatestCheckpoint());
  ASSERT_TRUE(cp.has_value());
  EXPECT_EQ(cp->size, 1u);
}

TEST_F(VellumTest, InitWithoutOriginPicksARandomOne) {
  ASSERT_OK_AND_ASSIGN(auto v, vellum::testing::InitWithAdmin(Dir(), InitOptions{}, Fast()));
  EXPECT_THAT(v->config().origin, ::testing::StartsWith("vellum/"));
  EXPECT_GT(v->config().origin.size(), std::string("vellum/").size());
}

// AT-5: the origin names every checkpoint and the signing key.
TEST_F(VellumTest, InitRejectsOriginsThatCannotNameAKey) {
  int n = 0;
  // One rule for every place an origin goes (key name, checkpoints, vellum.toml, backup
  // manifests), checked before anything is created: nothing is left behind.
  for (const std::string& origin : std::vector<std::string>{"a+b", "a b", "a\nb", "a\tb", "a\x1b" "b", "a\x7f",
                                                             "caf\xc3\xa9", "\xff", std::string(256, 'o')}) {
    InitOptions init;
    init.origin = origin;
    const std::string dir = tmp_.Sub("d" + std::to_string(++n));
    EXPECT_THAT(vellum::testing::InitWithAdmin(dir, init, Fast()),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("origin")));
    EXPECT_FALSE(std::filesystem::exists(dir + "/keys")) << dir;
    EXPECT_FALSE(std::filesystem::exists(dir + "/vellum.toml")) << dir;
  }
}

// AT-5: a witness path that could never receive a checkpoint (empty, a directory) is
// refused before anything is created, not written into vellum.toml.
TEST_F(VellumTest, InitRejectsWitnessPathsThatCannotTakeACheckpoint) {
  int n = 0;
  for (const std::string& witness : {std::string(), tmp_.path()}) {
    InitOptions init;
    init.config.witness_files = {witness};
    const std::string dir = tmp_.Sub("w" + std::to_string(++n));
    EXPECT_THAT(vellum::testing::InitWithAdmin(dir, init, Fast()),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("witness file")));
    EXPECT_FALSE(std::filesystem::exists(dir + "/vellum.toml")) << dir;
  }
}

TEST_F(VellumTest, InitTwiceIsAlreadyExists) {
  {
    ASSERT_OK_AND_ASSIGN(auto v, Init());
    // While open, too.
    EXPECT_THAT(Init(), StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  }
  EXPECT_THAT(Init(), StatusIs(StatusCode::kAlreadyExists, HasSubstr("already holds")));
  // The existing ledger is untouched.
  ASSERT_OK_AND_ASSIGN(auto v, Open());
  EXPECT_EQ(v->Size(), kInitEvents);
}

// AC-1: an init cut short at any write (a full disk, a power cut) never leaves a
// ledger that opens without an administrator who can sign in. For every append
// init makes, fail that one and all after it: opening afterwards either refuses,
// naming the interrupted init, or finds the administrator able to sign in.
TEST_F(VellumTest, InitCutShortAtAnyWriteNeverOpensWithoutAnAdministrator) {
  uint64_t appends = 0;
  {
    vellum::testing::FaultInjectionEnv counting;
    OpenOptions o = Fast();
    o.env = &counting;
    InitOptions init;
    ASSERT_OK(vellum::testing::InitWithAdmin(tmp_.Sub("counted"), init, o).status());
    appends = counting.OpCount(vellum::testing::FaultOp::kAppend);
  }
  ASSERT_GT(appends, 2u);
  for (uint64_t n = 1; n <= appends; ++n) {
    SCOPED_TRACE(::testing::Message() << "appends fail from the " << n << "th on");
    const std::string dir = tmp_.Sub("cut-" + std::to_string(n));
    {
      vellum::testing::FaultInjectionEnv faulty;
      faulty.FailFromNth(vellum::testing::FaultOp::kAppend, n, UnavailableError("no space left on device"));
      OpenOptions o = Fast();
      o.env = &faulty;
      auto v = vellum::testing::InitWithAdmin(dir, InitOptions{}, o);
      EXPECT_FALSE(v.ok() && n < appends) << "init reported success although a write failed";
    }
    auto reopened = Vellum::Open(dir, Fast());
    if (reopened.ok()) {
      ASSERT_OK(vellum::testing::SignInAdmin(**reopened).status());
    } else {
      EXPECT_THAT(reopened.status().message(), HasSubstr("vellum init"));
    }
  }
}

TEST_F(VellumTest, OpenMissingIsNotFound) {
  EXPECT_THAT(Open(), StatusIs(StatusCode::kNotFound, HasSubstr("vellum init")));
  EXPECT_FALSE(core::Env::Default()->Exists(Dir())) << "opening must not create anything";
}

// AT-5, SR-2: two inits of one directory at the same moment (a provisioning run
// retried). The second passes the first look for a ledger while the first holds the
// lock, waits, and must then find the first one's ledger: it refuses, and the first
// one's signing key — the only copy of it — is untouched.
TEST_F(VellumTest, ConcurrentInitNeverReplacesTheFirstKey) {
  core::Env* env = core::Env::Default();
  ASSERT_OK(env->CreateDirs(Dir()));
  ASSERT_OK_AND_ASSIGN(auto first_holds, env->Lock(LockPath(Dir()), /*exclusive=*/true, 0));
  StatusOr<std::unique_ptr<Vellum>> second = InternalError("not run");
  std::thread late([&] {
    InitOptions init;
    init.origin = "test.example/ledger";
    OpenOptions waits;
    waits.lock_wait_ms = 20000;
    second = vellum::testing::InitWithAdmin(Dir(), init, waits);
  });
  // Meanwhile the first init writes its key, configuration and ledger, and finishes.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_OK(env->CreateDirs(Dir() + "/keys", 0700));
  ASSERT_OK(env->WriteFileAtomic(PrivateKeyPath(Dir()), "the first init's key\n", 0600));
  ASSERT_OK(env->WriteFileAtomic(ConfigPath(Dir()), "origin = \"test.example/first\"\n", 0644));
  ASSERT_OK(env->CreateDirs(LedgerDir(Dir())));
  first_holds.reset();
  late.join();
  EXPECT_THAT(second, StatusIs(StatusCode::kAlreadyExists, HasSubstr("already holds a Vellum ledger")));
  EXPECT_EQ(vellum::testing::ReadFileOrDie(PrivateKeyPath(Dir())), "the first init's key\n");
  EXPECT_EQ(vellum::testing::ReadFileOrDie(ConfigPath(Dir())), "origin = \"test.example/first\"\n");
  EXPECT_FALSE(env->Exists(PublicKeyPath(Dir())));
}

TEST_F(VellumTest, SecondOpenOfTheSameDirectoryIsRefused) {
  ASSERT_OK_AND_ASSIGN(auto v, Init());
  EXPECT_THAT(Open(), StatusIs(StatusCode::kUnavailable, ::testing::_));
  v.reset();
  ASSERT_OK(Open());
}

// An operator looking at a busy process (top -H, ps -L, perf) sees which part
// of the ledger each thread is.
TEST_F(VellumTest, TheLedgerThreadsAreNamed) {
  auto thread_names = [] {
    std::vector<std::string> names;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      names.push_back(ReadFileOrDie(task.path() / "comm"));
    }
    return names;
  };
  const std::vector<std::string> ledger_threads = {"vellum-sequence\n", "vellum-project\n", "vellum-append\n"};
  ASSERT_OK_AND_ASSIGN(auto v, Init());
  const std::vector<std::string> open = thread_names();
  for (const auto& name : ledger_threads) EXPECT_THAT(open, ::testing::Contains(name));
  v.reset();
  const std::vector<std::string> closed = thread_names();
  for (const auto& name : ledger_threads) {
    EXPECT_THAT(closed, Not(::testing::Contains(name))) << "closing stops every thread";
  }
}

// The secret part of "PRIVATE+KEY+<name>+<id>+<base64>": after the fourth '+'
// (base64 itself may contain '+', so the last '+' is not the separator).
std::string SecretPart(const std::string& key_text) {
  size_t pos = 0;
  for (int i = 0; i < 4 && pos != std::string::npos; ++i) pos = key_text.find('+', pos) + 1;
  return key_text.substr(pos);
}

TEST_F(VellumTest, ReadableKeyFileIsRefusedWithoutShowingTheKey) {
  { ASSERT_OK(Init()); }
  const std::string key_text = ReadFileOrDie(PrivateKeyPath(Dir()));
  const std::string secret = SecretPart(key_text).substr(0, 20);
  ASSERT_GE(secret.size(), 20u);
  for (int mode : {0644, 0640, 0604, 0660}) {
    ASSERT_OK(core::Env::Default()->Chmod(PrivateKeyPath(Dir()), mode));
    auto v = Open();
    EXPECT_THAT(v, StatusIs(StatusCode::kPermissionDenied, HasSubstr("0600")));
    EXPECT_THAT(v.status().message(), Not(HasSubstr(secret)));
    EXPECT_THAT(v.status().message(), Not(HasSubstr("PRIVATE+KEY")));
  }
  ASSERT_OK(core::Env::Default()->Chmod(PrivateKeyPath(Dir()), 0600));
  ASSERT_OK(Open());
}

TEST_F(VellumTest, DamagedKeyFileIsRefusedWithoutShowingTheKey) {
  { ASSERT_OK(Init()); }
  std::string key_text = ReadFileOrDie(PrivateKeyPath(Dir()));
  std::string damaged = key_text;
  damaged[damaged.size() / 2] = damaged[damaged.size() / 2] == 'A' ? 'B' : 'A';
  ASSERT_OK(core::Env::Default()->WriteFileAtomic(PrivateKeyPath(Dir()), damaged, 0600));
  auto v = Open();
  EXPECT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), Not(HasSubstr(SecretPart(damaged).substr(0, 16))));
  EXPECT_THAT(v.status().message(), Not(HasSubstr(SecretPart(key_text).substr(0, 16))));
}

TEST_F(VellumTest, CreateModifyDeleteGetHistory) {
  ASSERT_OK_AND_ASSIGN(auto v, InitWithAlice());
  const uint64_t start = v->Size();  // after init and Alice's sign-in
  ASSERT_OK_AND_ASSIGN(ledger::Event c,
                       v->CreateRecord(alice_, Create("a-1", R"({"label":"nodule","size":3})")));
  EXPECT_EQ(c.seq, start);
  EXPECT_EQ(c.type, records::kCreated);
  EXPECT_EQ(c.record->version, 1u);
  // The server fills the envelope (AT-2): who, from where, when, in which
  // session (AC-7), chained to the previous event. The principal comes from
  // the sign-in, never from the caller's say-so.
  EXPECT_EQ(c.actor.id, "u-alice");
  EXPECT_EQ(c.actor.name, "Dr. Alice Example");
  EXPECT_EQ(c.actor.client, "10.0.0.4");
  EXPECT_EQ(c.actor.session, alice_.session_id);
  EXPECT_THAT(alice_.session_id, ::testing::StartsWith("s-"));
  EXPECT_EQ(c.id.size(), 32u);
  ASSERT_OK_AND_ASSIGN(std::string previous, v->ReadEvent(alice_, start - 1));
  EXPECT_EQ(c.prev, ledger::LeafHash(previous));

  ASSERT_OK_AND_ASSIGN(ledger::Event m,
                       v->ModifyRecord(alice_, Modify("a-1", R"({"label":"mass","size":3})")));
  EXPECT_EQ(m.record->version, 2u);
  EXPECT_EQ(m.reason, "re-read");
  EXPECT_GE(m.ts, c.ts);

  ASSERT_OK_AND_ASSIGN(auto latest, v->GetRecord(alice_, "annotation", "a-1"));
  EXPECT_EQ(latest.row.version, 2u);
  EXPECT_EQ(latest.row.content, R"({"label":"mass","size":3})");
  EXPECT_EQ(latest.event.seq, m.seq);

  ASSERT_OK_AND_ASSIGN(ledger::Event d, v->DeleteRecord(alice_, Delete("a-1")));
  EXPECT_EQ(d.record->version, 3u);
  ASSERT_OK_AND_ASSIGN(auto tomb, v->GetRecord(alice_, "annotation", "a-1"));
  EXPECT_TRUE(tomb.row.deleted);
  EXPECT_EQ(tomb.event.reason, "entered in error");

  ASSERT_OK_AND_ASSIGN(auto history, v->History(alice_, "annotation", "a-1"));
  ASSERT_EQ(history.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(history[i].row.version, i + 1);
    EXPECT_EQ(history[i].event.seq, history[i].row.seq);
    EXPECT_EQ(history[i].event.record->version, i + 1);
  }
  EXPECT_EQ(v->Size(), start + 3);
}

TEST_F(VellumTest, ErrorsWriteNothing) {
  ASSERT_OK_AND_ASSIGN(auto v, InitWithAlice());
  ASSERT_OK(v->CreateRecord(alice_, Create("a-1", R"({"a":1})")));
  const uint64_t size = v->Size();
  EXPECT_THAT(v->CreateRecord(alice_, Create("a-1", R"({"a":2})")),
              StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  EXPECT_THAT(v->CreateRecord(alice_, Create("../a", R"({"a":2})")),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("record id")));
  EXPECT_THAT(v->ModifyRecord(alice_, Modify("a-1", R"({"a":2})", "")),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("reason")));
  EXPECT_THAT(v->ModifyRecord(alice_, Modify("a-1", R"({"a":1.0})")),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("nothing to change")));
  EXPECT_THAT(v->ModifyRecord(alice_, Modify("a-1", R"({"a":2})", "x", 7)),
              StatusIs(StatusCode::kAborted, ::testing::_));
  EXPECT_THAT(v->DeleteRecord(alice_, Delete("a-2")),
              StatusIs(StatusCode::kNotFound, ::testing::_));
  EXPECT_THAT(v->DeleteRecord(alice_, Delete("a-1", " ")),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("reason")));
  EXPECT_EQ(v->Size(), size);

  EXPECT_THAT(v->GetRecord(alice_, "annotation", "a-9"),
              StatusIs(StatusCode::kNotFound, HasSubstr("a-9")));
  EXPECT_THAT(v->GetRecord(alice_, "annotation", "a-1", 2),
              StatusIs(StatusCode::kNotFound, HasSubstr("no version 2")));
  EXPECT_THAT(v->GetRecord(alice_, "annotation", "a;1"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("record id")));
  EXPECT_THAT(v->GetRecord(alice_, "../t", "a-1"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("record type")));
  EXPECT_THAT(v->History(alice_, "annotation", "a-9"),
              StatusIs(StatusCode::kNotFound, ::testing::_));
  EXPECT_THAT(v->History(alice_, "annotation", ""),
              StatusIs(StatusCode::kInvalidArgument, ::testing::_));
}

// An importer's batch through the service: each command has its own result, in
// input order; later commands see the earlier ones of the same batch.
TEST_F(VellumTest, CreateRecordsBatch) {
  ASSERT_OK_AND_ASSIGN(auto v, InitWithAlice());
  ASSERT_OK(v->CreateRecord(alice_, Create("old", R"({"a":1})")));
  const uint64_t size = v->Size();
  auto results =
      v->CreateRecords(alice_, {Create("b-1", R"({"x":1})"),   // ok
                                Create("b-1", R"({"x":2})"),   // exists: made earlier in this batch
                                Create("old", R"({"a":2})"),   // exists: made before
                                Create("../b", R"({"x":3})"),  // invalid: never submitted
                                Create("b-2", R"({"x":4})")});  // ok
  ASSERT_EQ(results.size(), 5u);
  EXPECT_OK(results[0]);
  EXPECT_THAT(results[1], StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  EXPECT_THAT(results[2], StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  EXPECT_THAT(results[3], StatusIs(StatusCode::kInvalidArgument, HasSubstr("record id")));
  EXPECT_OK(results[4]);
  // The successes got consecutive sequence numbers in input order.
  ASSERT_TRUE(results[0].ok() && results[4].ok());
  EXPECT_EQ(results[0]->seq, size);
  EXPECT_EQ(results[4]->seq, results[0]->seq + 1);
  EXPECT_EQ(results[4]->actor.id, "u-alice");
  EXPECT_EQ(v->Size(), size + 2);
  ASSERT_OK_AND_ASSIGN(auto b1, v->GetRecord(alice_, "annotation", "b-1"));
  EXPECT_EQ(b1.row.content, R"({"x":1})");
  // An empty batch is fine.
  EXPECT_TRUE(v->CreateRecords(alice_, {}).empty());
  EXPECT_EQ(v->Size(), size + 2);
}

// The ledger's SubmitAll under the service with mixed commands (the service
// exposes only CreateRecords for batches; the mix shows that each command is
// decided on the state the commands before it left).
TEST_F(VellumTest, SubmitAllWithMixedCommands) {
  ASSERT_OK_AND_ASSIGN(auto v, InitWithAlice());
  ASSERT_OK(v->CreateRecord(alice_, Create("old", R"({"a":1})")));
  const uint64_t size = v->Size();
  std::vector<ledger::Decider> batch;
  auto add = [&](StatusOr<ledger::Decider> d) {
    ASSERT_OK(d.status());
    batch.push_back(std::move(*d));
  };
  add(records::DecideCreate(Create("b-1", R"({"x":1})")));  // ok
  add(records::DecideCreate(Create("b-1", R"({"x":2})")));  // exists: made earlier in this batch
  add(records::DecideModify(Modify("b-1", R"({"x":3})")));  // ok: sees the create above
  add(records::DecideDelete(Delete("missing")));            // not found
  add(records::DecideModify(Modify("old", R"({"a":1})")));  // nothing to change
  add(records::DecideModify(Modify("old", R"({"a":2})", "r", 9)));  // stale version
  add(records::DecideDelete(Delete("old")));                        // ok
  auto results = v->ledger().SubmitAll(alice_.Actor(), std::move(batch));
  ASSERT_EQ(results.size(), 7u);
  EXPECT_OK(results[0]);
  EXPECT_THAT(results[1], StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  EXPECT_OK(results[2]);
  EXPECT_THAT(results[3], StatusIs(StatusCode::kNotFound, ::testing::_));
  EXPECT_THAT(results[4], StatusIs(StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(results[5], StatusIs(StatusCode::kAborted, ::testing::_));
  EXPECT_OK(results[6]);
  // The successes got consecutive sequence numbers in input order.
  ASSERT_TRUE(results[0].ok() && results[2].ok() && results[6].ok());
  EXPECT_EQ(results[0]->front().seq, size);
  EXPECT_EQ(results[2]->front().seq, results[0]->front().seq + 1);
  EXPECT_EQ(results[6]->front().seq, results[2]->front().seq + 1);
  EXPECT_EQ(v->Size(), size + 3);
  ASSERT_OK_AND_ASSIGN(auto b1, v->GetRecord(alice_, "annotation", "b-1"));
  EXPECT_EQ(b1.row.version, 2u);
  EXPECT_EQ(b1.row.content, R"({"x":3})");
  // An empty batch is fine.
  EXPECT_TRUE(v->ledger().SubmitAll(alice_.Actor(), {}).empty());
}

TEST_F(VellumTest, ContentHashIsSha256OfRfc8785Form) {
  // RV-1: the content hash is recomputable by anyone from the canonical JSON.
  ASSERT_OK_AND_ASSIGN(auto v, InitWithAlice());
  const json::object content =
      JsonObject(R"({"z":[1.0,2e0,"é"],"a":{"d":1e3,"c":null,"b":"\u0041"},"m":-0.0,"n":0.1})");
  ASSERT_OK_AND_ASSIGN(
      ledger::Event e,
      v->CreateRecord(alice_, Create("h-1", core::CanonicalJson(content).value())));
  ASSERT_OK_AND_ASSIGN(std::string canonical, core::CanonicalJson(content));
  // Written out by hand, as an inspector would with RFC 8785 in hand.
  EXPECT_EQ(canonical, R"({"a":{"b":"A","c":null,"d":1000},"m":0,"n":0.1,"z":[1,2,"é"]})");
  const core::Hash expected = core::Sha256(canonical);
  ASSERT_TRUE(e.record->content_hash.has_value());
  EXPECT_EQ(*e.record->content_hash, expected);
  ASSERT_OK_AND_ASSIGN(auto got, v->GetRecord(alice_, "annotation", "h-1"));
  EXPECT_EQ(got.row.content, canonical);
  EXPECT_EQ(got.row.content_hash, expected);
  EXPECT_EQ(*got.event.record->content_hash, expected);
  // The stored event line carries the same hash in its tagged form.
  ASSERT_OK_AND_ASSIGN(std::string line, v->ReadEvent(alice_, e.seq));
  EXPECT_THAT(line, HasSubstr("\"hash\":\"" + core::HashToTagged(expected) + "\""));

  // And after a modification, the new version's hash is that of the new content.
  ASSERT_OK_AND_ASSIGN(ledger::Event m,
                       v->ModifyRecord(alice_, Modify("h-1", R"({"only":[true]})")));
  EXPECT_EQ(*m.record->content_hash, core::Sha256(R"({"only":[true]})"));
}

TEST_F(VellumTest, EveryEarlierVersionStaysRetrievable) {
  // AT-3: a change makes a new version and keeps the old; a delete is a tombstone.
  const std::vector<std::string> contents = {R"({"label":"nodule"})", R"({"label":"mass"})",
                                             R"({"label":"mass","size":12})", R"({"size":12})"};
  uint64_t first = 0;
  {
    ASSERT_OK_AND_ASSIGN(auto v, InitWithAlice());
    first = v->Size();
    ASSERT_OK(v->CreateRecord(alice_, Create("a-1", contents[0])));
    for (size_t i = 1; i < contents.size(); ++i) {
      ASSERT_OK(v->ModifyRecord(alice_, Modify("a-1", contents[i], "step " + std::to_string(i))));
    }
    ASSERT_OK(v->DeleteRecord(alice_, Delete("a-1", "withdrawn")));
  }
  // Durable across a reopen, too.
  ASSERT_OK_AND_ASSIGN(auto v, Open());
  for (size_t i = 0; i < contents.size(); ++i) {
    ASSERT_OK_AND_ASSIGN(auto got, v->GetRecord(alice_, "annotation", "a-1", i + 1));
    EXPECT_EQ(got.row.content, contents[i]);
    EXPECT_FALSE(got.row.deleted);
    EXPECT_EQ(got.row.content_hash, core::Sha256(contents[i]));
    EXPECT_EQ(got.event.record->version, i + 1);
    if (i > 0) {
      EXPECT_EQ(got.event.reason, "step " + std::to_string(i));
    }
  }
  ASSERT_OK_AND_ASSIGN(auto tomb, v->GetRecord(alice_, "annotation", "a-1", contents.size() + 1));
  EXPECT_TRUE(tomb.row.deleted);
  ASSERT_OK_AND_ASSIGN(auto history, v->History(alice_, "annotation", "a-1"));
  ASSERT_EQ(history.size(), contents.size() + 1);
  // The field-level changes replay every version from the first (what verify does).
  json::object doc;
  for (size_t i = 0; i < contents.size(); ++i) {
    const ledger::Event& e = history[i].event;
    for (const auto& ch : e.changes) {
      const json::object& c = ch.as_object();
      const std::string path(c.at("path").as_string());
      const std::string key = path.substr(1);  // top-level fields only in this test
      if (c.contains("new"))
        doc[key] = c.at("new");
      else
        doc.erase(key);
    }
    EXPECT_EQ(core::CanonicalJson(doc).value(), contents[i]) << "version " << i + 1;
  }
  // The events are never rewritten: each still names its own version.
  ASSERT_EQ(v->Size(), first + contents.size() + 1);
  for (uint64_t seq = first; seq < v->Size(); ++seq) {
    ASSERT_OK_AND_ASSIGN(std::string line, v->ReadEvent(alice_, seq));
    ASSERT_OK_AND_ASSIGN(ledger::Event e, ledger::DecodeEvent(line));
    EXPECT_EQ(e.record->version, seq - first + 1);
  }
}

TEST_F(VellumTest, QueryEvents) {
  ASSERT_OK_AND_ASSIGN(auto v, InitWithAlice());
  // Bob annotates; Alice (project manager) reads the trail (audit.read, AT-8).
  ASSERT_OK_AND_ASSIGN(Principal bob,
                       vellum::testing::AddPerson(
                           *v, admin_, {"u-bob", "Bob Example", {identity::Role::kAnnotator}}));
  const uint64_t start = v->Size();
  ASSERT_OK(v->CreateRecord(alice_, Create("a-1", R"({"a":1})")));
  ASSERT_OK(v->CreateRecord(bob, Create("a-2", R"({"a":1})")));
  ASSERT_OK(v->ModifyRecord(bob, Modify("a-1", R"({"a":2})")));
  storage::EventQuery q;
  q.record_id = "a-1";
  std::vector<uint64_t> seqs;
  ASSERT_OK(v->QueryEvents(alice_, q, [&](uint64_t seq, const std::string& line) {
    auto e = ledger::DecodeEvent(line);
    if (!e.ok()) return e.status();
    EXPECT_EQ(e->seq, seq);
    EXPECT_EQ(e->record->id, "a-1");
    seqs.push_back(seq);
    return OkStatus();
  }));
  EXPECT_EQ(seqs, (std::vector<uint64_t>{start, start + 2}));
  q = {};
  q.actor = "u-bob";
  q.from_seq = start;
  seqs.clear();
  ASSERT_OK(v->QueryEvents(alice_, q, [&](uint64_t seq, const std::string&) {
    seqs.push_back(seq);
    return OkStatus();
  }));
  EXPECT_EQ(seqs, (std::vector<uint64_t>{start + 1, start + 2}));
  // Before `start`, Bob's own events are his first sign-ins and password change.
  q.from_seq = 0;
  std::vector<std::string> types;
  ASSERT_OK(v->QueryEvents(alice_, q, [&](uint64_t seq, const std::string& line) {
    auto e = ledger::DecodeEvent(line);
    if (!e.ok()) return e.status();
    if (seq < start) types.push_back(e->type);
    return OkStatus();
  }));
  EXPECT_EQ(types, (std::vector<std::string>{identity::kLoginSucceeded, identity::kPasswordChanged,
                                             identity::kLogout, identity::kLoginSucceeded}));
  // The callback's error stops the query and is returned.
  int calls = 0;
  EXPECT_THAT(v->QueryEvents(alice_, {},
                             [&](uint64_t, const std::string&) {
                               ++calls;
                               return AbortedError("enough");
                             }),
              StatusIs(StatusCode::kAborted, HasSubstr("enough")));
  EXPECT_EQ(calls, 1);
  // AT-7: a time range that holds no time (its ends swapped, or equal) is refused
  // as bad input, naming both ends, rather than answered with no events; the
  // refusal is not a denial, so the ledger does not grow.
  const uint64_t before = v->Size();
  for (int64_t until : {int64_t{1'764'000'000'000'000}, int64_t{1'764'000'000'000'001}}) {
    q = {};
    q.since = 1'764'000'000'000'001;
    q.until = until;
    calls = 0;
    EXPECT_THAT(v->QueryEvents(alice_, q,
                               [&](uint64_t, const std::string&) {
                                 ++calls;
                                 return OkStatus();
                               }),
                StatusIs(StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("time range is empty"), HasSubstr("since 2025-11-24T16:00:00.000001Z"),
                               HasSubstr("until " + core::FormatTimestamp(until)))));
    EXPECT_EQ(calls, 0);
  }
  EXPECT_EQ(v->Size(), before);
}

TEST_F(VellumTest, ReopenKeepsEverythingAndVerifies) {
  uint64_t size = 0;
  {
    ASSERT_OK_AND_ASSIGN(auto v, InitWithAlice());
    ASSERT_OK(v->CreateRecord(alice_, Create("a-1", R"({"a":1})")));
    ASSERT_OK(v->ModifyRecord(alice_, Modify("a-1", R"({"a":2})")));
    size = v->Size();
  }
  ASSERT_OK_AND_ASSIGN(auto v, Open());
  EXPECT_EQ(v->Size(), size);
  EXPECT_TRUE(v->open_report().damage.empty());
  EXPECT_EQ(v->open_report().torn_tail_bytes, 0u);
  ASSERT_OK_AND_ASSIGN(auto report, v->Verify({}, std::nullopt));
  EXPECT_TRUE(report.ok()) << (report.problems.empty() ? "" : report.problems.front().message);
  ASSERT_OK(v->CreateRecord(alice_, Create("a-2", R"({"b":1})")));
  EXPECT_EQ(v->Size(), size + 1);
}

// RV-1: after a reopen, a create of any record made before is refused as one
// that exists, whether the sequencer's memory of record keys is still being
// filled from records.db or complete (ledger/record_key_filter.h); new ids go
// through.
TEST_F(VellumTest, ReopenedLedgerRefusesEveryExistingIdWhileItLearnsThem) {
  constexpr int kRecords = 3000;
  auto creates = [](int from, int to) {
    std::vector<records::CreateRecord> c;
    for (int i = from; i < to; ++i) c.push_back(Create(fmt::format("r-{}", i), R"({"n":1})"));
    return c;
  };
  {
    ASSERT_OK_AND_ASSIGN(auto v, InitWithAlice());
    for (const auto& r : v->CreateRecords(alice_, creates(0, kRecords))) ASSERT_OK(r);
  }
  ASSERT_OK_AND_ASSIGN(auto v, Open());
  const uint64_t size = v->Size();
  for (int round = 0; round < 3; ++round) {
    for (const auto& r : v->CreateRecords(alice_, creates(0, kRecords))) {
      ASSERT_THAT(r, StatusIs(StatusCode::kAlreadyExists, HasSubstr("already exists")));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(v->Size(), size);
  for (const auto& r : v->CreateRecords(alice_, creates(kRecords, kRecords + 100))) EXPECT_OK(r);
}

// AT-4: verify without the projection replay still checks the ledger files and
// leaves out only the comparison with records.db (bench measures the two apart).
TEST_F(VellumTest, VerifyWithoutTheProjectionLeavesOutOnlyRecordsDb) {
  {
    ASSERT_OK_AND_ASSIGN(auto v, InitWithAlice());
    ASSERT_OK(v->CreateRecord(alice_, Create("a-1", R"({"a":1})")));
  }
  {
    // An edit of records.db, as an attacker with file access would make it.
    ASSERT_OK_AND_ASSIGN(auto db, storage::sqlite::Database::Open(RecordsDbPath(Dir()), false));
    ASSERT_OK(db->Exec("UPDATE record_versions SET content = '{\"a\":9}' WHERE record_id = 'a-1'"));
  }
  ASSERT_OK_AND_ASSIGN(auto v, Open());
  ASSERT_OK_AND_ASSIGN(auto full, v->Verify({}, std::nullopt));
  EXPECT_FALSE(full.ok());
  ASSERT_OK_AND_ASSIGN(auto files, v->Verify({}, std::nullopt, /*check_projection=*/false));
  EXPECT_TRUE(files.ok()) << (files.problems.empty() ? "" : files.problems.front().message);
  EXPECT_EQ(files.events, full.events);
  EXPECT_EQ(files.root, full.root);
}

// AT-4: verify names a damaged event's file and byte offset, also when the
// ledger spans many segment files within one run of lines verify checks at once.
TEST_F(VellumTest, VerifyNamesFileAndOffsetAcrossSegments) {
  {
    InitOptions init;
    init.origin = "test.example/ledger";
    init.config.max_segment_bytes = 4096;  // a few events per segment
    ASSERT_OK_AND_ASSIGN(auto v, vellum::testing::InitWithAdmin(Dir(), init, Fast()));
    ASSERT_OK_AND_ASSIGN(admin_, vellum::testing::SignInAdmin(*v));
    ASSERT_OK_AND_ASSIGN(alice_, vellum::testing::AddPerson(*v, admin_, kAlice, kAliceClient));
    for (int i = 0; i < 40; ++i) {
      ASSERT_OK(v->CreateRecord(alice_, Create("a-" + std::to_string(i), R"({"label":"nodule"})")));
    }
  }
  // Where every line is, read from the files themselves.
  struct Place {
    std::string file;
    uint64_t offset;
  };
  std::vector<Place> places;
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(Dir() + "/ledger/segments")) {
    files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GT(files.size(), 5u);
  for (const auto& f : files) {
    const std::string text = ReadFileOrDie(Dir() + "/ledger/segments/" + f);
    for (size_t at = 0; at < text.size(); at = text.find('\n', at) + 1) {
      places.push_back({"ledger/segments/" + f, at});
    }
  }
  // Events whose successor is in the middle of a segment, and one whose successor begins one.
  std::vector<uint64_t> damaged;
  for (uint64_t seq = places.size() / 2; seq + 1 < places.size() && damaged.size() < 2; ++seq) {
    const bool next_begins_a_file = places[seq + 1].offset == 0;
    if (next_begins_a_file == damaged.empty()) continue;  // first one in the middle, then one before a file
    damaged.push_back(seq);
  }
  ASSERT_EQ(damaged.size(), 2u);
  for (uint64_t seq : damaged) {
    // A different event id: still canonical, but the next event's prev no longer matches.
    const std::string path = Dir() + "/" + places[seq].file;
    std::filesystem::permissions(path, std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
    std::string text = ReadFileOrDie(path);
    const size_t id = text.find("\"id\":\"", places[seq].offset) + 6;
    text[id] = text[id] == '0' ? '1' : '0';
    WriteFileOrDie(path, text);
  }
  ASSERT_OK_AND_ASSIGN(auto v, Open());
  ASSERT_OK_AND_ASSIGN(auto report, v->Verify({}, std::nullopt, /*check_projection=*/false));
  for (uint64_t seq : damaged) {
    const Place& next = places[seq + 1];
    const std::string want = next.file + ":" + std::to_string(next.offset);
    bool named = false;
    for (const auto& p : report.problems) named |= p.seq == seq + 1 && p.location == want;
    EXPECT_TRUE(named) << "no problem at seq " << seq + 1 << " names " << want;
  }
}

TEST_F(VellumTest, DeeplyNestedContentIsRefusedNotStoredUnreadable) {
  // Content nested beyond the input limit would make an event that DecodeEvent
  // (history, verify) cannot read back: it must be refused up front.
  ASSERT_OK_AND_ASSIGN(auto v, InitWithAlice());
  json::value deep = 1;
  for (int i = 0; i < 63; ++i) deep = json::object{{"n", deep}};
  records::CreateRecord c = Create("deep", "{}");
  c.content["n"] = deep;  // 64 levels of objects, the most the JSON input limit allows
  ASSERT_OK_AND_ASSIGN(ledger::Event e, v->CreateRecord(alice_, c));
  ASSERT_OK_AND_ASSIGN(auto got, v->GetRecord(alice_, "annotation", "deep"));
  EXPECT_EQ(got.event.seq, e.seq);
  ASSERT_OK_AND_ASSIGN(auto report, v->Verify({}, std::nullopt));
  EXPECT_TRUE(report.ok()) << (report.problems.empty() ? "" : report.problems.front().message);
  c.id = "deeper";
  c.content["n"] = json::object{{"n", deep}};
  EXPECT_THAT(v->CreateRecord(alice_, c),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("content")));
}

}  // namespace
}  // namespace vellum::app
