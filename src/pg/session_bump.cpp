/*
 * session_bump.cpp — see session_bump.hpp.  The row is found through the
 * primary key under a fresh snapshot; the new version is written with
 * table_tuple_update (a HOT update unless the page is full, then with index
 * entries).  A version changed by a transaction that committed meanwhile is
 * locked in its newest form (table_tuple_lock with FIND_LAST_VERSION) and
 * counted on, which is what ExecUpdate does through EvalPlanQual; the key
 * cannot have changed, so there is nothing else to recheck.
 * PostgreSQL contracts used: src/backend/executor/nodeModifyTable.c
 * (ExecUpdate, TM_Updated), src/include/access/tableam.h.
 * This file owns no C++ objects: every frame may be unwound by ereport.
 */
#include "triggers/session_bump.hpp"
#include "triggers/row_insert.hpp"
#include "triggers/table_layout.hpp"

extern "C" {
#include "access/genam.h"
#include "access/stratnum.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "executor/tuptable.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

namespace {

/* The visible version of the session's row, into `row`; false when there is none. */
bool FindSession(triggers::DirectWrite *w, Snapshot snapshot, Datum session, TupleTableSlot *row) {
  Relation index = index_open(triggers::ExtensionRelation("session_pkey"), AccessShareLock);
  ScanKeyData key;
  ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, InvalidOid, index->rd_indcollation[0], F_TEXTEQ,
                         session);
  IndexScanDesc scan = index_beginscan(w->rel, index, snapshot, 1, 0);
  index_rescan(scan, &key, 1, nullptr, 0);
  bool found = index_getnext_slot(scan, ForwardScanDirection, row);
  index_endscan(scan);
  index_close(index, NoLock);
  return found;
}

/* `row` with `count` more fires, as a new tuple in w->slot; fills *out. */
void Counted(triggers::DirectWrite *w, TupleTableSlot *row, int64 count, triggers::BumpedSession *out) {
  slot_getallattrs(row);
  Datum values[triggers::kSessionColumnCount];
  bool nulls[triggers::kSessionColumnCount];
  memcpy(values, row->tts_values, sizeof values);
  memcpy(nulls, row->tts_isnull, sizeof nulls);
  values[triggers::kSessionFires] = Int64GetDatum(DatumGetInt64(values[triggers::kSessionFires]) + count);
  values[triggers::kSessionLastActivity] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
  *out = {true, nulls[triggers::kSessionConfigId], values[triggers::kSessionConfigId],
          values[triggers::kSessionFires]};
  ExecStoreHeapTuple(heap_form_tuple(RelationGetDescr(w->rel), values, nulls), w->slot, false);
}

}  // namespace

namespace triggers {

BumpedSession BumpSession(Datum session, int64 count) {
  CommandCounterIncrement(); /* this transaction's earlier fires count too */
  Snapshot snapshot = RegisterSnapshot(GetTransactionSnapshot());
  DirectWrite w = OpenDirectWrite("session", kSessionColumns, kSessionColumnCount, true);
  TupleTableSlot *row = table_slot_create(w.rel, nullptr);
  BumpedSession out{false, true, (Datum)0, (Datum)0};
  if (FindSession(&w, snapshot, session, row)) {
    ItemPointerData tid = row->tts_tid;
    for (;;) {
      Counted(&w, row, count, &out);
      TM_Result result = UpdateVersion(&w, &tid, snapshot);
      if (result == TM_Ok) break;
      if ((result == TM_Updated || result == TM_Deleted) && IsolationUsesXactSnapshot())
        ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                        errmsg("could not serialize access due to concurrent update of session \"%s\"",
                               TextDatumGetCString(session))));
      TM_FailureData failure;
      if (result == TM_Updated)
        result = table_tuple_lock(w.rel, &tid, snapshot, row, GetCurrentCommandId(true), LockTupleNoKeyExclusive,
                                  LockWaitBlock, TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &failure);
      if (result == TM_Deleted) { /* purged meanwhile: as if it never existed */
        out.found = false;
        break;
      }
      if (result != TM_Ok) elog(ERROR, "triggers: unexpected result %d while counting a fire", (int)result);
      tid = row->tts_tid; /* the newest version, now locked by us: count on it */
    }
  }
  ExecDropSingleTupleTableSlot(row);
  CloseDirectWrite(&w);
  UnregisterSnapshot(snapshot);
  CommandCounterIncrement(); /* what follows in this fire sees the count */
  return out;
}

}  // namespace triggers
