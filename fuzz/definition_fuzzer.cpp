/*
 * definition_fuzzer.cpp — libFuzzer target for the workflow definition reader.
 *
 * Random bytes go to ParseJsonSource (comments allowed, the default depth
 * limit), exactly as triggers_load_workflow hands them over; whatever parses
 * is validated and every problem is formatted, as triggers_validate does.
 * Any crash, sanitizer report, uncaught exception or violated property
 * (see LLVMFuzzerTestOneInput) is a bug in src/core.
 *
 * Build and run with fuzz/run.sh SECONDS (see there for the clang++ line).
 */
// clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude
//         fuzz/definition_fuzzer.cpp src/core/*.cpp
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "triggers/core/definition.hpp"
#include "triggers/core/json_source.hpp"

namespace core = triggers::core;

namespace {

/*
 * Valid UTF-8 as PostgreSQL's UTF8 encoding defines it (pg_utf8_islegal):
 * no overlong forms, no surrogates, nothing above U+10FFFF, and no NUL
 * (text values cannot hold one).
 */
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (c == 0 || len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    unsigned char c1 = len > 1 ? static_cast<unsigned char>(s[i + 1]) : 0;
    if (len == 2 && c < 0xc2) return false;
    if (len == 3 && ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f))) return false;
    if (len == 4 && ((c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 > 0x8f) || c > 0xf4)) return false;
    i += len;
  }
  return true;
}

/* FUZZ_CHECK_UTF8=0 turns the UTF-8 property off (to look for memory errors only). */
bool check_utf8 = true;

[[noreturn]] void Violated(const char *what, const std::string &text) {
  std::fprintf(stderr, "PROPERTY VIOLATED: %s (%zu bytes): %.300s\n", what, text.size(), text.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  const char *env = std::getenv("FUZZ_CHECK_UTF8");
  check_utf8 = env == nullptr || std::strcmp(env, "0") != 0;
  return 0;
}

/*
 * Properties: nothing crashes, leaks or trips a sanitizer; a refusal always
 * says why; the comment-blanked text keeps the input's length; and for input
 * that is valid UTF-8 (all PostgreSQL can pass in a UTF8 database) the error
 * and every formatted problem are valid UTF-8 too, since they become
 * PostgreSQL error messages and text values.
 */
extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view source(reinterpret_cast<const char *>(data), size);
  bool utf8_input = check_utf8 && IsValidUtf8(source);
  core::JsonSourceResult parsed = core::ParseJsonSource(source, true);
  if (!parsed.ok) {
    if (parsed.error.empty()) Violated("a refusal without a reason", parsed.error);
    if (utf8_input && !IsValidUtf8(parsed.error)) Violated("error message is not valid UTF-8", parsed.error);
    return 0;
  }
  if (parsed.text.size() != size) Violated("comment blanking changed the length", parsed.text);
  std::vector<core::Problem> problems = core::ValidateDefinition(parsed.value);
  for (const core::Problem &p : problems) {
    std::string line = core::FormatProblem(p);
    if (utf8_input && !IsValidUtf8(line)) Violated("problem text is not valid UTF-8", line);
  }
  /* Names are checked on their own too, as _check_name does with any text. */
  (void)core::IsValidName(source);
  (void)core::IsValidQueueName(source);
  return 0;
}
