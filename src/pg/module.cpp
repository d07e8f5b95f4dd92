/*
 * module.cpp — the library's identity for PostgreSQL and its load-time setup.
 */
#include "triggers/backend_memory.hpp"
#include "triggers/pg_boundary.hpp"
#include "triggers/wakeup.hpp"

extern "C" {
PG_MODULE_MAGIC;

void _PG_init(void);

/* Runs when the library is loaded (at server start when preloaded). */
void _PG_init(void) {
  triggers::GuardedVoid(
      [](void *) {
        triggers::BackendMemoryInit();
        triggers::WakeupInit();
      },
      nullptr);
}
}
