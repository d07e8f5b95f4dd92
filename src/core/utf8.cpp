/*
 * utf8.cpp — see utf8.hpp.  Follows RFC 3629 (no overlongs, no surrogates,
 * nothing above U+10FFFF).
 */
#include "triggers/core/core_only.hpp"
#include "triggers/core/utf8.hpp"

namespace triggers::core {

size_t Utf8SequenceLength(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
  if (len == 0 || c > 0xf4 || i + len > text.size()) return 0;
  for (size_t k = 1; k < len; ++k)
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  unsigned char c1 = byte(i + 1);
  if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f) || (c == 0xf0 && c1 < 0x90) ||
      (c == 0xf4 && c1 > 0x8f))
    return 0;
  return len;
}

std::string SanitizeUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t len = Utf8SequenceLength(text, i);
    if (len == 0) {
      out += '?';
      ++i;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string_view PrefixChars(std::string_view text, size_t max_chars) {
  size_t i = 0;
  for (size_t chars = 0; i < text.size() && chars < max_chars; ++chars) {
    size_t len = Utf8SequenceLength(text, i);
    i += len == 0 ? 1 : len;
  }
  return text.substr(0, i);
}

}  // namespace triggers::core
