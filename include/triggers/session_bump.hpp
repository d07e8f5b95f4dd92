/*
 * session_bump.hpp — the first step of every fire: lock the session row and
 * count the fire (fires + 1, last_activity = now), written directly.  What
 * `UPDATE triggers.session SET fires = fires + 1 ... RETURNING` did, including
 * its READ COMMITTED rule for a row a concurrent transaction changed: wait for
 * it, then count on the newest version (EvalPlanQual); under REPEATABLE READ
 * and SERIALIZABLE that is a serialization failure (40001), as for the UPDATE.
 * The statement cost more to start than the one-row update it made.
 * May raise: call from frames that own nothing.
 */
#pragma once

#include "triggers/pg_boundary.hpp"

namespace triggers {

struct BumpedSession {
  bool found;        /* false: no such session (nothing was written) */
  bool config_null;  /* the session has no configuration yet */
  Datum config_id;   /* int8 */
  Datum fires;       /* int8: the new count, the (last) fire's sequence number */
};

/* Counts `count` fires (a batch of answers counts one per delivery of the session). */
BumpedSession BumpSession(Datum session, int64 count = 1);

}  // namespace triggers
