/*
 * instance_probe.hpp — what a fire needs to know about a task's instances in
 * a session before applying itself: the highest instance number and how
 * many instances are unstarted.  Two index lookups, done directly (a SELECT
 * would cost several times more to start than to run).
 * May raise: call from frames that own nothing, with the session row locked.
 */
#pragma once

#include "triggers/pg_boundary.hpp"

namespace triggers {

struct InstanceProbe {
  bool any;           /* the task has instances in the session */
  int highest_n;      /* when any */
  bool has_unstarted;
  int unstarted;      /* how many */
};

/* Sees this transaction's earlier changes (it advances the command counter). */
InstanceProbe ProbeInstances(Datum session, Datum task);

}  // namespace triggers
