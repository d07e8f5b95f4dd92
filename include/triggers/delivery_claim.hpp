/*
 * delivery_claim.hpp — the hot half of triggers_claim, written directly: lock
 * the oldest claimable queue rows of some queues (SKIP LOCKED), lease them to a
 * worker, and hand them out.  What the PL/pgSQL function's statement (a CTE
 * that locked, updated and returned the rows) did, without starting its
 * executor per claim: that statement was the largest part of a task's way
 * through the engine once the answers were written directly.
 * A row a concurrent transaction changed is judged again in its newest version
 * (as FOR UPDATE SKIP LOCKED does in READ COMMITTED); under REPEATABLE READ
 * and SERIALIZABLE that is a serialization failure (40001), as for the statement.
 * May raise: call from frames that own nothing.
 */
#pragma once

#include "triggers/pg_boundary.hpp"

namespace triggers {

/*
 * Claims up to max_tasks rows of the queues (text[], distinct, checked names)
 * for `worker` until now + lease, oldest visible_at first.  A row whose lease
 * had expired is delivered again under a new task_id (the old one goes to
 * stale_delivery) and its instance follows.  Fills the caller's materialized
 * result (InitMaterializedSRF) with the rows of triggers_claim, in task_id order.
 */
void ClaimDeliveries(FunctionCallInfo fcinfo, Datum worker, Datum queues, int max_tasks, Datum lease);

}  // namespace triggers
