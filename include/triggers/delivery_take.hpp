/*
 * delivery_take.hpp — the hot half of triggers_finish_many, written directly:
 * take each answered delivery off the queue and mark its instance finished
 * with its result.  What the statement
 *   DELETE FROM queue WHERE task_id = ANY (ids) AND worker IS NOT NULL
 *   + UPDATE instance SET status = 'finished', ... for each row deleted
 * did, without starting an executor per batch or building its intermediate
 * results: that statement cost about a third of a task's way through the engine.
 * Its READ COMMITTED rule for a queue row a concurrent transaction changed is
 * kept (wait, then judge the newest version); under REPEATABLE READ and
 * SERIALIZABLE that is a serialization failure (40001), as for the statement.
 * May raise: call from frames that own nothing, with the deliveries' sessions
 * locked (every writer of an instance locks its session first).
 */
#pragma once

#include "triggers/pg_boundary.hpp"

namespace triggers {

struct TakenDelivery {
  int position;  /* in the caller's ids */
  Datum session; /* text, copied */
  Datum task;    /* text, copied */
};

struct TakenDeliveries {
  int count;
  TakenDelivery *rows; /* palloc'd, in ids order */
};

/*
 * Takes the deliveries ids[i] (int8, sorted and distinct) that a worker holds
 * (claimed, under that task_id) and finishes their instances with results[i]
 * (jsonb objects).  Deliveries not taken (unknown, not claimed, delivered
 * again, answered already) are left alone: the caller explains them.  Each
 * delivery's work is done in `work`, which is emptied after it.
 */
TakenDeliveries TakeFinished(const Datum *ids, const Datum *results, int count, MemoryContext work);

}  // namespace triggers
