/*
 * definition.cpp — validation of workflow definitions, including the cycle
 * check (a task waiting, directly or through cascades, on its own completion).
 */
#include "triggers/core/core_only.hpp"
#include "triggers/core/definition.hpp"
#include "triggers/core/utf8.hpp"

#include <cmath>
#include <map>
#include <cstdint>

namespace triggers::core {

namespace {

using nlohmann::json;

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

/* Tasks by number, with an edge task -> task for every trigger in after/andEvery
 * that is a task's name (tasks numbered in the definition's key order). */
struct CascadeGraph {
  std::vector<std::string> names;
  std::vector<std::vector<size_t>> edges;
};

CascadeGraph BuildCascadeGraph(const json &definition) {
  CascadeGraph g;
  std::map<std::string_view, size_t> number;
  for (const auto &item : definition.items()) {
    number.emplace(item.key(), g.names.size());
    g.names.push_back(item.key());
  }
  g.edges.resize(g.names.size());
  size_t task = 0;
  for (const auto &item : definition.items()) {
    auto edge_to = [&](const json &trigger) {
      if (!trigger.is_string()) return;
      auto found = number.find(trigger.get_ref<const std::string &>());
      if (found != number.end()) g.edges[task].push_back(found->second);
    };
    const json &cfg = item.value();
    if (cfg.is_object()) {
      if (auto it = cfg.find("after"); it != cfg.end() && it->is_array())
        for (const auto &t : *it) edge_to(t);
      if (auto it = cfg.find("andEvery"); it != cfg.end()) edge_to(*it);
    }
    ++task;
  }
  return g;
}

/* A cycle's tasks as "a -> b -> a"; a long one shows its ends only, so that
 * reporting every cycle of a large definition stays linear in its size. */
using DfsStack = std::vector<std::pair<size_t, size_t>>;  /* (task, next edge) */
constexpr size_t kShownCycleTasks = 8;

std::string CyclePath(const CascadeGraph &g, const DfsStack &stack, size_t from) {
  size_t length = stack.size() - from;
  std::string path;
  for (size_t k = from; k < stack.size(); ++k) {
    if (length > kShownCycleTasks && k == from + kShownCycleTasks / 2) {
      path += "(" + std::to_string(length - kShownCycleTasks) + " more) -> ";
      k = stack.size() - kShownCycleTasks / 2;
    }
    path += g.names[stack[k].first] + " -> ";
  }
  return path + g.names[stack[from].first];
}

/* Iterative DFS (definitions may hold thousands of tasks): reports each back edge
 * (a cycle) once; the stack position of every task on it finds the cycle at once. */
void CheckCycles(const json &definition, std::vector<Problem> &out) {
  CascadeGraph g = BuildCascadeGraph(definition);
  constexpr size_t kUnseen = SIZE_MAX, kDone = SIZE_MAX - 1;
  std::vector<size_t> position(g.names.size(), kUnseen);  /* on the stack: its index there */
  for (size_t root = 0; root < g.names.size(); ++root) {
    if (position[root] != kUnseen) continue;
    DfsStack stack{{root, 0}};
    position[root] = 0;
    while (!stack.empty()) {
      auto &[node, next] = stack.back();
      if (next == g.edges[node].size()) {
        position[node] = kDone;
        stack.pop_back();
        continue;
      }
      size_t target = g.edges[node][next++];
      if (position[target] == kUnseen) {
        position[target] = stack.size();
        stack.emplace_back(target, 0);
      } else if (position[target] != kDone) {
        Add(out, g.names[target], "after",
            "cycle of cascades (" + CyclePath(g, stack, position[target]) + "): its conditions can never be met");
      }
    }
  }
}

}  // namespace

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
