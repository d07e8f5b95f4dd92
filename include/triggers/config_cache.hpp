/*
 * config_cache.hpp — per-backend, bounded cache of "the tasks of configuration
 * C that use trigger T", so a fire reads its tasks without a query and never
 * parses JSON.  Configurations are immutable, so entries never go stale; the
 * cache is dropped on any relcache invalidation (e.g. DROP EXTENSION).
 */
#pragma once

#include "triggers/pg_boundary.hpp"

namespace triggers {

/* One task of a configuration, as the fire path needs it (datums live in the cache). */
struct TaskConfig {
  Datum task, after, unless, queue, run, with_params;
  const char *task_name, *every, *queue_name; /* every: NULL when none */
  bool has_with_params;
  bool only_this_trigger; /* after is all T (or empty) and unless is empty */
  bool trigger_in_after;  /* T is one of after */
  bool has_unless;
};

struct TaskList {
  int count;
  const TaskConfig *tasks;
};

/*
 * The tasks of `config_id` that use `trigger`, ordered by name.  Runs a query
 * through SPI on a miss (the caller is connected to SPI).  Valid until the
 * next call.
 */
TaskList TasksUsingTrigger(int64 config_id, Datum trigger);

}  // namespace triggers
