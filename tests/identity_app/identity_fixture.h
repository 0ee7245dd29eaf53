// Shared pieces of the identity tests (issue 3): a data directory with its
// first administrator signed in, on a settable clock; accounts made through
// the product's own path (an administrator creates them, their owner chooses a
// password); and the events a command appended, read back from the ledger.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app/principal.h"
#include "app/vellum.h"
#include "core/clock.h"
#include "core/status.h"
#include "identity/roles.h"
#include "ledger/event.h"
#include "records/records.h"
#include "testing/test_env.h"

namespace vellum::identity_test {

inline constexpr char kAdminId[] = "admin-1";
inline constexpr char kAdminName[] = "Alex Admin (system administrator)";
inline constexpr char kAdminPassword[] = "correct horse battery staple of the admin";
// 2026-03-02T08:00:00Z: a plausible "now" for events made on the fake clock.
inline constexpr int64_t kStartMicros = 1772438400LL * 1'000'000;
inline constexpr int64_t kMinute = 60LL * 1'000'000;
inline constexpr int64_t kDay = 24 * 60 * kMinute;

// One data directory, opened on a FakeClock, with the administrator signed in.
// The directory lives as long as the World.
class World {
 public:
  static StatusOr<std::unique_ptr<World>> Create();
  ~World();

  app::Vellum& v() { return *vellum_; }
  core::FakeClock& clock() { return clock_; }
  const app::Principal& admin() const { return admin_; }
  const std::string& dir() const { return dir_; }

  // Creates a person holding `roles` (user id `id`, printed name "Name of <id>")
  // and returns their signed-in principal, `password` being the one they chose
  // at first sign-in. Costs about six argon2id computations.
  StatusOr<app::Principal> AddPerson(const std::string& id, std::vector<identity::Role> roles,
                                     const std::string& password,
                                     const std::string& client = "ws-test");
  // Creates a person who has not signed in yet: `initial` is the one-time
  // password the administrator set (they must change it first).
  Status AddNewPerson(const std::string& id, std::vector<identity::Role> roles,
                      const std::string& initial);
  // Creates a service account (no password; API keys only).
  Status AddService(const std::string& id, std::vector<identity::Role> roles,
                    const std::string& system = "importer", const std::string& version = "2.4.1");
  // Signs `id` in and returns the whole session (token included).
  StatusOr<app::Session> Login(const std::string& id, const std::string& password,
                               const std::string& client = "ws-test");
  // Changes the security policy as the administrator: `edit` changes a copy of
  // the policy in force.
  template <typename F>
  Status EditPolicy(F edit) {
    auto p = vellum_->GetPolicy(admin_);
    if (!p.ok()) return p.status();
    identity::SecurityPolicy next = *p;
    edit(next);
    return vellum_->SetPolicy(admin_, next, "test setting").status();
  }

 private:
  World() : clock_(kStartMicros) {}
  testing::TempDir tmp_;
  std::string dir_;
  core::FakeClock clock_;
  std::unique_ptr<app::Vellum> vellum_;
  app::Principal admin_;
};

// A test with a fresh World of its own.
class WorldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto w = World::Create();
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    w_ = std::move(*w);
  }
  app::Vellum& v() { return w_->v(); }

  std::unique_ptr<World> w_;
};

// The real `vellum` binary on one data directory, with its own config home
// (where `vellum login` keeps the session file). Every run is kept, so a test
// can look through everything the commands printed.
class Cli {
 public:
  explicit Cli(const testing::TempDir& tmp);
  // `vellum --data <data> args...`, stdin = `input`.
  testing::ProcessResult Run(const std::vector<std::string>& args, const std::string& input = "");
  // Writes `secret` and a newline to a file in the temporary directory; returns its path.
  std::string SecretFile(const std::string& name, const std::string& secret) const;
  // The session file `vellum login` writes for this data directory.
  std::string SessionFile() const;

  const std::string& data() const { return data_; }
  const std::string& config_home() const { return config_; }
  struct Transcript {
    std::vector<std::string> argv;
    testing::ProcessResult result;
  };
  const std::vector<Transcript>& runs() const { return runs_; }

 private:
  std::string tmp_, data_, config_;
  std::vector<Transcript> runs_;
};

// Collects what the application logs at warning level and above (the alert
// channel) while it lives.
class AlertCapture {
 public:
  AlertCapture();
  ~AlertCapture();
  AlertCapture(const AlertCapture&) = delete;
  AlertCapture& operator=(const AlertCapture&) = delete;
  std::string text() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Lines of `text` (without '\n').
std::vector<std::string> Lines(const std::string& text);
// Every regular file below `dir` (recursively), as paths.
std::vector<std::string> FilesBelow(const std::string& dir);

// A person's account content for CreateUser.
identity::User PersonNamed(const std::string& id, std::vector<identity::Role> roles);

// Every event with seq >= `from`, decoded.
std::vector<ledger::Event> EventsFrom(app::Vellum& v, uint64_t from);
// Only those of `type`.
std::vector<ledger::Event> EventsOfType(const std::vector<ledger::Event>& events,
                                        std::string_view type);
// A string field of an event's data ("" when absent or not a string).
std::string DataString(const ledger::Event& e, std::string_view key);
// A numeric field of an event's data (-1 when absent).
int64_t DataInt(const ledger::Event& e, std::string_view key);

// A plain record for the record commands.
records::CreateRecord NewRecord(const std::string& id);
records::ModifyRecord ChangeRecord(const std::string& id, int n);
records::DeleteRecord RemoveRecord(const std::string& id);

// Reads a whole file ("" when it cannot be read).
std::string ReadAll(const std::string& path);
// Permission bits of a file (-1 when it cannot be stat'ed).
int FileMode(const std::string& path);

}  // namespace vellum::identity_test
