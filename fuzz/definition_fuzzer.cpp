/*
 * definition_fuzzer.cpp — libFuzzer target for the workflow definition reader.
 *
 * Random bytes go to ParseJsonSource (comments allowed, the default depth
 * limit), exactly as triggers_load_workflow hands them over; whatever parses
 * is validated and every problem is formatted, as triggers_validate does.
 * Any crash, sanitizer report or uncaught exception is a bug in src/core.
 *
 * Build and run with fuzz/run.sh SECONDS (see there for the clang++ line).
 */
// clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude
//         fuzz/definition_fuzzer.cpp src/core/*.cpp
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "triggers/core/definition.hpp"
#include "triggers/core/json_source.hpp"

namespace core = triggers::core;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view source(reinterpret_cast<const char *>(data), size);
  core::JsonSourceResult parsed = core::ParseJsonSource(source, true);
  if (!parsed.ok) {
    /* The blanked text keeps the input's length; a failure always says why. */
    if (parsed.error.empty()) __builtin_trap();
    return 0;
  }
  if (parsed.text.size() != size) __builtin_trap();
  std::vector<core::Problem> problems = core::ValidateDefinition(parsed.value);
  size_t total = 0;
  for (const core::Problem &p : problems) total += core::FormatProblem(p).size();
  /* Names are checked on their own too, as _check_name does with any text. */
  (void)core::IsValidName(source);
  (void)core::IsValidQueueName(source);
  return total == SIZE_MAX ? 1 : 0;
}
