#include <cstdio>

int main() {
  std::puts("vellum " VELLUM_VERSION);
  return 0;
}
