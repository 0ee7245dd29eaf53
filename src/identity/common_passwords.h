// The list of common and breached passwords that new passwords are checked against
// (NIST SP 800-63B rev. 4 §3.1.1.2). It is data/common-passwords.txt (zxcvbn 4.4.2's
// `passwords` frequency list, ~30,000 entries; see data/README.md), compiled into the binary
// at build time so that no deployment can run without it.
#pragma once

#include <span>
#include <string_view>

namespace vellum::identity {

// True when `password`, with ASCII letters folded to lower case, is on the list.
bool IsCommonPassword(std::string_view password);

namespace internal {
// The embedded list: lower-case, deduplicated, sorted by bytes (what binary search needs).
// Defined in the file that CMake generates from data/common-passwords.txt.
std::span<const std::string_view> CommonPasswordList();
}  // namespace internal

}  // namespace vellum::identity
