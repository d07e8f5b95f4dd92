// A claimed task and the answers the worker gives about it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "handler_process.hpp"

namespace triggers::worker {

// One row of triggers_claim, kwargs kept as the server's JSON text so that
// numbers reach the handler exactly as stored.
struct Task {
  int64_t task_id = 0;
  std::string session, instance, task, run, queue;
  std::string kwargs = "{}";
  int attempt = 1;
};

// What the worker tells the database about a task.
struct Answer {
  enum class Kind { kFinish, kFail, kHandBack } kind = Kind::kFinish;
  Task task;
  std::string payload = "{}";  // result (finish) or error object (fail), JSON text
  std::string summary;         // short description for the log
  double duration = 0;         // seconds the handler ran
  int tries = 0;               // deliveries that got a transient error
  bool minimal = false;        // a fail reduced to type and message after a refusal
};

// The JSON object written to a handler's standard input.
std::string BuildHandlerInput(const Task& task);

// The environment entries ("NAME=value") a handler gets besides the worker's.
std::vector<std::string> BuildHandlerEnv(const Task& task, const std::string& worker_name);

// Checks handler output: "" when it is a JSON object (or only whitespace,
// which means {}), else why not. Uses a streaming parser, so no document is
// built and no depth can overflow the stack.
std::string CheckResultText(const std::string& text);

// Turns a finished handler into an answer: finish with its output, or fail
// with type/message/traceback/context.
Answer AnswerFromOutcome(const Task& task, const HandlerOutcome& outcome, const std::string& worker_name,
                         double duration);

// A fail answer with the given error type and message (no handler output).
Answer FailAnswer(const Task& task, const std::string& type, const std::string& message,
                  const std::string& worker_name, double duration, const std::string& traceback = "");

// The signal's name for messages ("SIGKILL"), or its number.
std::string SignalName(int sig);

}  // namespace triggers::worker
