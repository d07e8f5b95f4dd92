/*
 * definition.cpp — validation of workflow definitions, including the cycle
 * check (a task waiting, directly or through cascades, on its own completion).
 */
#include "triggers/core/core_only.hpp"
#include "triggers/core/definition.hpp"
#include "triggers/core/utf8.hpp"

#include <cmath>
#include <map>
#include <set>

namespace triggers::core {

namespace {

using nlohmann::json;
constexpr size_t kMaxNameChars = 255;

void Add(std::vector<Problem> &out, const std::string &task, const std::string &directive,
         const std::string &message) {
  out.push_back({task, directive, message});
}

bool IsNameArray(const json &v) {
  if (!v.is_array()) return false;
  for (const auto &item : v)
    if (!item.is_string() || !IsValidName(item.get_ref<const std::string &>())) return false;
  return true;
}

void CheckAfter(const std::string &task, const json &cfg, std::vector<Problem> &out) {
  auto it = cfg.find("after");
  if (it == cfg.end()) return Add(out, task, "after", "\"after\" is required");
  if (!IsNameArray(*it))
    return Add(out, task, "after", "\"after\" must be an array of trigger names (strings of 1 to 255 characters without control characters)");
  if (it->empty() && !cfg.contains("andEvery"))
    Add(out, task, "after", "\"after\" may be empty only when \"andEvery\" is set");
}

void CheckRun(const std::string &task, const json &cfg, std::vector<Problem> &out) {
  auto it = cfg.find("run");
  if (it == cfg.end()) return Add(out, task, "run", "\"run\" is required");
  if (!it->is_string() || !IsValidName(it->get_ref<const std::string &>()))
    Add(out, task, "run", "\"run\" must be a non-empty string of at most 255 characters without control characters");
}

void CheckOptional(const std::string &task, const json &cfg, std::vector<Problem> &out) {
  if (auto it = cfg.find("andEvery"); it != cfg.end() &&
      !(it->is_string() && IsValidName(it->get_ref<const std::string &>())))
    Add(out, task, "andEvery", "\"andEvery\" must be a trigger name (a string of 1 to 255 characters without control characters)");
  if (auto it = cfg.find("unless"); it != cfg.end() && !IsNameArray(*it))
    Add(out, task, "unless", "\"unless\" must be an array of trigger names");
  if (auto it = cfg.find("withParams"); it != cfg.end()) {
    bool ok = it->is_object();
    if (ok)
      for (const auto &item : it->items()) ok = ok && item.value().is_object();
    if (!ok) Add(out, task, "withParams", "\"withParams\" must be an object whose values are all objects");
  }
  if (auto it = cfg.find("using"); it != cfg.end() &&
      !(it->is_string() && IsValidQueueName(it->get_ref<const std::string &>())))
    Add(out, task, "using", "\"using\" must be a queue name of 1 to 54 characters from A-Z a-z 0-9 _ . -");
  if (auto it = cfg.find("maxRetries"); it != cfg.end() &&
      !((it->is_number_unsigned() && it->get<uint64_t>() <= 1000000) ||
        (it->is_number_integer() && it->get<int64_t>() >= 0 && it->get<int64_t>() <= 1000000)))
    Add(out, task, "maxRetries", "\"maxRetries\" must be an integer from 0 to 1000000");
  if (auto it = cfg.find("retryDelay"); it != cfg.end() &&
      !(it->is_number() && std::isfinite(it->get<double>()) && it->get<double>() > 0 &&
        it->get<double>() <= 86400.0 * 365))
    Add(out, task, "retryDelay", "\"retryDelay\" must be a number of seconds greater than 0 (at most one year)");
}

/* Edges task -> task for every trigger in after/andEvery that is a task's name. */
using Graph = std::map<std::string, std::vector<std::string>>;

Graph CascadeGraph(const json &definition) {
  Graph g;
  for (const auto &[task, cfg] : definition.items()) {
    auto &edges = g[task];
    if (!cfg.is_object()) continue;
    if (auto it = cfg.find("after"); it != cfg.end() && it->is_array())
      for (const auto &t : *it)
        if (t.is_string() && definition.contains(t.get<std::string>())) edges.push_back(t.get<std::string>());
    if (auto it = cfg.find("andEvery"); it != cfg.end() && it->is_string() &&
        definition.contains(it->get<std::string>()))
      edges.push_back(it->get<std::string>());
  }
  return g;
}

/* Iterative DFS (definitions may hold thousands of tasks): reports each cycle once. */
void CheckCycles(const json &definition, std::vector<Problem> &out) {
  Graph g = CascadeGraph(definition);
  enum Color { kWhite, kGrey, kBlack };
  std::map<std::string, Color> color;
  for (const auto &[root, unused] : g) {
    if (color[root] != kWhite) continue;
    std::vector<std::pair<std::string, size_t>> stack{{root, 0}};
    color[root] = kGrey;
    while (!stack.empty()) {
      auto &[node, next] = stack.back();
      const auto &edges = g[node];
      if (next == edges.size()) { color[node] = kBlack; stack.pop_back(); continue; }
      const std::string target = edges[next++];
      if (color[target] == kGrey) {
        std::string path;
        bool on = false;
        for (const auto &frame : stack) {
          on = on || frame.first == target;
          if (on) path += frame.first + " -> ";
        }
        Add(out, target, "after",
            "cycle of cascades (" + path + target + "): its conditions can never be met");
      } else if (color[target] == kWhite) {
        color[target] = kGrey;
        stack.emplace_back(target, 0);
      }
    }
  }
}

}  // namespace

bool IsValidName(std::string_view name) {
  size_t chars = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f) return false;
    /* C1 controls U+0080..U+009F are encoded C2 80..C2 9F. */
    if (c == 0xc2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) <= 0x9f) return false;
    if ((c & 0xc0) != 0x80) ++chars;
  }
  return chars >= 1 && chars <= kMaxNameChars;
}

bool IsValidQueueName(std::string_view name) {
  if (name.empty() || name.size() > 54) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '_' || c == '.' || c == '-'))
      return false;
  return true;
}

std::vector<Problem> ValidateDefinition(const json &definition) {
  std::vector<Problem> out;
  if (!definition.is_object()) {
    Add(out, "", "", "a definition must be a JSON object mapping task names to task configurations");
    return out;
  }
  for (const auto &[task, cfg] : definition.items()) {
    if (!IsValidName(task)) {
      Add(out, SanitizeUtf8(PrefixChars(task, 64)), "",
          "task names must be 1 to 255 characters without control characters");
      continue;
    }
    if (!cfg.is_object()) {
      Add(out, task, "", "a task configuration must be a JSON object");
      continue;
    }
    CheckAfter(task, cfg, out);
    CheckRun(task, cfg, out);
    CheckOptional(task, cfg, out);
  }
  CheckCycles(definition, out);
  return out;
}

std::string FormatProblem(const Problem &p) {
  if (p.task.empty()) return p.message;
  return "task \"" + p.task + "\": " + p.message;
}

}  // namespace triggers::core
