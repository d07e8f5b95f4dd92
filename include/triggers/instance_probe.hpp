/*
 * instance_probe.hpp — what a fire needs to know about a task's instances in
 * a session before applying itself: the highest instance number and how
 * many instances are unstarted.  Two index lookups, done directly (a SELECT
 * would cost several times more to start than to run).
 * May raise: call from frames that own nothing, with the session row locked.
 */
#pragma once

#include "triggers/pg_boundary.hpp"
#include "triggers/row_insert.hpp"

extern "C" {
#include "access/skey.h"
#include "utils/relcache.h"
}

namespace triggers {

struct InstanceProbe {
  bool any;           /* the task has instances in the session */
  int highest_n;      /* when any */
  bool has_unstarted;
  int unstarted;      /* how many */
};

/* session = $1 AND task = $2: the first two columns of the instance table and of `index`. */
void SessionTaskKeys(ScanKeyData keys[2], Relation index, Datum session, Datum task);

/*
 * Sees this transaction's earlier changes (it advances the command counter).
 * Reads through `history`: triggers.history, opened for the fire's writes.
 */
InstanceProbe ProbeInstances(DirectWrite *history, Datum session, Datum task);

}  // namespace triggers
