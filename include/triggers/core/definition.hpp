/*
 * definition.hpp — the rules a workflow definition (task name -> task
 * configuration) must follow; SPEC section 3, "Task configuration directives".
 */
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

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

/* Session ids and trigger, task, workflow and worker names: 1-255 characters, no controls. */
bool IsValidName(std::string_view name);

/* Queue names: 1-54 characters from A-Z a-z 0-9 _ . - (so triggers_<queue> is an identifier). */
bool IsValidQueueName(std::string_view name);

}  // namespace triggers::core
