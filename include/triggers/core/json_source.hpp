/*
 * json_source.hpp — reading JSON text written by people: comments, duplicate
 * keys and absurd nesting are handled here, before anything else parses it.
 */
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace triggers::core {

/* Deepest nesting we accept in a definition (objects and arrays). */
constexpr int kMaxDefinitionDepth = 64;

struct JsonSourceResult {
  bool ok = false;
  std::string text;           /* the input with comments blanked out (same offsets) */
  nlohmann::json value;       /* the parsed document when ok */
  std::string error;          /* what is wrong, when !ok */
  bool syntax_error = false;  /* not JSON at all (vs. valid JSON we refuse) */
};

/*
 * Parses JSON text that may contain // and block comments; refuses duplicate
 * keys at any level and nesting deeper than max_depth.  Never throws for bad
 * input; nlohmann's parser is iterative, so depth cannot overflow the stack.
 */
JsonSourceResult ParseJsonSource(std::string_view source, bool allow_comments,
                                 int max_depth = kMaxDefinitionDepth);

}  // namespace triggers::core
