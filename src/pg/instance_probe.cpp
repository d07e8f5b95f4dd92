/*
 * instance_probe.cpp — see instance_probe.hpp.  The highest n is the first
 * visible entry of a backward scan of triggers.history's primary key (session,
 * is_event, name, n, seq) over the instances of (session, task); an
 * unstarted instance is an entry of the partial index on (session, name)
 * WHERE waiting.  Scan keys carry the index's collation, so the lookups agree
 * with the index order whatever the database's default collation.
 * PostgreSQL contracts used: src/include/access/genam.h (systable scans work
 * on any heap with a btree index), src/backend/executor/nodeIndexonlyscan.c
 * (the visibility map test and predicate lock of an index-only fetch),
 * src/backend/utils/time/snapmgr.c.
 * This file owns no C++ objects: every frame may be unwound by ereport.
 */
#include "triggers/instance_probe.hpp"
#include "triggers/row_insert.hpp"

extern "C" {
#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/tableam.h"
#include "access/visibilitymap.h"
#include "executor/tuptable.h"
#include "storage/bufmgr.h"
#include "storage/predicate.h"
#include "access/xact.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

namespace {

/* The key of triggers.history (history_pkey): session, is_event, name, n, seq. */
constexpr AttrNumber kKeySession = 1, kKeyIsEvent = 2, kKeyName = 3, kKeyN = 4;

/* Scan keys for the instances of (session, task) in history_pkey. */
void InstanceKeys(ScanKeyData keys[3], Relation index, Datum session, Datum task) {
  ScanKeyEntryInitialize(&keys[0], 0, kKeySession, BTEqualStrategyNumber, InvalidOid,
                         index->rd_indcollation[kKeySession - 1], F_TEXTEQ, session);
  ScanKeyEntryInitialize(&keys[1], 0, kKeyIsEvent, BTEqualStrategyNumber, InvalidOid, InvalidOid, F_BOOLEQ,
                         BoolGetDatum(false));
  ScanKeyEntryInitialize(&keys[2], 0, kKeyName, BTEqualStrategyNumber, InvalidOid,
                         index->rd_indcollation[kKeyName - 1], F_TEXTEQ, task);
}

/*
 * The highest n of (session, task), read from the primary key's entries as an
 * index-only scan does: the heap page is visited only when the visibility map
 * does not say it is all-visible.  A quiet session's instances sit on
 * all-visible pages, so a fire into it skips one page no one touched recently.
 */
bool HighestN(triggers::DirectWrite *history, Snapshot snapshot, Datum session, Datum task, int *n) {
  Relation heap = history->rel;
  Relation index = triggers::IndexOf(history, "history_pkey");
  ScanKeyData keys[3];
  InstanceKeys(keys, index, session, task);
  IndexScanDesc scan = index_beginscan(heap, index, snapshot, 3, 0);
  scan->xs_want_itup = true;
  index_rescan(scan, keys, 3, nullptr, 0);
  TupleTableSlot *slot = table_slot_create(heap, nullptr);
  Buffer vm = InvalidBuffer;
  bool found = false;
  ItemPointer tid;
  while (!found && (tid = index_getnext_tid(scan, BackwardScanDirection)) != nullptr) {
    BlockNumber block = ItemPointerGetBlockNumber(tid);
    if (VM_ALL_VISIBLE(heap, block, &vm)) {
      PredicateLockPage(heap, block, snapshot); /* what the heap visit would have locked */
      found = true;
    } else {
      found = index_fetch_heap(scan, slot);
    }
  }
  if (found) {
    bool isnull;
    *n = DatumGetInt32(index_getattr(scan->xs_itup, kKeyN, scan->xs_itupdesc, &isnull));
  }
  if (vm != InvalidBuffer) ReleaseBuffer(vm);
  ExecDropSingleTupleTableSlot(slot);
  index_endscan(scan);
  return found;
}

/* How many rows the index range holds (visible to `snapshot`). */
int CountRows(triggers::DirectWrite *history, const char *index_name, Snapshot snapshot, Datum session, Datum task) {
  Relation index = triggers::IndexOf(history, index_name);
  ScanKeyData keys[2];
  triggers::SessionTaskKeys(keys, index, session, task);
  SysScanDesc scan = systable_beginscan_ordered(history->rel, index, snapshot, 2, keys);
  int count = 0;
  while (systable_getnext_ordered(scan, ForwardScanDirection) != nullptr) ++count;
  systable_endscan_ordered(scan);
  return count;
}

}  // namespace

namespace triggers {

void SessionTaskKeys(ScanKeyData keys[2], Relation index, Datum session, Datum task) {
  ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid, index->rd_indcollation[0],
                         F_TEXTEQ, session);
  ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid, index->rd_indcollation[1],
                         F_TEXTEQ, task);
}

InstanceProbe ProbeInstances(DirectWrite *history, Datum session, Datum task) {
  CommandCounterIncrement(); /* this transaction's earlier inserts become visible */
  Snapshot snapshot = RegisterSnapshot(GetTransactionSnapshot());
  InstanceProbe probe{false, 0, false, 0};
  probe.any = HighestN(history, snapshot, session, task, &probe.highest_n);
  probe.unstarted = probe.any ? CountRows(history, "instance_unstarted", snapshot, session, task) : 0;
  probe.has_unstarted = probe.unstarted > 0;
  UnregisterSnapshot(snapshot);
  return probe;
}

}  // namespace triggers
