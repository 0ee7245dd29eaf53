// Secrets never leave auth.db (AC-2, AC-7; issue 3 "What must be shown"):
// a realistic session through the real binary (init, accounts, sign-ins and
// failed ones, password changes and resets, an API key, a policy change,
// records, the audit trail, proofs, verify) with distinctive passwords. Then
// neither the passwords nor their argon2id hashes (read from auth.db), nor the
// API key, nor any session token appear in any other file of the data
// directory, in anything any command printed (the API key only once, on the
// stdout of `user apikey create`), or in the trail's export; auth.db and the
// session file are private (0600); and no command line ever carried them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "identity_app/identity_fixture.h"
#include "storage/embedded/sqlite_db.h"
#include "testing/status_matchers.h"

namespace vellum::identity_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Distinctive, so that any copy of them anywhere is found.
constexpr char kAdminPw[] = "Admin passphrase Quokka-7731 zebra";
constexpr char kInitialPw[] = "Initial passphrase Wombat-4420 lemon";
constexpr char kChosenPw[] = "Chosen passphrase Numbat-9913 river";
constexpr char kWrongPw[] = "Wrong passphrase Dingo-5150 attempt";
constexpr char kResetPw[] = "Reset passphrase Bilby-6262 desk";
constexpr char kFinalPw[] = "Final passphrase Potoroo-1212 calm";
constexpr char kShortPw[] = "Kiwi-31-xy";                             // refused: too short
constexpr char kWithIdPw[] = "u-ann likes passphrase Emu-8080 best";  // refused: holds the user id

struct Needle {
  std::string what;
  std::string bytes;
};

class SecretsTest : public ::testing::Test {
 protected:
  testing::ProcessResult Ok(const std::vector<std::string>& args, const std::string& input = "") {
    auto r = cli_.Run(args, input);
    EXPECT_EQ(r.exit_code, 0) << Join(args) << "\n" << r.err;
    return r;
  }
  testing::ProcessResult Refused(const std::vector<std::string>& args,
                                 const std::string& input = "") {
    auto r = cli_.Run(args, input);
    EXPECT_NE(r.exit_code, 0) << Join(args) << "\n" << r.out;
    return r;
  }
  static std::string Join(const std::vector<std::string>& args) {
    std::string s;
    for (const auto& a : args) s += a + " ";
    return s;
  }
  // The token `vellum login` just stored (it must be there, private).
  void KeepToken(const std::string& who) {
    const std::string path = cli_.SessionFile();
    ASSERT_FALSE(path.empty()) << "no session file after signing in as " << who;
    EXPECT_EQ(FileMode(path), 0600) << path;
    EXPECT_EQ(FileMode(path.substr(0, path.rfind('/'))), 0700);
    std::string token = ReadAll(path);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    ASSERT_GE(token.size(), 40u) << "a 256-bit token";
    needles_.push_back({"session token of " + who, token});
  }
  std::string File(const std::string& name, const std::string& content) {
    return cli_.SecretFile(name, content);
  }

  testing::TempDir tmp_;
  Cli cli_{tmp_};
  std::vector<Needle> needles_;
};

TEST_F(SecretsTest, SecretsAppearNowhereButAuthDb) {
  const std::string admin_pw = File("admin.pw", kAdminPw);
  const std::string initial_pw = File("initial.pw", kInitialPw);
  const std::string chosen_pw = File("chosen.pw", kChosenPw);
  const std::string wrong_pw = File("wrong.pw", kWrongPw);
  const std::string reset_pw = File("reset.pw", kResetPw);
  const std::string first_change =
      File("first-change.pw", std::string(kInitialPw) + "\n" + kChosenPw);
  const std::string wrong_current =
      File("wrong-current.pw", std::string(kWrongPw) + "\n" + kResetPw);
  const std::string too_short = File("too-short.pw", std::string(kInitialPw) + "\n" + kShortPw);
  const std::string with_id = File("with-id.pw", std::string(kInitialPw) + "\n" + kWithIdPw);
  const std::string after_reset = File("after-reset.pw", std::string(kResetPw) + "\n" + kFinalPw);

  // The first administrator, unattended (AC-1): the password only in a file.
  Ok({"init", "--origin", "vellum.test/secrets", "--admin", "admin-1", "--admin-name", "Alex Admin",
      "--admin-email", "admin@example.org", "--password-file", admin_pw});
  Ok({"login", "--user", "admin-1", "--password-file", admin_pw});
  KeepToken("admin-1");
  Ok({"user", "add", "--id", "u-ann", "--name", "Ann Annotator", "--email", "ann@example.org",
      "--role", "annotator", "--password-file", initial_pw, "--reason", "joins the reading team"});
  Ok({"user", "add", "--service", "--id", "svc-import", "--name", "DICOM importer", "--role",
      "annotator", "--source-system", "dicom-importer", "--source-version", "3.2.1", "--reason",
      "imports studies"});
  auto key_run = Ok({"user", "apikey", "create", "--id", "svc-import", "--reason", "first key"});
  const std::string api_key = Lines(key_run.out).empty() ? "" : Lines(key_run.out)[0];
  ASSERT_GE(api_key.size(), 40u) << key_run.out;
  EXPECT_THAT(key_run.err, Not(HasSubstr(api_key))) << "the key is shown once, on stdout only";
  const size_t key_run_index = cli_.runs().size() - 1;
  const std::string key_file = File("svc.key", api_key);
  Ok({"policy", "set", "--session-idle-minutes", "30", "--reason", "longer reading sessions"});

  // The annotator: a wrong password, the one-time password, refused and accepted new ones.
  Refused({"login", "--user", "u-ann", "--password-file", wrong_pw});
  Ok({"login", "--user", "u-ann", "--password-file", initial_pw});
  KeepToken("u-ann (first)");
  auto r = Refused({"user", "passwd", "--password-file", too_short});
  EXPECT_THAT(r.err, HasSubstr("invalid_argument"));
  r = Refused({"user", "passwd", "--password-file", with_id});
  EXPECT_THAT(r.err, HasSubstr("user id"));
  Ok({"user", "passwd", "--password-file", first_change});
  Ok({"record", "create", "--type", "annotation", "--id", "a-1", "--reason", "first read"},
     R"({"label":"nodule","size_mm":4})");
  Ok({"record", "modify", "--type", "annotation", "--id", "a-1", "--reason", "re-measured"},
     R"({"label":"nodule","size_mm":5})");
  Ok({"record", "show", "--type", "annotation", "--id", "a-1"});
  Ok({"record", "history", "--type", "annotation", "--id", "a-1", "--format", "json"});
  Ok({"user", "show"});
  Ok({"logout"});
  Ok({"login", "--user", "u-ann", "--password-file", chosen_pw});
  KeepToken("u-ann (second)");
  Ok({"logout"});

  // The importer, with its key (DC-1).
  Ok({"--api-key-file", key_file, "record", "create", "--type", "annotation", "--id", "a-2",
      "--reason", "import"},
     R"({"label":"mass","size_mm":11})");

  // The administrator resets the annotator's password; the annotator fails the
  // current password once, then changes it.
  Ok({"login", "--user", "admin-1", "--password-file", admin_pw});
  KeepToken("admin-1 (second)");
  Ok({"user", "passwd", "--id", "u-ann", "--reason", "forgot it", "--password-file", reset_pw});
  Ok({"user", "list", "--format", "json"});
  Ok({"user", "list"});
  Ok({"user", "show", "--id", "u-ann", "--format", "json"});
  Ok({"policy", "show"});
  Ok({"log", "--format", "jsonl"});
  Ok({"log", "--format", "json"});
  Ok({"log", "--format", "table"});
  Ok({"proof", "inclusion", "--seq", "3"});
  Ok({"checkpoint"});
  Ok({"verify"});
  Ok({"--format", "json", "verify"});
  Ok({"login", "--user", "u-ann", "--password-file", reset_pw});
  KeepToken("u-ann (after reset)");
  Refused({"user", "passwd", "--password-file", wrong_current});
  Ok({"user", "passwd", "--password-file", after_reset});
  Ok({"logout"});
  // Locks an account: the alert goes to stderr (which is searched too).
  for (int i = 0; i < 5; ++i) Refused({"login", "--user", "u-ann", "--password-file", wrong_pw});
  // There is no way to give a password on the command line.
  auto no_option = cli_.Run({"login", "--user", "u-ann", "--password", "not-a-secret"});
  EXPECT_EQ(no_option.exit_code, 2) << "no --password option";

  // What auth.db holds: every password hash ever set, and the hashes of tokens and keys.
  const std::string auth = cli_.data() + "/auth.db";
  EXPECT_EQ(FileMode(auth), 0600);
  for (const char* suffix : {"-wal", "-shm"}) {
    if (FileMode(auth + suffix) >= 0) {
      EXPECT_EQ(FileMode(auth + suffix), 0600) << suffix;
    }
  }
  ASSERT_OK_AND_ASSIGN(auto db,
                       storage::sqlite::Database::Open(auth, /*create=*/false, /*read_only=*/true));
  int hashes = 0;
  {
    ASSERT_OK_AND_ASSIGN(
        auto q, db->Prepare("SELECT hash FROM passwords UNION SELECT hash FROM password_history"));
    for (;;) {
      ASSERT_OK_AND_ASSIGN(bool row, q.Step());
      if (!row) break;
      std::string hash(q.ColumnText(0));
      ASSERT_EQ(hash.rfind("$argon2id$", 0), 0u) << "argon2id hashes only";
      needles_.push_back({"password hash", hash});
      // Its salt and tag alone are as good as the whole for an offline attack.
      const size_t tag = hash.rfind('$'), salt = hash.rfind('$', tag - 1);
      needles_.push_back({"hash salt", hash.substr(salt + 1, tag - salt - 1)});
      needles_.push_back({"hash tag", hash.substr(tag + 1)});
      ++hashes;
    }
  }
  EXPECT_GE(hashes, 5) << "admin, and the annotator's initial, chosen, reset and last passwords";
  for (const char* sql : {"SELECT token_hash FROM sessions", "SELECT key_hash FROM api_keys"}) {
    ASSERT_OK_AND_ASSIGN(auto q, db->Prepare(sql));
    for (;;) {
      ASSERT_OK_AND_ASSIGN(bool row, q.Step());
      if (!row) break;
      needles_.push_back({"token/key hash (hex)", core::HexEncode(q.ColumnBlob(0))});
    }
  }
  for (const char* pw :
       {kAdminPw, kInitialPw, kChosenPw, kWrongPw, kResetPw, kFinalPw, kShortPw, kWithIdPw}) {
    needles_.push_back({"password", pw});
  }
  needles_.push_back({"API key", api_key});
  // The tokens and keys themselves never reach auth.db (only their hashes: AC-7).
  const std::string auth_bytes = ReadAll(auth) + ReadAll(auth + "-wal");
  for (const auto& n : needles_) {
    if (n.what.rfind("session token", 0) == 0 || n.what == "API key" || n.what == "password") {
      EXPECT_EQ(auth_bytes.find(n.bytes), std::string::npos) << n.what << " in auth.db";
    }
    if (n.what == "password hash") {
      // A control: the search does find a secret where it is.
      EXPECT_NE(auth_bytes.find(n.bytes), std::string::npos) << "the search cannot find " << n.what;
    }
  }

  // 1. Every file of the data directory but auth.db.
  int files = 0, naming_the_annotator = 0;
  for (const std::string& path : FilesBelow(cli_.data())) {
    const std::string name = path.substr(path.rfind('/') + 1);
    if (name.rfind("auth.db", 0) == 0) continue;
    const std::string bytes = ReadAll(path);
    ++files;
    naming_the_annotator += bytes.find("u-ann") != std::string::npos;
    for (const auto& n : needles_) {
      EXPECT_EQ(bytes.find(n.bytes), std::string::npos) << n.what << " found in " << path;
    }
  }
  EXPECT_GE(files, 6) << "vellum.toml, keys, a segment, offsets, tree, checkpoints, records.db";
  EXPECT_GE(naming_the_annotator, 2)
      << "a control: the ledger segment and records.db were searched";

  // 2. Everything any command printed, and every command line.
  ASSERT_GE(cli_.runs().size(), 35u);
  for (size_t i = 0; i < cli_.runs().size(); ++i) {
    const auto& run = cli_.runs()[i];
    std::string argv;
    for (const auto& a : run.argv) argv += a + " ";
    for (const auto& n : needles_) {
      const bool key_shown_here = i == key_run_index && n.what == "API key";
      if (!key_shown_here) {
        EXPECT_EQ(run.result.out.find(n.bytes), std::string::npos)
            << n.what << " on stdout of " << argv;
      }
      EXPECT_EQ(run.result.err.find(n.bytes), std::string::npos)
          << n.what << " on stderr of " << argv;
      EXPECT_EQ(argv.find(n.bytes), std::string::npos) << n.what << " on the command line " << argv;
    }
  }

  // 3. The trail's export, read fresh (the lockout and everything since included).
  Ok({"login", "--user", "admin-1", "--password-file", admin_pw});
  auto exported = Ok({"log", "--format", "jsonl"});
  EXPECT_GT(Lines(exported.out).size(), 25u);
  EXPECT_THAT(exported.out, HasSubstr("security.account_locked"));
  EXPECT_THAT(exported.out, HasSubstr("user.password_changed"));
  EXPECT_THAT(exported.out, HasSubstr("user.api_key_created"));
  for (const auto& n : needles_) {
    EXPECT_EQ(exported.out.find(n.bytes), std::string::npos) << n.what << " in the exported trail";
  }
}

}  // namespace
}  // namespace vellum::identity_test
