// Online backup and restore (SR-2): a backup taken while records are written
// holds every event acknowledged before it began; a restore makes a data
// directory whose trail is byte-identical to the source's, which verifies, in
// which the same people sign in with the same passwords and work goes on. A
// damaged or doctored backup, or a bad target, is refused and nothing is left.
#include "app/backup.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <functional>
#include <map>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "app/restore_record.h"
#include "app/vellum.h"
#include "ledger/event.h"
#include "storage/embedded/file_log_store.h"
#include "testing/fault_env.h"
#include "testing/identity_fixture.h"
#include "testing/json_testing.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::app {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::vellum::testing::ReadFileOrDie;
using ::vellum::testing::TempDir;
using ::vellum::testing::WriteFileOrDie;

const ::vellum::testing::Person kAlice{"u-alice", "Dr. Alice Example", {identity::Role::kProjectManager}};

// The concatenated bytes of every segment of the ledger in `dir`: its trail.
std::string Trail(const std::string& dir) {
  std::string all;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir + "/ledger/segments")) names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  for (const auto& n : names) all += ReadFileOrDie(n);
  return all;
}

// The entries of `dir` (none when it does not exist).
std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); ++it) {
    out.push_back(it->path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitOptions init;
    init.origin = "backup.example/ledger";
    init.config.max_segment_bytes = 16 << 10;  // several sealed segments
    ASSERT_OK_AND_ASSIGN(vellum_, vellum::testing::InitWithAdmin(data_, init));
    ASSERT_OK_AND_ASSIGN(Principal admin, vellum::testing::SignInAdmin(*vellum_));
    ASSERT_OK_AND_ASSIGN(alice_, vellum::testing::AddPerson(*vellum_, admin, kAlice));
  }

  void CreateRecords(int from, int to) {
    for (int i = from; i < to; ++i) {
      ASSERT_OK(vellum_->CreateRecord(alice_, {"annotation", fmt::format("a-{}", i),
                                               vellum::testing::JsonObject(R"({"label":"nodule","note":"ü"})"),
                                               std::nullopt, std::nullopt}));
    }
  }

  StatusOr<BackupCopyReport> Backup() { return BackupDataDirectory(data_, backup_, {}); }
  StatusOr<BackupCopyReport> Restore() { return RestoreDataDirectory(backup_, restored_, {}); }

  // A backup of a closed ledger with records created, modified and deleted,
  // events after the latest checkpoint, and several segments.
  void BackUpAClosedLedger() {
    CreateRecords(0, 60);
    ASSERT_OK(vellum_->ModifyRecord(alice_, {"annotation", "a-1",
                                             vellum::testing::JsonObject(R"({"label":"mass"})"), "second look",
                                             std::nullopt, std::nullopt}));
    ASSERT_OK(vellum_->DeleteRecord(alice_, {"annotation", "a-2", "duplicate", std::nullopt}));
    ASSERT_OK(vellum_->ledger().MakeCheckpoint().status());
    CreateRecords(60, 70);  // unsigned: after the latest checkpoint
    vellum_.reset();
    ASSERT_OK_AND_ASSIGN(BackupCopyReport r, Backup());
    ASSERT_TRUE(r.verify.ok());
  }

  TempDir tmp_;
  const std::string data_ = tmp_.Sub("data");
  const std::string backup_ = tmp_.Sub("backups/monday");
  const std::string restored_ = tmp_.Sub("restored");
  std::unique_ptr<Vellum> vellum_;
  Principal alice_;
};

// SR-2: the restored trail is the source's, byte for byte, and verifies; the
// records, the accounts and their passwords come back; work goes on there.
TEST_F(BackupTest, RestoredLedgerIsByteIdenticalVerifiesAndWorks) {
  CreateRecords(0, 60);
  ASSERT_OK(vellum_->ModifyRecord(alice_, {"annotation", "a-1", vellum::testing::JsonObject(R"({"label":"mass"})"),
                                           "second look", std::nullopt, std::nullopt}));
  ASSERT_OK(vellum_->DeleteRecord(alice_, {"annotation", "a-2", "duplicate", std::nullopt}));
  ASSERT_OK(vellum_->ledger().MakeCheckpoint().status());
  CreateRecords(60, 70);  // after the latest checkpoint: the tree past it is not durable yet
  ASSERT_OK_AND_ASSIGN(Session open_session, vellum::testing::LoginAs(*vellum_, kAlice.id));
  const uint64_t size = vellum_->Size();
  vellum_.reset();
  ASSERT_GE(Entries(data_ + "/ledger/segments").size(), 3u);

  ASSERT_OK_AND_ASSIGN(BackupCopyReport b, Backup());
  EXPECT_TRUE(b.verify.ok());
  EXPECT_EQ(b.events, size);
  EXPECT_EQ(b.verify.events, size);
  EXPECT_LT(b.tree_size, size);
  ASSERT_TRUE(b.checkpoint_size.has_value());
  EXPECT_EQ(*b.checkpoint_size, b.tree_size);
  EXPECT_EQ(Trail(backup_), Trail(data_));
  // A backup holds password hashes and the signing key: nobody else may read it.
  EXPECT_EQ(fs::status(backup_).permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_EQ(fs::status(backup_ + "/auth.db").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(backup_ + "/keys/ledger.key").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(Entries(tmp_.Sub("backups")), std::vector<std::string>{"monday"});  // no staging left

  ASSERT_OK_AND_ASSIGN(BackupCopyReport r, Restore());
  EXPECT_TRUE(r.verify.ok());
  EXPECT_EQ(r.events, size);
  EXPECT_EQ(r.manifest_sha256, b.manifest_sha256);
  EXPECT_EQ(Trail(restored_), Trail(data_));
  for (const char* rel : {"keys/ledger.key", "keys/ledger.pub", "vellum.toml"}) {
    EXPECT_EQ(ReadFileOrDie(restored_ + "/" + rel), ReadFileOrDie(data_ + "/" + rel)) << rel;
  }
  EXPECT_FALSE(fs::exists(restored_ + "/" + kBackupManifestName));

  // AT-1: the first open records the restore in the trail, right after the
  // backup's events, before anything else is written there; and only once.
  const std::string note_path = restored_ + "/" + kRestoreNoteName;
  ASSERT_TRUE(fs::exists(note_path));
  const std::string note = ReadFileOrDie(note_path);
  ASSERT_OK_AND_ASSIGN(auto restored, Vellum::Open(restored_));
  EXPECT_FALSE(fs::exists(note_path));
  ASSERT_EQ(restored->Size(), size + 1);
  ASSERT_OK_AND_ASSIGN(std::string line, restored->ledger().ReadEvent(size));
  ASSERT_OK_AND_ASSIGN(ledger::Event restored_event, ledger::DecodeEvent(line));
  EXPECT_EQ(restored_event.type, kRestoredEventType);
  EXPECT_EQ(restored_event.actor.id, ledger::SystemActor().id);
  EXPECT_EQ(restored_event.data.at("manifest_sha256"), core::HashToHex(b.manifest_sha256).c_str());
  EXPECT_EQ(restored_event.data.at("backup_events"), size);
  EXPECT_EQ(boost::json::parse(note).as_object(), restored_event.data);
  // A session open in the source does not go on in the copy (its token is the source's).
  auto old_session = restored->Authenticate(open_session.token, vellum::testing::kTestClient);
  EXPECT_EQ(old_session.status().code(), StatusCode::kUnauthenticated);
  restored.reset();
  // An open that recorded it but stopped before removing the note does not record it twice.
  WriteFileOrDie(note_path, note);
  ASSERT_OK_AND_ASSIGN(restored, Vellum::Open(restored_));
  EXPECT_EQ(restored->Size(), size + 1);
  EXPECT_FALSE(fs::exists(note_path));

  // The restored directory is a working data directory: the same people sign in
  // with the same passwords, read the same records, and write on.
  ASSERT_OK_AND_ASSIGN(Principal alice, vellum::testing::SignInAs(*restored, kAlice.id));
  ASSERT_OK_AND_ASSIGN(RecordVersionView a1, restored->GetRecord(alice, "annotation", "a-1"));
  EXPECT_EQ(a1.row.version, 2u);
  ASSERT_OK_AND_ASSIGN(RecordVersionView a2, restored->GetRecord(alice, "annotation", "a-2"));
  EXPECT_TRUE(a2.row.deleted);
  ASSERT_OK(restored->CreateRecord(alice, {"annotation", "a-after-restore", vellum::testing::JsonObject("{}"),
                                           std::nullopt, std::nullopt}));
  ASSERT_OK(restored->ledger().MakeCheckpoint().status());
  ASSERT_OK_AND_ASSIGN(ledger::VerifyReport v, restored->Verify({}, std::nullopt));
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(Trail(restored_).substr(0, Trail(data_).size()), Trail(data_));
  restored.reset();
  ASSERT_OK_AND_ASSIGN(auto source, Vellum::Open(data_));
  EXPECT_OK(source->Authenticate(open_session.token, vellum::testing::kTestClient).status());
}

// SR-2 "online": records are written all the while the backup runs. The
// backup holds every event acknowledged before it began, its trail is a
// prefix of the source's, and it verifies and restores.
TEST_F(BackupTest, BackupWhileWritersGoOnHoldsEveryAcknowledgedEvent) {
  CreateRecords(0, 50);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> acknowledged{0};
  std::atomic<int> failures{0};
  std::thread writer([&] {
    for (int i = 1000; !stop.load(); ++i) {
      auto e = vellum_->CreateRecord(alice_, {"annotation", fmt::format("a-{}", i),
                                              vellum::testing::JsonObject(R"({"label":"live"})"), std::nullopt,
                                              std::nullopt});
      if (!e.ok()) {
        ++failures;
        return;
      }
      acknowledged.store(e->seq + 1);
      if (i % 97 == 0 && !vellum_->ledger().MakeCheckpoint().ok()) ++failures;
    }
  });
  while (acknowledged.load() < 400) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const uint64_t before = acknowledged.load();
  auto b = Backup();
  const uint64_t after = acknowledged.load();
  stop = true;
  writer.join();
  ASSERT_EQ(failures.load(), 0);
  ASSERT_OK(b.status());
  EXPECT_TRUE(b->verify.ok());
  EXPECT_GE(b->events, before);
  EXPECT_GT(after, before) << "the writer did not go on during the backup";
  const std::string source = Trail(data_);
  const std::string copy = Trail(backup_);
  ASSERT_LT(copy.size(), source.size());
  EXPECT_EQ(source.substr(0, copy.size()), copy);
  EXPECT_EQ(copy.back(), '\n');

  vellum_.reset();
  ASSERT_OK_AND_ASSIGN(BackupCopyReport r, Restore());
  EXPECT_TRUE(r.verify.ok());
  EXPECT_EQ(Trail(restored_), copy);
}

// SR-2 at a segment boundary: the cut falls where a segment was just sealed
// and the next one is still empty (as sealing leaves it before the next
// append; made here by hand, as a crash right after sealing would leave it).
// The copy holds that empty segment as the open one, and the restored ledger
// appends to it.
TEST_F(BackupTest, ACutAtASegmentBoundaryRestoresAndWritesOn) {
  CreateRecords(0, 20);
  const uint64_t size = vellum_->Size();
  vellum_.reset();
  const std::string segments = data_ + "/ledger/segments";
  const std::string offsets = data_ + "/ledger/offsets";
  const std::string last = Entries(segments).back();
  const std::string next = storage::FileLogStore::SegmentName(size);
  fs::permissions(segments + "/" + last, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  WriteFileOrDie(segments + "/" + next, "");
  WriteFileOrDie(offsets + "/" + next.substr(0, 20) + ".idx", "");

  ASSERT_OK_AND_ASSIGN(BackupCopyReport b, Backup());
  EXPECT_TRUE(b.verify.ok());
  EXPECT_EQ(b.events, size);
  EXPECT_EQ(Entries(backup_ + "/ledger/segments"), Entries(segments));
  EXPECT_EQ(fs::file_size(backup_ + "/ledger/segments/" + next), 0u);
  ASSERT_OK_AND_ASSIGN(BackupCopyReport r, Restore());
  EXPECT_TRUE(r.verify.ok());
  EXPECT_EQ(Trail(restored_), Trail(data_));
  ASSERT_OK_AND_ASSIGN(auto restored, Vellum::Open(restored_));
  ASSERT_OK_AND_ASSIGN(Principal alice, vellum::testing::SignInAs(*restored, kAlice.id));
  ASSERT_OK(restored->CreateRecord(alice, {"annotation", "after", vellum::testing::JsonObject("{}"), std::nullopt,
                                           std::nullopt}));
  ASSERT_OK_AND_ASSIGN(ledger::VerifyReport v, restored->Verify({}, std::nullopt));
  EXPECT_TRUE(v.ok());
  EXPECT_GT(fs::file_size(restored_ + "/ledger/segments/" + next), 0u);
}

// SR-2: a backup goes only into a new directory outside the data directory; a
// refused one leaves nothing.
TEST_F(BackupTest, BackupRefusesAnUnusableOutput) {
  CreateRecords(0, 3);
  vellum_.reset();
  fs::create_directories(tmp_.Sub("full"));
  WriteFileOrDie(tmp_.Sub("full/x"), "x");
  WriteFileOrDie(tmp_.Sub("file"), "x");
  auto expect = [&](const std::string& out, const std::string& dir, StatusCode code, const std::string& says) {
    auto r = BackupDataDirectory(dir, out, {});
    ASSERT_FALSE(r.ok()) << out;
    EXPECT_EQ(r.status().code(), code) << r.status().ToString();
    EXPECT_THAT(r.status().message(), HasSubstr(says));
  };
  expect(tmp_.Sub("full"), data_, StatusCode::kInvalidArgument, "is not empty");
  expect(tmp_.Sub("file"), data_, StatusCode::kInvalidArgument, "is not a directory");
  expect(data_ + "/inside", data_, StatusCode::kInvalidArgument, "inside the data directory");
  expect("", data_, StatusCode::kInvalidArgument, "empty");
  expect(tmp_.Sub("out"), tmp_.Sub("nothing-here"), StatusCode::kNotFound, "no Vellum data directory");
  EXPECT_EQ(Entries(tmp_.path()), (std::vector<std::string>{"data", "file", "full"}));
  EXPECT_EQ(Entries(tmp_.Sub("full")), std::vector<std::string>{"x"});
}

// SR-2, AT-4: a backup of a ledger that does not verify is not kept: its
// verification names the damage.
TEST_F(BackupTest, ADamagedLedgerIsNotBackedUp) {
  CreateRecords(0, 20);
  vellum_.reset();
  const std::string seg = data_ + "/ledger/segments/" + storage::FileLogStore::SegmentName(0);
  fs::permissions(seg, fs::perms::owner_write, fs::perm_options::add);
  std::string bytes = ReadFileOrDie(seg);
  const size_t at = bytes.find("u-admin");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 2] = 'X';
  WriteFileOrDie(seg, bytes);
  ASSERT_OK_AND_ASSIGN(BackupCopyReport r, Backup());
  EXPECT_FALSE(r.verify.ok());
  EXPECT_FALSE(fs::exists(backup_));
  EXPECT_TRUE(Entries(tmp_.Sub("backups")).empty());
}

// SR-2: a restore makes a new data directory and never writes into an existing one.
TEST_F(BackupTest, RestoreRefusesATargetThatIsNotNew) {
  BackUpAClosedLedger();
  fs::create_directories(restored_);
  WriteFileOrDie(restored_ + "/keep", "mine");
  auto r = Restore();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("is not empty"));
  EXPECT_EQ(Entries(restored_), std::vector<std::string>{"keep"});
  auto inside = RestoreDataDirectory(backup_, backup_ + "/x", {});
  EXPECT_EQ(inside.status().code(), StatusCode::kInvalidArgument);
  auto none = RestoreDataDirectory(tmp_.Sub("no-backup"), tmp_.Sub("r2"), {});
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(none.status().message(), HasSubstr("no Vellum backup"));
}

// SR-2, media damage: any file of the backup that differs from its manifest, is
// missing, or is not listed stops the restore, naming the file; nothing is left.
TEST_F(BackupTest, RestoreRefusesADamagedBackup) {
  BackUpAClosedLedger();
  const std::string pristine = tmp_.Sub("pristine");
  vellum::testing::CopyTree(backup_, pristine);
  auto reset = [&] {
    fs::remove_all(backup_);
    vellum::testing::CopyTree(pristine, backup_);
  };
  auto expect_refused = [&](const std::string& says) {
    auto r = Restore();
    ASSERT_FALSE(r.ok()) << says;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
    EXPECT_THAT(r.status().message(), HasSubstr(says));
    EXPECT_FALSE(fs::exists(restored_));
    EXPECT_EQ(Entries(tmp_.path()), (std::vector<std::string>{"backups", "data", "pristine"}));
    reset();
  };
  const std::vector<std::string> damaged = {"auth.db", "records.db", "keys/ledger.key", "ledger/tree/level-00.hash",
                                            "ledger/segments/" + storage::FileLogStore::SegmentName(0)};
  for (const std::string& rel : damaged) {
    const std::string path = backup_ + "/" + rel;
    fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
    std::string bytes = ReadFileOrDie(path);
    bytes[bytes.size() / 2] ^= 0x01;  // one bit
    WriteFileOrDie(path, bytes);
    expect_refused(rel + " is not the file its manifest lists");
  }
  fs::remove(backup_ + "/keys/ledger.pub");
  expect_refused("keys/ledger.pub is missing");
  WriteFileOrDie(backup_ + "/ledger/checkpoints/extra.note", "x");
  expect_refused("ledger/checkpoints/extra.note: not listed in the manifest");
  // A file the manifest lists replaced by a link to a file elsewhere is named as the link,
  // never followed (a restore must take nothing from outside the backup).
  const std::string outside = fs::path(backup_).parent_path().string() + "/outside.toml";
  fs::copy_file(backup_ + "/vellum.toml", outside);
  fs::remove(backup_ + "/vellum.toml");
  fs::create_symlink(outside, backup_ + "/vellum.toml");
  expect_refused("vellum.toml: a symbolic link");
  fs::remove(outside);
  fs::create_directory_symlink(tmp_.path(), backup_ + "/ledger/elsewhere");
  expect_refused("ledger/elsewhere: a symbolic link");
  fs::resize_file(backup_ + "/vellum.toml", 3);
  expect_refused("vellum.toml holds 3 bytes");
}

// The periodic check of a stored backup (SR-2): every file against the
// manifest and the ledger in it, where it is, writing nothing; every
// difference is named.
TEST_F(BackupTest, VerifyBackupChecksEveryFileWhereItIs) {
  BackUpAClosedLedger();
  const auto before = vellum::testing::SnapshotFiles(backup_);
  ASSERT_OK_AND_ASSIGN(BackupCopyReport clean, VerifyBackup(backup_, {}));
  EXPECT_TRUE(clean.verify.ok());
  EXPECT_GT(clean.events, 0u);
  EXPECT_TRUE(vellum::testing::SnapshotFiles(backup_) == before) << "the check wrote into the backup";
  EXPECT_FALSE(fs::exists(backup_ + "/LOCK"));

  const std::string seg = "ledger/segments/" + storage::FileLogStore::SegmentName(0);
  fs::permissions(backup_ + "/" + seg, fs::perms::owner_write, fs::perm_options::add);
  std::string bytes = ReadFileOrDie(backup_ + "/" + seg);
  bytes[bytes.size() / 2] ^= 0x01;
  WriteFileOrDie(backup_ + "/" + seg, bytes);
  fs::remove(backup_ + "/keys/ledger.key");
  fs::resize_file(backup_ + "/auth.db", 4096);
  WriteFileOrDie(backup_ + "/notes.txt", "x");
  ASSERT_OK_AND_ASSIGN(BackupCopyReport damaged, VerifyBackup(backup_, {}));
  EXPECT_FALSE(damaged.verify.ok());
  std::map<std::string, std::string> found;
  for (const auto& p : damaged.verify.problems) {
    if (p.area == "backup") found[p.location] = p.message;
  }
  EXPECT_THAT(found[seg], HasSubstr("its SHA-256 differs"));
  EXPECT_THAT(found["keys/ledger.key"], HasSubstr("missing"));
  EXPECT_THAT(found["auth.db"], HasSubstr("holds 4096 bytes"));
  EXPECT_THAT(found["notes.txt"], HasSubstr("not listed"));
  bool chain = false;  // and the ledger check finds the flipped bit itself
  for (const auto& p : damaged.verify.problems) chain |= p.area != "backup";
  EXPECT_TRUE(chain);

  auto none = VerifyBackup(tmp_.Sub("no-backup"), {});
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
}

// SR-2: a manifest is input like any other: it cannot name files outside a data
// directory, and a broken one is refused with what is wrong.
TEST_F(BackupTest, RestoreRefusesABadManifest) {
  BackUpAClosedLedger();
  const std::string path = backup_ + "/" + kBackupManifestName;
  const std::string good = ReadFileOrDie(path);
  auto expect_bad = [&](const std::string& manifest, const std::string& says) {
    WriteFileOrDie(path, manifest);
    auto r = Restore();
    ASSERT_FALSE(r.ok()) << says;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
    EXPECT_THAT(r.status().message(), HasSubstr(says));
    EXPECT_FALSE(fs::exists(restored_));
  };
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string m = good;
    size_t at = m.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return m.replace(at, from.size(), to);
  };
  expect_bad("{", "not a Vellum backup manifest");
  expect_bad("[]", "not a JSON object");
  expect_bad(std::string("{\"format\":\"\xff\"}"), "UTF-8");
  expect_bad(replace("\"format\":\"vellum-backup/1\"", "\"format\":\"vellum-backup/9\""), "format is");
  expect_bad(replace("\"events\":", "\"extra\":1,\"events\":"), "unknown field \"extra\"");
  expect_bad(replace("\"path\":\"auth.db\"", "\"path\":\"../../etc/passwd\""),
             "\"../../etc/passwd\" is not a file of a data directory");
  expect_bad(replace("\"path\":\"auth.db\"", "\"path\":\"/etc/passwd\""), "is not a file of a data directory");
  expect_bad(replace("\"path\":\"auth.db\"", "\"path\":\"ledger/segments/../../x\""),
             "is not a file of a data directory");
  expect_bad(replace("\"mode\":\"0600\"", "\"mode\":\"4777\""), "the mode of");
  auto edited = [&](const std::function<void(boost::json::object&)>& edit) {
    boost::json::object m = boost::json::parse(good).as_object();
    edit(m);
    return boost::json::serialize(m);
  };
  expect_bad(edited([](auto& m) { m["events"] = "many"; }), "\"events\" is not a non-negative integer");
  expect_bad(edited([](auto& m) { m["checkpoint"] = -1; }), "\"checkpoint\" is not a non-negative integer");
  expect_bad(edited([](auto& m) { m["files"] = boost::json::object(); }), "\"files\" is not an array");
  expect_bad(edited([](auto& m) { m["files"].as_array()[0].as_object()["bytes"] = 1.5; }),
             "\"bytes\" is not a non-negative integer");
  // Found by the manifest fuzzer: canonical JSON would write it back rounded.
  expect_bad(edited([](auto& m) { m["files"].as_array()[0].as_object()["bytes"] = uint64_t{99999999999199932}; }),
             "\"bytes\" is larger than 2^53 - 1");
  expect_bad(edited([](auto& m) { m["events"] = uint64_t{1} << 53; }), "\"events\" is larger than 2^53 - 1");
  expect_bad(edited([](auto& m) { m["files"].as_array().push_back(m["files"].as_array()[0]); }), "listed twice");
  expect_bad(edited([](auto& m) { m.erase("origin"); }), "\"origin\" is not a string");
  expect_bad(edited([](auto& m) { m["origin"] = "two words"; }), "is not a log origin");
  expect_bad(edited([](auto& m) { m["created"] = std::string(5000, 'x'); }), "\"created\"");
  expect_bad(edited([](auto& m) { m["created"] = "2026-11-27T12:00:00Z"; }), "is not a time as Vellum writes it");
  expect_bad(replace("{", "{\"events\":1,"), "duplicate key");
  WriteFileOrDie(path, good);
  ASSERT_OK_AND_ASSIGN(BackupCopyReport r, Restore());
  EXPECT_TRUE(r.verify.ok());
}

// AT-4 through a backup: an attacker who edits an event in a backup and
// rewrites its manifest to match gets past the file check, not past the
// verification: the restore names the damage and keeps nothing.
TEST_F(BackupTest, ADoctoredBackupWithARewrittenManifestDoesNotRestore) {
  BackUpAClosedLedger();
  const std::string rel = "ledger/segments/" + storage::FileLogStore::SegmentName(0);
  const std::string seg = backup_ + "/" + rel;
  fs::permissions(seg, fs::perms::owner_write, fs::perm_options::add);
  std::string bytes = ReadFileOrDie(seg);
  const size_t at = bytes.find("Dr. Alice Example");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 3, "Mr.");
  WriteFileOrDie(seg, bytes);
  const std::string manifest_path = backup_ + "/" + kBackupManifestName;
  std::string manifest = ReadFileOrDie(manifest_path);
  const std::string entry = "\"path\":\"" + rel + "\",\"sha256\":\"";
  const size_t h = manifest.find(entry);
  ASSERT_NE(h, std::string::npos);
  manifest.replace(h + entry.size(), 64, core::HashToHex(core::Sha256(bytes)));
  WriteFileOrDie(manifest_path, manifest);

  ASSERT_OK_AND_ASSIGN(BackupCopyReport r, Restore());
  EXPECT_FALSE(r.verify.ok());
  ASSERT_FALSE(r.verify.problems.empty());
  bool named = false;  // the chain break at the edited event, with its file and offset
  for (const auto& p : r.verify.problems) {
    named |= p.area == "chain" && p.location.find(storage::FileLogStore::SegmentName(0) + ":") != std::string::npos;
  }
  EXPECT_TRUE(named);
  EXPECT_FALSE(fs::exists(restored_));
}

// SR-2: a disk that fills up or fails at any step of a backup or a restore: the
// command fails with that error, no backup or data directory appears, no
// staging directory is left, and the source is untouched.
TEST_F(BackupTest, AFailingDiskLeavesNoPartialCopy) {
  BackUpAClosedLedger();
  const auto source = vellum::testing::SnapshotFiles(data_);
  const auto backup = vellum::testing::SnapshotFiles(backup_);
  for (const bool restore : {false, true}) {
    for (const auto op : {vellum::testing::FaultOp::kAppend, vellum::testing::FaultOp::kSync,
                          vellum::testing::FaultOp::kChmod, vellum::testing::FaultOp::kRead,
                          vellum::testing::FaultOp::kRename, vellum::testing::FaultOp::kWriteAtomic}) {
      const std::string out = restore ? restored_ : tmp_.Sub("backups/tuesday");
      uint64_t calls = 0;
      {
        vellum::testing::FaultInjectionEnv counting;
        BackupCopyOptions o;
        o.env = &counting;
        auto r = restore ? RestoreDataDirectory(backup_, out, o) : BackupDataDirectory(data_, out, o);
        ASSERT_OK(r.status());
        calls = counting.OpCount(op);
        fs::remove_all(out);
      }
      if (calls == 0) {  // only a restore writes no file atomically (it copies the backup's)
        EXPECT_TRUE(restore && op == vellum::testing::FaultOp::kWriteAtomic);
        continue;
      }
      for (uint64_t nth = 1; nth <= calls; nth += std::max<uint64_t>(1, calls / 12)) {
        SCOPED_TRACE(::testing::Message() << (restore ? "restore" : "backup") << ", op " << static_cast<int>(op)
                                          << ", call " << nth << " of " << calls);
        vellum::testing::FaultInjectionEnv faulty;
        faulty.FailFromNth(op, nth, ResourceExhaustedError("No space left on device"));
        BackupCopyOptions o;
        o.env = &faulty;
        auto r = restore ? RestoreDataDirectory(backup_, out, o) : BackupDataDirectory(data_, out, o);
        if (r.ok()) {
          // A failing read inside the verification is a finding of it, not an error: nothing is kept then either.
          EXPECT_FALSE(r->verify.ok());
        } else {
          EXPECT_THAT(r.status().message(), HasSubstr("No space left on device"));
        }
        EXPECT_FALSE(fs::exists(out));
        EXPECT_EQ(Entries(tmp_.Sub("backups")), std::vector<std::string>{"monday"});
        EXPECT_EQ(Entries(tmp_.path()), (std::vector<std::string>{"backups", "data"}));
      }
    }
  }
  EXPECT_TRUE(vellum::testing::SnapshotFiles(data_) == source);
  EXPECT_TRUE(vellum::testing::SnapshotFiles(backup_) == backup);
}

}  // namespace
}  // namespace vellum::app
