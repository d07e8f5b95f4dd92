/*
 * unstarted_apply.cpp — see unstarted_apply.hpp.  What the UPDATE did, step
 * by step: the rows come from the partial index of unstarted instances under
 * a fresh snapshot; each new version is written with table_tuple_update (a
 * HOT update when no indexed column changes) and, when it is not heap-only,
 * given its index entries.  Rows written by this call are invisible to its
 * own scan (same command id), as in any UPDATE.
 * PostgreSQL contracts used: src/backend/executor/nodeModifyTable.c
 * (ExecUpdate), src/include/access/tableam.h (table_tuple_update).
 * This file owns no C++ objects: every frame may be unwound by ereport.
 */
#include "triggers/unstarted_apply.hpp"
#include "triggers/instance_probe.hpp"
#include "triggers/row_insert.hpp"
#include "triggers/status_stamps.hpp"
#include "triggers/table_layout.hpp"

extern "C" {
#include "access/genam.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

namespace {

struct Names {
  Datum *items;
  int count;
};

/* True when the instance's kwargs hold every trigger of after but T. */
bool HasOthers(Datum kwargs, const Names &after, Datum trigger) {
  for (int i = 0; i < after.count; ++i) {
    if (DatumGetBool(DirectFunctionCall2Coll(texteq, C_COLLATION_OID, after.items[i], trigger))) continue;
    if (!DatumGetBool(DirectFunctionCall2(jsonb_exists, kwargs, after.items[i]))) return false;
  }
  return true;
}

/* The new version of unstarted instance `row` (all attributes deformed) with T applied; fills *out. */
HeapTuple Applied(TupleDesc desc, TupleTableSlot *row, Datum pair, bool complete, triggers::AppliedInstance *out) {
  Datum values[triggers::kHistoryColumnCount];
  bool nulls[triggers::kHistoryColumnCount];
  memcpy(values, row->tts_values, sizeof values);
  memcpy(nulls, row->tts_isnull, sizeof nulls);
  values[triggers::kInstanceKwargs] = DirectFunctionCall2(jsonb_concat, values[triggers::kInstanceKwargs], pair);
  if (complete) {
    values[triggers::kInstanceStatus] = CStringGetTextDatum("scheduled");
    values[triggers::kInstanceTaskId] = Int64GetDatum(triggers::NextValue("task_id_seq"));
    nulls[triggers::kInstanceTaskId] = false;
    nulls[triggers::kInstanceAnswer] = true;
    values[triggers::kInstanceStamps] = triggers::StampStatus(values[triggers::kInstanceStamps], "scheduled");
    values[triggers::kInstanceWaiting] = BoolGetDatum(false); /* generated: status = 'unstarted' */
  }
  *out = {DatumGetInt32(values[triggers::kInstanceN]), complete, values[triggers::kInstanceKwargs],
          values[triggers::kInstanceTaskId]};
  return heap_form_tuple(desc, values, nulls);
}

}  // namespace

namespace triggers {

AppliedInstances ApplyToUnstarted(DirectWrite *history, Datum session, Datum task, Datum trigger, Datum pair,
                                  Datum after) {
  Names names;
  deconstruct_array(DatumGetArrayTypeP(after), TEXTOID, -1, false, TYPALIGN_INT, &names.items, nullptr, &names.count);
  Snapshot snapshot = RegisterSnapshot(GetTransactionSnapshot()); /* sees what committed before the session lock */
  DirectWrite &w = *history;
  Relation index = IndexOf(&w, "instance_unstarted");
  ScanKeyData keys[2];
  triggers::SessionTaskKeys(keys, index, session, task);
  IndexScanDesc scan = index_beginscan(w.rel, index, snapshot, 2, 0);
  index_rescan(scan, keys, 2, nullptr, 0);
  TupleTableSlot *row = table_slot_create(w.rel, nullptr);
  AppliedInstances out{0, nullptr};
  int capacity = 0;
  while (index_getnext_slot(scan, ForwardScanDirection, row)) {
    slot_getallattrs(row);
    Datum kwargs = row->tts_values[kInstanceKwargs];
    if (row->tts_isnull[kInstanceWaiting] || !DatumGetBool(row->tts_values[kInstanceWaiting])) continue;
    if (DatumGetBool(DirectFunctionCall2(jsonb_exists, kwargs, trigger))) continue; /* T applied already */
    if (out.count == capacity) {
      capacity = capacity * 2 + 4;
      out.rows = static_cast<AppliedInstance *>(out.rows ? repalloc(out.rows, sizeof(AppliedInstance) * capacity)
                                                         : palloc(sizeof(AppliedInstance) * capacity));
    }
    HeapTuple version = Applied(RelationGetDescr(w.rel), row, pair, HasOthers(kwargs, names, trigger),
                                &out.rows[out.count++]);
    ExecStoreHeapTuple(version, w.slot, false);
    UpdateLockedRow(&w, &row->tts_tid, snapshot, "a task instance");
  }
  ExecDropSingleTupleTableSlot(row);
  index_endscan(scan);
  UnregisterSnapshot(snapshot);
  CommandCounterIncrement(); /* what follows in this fire sees the new versions */
  return out;
}

}  // namespace triggers
