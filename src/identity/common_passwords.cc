#include "identity/common_passwords.h"

#include <sodium.h>

#include <algorithm>
#include <string>

namespace vellum::identity {

bool IsCommonPassword(std::string_view password) {
  std::string lower(password);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  auto list = internal::CommonPasswordList();
  bool found = std::binary_search(list.begin(), list.end(), std::string_view(lower));
  sodium_memzero(lower.data(), lower.size());
  return found;
}

}  // namespace vellum::identity
