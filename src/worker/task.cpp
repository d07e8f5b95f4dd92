#include "task.hpp"

#include <csignal>
#include <cstring>
#include <nlohmann/json.hpp>

namespace triggers::worker {

namespace {

using nlohmann::json;

// Serialises without throwing on invalid UTF-8 (stderr may hold anything).
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Handler output kept in an error: NUL bytes become U+FFFD, since jsonb cannot
// store \u0000 and the whole fail would be refused (and the task run again).
std::string StorableText(std::string text) {
  static const std::string kReplacement = "\xEF\xBF\xBD";
  for (size_t at = text.find('\0'); at != std::string::npos; at = text.find('\0', at + kReplacement.size()))
    text.replace(at, 1, kReplacement);
  return text;
}

// A SAX consumer that builds nothing: records whether the top-level value is
// an object and keeps the parser's error message.
class ShapeChecker : public nlohmann::json_sax<json> {
 public:
  bool top_is_object = false;
  bool seen_value = false;
  std::string error;

  bool null() override { return Scalar(); }
  bool boolean(bool) override { return Scalar(); }
  bool number_integer(number_integer_t) override { return Scalar(); }
  bool number_unsigned(number_unsigned_t) override { return Scalar(); }
  bool number_float(number_float_t, const string_t&) override { return Scalar(); }
  bool string(string_t&) override { return Scalar(); }
  bool binary(binary_t&) override { return Scalar(); }
  bool start_object(std::size_t) override { return Start(true); }
  bool end_object() override { --depth_; return true; }
  bool start_array(std::size_t) override { return Start(false); }
  bool end_array() override { --depth_; return true; }
  bool key(string_t&) override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override {
    error = ex.what();
    return false;
  }

 private:
  bool Scalar() {
    if (!seen_value) seen_value = true;
    return true;
  }
  bool Start(bool object) {
    if (!seen_value) { seen_value = true; top_is_object = object; }
    ++depth_;
    return true;
  }
  int depth_ = 0;
};

// Returns the last bytes of TEXT, at most LIMIT, starting on a UTF-8
// character boundary.
std::string Tail(const std::string& text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t start = text.size() - limit;
  while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
  return text.substr(start);
}

// The common context object of fail answers.
json BaseContext(const Task& task, const std::string& worker_name, double duration) {
  return json{{"worker", worker_name}, {"run", task.run}, {"attempt", task.attempt},
              {"task_id", task.task_id}, {"duration", duration}};
}

}  // namespace

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  if (abbrev != nullptr) return std::string("SIG") + abbrev;
  return "signal " + std::to_string(sig);
}

std::string BuildHandlerInput(const Task& task) {
  std::string s = "{\"session\":" + Dump(task.session);
  s += ",\"instance\":" + Dump(task.instance);
  s += ",\"task\":" + Dump(task.task);
  s += ",\"run\":" + Dump(task.run);
  s += ",\"queue\":" + Dump(task.queue);
  s += ",\"kwargs\":" + (task.kwargs.empty() ? std::string("{}") : task.kwargs);
  s += ",\"attempt\":" + std::to_string(task.attempt);
  s += "}\n";
  return s;
}

std::vector<std::string> BuildHandlerEnv(const Task& task, const std::string& worker_name) {
  return {
      "TRIGGERS_TASK_ID=" + std::to_string(task.task_id),
      "TRIGGERS_SESSION=" + task.session,
      "TRIGGERS_INSTANCE=" + task.instance,
      "TRIGGERS_TASK=" + task.task,
      "TRIGGERS_QUEUE=" + task.queue,
      "TRIGGERS_ATTEMPT=" + std::to_string(task.attempt),
      "TRIGGERS_WORKER=" + worker_name,
  };
}

std::string CheckResultText(const std::string& text) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return "";
  ShapeChecker checker;
  bool ok = json::sax_parse(text, &checker, json::input_format_t::json, true);
  if (!ok) return "it is not valid JSON (" + checker.error + ")";
  if (!checker.top_is_object) return "it is valid JSON but not an object";
  return "";
}

Answer FailAnswer(const Task& task, const std::string& type, const std::string& message,
                  const std::string& worker_name, double duration, const std::string& traceback) {
  Answer a;
  a.kind = Answer::Kind::kFail;
  a.task = task;
  a.duration = duration;
  a.summary = type + ": " + message;
  json error{{"type", type}, {"message", message}, {"context", BaseContext(task, worker_name, duration)}};
  if (!traceback.empty()) error["traceback"] = StorableText(traceback);
  a.payload = Dump(error);
  return a;
}

Answer AnswerFromOutcome(const Task& task, const HandlerOutcome& o, const std::string& worker_name,
                         double duration) {
  std::string traceback = Tail(o.err_tail, HandlerProcess::kStderrTail);
  auto with_stderr = [&](Answer a) {
    json error = json::parse(a.payload);
    error["context"]["stderr_bytes"] = o.err_total;
    error["context"]["stderr_truncated"] = o.err_total > traceback.size();
    if (o.exited) error["context"]["exit_status"] = o.exit_status;
    if (o.signal != 0) error["context"]["signal"] = SignalName(o.signal);
    a.payload = Dump(error);
    return a;
  };
  if (!o.exited) {
    std::string msg = "handler \"" + task.run + "\" was killed by " + SignalName(o.signal);
    return with_stderr(FailAnswer(task, "HandlerExit", msg, worker_name, duration, traceback));
  }
  if (o.exit_status != 0) {
    std::string msg = "handler \"" + task.run + "\" exited with status " + std::to_string(o.exit_status);
    return with_stderr(FailAnswer(task, "HandlerExit", msg, worker_name, duration, traceback));
  }
  if (o.out_too_large) {
    std::string msg = "handler \"" + task.run + "\" wrote more than " +
                      std::to_string(HandlerProcess::kMaxOutput) + " bytes on standard output";
    return with_stderr(FailAnswer(task, "InvalidOutput", msg, worker_name, duration, traceback));
  }
  std::string problem = CheckResultText(o.out);
  if (!problem.empty()) {
    std::string msg = "handler \"" + task.run + "\" exited with status 0 but its standard output is not a JSON object: " + problem;
    Answer a = with_stderr(FailAnswer(task, "InvalidOutput", msg, worker_name, duration, traceback));
    json error = json::parse(a.payload);
    error["context"]["output_head"] = StorableText(o.out.substr(0, 256));
    a.payload = Dump(error);
    return a;
  }
  Answer a;
  a.kind = Answer::Kind::kFinish;
  a.task = task;
  a.duration = duration;
  a.payload = o.out.find_first_not_of(" \t\r\n") == std::string::npos ? "{}" : o.out;
  a.summary = "exit 0";
  return a;
}

}  // namespace triggers::worker
