/*
 * instance_probe.cpp — see instance_probe.hpp.  The highest n is the first
 * entry of a backward scan of the primary key (session, task, n); an
 * unstarted instance is an entry of the partial index on (session, task)
 * WHERE waiting.  Scan keys carry the index's collation, so the lookups agree
 * with the index order whatever the database's default collation.
 * PostgreSQL contracts used: src/include/access/genam.h (systable scans work
 * on any heap with a btree index), src/backend/utils/time/snapmgr.c.
 * This file owns no C++ objects: every frame may be unwound by ereport.
 */
#include "triggers/instance_probe.hpp"
#include "triggers/row_insert.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

namespace {

/* session = $1 AND task = $2 (the first two columns of the table and of `index`). */
void SessionTaskKeys(ScanKeyData keys[2], Relation index, Datum session, Datum task) {
  ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid, index->rd_indcollation[0],
                         F_TEXTEQ, session);
  ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid, index->rd_indcollation[1],
                         F_TEXTEQ, task);
}

/* The first row of the index range in `direction`, or nullptr. */
HeapTuple FirstRow(Relation heap, const char *index_name, Snapshot snapshot, Datum session, Datum task,
                   ScanDirection direction, HeapTuple *copy) {
  Relation index = index_open(triggers::ExtensionRelation(index_name), AccessShareLock);
  ScanKeyData keys[2];
  SessionTaskKeys(keys, index, session, task);
  SysScanDesc scan = systable_beginscan_ordered(heap, index, snapshot, 2, keys);
  HeapTuple row = systable_getnext_ordered(scan, direction);
  *copy = row != nullptr ? heap_copytuple(row) : nullptr;
  systable_endscan_ordered(scan);
  index_close(index, NoLock); /* locks are kept to the end of the transaction, as usual */
  return *copy;
}

/* How many rows the index range holds (visible to `snapshot`). */
int CountRows(Relation heap, const char *index_name, Snapshot snapshot, Datum session, Datum task) {
  Relation index = index_open(triggers::ExtensionRelation(index_name), AccessShareLock);
  ScanKeyData keys[2];
  SessionTaskKeys(keys, index, session, task);
  SysScanDesc scan = systable_beginscan_ordered(heap, index, snapshot, 2, keys);
  int count = 0;
  while (systable_getnext_ordered(scan, ForwardScanDirection) != nullptr) ++count;
  systable_endscan_ordered(scan);
  index_close(index, NoLock);
  return count;
}

}  // namespace

namespace triggers {

InstanceProbe ProbeInstances(Datum session, Datum task) {
  CommandCounterIncrement(); /* this transaction's earlier inserts become visible */
  Snapshot snapshot = RegisterSnapshot(GetTransactionSnapshot());
  Relation heap = table_open(triggers::ExtensionRelation("instance"), AccessShareLock);
  InstanceProbe probe{false, 0, false, 0};
  HeapTuple last;
  if (FirstRow(heap, "instance_pkey", snapshot, session, task, BackwardScanDirection, &last) != nullptr) {
    bool isnull;
    probe.any = true;
    AttrNumber n = get_attnum(RelationGetRelid(heap), "n");
    probe.highest_n = DatumGetInt32(heap_getattr(last, n, RelationGetDescr(heap), &isnull));
  }
  probe.unstarted = probe.any ? CountRows(heap, "instance_unstarted", snapshot, session, task) : 0;
  probe.has_unstarted = probe.unstarted > 0;
  table_close(heap, NoLock);
  UnregisterSnapshot(snapshot);
  return probe;
}

}  // namespace triggers
