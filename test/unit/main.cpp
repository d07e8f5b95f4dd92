/* main.cpp — runs every registered unit test. */
#include "unit_test.hpp"

int main() {
  int passed = 0, failed = 0;
  for (const auto &test : unit::Registry()) {
    int before = unit::Failures();
    test.body();
    bool ok = unit::Failures() == before;
    std::printf("%s %s\n", ok ? "ok" : "not ok", test.name);
    ok ? ++passed : ++failed;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
