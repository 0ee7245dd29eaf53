# cmake -DINPUT=<common-passwords.txt> -DOUTPUT=<file.cc> -P EmbedCommonPasswords.cmake
#
# Turns the committed list (one password per line, lower-case, sorted by bytes;
# see data/README.md) into a C++ array of std::string_view that
# src/identity/common_passwords.cc searches with std::binary_search. The order
# is the file's: the generator does not sort, and a test checks it is sorted.
if(NOT INPUT OR NOT OUTPUT)
  message(FATAL_ERROR "EmbedCommonPasswords.cmake needs -DINPUT and -DOUTPUT")
endif()
file(READ "${INPUT}" content)
string(REPLACE "\r" "" content "${content}")
string(REGEX REPLACE "\n+$" "" content "${content}")
if(content MATCHES "[^\n\t -~]")
  message(FATAL_ERROR "${INPUT}: only printable ASCII is expected (regenerate it)")
endif()
# Escape for a C++ string literal, then make each line one element.
string(REPLACE "\\" "\\\\" content "${content}")
string(REPLACE "\"" "\\\"" content "${content}")
string(REPLACE "\n" "\",\n    \"" content "${content}")
file(WRITE "${OUTPUT}.tmp" "// Generated from data/common-passwords.txt by cmake/EmbedCommonPasswords.cmake.
// Do not edit: regenerate the list (data/README.md) and rebuild.
#include <span>
#include <string_view>

namespace vellum::identity::internal {
namespace {
constexpr std::string_view kList[] = {
    \"${content}\",
};
}  // namespace

std::span<const std::string_view> CommonPasswordList() { return kList; }

}  // namespace vellum::identity::internal
")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
