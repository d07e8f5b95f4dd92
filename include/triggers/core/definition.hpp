/*
 * definition.hpp — the rules a workflow definition (task name -> task
 * configuration) must follow; SPEC section 3, "Task configuration directives".
 */
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "triggers/core/names.hpp"

namespace triggers::core {

/* One thing wrong with a definition. */
struct Problem {
  std::string task;       /* the task concerned ("" when about the whole definition) */
  std::string directive;  /* the directive concerned, "" when none */
  std::string message;    /* lower-case clause, e.g. "\"after\" must be an array of strings" */
};

/* Every problem of a definition, in task order; empty when it is valid. */
std::vector<Problem> ValidateDefinition(const nlohmann::json &definition);

/* One problem as a line of text: task "t1": "run" must be a non-empty string. */
std::string FormatProblem(const Problem &p);

}  // namespace triggers::core
