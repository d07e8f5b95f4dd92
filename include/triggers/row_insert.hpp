/*
 * row_insert.hpp — inserting one row into a table of the extension's schema
 * without a query.  The hot paths insert a few small rows per call; starting
 * the executor for an INSERT (planning the projection, compiling its
 * expressions) costs several times more than the insert itself.
 * These call PostgreSQL and may raise: use them from frames that own nothing.
 */
#pragma once

#include "triggers/pg_boundary.hpp"

extern "C" {
#include "access/tableam.h"
#include "nodes/execnodes.h"
}

namespace triggers {

/*
 * Inserts a row into triggers.<table>, maintaining every index of the table
 * (uniqueness included).  `columns` names every column in table order: the
 * table's layout is checked against it, so a schema change cannot silently
 * misplace a value.  The caller supplies defaults and generated values.
 */
void InsertRow(const char *table, const char *const *columns, int ncolumns, Datum *values, const bool *nulls);

/*
 * A table of the extension opened for writing without a query: its indexes
 * (opened when first needed), an executor state for their predicates and uniqueness checks, a slot
 * holding the row being written.  The layout is checked as for InsertRow;
 * keeps_foreign_keys: the caller changes no foreign key column, so the
 * table's foreign key checks (which PostgreSQL would skip) may be there.
 */
struct DirectWrite {
  Relation rel;
  EState *estate;
  ResultRelInfo *info;
  TupleTableSlot *slot;
  bool indexes_open; /* opened by the first InsertIndexEntries */
};
DirectWrite OpenDirectWrite(const char *table, const char *const *columns, int ncolumns,
                            bool keeps_foreign_keys = false);
/* The index entries of the row in w->slot (a new row, or a version that is not heap-only). */
void InsertIndexEntries(DirectWrite *w);
/*
 * Writes the row in w->slot as the new version of the row at `tid`, waiting
 * for a concurrent writer (HOT when no indexed column changes, else with its
 * index entries).  Anything but TM_Ok means nothing was written; the caller
 * decides what a concurrent change means.
 */
TM_Result UpdateVersion(DirectWrite *w, ItemPointer tid, Snapshot snapshot);
/*
 * UpdateVersion for a row nobody else may change meanwhile (its session is
 * locked): a concurrent change is a serialization failure (40001) naming `what`.
 */
void UpdateLockedRow(DirectWrite *w, ItemPointer tid, Snapshot snapshot, const char *what);
void CloseDirectWrite(DirectWrite *w);
/*
 * Index triggers.<name> of w's table, for reading too: one of the indexes w
 * opens for its writes (opened now if they are not yet), so a fire's and a
 * cascade's lookups open and lock nothing again.  It stays open until
 * CloseDirectWrite; do not close it.
 */
Relation IndexOf(DirectWrite *w, const char *name);
/* InsertRow into a table already opened with OpenDirectWrite (several rows, one opening). */
void InsertRowWith(DirectWrite *w, Datum *values, const bool *nulls);

/* The oid of relation triggers.<name> (a table, an index, a sequence); remembered
 * per backend until the next relcache invalidation. */
Oid ExtensionRelation(const char *name);

/* nextval('triggers.<sequence>'). */
int64 NextValue(const char *sequence);

}  // namespace triggers
