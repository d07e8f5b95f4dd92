/*
 * wakeup.hpp — post-commit wake-ups of workers (see src/pg/wakeup.cpp).
 */
#pragma once

namespace triggers {

/* Called from _PG_init: reserves shared memory when preloaded. */
void WakeupInit();

/* Wakes the workers of `queue` when the current transaction commits. */
void WakeQueue(const char *queue);

/* A worker is about to claim from `queue` and may then wait to be woken. */
void ExpectWake(const char *queue);

}  // namespace triggers
