/*
 * utf8.hpp — keeping text that ends up in error messages valid UTF-8: a
 * message cut in the middle of a character, or quoting a parser's partial
 * token, would be refused by clients.
 */
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace triggers::core {

/* `text` with every byte that is not part of a valid UTF-8 sequence replaced by '?'. */
std::string SanitizeUtf8(std::string_view text);

/* The longest prefix of (valid UTF-8) `text` of at most max_chars characters. */
std::string_view PrefixChars(std::string_view text, size_t max_chars);

/* Length of the valid UTF-8 sequence starting at text[i], or 0 when there is none. */
size_t Utf8SequenceLength(std::string_view text, size_t i);

}  // namespace triggers::core
