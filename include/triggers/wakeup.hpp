/*
 * wakeup.hpp — post-commit wake-ups of workers (see src/pg/wakeup.cpp).
 */
#pragma once

namespace triggers {

/* Called from _PG_init: reserves shared memory when preloaded. */
void WakeupInit();

}  // namespace triggers
