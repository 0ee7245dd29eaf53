#include "testing/go_tool.h"

#include <filesystem>
#include <map>

#include "testing/test_env.h"

namespace vellum::testing {
namespace {

constexpr char kGoPath[] = "/usr/share/gocode";

GoTool Build(const std::string& name, const TempDir& dir) {
  GoTool t;
  if (!HaveProgram("go")) {
    t.skip = "go is not installed";
    return t;
  }
  if (!std::filesystem::exists(std::string(kGoPath) + "/src/golang.org/x/mod/sumdb/note/note.go")) {
    t.skip = "golang.org/x/mod sources are not installed (golang-golang-x-mod-dev)";
    return t;
  }
  const std::string out = dir.Sub(name);
  auto r = RunProcess(
      {"go", "build", "-o", out, SourceDir() + "/tests/tools/go/" + name + "/main.go"}, "",
      {"GO111MODULE=off", std::string("GOPATH=") + kGoPath, "GOCACHE=" + dir.Sub("gocache"),
       "GOFLAGS=", "CGO_ENABLED=0"});
  if (r.exit_code != 0) {
    t.error = "building " + name + " failed: " + r.out + r.err;
    return t;
  }
  t.path = out;
  return t;
}

}  // namespace

const GoTool& BuildGoTool(const std::string& name) {
  static TempDir dir;
  static std::map<std::string, GoTool> built;
  auto it = built.find(name);
  if (it == built.end()) it = built.emplace(name, Build(name, dir)).first;
  return it->second;
}

}  // namespace vellum::testing
