/*
 * unit_test.hpp — a minimal test harness for the C++ core (no PostgreSQL).
 * TEST(name) registers a test; CHECK(cond) records a failure and goes on.
 * main() runs them all and prints "N passed, M failed".
 */
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace unit {

struct Test {
  const char *name;
  std::function<void()> body;
};

inline std::vector<Test> &Registry() {
  static std::vector<Test> tests;
  return tests;
}

inline int &Failures() {
  static int failures = 0;
  return failures;
}

struct Register {
  Register(const char *name, std::function<void()> body) { Registry().push_back({name, std::move(body)}); }
};

}  // namespace unit

#define TEST(name)                                             \
  static void name();                                          \
  static unit::Register register_##name(#name, name);          \
  static void name()

#define CHECK(cond)                                                                      \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::printf("    %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);           \
      ++unit::Failures();                                                                \
    }                                                                                    \
  } while (0)
