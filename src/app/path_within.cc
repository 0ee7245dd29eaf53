#include "app/path_within.h"

#include <algorithm>
#include <filesystem>

namespace vellum::app {

bool IsWithinDirectory(const std::string& path, const std::string& dir) {
  auto resolve = [](const std::string& x, std::error_code& ec) {
    std::filesystem::path r = std::filesystem::weakly_canonical(x, ec);
    return r.has_filename() ? r : r.parent_path();  // "d/" is "d"
  };
  std::error_code ec;
  const std::filesystem::path p = resolve(path, ec);
  if (ec) return false;
  const std::filesystem::path d = resolve(dir, ec);
  if (ec) return false;
  return std::mismatch(d.begin(), d.end(), p.begin(), p.end()).first == d.end();
}

}  // namespace vellum::app
