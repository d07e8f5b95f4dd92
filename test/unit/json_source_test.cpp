/* json_source_test.cpp — comments, duplicate keys and nesting in workflow sources. */
#include "unit_test.hpp"

#include "triggers/core/json_source.hpp"
#include "triggers/core/utf8.hpp"

using triggers::core::ParseJsonSource;

TEST(comments_are_blanked) {
  auto r = ParseJsonSource("{ // line\n \"a\": /* block */ 1, \"b\": \"// not a comment\" }", true);
  CHECK(r.ok);
  CHECK(r.value["a"] == 1);
  CHECK(r.value["b"] == "// not a comment");
  CHECK(r.text.size() == std::string("{ // line\n \"a\": /* block */ 1, \"b\": \"// not a comment\" }").size());
  CHECK(!ParseJsonSource("{ /* open", true).ok);
  CHECK(!ParseJsonSource("{ // c\n }", false).ok);
}

TEST(duplicate_keys_are_refused_at_any_level) {
  CHECK(!ParseJsonSource("{\"a\": 1, \"a\": 2}", true).ok);
  auto nested = ParseJsonSource("{\"t\": {\"after\": [], \"after\": []}}", true);
  CHECK(!nested.ok && nested.error.find("duplicate key \"after\"") != std::string::npos);
  CHECK(ParseJsonSource("{\"a\": {\"x\": 1}, \"b\": {\"x\": 1}}", true).ok);
}

/* Valid JSON that no double can hold: refused, but not as a syntax error. */
TEST(numbers_beyond_a_double_are_named) {
  auto r = ParseJsonSource("{\"t\": {\"x\": 1e400}}", false);
  CHECK(!r.ok && !r.syntax_error);
  CHECK(r.error.find("number 1e400") != std::string::npos && r.error.find("json.exception") == std::string::npos);
}

TEST(deep_nesting_is_refused_without_recursion) {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  auto r = ParseJsonSource(deep, true);
  CHECK(!r.ok && r.error.find("nested deeper") != std::string::npos);
  CHECK(ParseJsonSource("[[[[1]]]]", true).ok);
}

TEST(syntax_errors_say_where) {
  auto r = ParseJsonSource("{\"a\": tru}", true);
  CHECK(!r.ok && r.error.find("byte") != std::string::npos);
  CHECK(!ParseJsonSource("", true).ok);
  CHECK(!ParseJsonSource("{} trailing", true).ok);
}

TEST(errors_are_valid_utf8) {
  /* the parser stops inside the euro sign's three bytes and quotes what it read */
  auto r = ParseJsonSource("t\xe2\x82\xac", true);
  CHECK(!r.ok);
  CHECK(triggers::core::SanitizeUtf8(r.error) == r.error);
  CHECK(triggers::core::SanitizeUtf8("a\xe2\x82") == "a??");
  CHECK(triggers::core::SanitizeUtf8("\xed\xa0\x80") == "???");  /* a surrogate */
  CHECK(triggers::core::PrefixChars("\xe2\x82\xac\xe2\x82\xac", 1) == "\xe2\x82\xac");
}
