/*
 * delivery_claim.cpp — see delivery_claim.hpp.  Per queue, the index
 * (queue, visible_at) is walked in order under a fresh snapshot and each row
 * is locked with table_tuple_lock (LockWaitSkip: a row another worker holds is
 * skipped; FIND_LAST_VERSION: a row changed meanwhile is locked in its newest
 * version, which must still be claimable).  With several queues the oldest
 * max_tasks of all are leased; the others stay locked until the claim
 * commits, as with FOR UPDATE SKIP LOCKED ... LIMIT.  Each lease is a new
 * version of the queue row (table_tuple_update, with index entries: visible_at
 * is indexed).
 * PostgreSQL contracts used: src/backend/executor/nodeLockRows.c (SKIP LOCKED,
 * EvalPlanQual recheck), src/include/access/tableam.h, funcapi.h
 * (InitMaterializedSRF).
 * This file owns no C++ objects: every frame may be unwound by ereport.
 */
#include "triggers/delivery_claim.hpp"
#include "triggers/id_lookup.hpp"
#include "triggers/row_insert.hpp"
#include "triggers/table_layout.hpp"

extern "C" {
#include "access/genam.h"
#include "access/stratnum.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

namespace {

struct Candidate {
  ItemPointerData tid; /* of the locked (newest) version */
  TimestampTz visible_at;
};

struct Candidates {
  Candidate *rows;
  int count, capacity;
};

void Add(Candidates *c, ItemPointerData tid, TimestampTz visible_at) {
  if (c->count == c->capacity) {
    c->capacity = c->capacity * 2 + 16;
    c->rows = static_cast<Candidate *>(c->rows ? repalloc(c->rows, sizeof(Candidate) * c->capacity)
                                               : palloc(sizeof(Candidate) * c->capacity));
  }
  c->rows[c->count++] = Candidate{tid, visible_at};
}

/* The claim's view of "now": the clock (clock_timestamp()).  A lease counts from
 * the claim, not from the start of a longer transaction; and a task another
 * transaction queued after this statement (or, in a procedure, this transaction)
 * began, with visible_at = its own now(), is claimable at once. */
struct Moment {
  Datum now;  /* timestamptz */
  Datum name; /* text: the queue being walked */
};

/* True when the (deformed) row is of queue `m.name` and claimable at `m.now`. */
bool Claimable(TupleTableSlot *row, const Moment &m) {
  return DatumGetBool(DirectFunctionCall2Coll(texteq, C_COLLATION_OID, row->tts_values[triggers::kQueueQueue],
                                              m.name)) &&
         DatumGetTimestampTz(row->tts_values[triggers::kQueueVisibleAt]) <= DatumGetTimestampTz(m.now);
}

/*
 * Locks the row at `tid` unless another transaction holds it; its newest
 * version goes to `locked`.  A version changed since the snapshot must still
 * be claimable (what the EvalPlanQual recheck of FOR UPDATE does).  Under
 * REPEATABLE READ and SERIALIZABLE a row changed since the snapshot is
 * skipped: the claim could not see the instance as it now is (PostgreSQL's
 * FOR UPDATE would fail with 40001; skipping lets the next claim take it).
 */
bool LockClaimable(Relation queue, Snapshot snapshot, ItemPointer tid, const Moment &m, TupleTableSlot *locked) {
  TM_FailureData failure;
  int flags = IsolationUsesXactSnapshot() ? 0 : TUPLE_LOCK_FLAG_FIND_LAST_VERSION;
  TM_Result result = table_tuple_lock(queue, tid, snapshot, locked, GetCurrentCommandId(true), LockTupleExclusive,
                                      LockWaitSkip, flags, &failure);
  if (result != TM_Ok) return false; /* held by another worker, answered, or changed by this transaction */
  slot_getallattrs(locked);
  return !failure.traversed || Claimable(locked, m);
}

/* Locks up to `max` claimable rows of queue m.name, oldest first, into `out`. */
void PickFromQueue(Relation queue, Relation index, Snapshot snapshot, const Moment &m, int max,
                   TupleTableSlot *row, TupleTableSlot *locked, Candidates *out) {
  ScanKeyData keys[2];
  ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid, index->rd_indcollation[0], F_TEXTEQ,
                         m.name);
  ScanKeyEntryInitialize(&keys[1], 0, 2, BTLessEqualStrategyNumber, InvalidOid, InvalidOid, F_TIMESTAMPTZ_LE, m.now);
  IndexScanDesc scan = index_beginscan(queue, index, snapshot, 2, 0);
  index_rescan(scan, keys, 2, nullptr, 0);
  for (int taken = 0; taken < max && index_getnext_slot(scan, ForwardScanDirection, row);) {
    ItemPointerData tid = row->tts_tid;
    if (!LockClaimable(queue, snapshot, &tid, m, locked)) continue;
    Add(out, locked->tts_tid, DatumGetTimestampTz(locked->tts_values[triggers::kQueueVisibleAt]));
    ++taken;
  }
  index_endscan(scan);
}

int ByVisibleAt(const void *a, const void *b) {
  TimestampTz x = static_cast<const Candidate *>(a)->visible_at, y = static_cast<const Candidate *>(b)->visible_at;
  return x < y ? -1 : x > y ? 1 : 0;
}

/* One row of triggers_claim's result. */
struct Claimed {
  int64 task_id;
  Datum values[8];
};

int ByTaskId(const void *a, const void *b) {
  int64 x = static_cast<const Claimed *>(a)->task_id, y = static_cast<const Claimed *>(b)->task_id;
  return x < y ? -1 : x > y ? 1 : 0;
}

/* A delivery handed out again: its old id is refused from now on, and its instance carries the new one. */
void Redeliver(TupleTableSlot *row, Datum new_id, Snapshot snapshot) {
  Datum stale[triggers::kStaleDeliveryColumnCount] = {row->tts_values[triggers::kQueueTaskId],
                                                      row->tts_values[triggers::kQueueSession],
                                                      row->tts_values[triggers::kQueueTask],
                                                      row->tts_values[triggers::kQueueN]};
  const bool no_nulls[triggers::kStaleDeliveryColumnCount] = {};
  triggers::InsertRow("stale_delivery", triggers::kStaleDeliveryColumns, triggers::kStaleDeliveryColumnCount, stale,
                      no_nulls);
  triggers::DirectWrite w = triggers::OpenDirectWrite("history", triggers::kHistoryColumns,
                                                      triggers::kHistoryColumnCount);
  /* Every other writer of a queued instance locks its queue row first, and this
   * claim holds that lock now: one that changed the instance after the claim's
   * snapshot has committed.  Under READ COMMITTED its version is the one to
   * update (as the executor's re-check would); other levels fail with 40001. */
  Snapshot newest = RegisterSnapshot(IsolationUsesXactSnapshot() ? snapshot : GetLatestSnapshot());
  triggers::IdLookup by_id = triggers::OpenIdLookup(w.rel, "instance_task_id", newest);
  TupleTableSlot *instance = table_slot_create(w.rel, nullptr);
  if (!triggers::LookUp(&by_id, row->tts_values[triggers::kQueueTaskId], instance))
    elog(ERROR, "triggers: the instance of delivery " INT64_FORMAT " is missing",
         DatumGetInt64(row->tts_values[triggers::kQueueTaskId]));
  Datum values[triggers::kHistoryColumnCount];
  bool nulls[triggers::kHistoryColumnCount];
  memcpy(values, instance->tts_values, sizeof values);
  memcpy(nulls, instance->tts_isnull, sizeof nulls);
  values[triggers::kInstanceTaskId] = new_id;
  nulls[triggers::kInstanceAnswer] = true;
  ExecStoreHeapTuple(heap_form_tuple(RelationGetDescr(w.rel), values, nulls), w.slot, false);
  triggers::UpdateLockedRow(&w, &instance->tts_tid, newest, "a task instance");
  ExecDropSingleTupleTableSlot(instance);
  triggers::CloseIdLookup(&by_id);
  UnregisterSnapshot(newest);
  triggers::CloseDirectWrite(&w);
}

/* Leases the locked row at `tid` (loaded into `row`) to `worker`; fills *out. */
void Lease(triggers::DirectWrite *w, ItemPointer tid, TupleTableSlot *row, Datum worker, Datum until,
           Datum now, Snapshot snapshot, Claimed *out) {
  if (!table_tuple_fetch_row_version(w->rel, tid, SnapshotAny, row))
    elog(ERROR, "triggers: a locked queue row vanished");
  slot_getallattrs(row);
  Datum values[triggers::kQueueColumnCount];
  bool nulls[triggers::kQueueColumnCount];
  memcpy(values, row->tts_values, sizeof values);
  memcpy(nulls, row->tts_isnull, sizeof nulls);
  bool again = !nulls[triggers::kQueueWorker]; /* its lease expired: a new delivery id */
  if (again) values[triggers::kQueueTaskId] = Int64GetDatum(triggers::NextValue("task_id_seq"));
  values[triggers::kQueueAttempt] = Int32GetDatum(DatumGetInt32(values[triggers::kQueueAttempt]) + 1);
  values[triggers::kQueueWorker] = worker;
  values[triggers::kQueueVisibleAt] = until;
  values[triggers::kQueueClaimedAt] = now;
  nulls[triggers::kQueueWorker] = nulls[triggers::kQueueClaimedAt] = false;
  if (again) Redeliver(row, values[triggers::kQueueTaskId], snapshot);
  char *task = TextDatumGetCString(values[triggers::kQueueTask]);
  *out = Claimed{DatumGetInt64(values[triggers::kQueueTaskId]),
                 {values[triggers::kQueueTaskId], datumCopy(values[triggers::kQueueSession], false, -1),
                  CStringGetTextDatum(psprintf("%s#%d", task, DatumGetInt32(values[triggers::kQueueN]))),
                  datumCopy(values[triggers::kQueueTask], false, -1), datumCopy(values[triggers::kQueueRun], false, -1),
                  datumCopy(values[triggers::kQueueQueue], false, -1),
                  datumCopy(values[triggers::kQueueKwargs], false, -1), values[triggers::kQueueAttempt]}};
  ExecStoreHeapTuple(heap_form_tuple(RelationGetDescr(w->rel), values, nulls), w->slot, false);
  triggers::UpdateLockedRow(w, tid, snapshot, "a delivery");
}

}  // namespace

namespace triggers {

void ClaimDeliveries(FunctionCallInfo fcinfo, Datum worker, Datum queues, int max_tasks, Datum lease) {
  Datum *names;
  int nqueues;
  deconstruct_array(DatumGetArrayTypeP(queues), TEXTOID, -1, false, TYPALIGN_INT, &names, nullptr, &nqueues);
  Datum now = TimestampTzGetDatum(GetCurrentTimestamp());
  Datum until = DirectFunctionCall2(timestamptz_pl_interval, now, lease);
  CommandCounterIncrement();
  Snapshot snapshot = RegisterSnapshot(GetTransactionSnapshot());
  DirectWrite queue = OpenDirectWrite("queue", kQueueColumns, kQueueColumnCount);
  Relation ready = index_open(ExtensionRelation("queue_ready"), AccessShareLock);
  TupleTableSlot *row = table_slot_create(queue.rel, nullptr);
  TupleTableSlot *locked = table_slot_create(queue.rel, nullptr);
  Candidates picked{nullptr, 0, 0};
  for (int q = 0; q < nqueues; ++q)
    PickFromQueue(queue.rel, ready, snapshot, Moment{now, names[q]}, max_tasks, row, locked, &picked);
  if (nqueues > 1) qsort(picked.rows, picked.count, sizeof(Candidate), ByVisibleAt);
  int count = Min(picked.count, max_tasks);
  Claimed *claimed = static_cast<Claimed *>(palloc(sizeof(Claimed) * Max(count, 1)));
  for (int i = 0; i < count; ++i) Lease(&queue, &picked.rows[i].tid, row, worker, until, now, snapshot, &claimed[i]);
  qsort(claimed, count, sizeof(Claimed), ByTaskId);
  ReturnSetInfo *result = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
  const bool no_nulls[8] = {};
  for (int i = 0; i < count; ++i)
    tuplestore_putvalues(result->setResult, result->setDesc, claimed[i].values, const_cast<bool *>(no_nulls));
  ExecDropSingleTupleTableSlot(locked);
  ExecDropSingleTupleTableSlot(row);
  index_close(ready, NoLock);
  CloseDirectWrite(&queue);
  UnregisterSnapshot(snapshot);
  CommandCounterIncrement();
}

}  // namespace triggers

/*
 * triggers._claim(worker text, queues text[], max_tasks integer, lease
 * interval) returns the rows of triggers_claim: the claim itself, for the
 * PL/pgSQL triggers_claim, which checks the arguments first.
 */
TRIGGERS_FUNCTION(triggers_claim_rows) {
  InitMaterializedSRF(fcinfo, 0);
  triggers::ClaimDeliveries(fcinfo, PG_GETARG_DATUM(0), PG_GETARG_DATUM(1), PG_GETARG_INT32(2), PG_GETARG_DATUM(3));
  return (Datum)0;
}
