/*
 * names.hpp — what a name may be (SPEC section 4): the extension checks its
 * arguments and definitions with these, the worker its options.
 */
#pragma once

#include <string_view>

namespace triggers::core {

/* Session ids and trigger, task, workflow and worker names: 1-255 characters
 * (of UTF-8 text), no control characters (C0, DEL, C1). */
bool IsValidName(std::string_view name);

/* Queue names: 1-54 characters from A-Z a-z 0-9 _ . - (so triggers_<queue> is an identifier). */
bool IsValidQueueName(std::string_view name);

}  // namespace triggers::core
