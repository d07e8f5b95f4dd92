/*
 * json_source.cpp — comment stripping and a strict parse of JSON text.
 */
#include "triggers/core/core_only.hpp"
#include "triggers/core/json_source.hpp"
#include "triggers/core/utf8.hpp"

#include <set>
#include <vector>

namespace triggers::core {

namespace {

using nlohmann::json;

/* Blanks out // and block comments (outside strings), keeping byte offsets. */
bool StripComments(std::string &text, std::string &error) {
  enum { kCode, kString, kLine, kBlock } state = kCode;
  size_t block_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    char next = i + 1 < text.size() ? text[i + 1] : '\0';
    switch (state) {
      case kCode:
        if (c == '"') state = kString;
        else if (c == '/' && next == '/') { state = kLine; text[i] = text[i + 1] = ' '; ++i; }
        else if (c == '/' && next == '*') { state = kBlock; block_start = i; text[i] = text[i + 1] = ' '; ++i; }
        break;
      case kString:
        if (c == '\\') ++i;
        else if (c == '"') state = kCode;
        break;
      case kLine:
        if (c == '\n') state = kCode; else text[i] = ' ';
        break;
      case kBlock:
        if (c == '*' && next == '/') { state = kCode; text[i] = text[i + 1] = ' '; ++i; }
        else if (c != '\n') text[i] = ' ';
        break;
    }
  }
  if (state == kBlock) {
    error = "unterminated comment starting at byte " + std::to_string(block_start + 1);
    return false;
  }
  return true;
}

/* SAX pass: counts depth and remembers the keys of every open object. */
class StrictChecker : public nlohmann::json_sax<json> {
 public:
  static constexpr int kNumberOverflow = 406; /* nlohmann's out_of_range.406 */
  explicit StrictChecker(int max_depth) : max_depth_(max_depth) {}
  std::string error;
  bool syntax_error = false;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t &) override { return true; }
  bool string(string_t &) override { return true; }
  bool binary(binary_t &) override { return true; }
  bool start_object(std::size_t) override { keys_.emplace_back(); return Enter(); }
  bool end_object() override { keys_.pop_back(); --depth_; return true; }
  bool start_array(std::size_t) override { return Enter(); }
  bool end_array() override { --depth_; return true; }
  bool key(string_t &k) override {
    if (keys_.back().insert(k).second) return true;
    error = "duplicate key \"" + k + "\"";
    return false;
  }
  bool parse_error(std::size_t position, const std::string &token,
                   const nlohmann::detail::exception &e) override {
    if (e.id == kNumberOverflow) { /* valid JSON, but no double holds it */
      std::string shown = token.size() > 24 ? token.substr(0, 20) + "..." : token; /* jsonb writes 1e400 in full */
      error = "number " + shown + " at byte " + std::to_string(position) +
              " is out of range (numbers in definitions must fit in a double, about 1.8e308)";
      return false;
    }
    error = "invalid JSON at byte " + std::to_string(position) + ": " + Reason(e.what());
    syntax_error = true;
    return false;
  }

 private:
  bool Enter() {
    if (++depth_ <= max_depth_) return true;
    error = "JSON nested deeper than " + std::to_string(max_depth_) + " levels";
    return false;
  }
  /* nlohmann's messages start with "[json.exception.parse_error.101] parse error at ...". */
  static std::string Reason(const std::string &what) {
    size_t colon = what.find(": ");
    return colon == std::string::npos ? what : what.substr(colon + 2);
  }
  int max_depth_;
  int depth_ = 0;
  std::vector<std::set<std::string>> keys_;
};

}  // namespace

JsonSourceResult ParseJsonSource(std::string_view source, bool allow_comments, int max_depth) {
  JsonSourceResult r;
  r.text.assign(source.data(), source.size());
  if (allow_comments && !StripComments(r.text, r.error)) {
    r.syntax_error = true;
    return r;
  }
  StrictChecker checker(max_depth);
  if (!json::sax_parse(r.text, &checker)) {
    /* the parser quotes what it read, which may stop inside a character */
    r.error = SanitizeUtf8(checker.error.empty() ? "invalid JSON" : checker.error);
    r.syntax_error = checker.syntax_error || checker.error.empty();
    return r;
  }
  try {
    r.value = json::parse(r.text);
  } catch (const json::exception &e) {
    r.error = SanitizeUtf8(e.what());
    r.syntax_error = true;
    return r;
  }
  r.ok = true;
  return r;
}

}  // namespace triggers::core
