#include "core/thread_name.h"

#include <pthread.h>

#include <algorithm>
#include <string>

namespace vellum::core {

void NameThisThread(std::string_view name) {
  // The kernel's limit is 16 bytes with the terminating NUL; longer names are
  // refused (ERANGE) rather than cut, so cut them here.
  const std::string cut(name.substr(0, std::min<size_t>(name.size(), 15)));
  pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace vellum::core
