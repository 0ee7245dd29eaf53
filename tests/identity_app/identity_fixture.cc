#include "identity_app/identity_fixture.h"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/provision.h"

namespace vellum::identity_test {

namespace json = boost::json;

StatusOr<std::unique_ptr<World>> World::Create() {
  std::unique_ptr<World> w(new World());
  w->dir_ = w->tmp_.Sub("data");
  app::InitOptions init;
  init.origin = "vellum.test/identity";
  init.admin = {kAdminId, kAdminName, "admin@example.org", kAdminPassword};
  app::OpenOptions o;
  o.clock = &w->clock_;
  o.lock_wait_ms = 0;
  ASSIGN_OR_RETURN(w->vellum_, app::Vellum::Init(w->dir_, init, o));
  ASSIGN_OR_RETURN(w->admin_, app::SignIn(*w->vellum_, kAdminId, kAdminPassword, "ws-admin"));
  return w;
}

World::~World() { vellum_.reset(); }

identity::User PersonNamed(const std::string& id, std::vector<identity::Role> roles) {
  identity::User u;
  u.id = id;
  u.name = "Name of " + id;
  u.email = id + "@example.org";
  u.roles = std::move(roles);
  return u;
}

StatusOr<app::Principal> World::AddPerson(const std::string& id, std::vector<identity::Role> roles,
                                          const std::string& password, const std::string& client) {
  app::Principal admin = admin_;
  admin.client = client;
  return app::ProvisionPerson(*vellum_, admin, PersonNamed(id, std::move(roles)), password,
                              "test account");
}

Status World::AddNewPerson(const std::string& id, std::vector<identity::Role> roles,
                           const std::string& initial) {
  return vellum_
      ->CreateUser(admin_, PersonNamed(id, std::move(roles)), initial, std::string("test account"))
      .status();
}

Status World::AddService(const std::string& id, std::vector<identity::Role> roles,
                         const std::string& system, const std::string& version) {
  identity::User u;
  u.id = id;
  u.name = "Service " + id;
  u.kind = identity::AccountKind::kService;
  u.roles = std::move(roles);
  u.source_system = system;
  u.source_version = version;
  return vellum_->CreateUser(admin_, std::move(u), "", std::string("test service")).status();
}

StatusOr<app::Session> World::Login(const std::string& id, const std::string& password,
                                    const std::string& client) {
  app::LoginRequest r;
  r.user_id = id;
  r.password = password;
  r.client = client;
  return vellum_->Login(r);
}

std::vector<ledger::Event> EventsFrom(app::Vellum& v, uint64_t from) {
  std::vector<ledger::Event> out;
  for (uint64_t seq = from; seq < v.Size(); ++seq) {
    auto line = v.ledger().ReadEvent(seq);
    if (!line.ok()) continue;
    auto e = ledger::DecodeEvent(*line);
    if (e.ok()) out.push_back(std::move(*e));
  }
  return out;
}

std::vector<ledger::Event> EventsOfType(const std::vector<ledger::Event>& events,
                                        std::string_view type) {
  std::vector<ledger::Event> out;
  for (const auto& e : events) {
    if (e.type == type) out.push_back(e);
  }
  return out;
}

std::string DataString(const ledger::Event& e, std::string_view key) {
  const json::value* v = e.data.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

int64_t DataInt(const ledger::Event& e, std::string_view key) {
  const json::value* v = e.data.if_contains(key);
  if (!v) return -1;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  return -1;
}

records::CreateRecord NewRecord(const std::string& id) {
  return {"annotation", id, json::object{{"label", "nodule"}, {"size_mm", 4}}, std::nullopt,
          std::nullopt};
}

records::ModifyRecord ChangeRecord(const std::string& id, int n) {
  return {"annotation",  id,           json::object{{"label", "nodule"}, {"size_mm", 4 + n}},
          "re-measured", std::nullopt, std::nullopt};
}

records::DeleteRecord RemoveRecord(const std::string& id) {
  return {"annotation", id, "entered in error", std::nullopt};
}

Cli::Cli(const testing::TempDir& tmp)
    : tmp_(tmp.path()), data_(tmp.Sub("data")), config_(tmp.Sub("config")) {}

testing::ProcessResult Cli::Run(const std::vector<std::string>& args, const std::string& input) {
  std::vector<std::string> argv = {testing::VellumBinary(), "--data", data_};
  argv.insert(argv.end(), args.begin(), args.end());
  // Nothing from the test's own environment decides where the session lives or who acts.
  auto r = testing::RunProcess(argv, input,
                               {"XDG_CONFIG_HOME=" + config_,
                                "VELLUM_SESSION_FILE=", "VELLUM_API_KEY_FILE=", "VELLUM_DATA="});
  runs_.push_back({argv, r});
  return r;
}

std::string Cli::SecretFile(const std::string& name, const std::string& secret) const {
  std::string path = tmp_ + "/" + name;
  testing::WriteFileOrDie(path, secret + "\n");
  // As a secret is kept: readable by its owner only (an API key file others can read is refused).
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace);
  return path;
}

std::string Cli::SessionFile() const {
  std::string dir = config_ + "/vellum/sessions";
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file()) return e.path().string();
  }
  return "";
}

struct AlertCapture::Impl {
  std::ostringstream out;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink;
};

AlertCapture::AlertCapture() : impl_(std::make_unique<Impl>()) {
  impl_->sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(impl_->out);
  impl_->sink->set_level(spdlog::level::warn);
  impl_->sink->set_pattern("%l: %v");
  spdlog::default_logger()->sinks().push_back(impl_->sink);
}

AlertCapture::~AlertCapture() {
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), impl_->sink), sinks.end());
}

std::string AlertCapture::text() const {
  impl_->sink->flush();
  return impl_->out.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

std::vector<std::string> FilesBelow(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) out.push_back(it->path().string());
  }
  return out;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int FileMode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

}  // namespace vellum::identity_test
