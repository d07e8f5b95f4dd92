/*
 * names.cpp — the name rules of SPEC section 4, shared by the extension and
 * the worker program (which checks its --name and --queue the same way).
 */
#include "triggers/core/core_only.hpp"
#include "triggers/core/names.hpp"

namespace triggers::core {

namespace {
constexpr size_t kMaxNameChars = 255;
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

}  // namespace triggers::core
