/* definition_test.cpp — workflow definition rules (SPEC section 3). */
#include "unit_test.hpp"

#include "triggers/core/definition.hpp"

using nlohmann::json;
using triggers::core::IsValidName;
using triggers::core::IsValidQueueName;
using triggers::core::ValidateDefinition;

namespace {

/* The directive named by the only problem of a definition, or "<n problems>". */
std::string OnlyDirective(const json &definition) {
  auto problems = ValidateDefinition(definition);
  if (problems.size() != 1) return "<" + std::to_string(problems.size()) + " problems>";
  return problems[0].directive;
}

json Task(json extra) {
  json t = {{"after", {"a"}}, {"run", "r"}};
  for (auto &[k, v] : extra.items()) t[k] = v;
  return t;
}

}  // namespace

TEST(valid_definitions_have_no_problems) {
  CHECK(ValidateDefinition(json::object()).empty());
  CHECK(ValidateDefinition({{"t", Task(json::object())}}).empty());
  CHECK(ValidateDefinition({{"t", {{"after", json::array()}, {"andEvery", "x"}, {"run", "r"}}}}).empty());
  CHECK(ValidateDefinition({{"t", Task({{"unless", {"u"}}, {"withParams", {{"a", {{"k", 1}}}}},
                                        {"using", "q.1-x_y"}, {"maxRetries", 3}, {"retryDelay", 0.5},
                                        {"somethingElse", {1, 2}}})}}).empty());
}

TEST(each_directive_is_checked) {
  CHECK(OnlyDirective({{"t", {{"run", "r"}}}}) == "after");
  CHECK(OnlyDirective({{"t", Task({{"after", "a"}})}}) == "after");
  CHECK(OnlyDirective({{"t", Task({{"after", {1}}})}}) == "after");
  CHECK(OnlyDirective({{"t", Task({{"after", json::array()}})}}) == "after");
  CHECK(OnlyDirective({{"t", {{"after", {"a"}}}}}) == "run");
  CHECK(OnlyDirective({{"t", Task({{"run", ""}})}}) == "run");
  CHECK(OnlyDirective({{"t", Task({{"andEvery", {"x"}}})}}) == "andEvery");
  CHECK(OnlyDirective({{"t", Task({{"unless", "x"}})}}) == "unless");
  CHECK(OnlyDirective({{"t", Task({{"withParams", {{"a", 1}}}})}}) == "withParams");
  CHECK(OnlyDirective({{"t", Task({{"withParams", {1}}})}}) == "withParams");
  CHECK(OnlyDirective({{"t", Task({{"using", "bad queue"}})}}) == "using");
  CHECK(OnlyDirective({{"t", Task({{"using", std::string(55, 'q')}})}}) == "using");
  CHECK(OnlyDirective({{"t", Task({{"maxRetries", -1}})}}) == "maxRetries");
  CHECK(OnlyDirective({{"t", Task({{"maxRetries", 1.5}})}}) == "maxRetries");
  CHECK(OnlyDirective({{"t", Task({{"retryDelay", 0}})}}) == "retryDelay");
  CHECK(OnlyDirective({{"t", Task({{"retryDelay", "1"}})}}) == "retryDelay");
  CHECK(OnlyDirective({{"t", 5}}) == "");
  CHECK(OnlyDirective(json::array()) == "");
}

TEST(cycles_are_refused) {
  auto self = ValidateDefinition({{"t", Task({{"after", {"t"}}})}});
  CHECK(self.size() == 1 && self[0].message.find("cycle") != std::string::npos);
  auto pair = ValidateDefinition({{"a", Task({{"after", {"b"}}})}, {"b", Task({{"after", {"x", "a"}}})}});
  CHECK(pair.size() == 1 && pair[0].message.find("a -> b -> a") != std::string::npos);
  auto every = ValidateDefinition({{"a", {{"after", json::array()}, {"andEvery", "a"}, {"run", "r"}}}});
  CHECK(every.size() == 1);
  /* a chain is not a cycle, and unless does not make one */
  CHECK(ValidateDefinition({{"a", Task({{"after", {"x"}}})}, {"b", Task({{"after", {"a"}}, {"unless", {"b"}}})}}).empty());
}

TEST(large_definitions_validate) {
  json big = json::object();
  for (int i = 0; i < 10000; ++i)
    big["t" + std::to_string(i)] = Task({{"after", {i == 0 ? "start" : "t" + std::to_string(i - 1)}}});
  CHECK(ValidateDefinition(big).empty());
}

/* Every cycle is reported, each with a bounded path: a long chain (t0 after t1,
 * t1 after t2, ...) whose last task waits on all the others has 15,000 cycles of up to 15,000 tasks (reporting the
 * whole paths took ~1 GB and 20 s). */
TEST(many_long_cycles_are_reported_briefly) {
  const int n = 15000;
  json big = json::object();
  json all = json::array();
  for (int i = 0; i < n; ++i) {
    std::string name = "t" + std::to_string(i);
    all.push_back(name);
    big[name] = Task({{"after", {"t" + std::to_string(i + 1)}}});
  }
  big["t" + std::to_string(n - 1)]["after"] = all;
  auto problems = ValidateDefinition(big);
  CHECK(problems.size() == static_cast<size_t>(n));
  size_t longest = 0;
  for (const auto &p : problems) longest = std::max(longest, p.message.size());
  CHECK(longest < 200);
  auto chain = ValidateDefinition({{"a", Task({{"after", {"j"}}})}, {"b", Task({{"after", {"a"}}})},
                                   {"c", Task({{"after", {"b"}}})}, {"d", Task({{"after", {"c"}}})},
                                   {"e", Task({{"after", {"d"}}})}, {"f", Task({{"after", {"e"}}})},
                                   {"g", Task({{"after", {"f"}}})}, {"h", Task({{"after", {"g"}}})},
                                   {"i", Task({{"after", {"h"}}})}, {"j", Task({{"after", {"i"}}})}});
  CHECK(chain.size() == 1 && chain[0].message.find("a -> j -> i -> h -> (2 more) -> e -> d -> c -> b -> a") != std::string::npos);
}

TEST(names) {
  CHECK(IsValidName("a"));
  CHECK(IsValidName("quote'\";\\$$ é 日本"));
  CHECK(IsValidName(std::string(255, 'x')));
  CHECK(!IsValidName(std::string(256, 'x')));

  CHECK(!IsValidName(""));
  CHECK(!IsValidName("tab\there"));
  CHECK(!IsValidName("del\x7f"));
  CHECK(!IsValidName("c1\xc2\x85"));
  std::string e_acute_255;
  for (int i = 0; i < 255; ++i) e_acute_255 += "\xc3\xa9";
  CHECK(IsValidName(e_acute_255));  /* 255 characters, 510 bytes */
  CHECK(IsValidQueueName("default"));
  CHECK(!IsValidQueueName("a b"));
  CHECK(!IsValidQueueName(""));
}
