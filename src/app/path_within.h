// Where an output directory may go: commands that write beside a data
// directory (tiles, backup, restore) refuse to write into it, or into their input.
#pragma once

#include <string>

namespace vellum::app {

// Whether `path` is `dir` or below it, as the file system resolves them
// (symbolic links, "..", a trailing '/'); parts that do not exist yet are
// taken as written. False when either cannot be resolved.
bool IsWithinDirectory(const std::string& path, const std::string& dir);

}  // namespace vellum::app
