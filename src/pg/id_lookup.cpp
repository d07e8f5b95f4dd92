/*
 * id_lookup.cpp — see id_lookup.hpp.
 * This file owns no C++ objects: every frame may be unwound by ereport.
 */
#include "triggers/id_lookup.hpp"
#include "triggers/row_insert.hpp"

extern "C" {
#include "access/stratnum.h"
#include "utils/fmgroids.h"
}

namespace triggers {

IdLookup OpenIdLookup(Relation table, const char *index_name, Snapshot snapshot) {
  Relation index = index_open(ExtensionRelation(index_name), AccessShareLock);
  return IdLookup{index, index_beginscan(table, index, snapshot, 1, 0)};
}

bool LookUp(IdLookup *lookup, Datum id, TupleTableSlot *row) {
  ScanKeyData key;
  ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, InvalidOid, InvalidOid, F_INT8EQ, id);
  index_rescan(lookup->scan, &key, 1, nullptr, 0);
  if (!index_getnext_slot(lookup->scan, ForwardScanDirection, row)) return false;
  slot_getallattrs(row);
  return true;
}

void CloseIdLookup(IdLookup *lookup) {
  index_endscan(lookup->scan);
  index_close(lookup->index, NoLock);
}

}  // namespace triggers
