/*
 * delivery_take.cpp — see delivery_take.hpp.  Each queue row is found through
 * its primary key under a fresh snapshot and deleted with table_tuple_delete;
 * a row changed by a transaction that committed meanwhile is locked in its
 * newest form (table_tuple_lock with FIND_LAST_VERSION) and judged again, as
 * ExecDelete does through EvalPlanQual.  The instance is found through its
 * delivery id (instance_task_id: a held delivery's instance carries its id)
 * and rewritten with table_tuple_update.
 * PostgreSQL contracts used: src/backend/executor/nodeModifyTable.c
 * (ExecDelete, TM_Updated), src/include/access/tableam.h.
 * This file owns no C++ objects: every frame may be unwound by ereport.
 */
#include "triggers/delivery_take.hpp"
#include "triggers/id_lookup.hpp"
#include "triggers/jsonb_values.hpp"
#include "triggers/row_insert.hpp"
#include "triggers/status_stamps.hpp"
#include "triggers/table_layout.hpp"

extern "C" {
#include "access/genam.h"
#include "access/stratnum.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "executor/tuptable.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

namespace {

/* A queue row a worker holds under delivery `id` (all attributes deformed). */
bool Held(TupleTableSlot *row, Datum id) {
  return !row->tts_isnull[triggers::kQueueWorker] &&
         DatumGetInt64(row->tts_values[triggers::kQueueTaskId]) == DatumGetInt64(id);
}

void ConcurrentChange() {
  ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                  errmsg("could not serialize access due to concurrent update of a delivery")));
}

/*
 * Deletes the queue row found in `row` if it is held under `id`.  A version
 * a concurrent transaction changed is waited for; its newest version is
 * locked, loaded into `row` and judged again.
 */
bool DeleteHeld(Relation queue, Snapshot snapshot, Datum id, TupleTableSlot *row) {
  for (;;) {
    if (!Held(row, id)) return false; /* not claimed, or delivered again under another id */
    ItemPointerData tid = row->tts_tid;
    TM_FailureData failure;
    TM_Result result = table_tuple_delete(queue, &tid, GetCurrentCommandId(true), snapshot, InvalidSnapshot,
                                          true, &failure, false);
    if (result == TM_Ok) return true;
    if (result == TM_SelfModified || result == TM_Deleted) {
      if (result == TM_Deleted && IsolationUsesXactSnapshot()) ConcurrentChange();
      return false; /* answered (or taken away) already */
    }
    if (result != TM_Updated) elog(ERROR, "triggers: unexpected result %d while taking a delivery", (int)result);
    if (IsolationUsesXactSnapshot()) ConcurrentChange();
    result = table_tuple_lock(queue, &tid, snapshot, row, GetCurrentCommandId(true), LockTupleExclusive,
                              LockWaitBlock, TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &failure);
    if (result == TM_Deleted) return false;
    if (result != TM_Ok) elog(ERROR, "triggers: unexpected result %d while taking a delivery", (int)result);
    slot_getallattrs(row);
  }
}

/* The instance `row` finished with `result`; its delivery was claimed at `claimed_at`. */
void WriteFinished(triggers::DirectWrite *w, TupleTableSlot *row, Datum result, Datum claimed_at,
                   Snapshot snapshot) {
  Datum values[triggers::kHistoryColumnCount];
  bool nulls[triggers::kHistoryColumnCount];
  memcpy(values, row->tts_values, sizeof values);
  memcpy(nulls, row->tts_isnull, sizeof nulls);
  values[triggers::kInstanceStatus] = CStringGetTextDatum("finished");
  values[triggers::kInstanceAnswer] = CStringGetTextDatum("finish");
  nulls[triggers::kInstanceAnswer] = false;
  values[triggers::kInstanceMetadata] = DirectFunctionCall2(
      jsonb_concat, values[triggers::kInstanceMetadata], triggers::JsonbPair(CStringGetTextDatum("result"), result));
  values[triggers::kInstanceStamps] = triggers::StampAnswer(values[triggers::kInstanceStamps], "finished", claimed_at);
  values[triggers::kInstanceWaiting] = BoolGetDatum(false); /* generated: status = 'unstarted' */
  ExecStoreHeapTuple(heap_form_tuple(RelationGetDescr(w->rel), values, nulls), w->slot, false);
  triggers::UpdateLockedRow(w, &row->tts_tid, snapshot, "a task instance");
}

/* The session and task of the queue row in `row`, copied: the slot is reused. */
triggers::TakenDelivery Taken(int position, TupleTableSlot *row) {
  return triggers::TakenDelivery{position, datumCopy(row->tts_values[triggers::kQueueSession], false, -1),
                                 datumCopy(row->tts_values[triggers::kQueueTask], false, -1)};
}

}  // namespace

namespace triggers {

TakenDeliveries TakeFinished(const Datum *ids, const Datum *results, int count, MemoryContext work) {
  CommandCounterIncrement();
  Snapshot snapshot = RegisterSnapshot(GetTransactionSnapshot()); /* sees what committed before the session locks */
  DirectWrite queue = OpenDirectWrite("queue", kQueueColumns, kQueueColumnCount);
  DirectWrite instance = OpenDirectWrite("history", kHistoryColumns, kHistoryColumnCount);
  IdLookup queue_ids = OpenIdLookup(queue.rel, "queue_pkey", snapshot);
  IdLookup instance_ids = OpenIdLookup(instance.rel, "instance_task_id", snapshot);
  TupleTableSlot *queue_row = table_slot_create(queue.rel, nullptr);
  TupleTableSlot *instance_row = table_slot_create(instance.rel, nullptr);
  TakenDeliveries out{0, static_cast<TakenDelivery *>(palloc(sizeof(TakenDelivery) * Max(count, 1)))};
  for (int i = 0; i < count; ++i) {
    /* the scans keep state in the context they were started in: not in `work` */
    if (!LookUp(&queue_ids, ids[i], queue_row) || !DeleteHeld(queue.rel, snapshot, ids[i], queue_row)) continue;
    if (!LookUp(&instance_ids, ids[i], instance_row))
      elog(ERROR, "triggers: the instance of delivery %lld is missing", (long long)DatumGetInt64(ids[i]));
    Datum claimed_at = queue_row->tts_isnull[kQueueClaimedAt] ? (Datum)0 : queue_row->tts_values[kQueueClaimedAt];
    MemoryContext outer = MemoryContextSwitchTo(work);
    WriteFinished(&instance, instance_row, results[i], claimed_at, snapshot);
    MemoryContextSwitchTo(outer);
    MemoryContextReset(work);
    out.rows[out.count++] = Taken(i, queue_row);
  }
  ExecDropSingleTupleTableSlot(instance_row);
  ExecDropSingleTupleTableSlot(queue_row);
  CloseIdLookup(&instance_ids);
  CloseIdLookup(&queue_ids);
  CloseDirectWrite(&instance);
  CloseDirectWrite(&queue);
  UnregisterSnapshot(snapshot);
  CommandCounterIncrement(); /* the cascades see the finished instances */
  return out;
}

}  // namespace triggers
