/*
 * id_lookup.hpp — finding rows by delivery id (task_id, int8) through a
 * unique index of the extension (queue_pkey, instance_task_id), with one
 * index scan opened once and rescanned per id.  The scan keeps state in the
 * memory context it was opened in: look up from that context.
 * May raise: call from frames that own nothing.
 */
#pragma once

#include "triggers/pg_boundary.hpp"

extern "C" {
#include "access/genam.h"
#include "executor/tuptable.h"
}

namespace triggers {

struct IdLookup {
  Relation index;
  IndexScanDesc scan;
};

/* A scan of triggers.<index_name> (an index of `table` on task_id) under `snapshot`. */
IdLookup OpenIdLookup(Relation table, const char *index_name, Snapshot snapshot);
/* The row whose task_id is `id`, visible to the snapshot, into `row` (all attributes deformed). */
bool LookUp(IdLookup *lookup, Datum id, TupleTableSlot *row);
void CloseIdLookup(IdLookup *lookup);

}  // namespace triggers
