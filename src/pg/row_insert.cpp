/*
 * row_insert.cpp — see row_insert.hpp.  What an INSERT statement does for a
 * table with no triggers, rules, foreign keys or CHECK constraints (none of
 * the extension's hot tables has any): form the tuple, heap-insert it (TOAST
 * included), insert its index entries (unique checks included).  The same
 * opened table (DirectWrite) serves the direct updates (UpdateVersion:
 * unstarted_apply.cpp, session_bump.cpp).
 * PostgreSQL contracts used: src/backend/executor/nodeModifyTable.c
 * (ExecInsert), src/backend/executor/execIndexing.c.
 * This file owns no C++ objects: every frame may be unwound by ereport.
 */
#include "triggers/row_insert.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "storage/bufmgr.h"
#include "storage/freespace.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

namespace {

/*
 * The oids of the extension's relations, by name: a hot path opens several
 * per call, and two catalog lookups each cost more than the open.  At most
 * kKnownMax (the extension has fewer relations); emptied by every relcache
 * invalidation, so a dropped and re-created extension is looked up afresh.
 */
constexpr int kKnownMax = 24;
struct KnownRelation {
  char name[NAMEDATALEN];
  Oid oid;
};
KnownRelation known[kKnownMax];
int known_count = 0;
bool forget_registered = false;

void ForgetRelations(Datum, Oid) noexcept { known_count = 0; }

/* A page that a purge (not just the updates of its rows) freed: at least half empty. */
constexpr Size kRoomyPage = BLCKSZ / 2;

Size FreeSpaceOf(Relation rel, BlockNumber block) {
  Buffer buffer = ReadBuffer(rel, block);
  LockBuffer(buffer, BUFFER_LOCK_SHARE);
  Size free_space = PageGetHeapFreeSpace(BufferGetPage(buffer));
  UnlockReleaseBuffer(buffer);
  return free_space;
}

/*
 * The page a row of `row_size` bytes goes to, in a table with a fillfactor
 * (rows updated in place).  heap_insert would ask the free space map for any
 * page with room for the row plus the fillfactor's reserve, and once vacuum
 * has pruned the old versions of updated rows every page has that: one insert
 * after another lands in a different old page, each cold (a read, and a
 * full-page image in the WAL), e.g. the instances of a million sessions.
 * Instead: the page this backend inserted into last while it has room, else
 * a page at least half empty (freed by a purge), else a new page at the end
 * (InvalidBlockNumber: heap_insert extends the table).  The free space map
 * is corrected for the pages found full, so they are not offered again.
 */
BlockNumber RecentPage(Relation rel, Size row_size) {
  Size needed = MAXALIGN(row_size) + RelationGetTargetPageFreeSpace(rel, HEAP_DEFAULT_FILLFACTOR);
  BlockNumber block = RelationGetTargetBlock(rel);
  if (block == InvalidBlockNumber) block = GetPageWithFreeSpace(rel, kRoomyPage);
  for (int tries = 0; block != InvalidBlockNumber; ++tries) {
    Size free_space = FreeSpaceOf(rel, block);
    if (free_space >= needed) return block;
    if (tries == 3) break; /* the map is stale: do not read on */
    block = RecordAndGetPageWithFreeSpace(rel, block, free_space, kRoomyPage);
  }
  return InvalidBlockNumber;
}

/* heap_insert with the placement above for tables with a fillfactor. */
void InsertTuple(Relation rel, TupleTableSlot *slot, HeapTuple tuple) {
  int options = 0;
  if (RelationGetFillFactor(rel, HEAP_DEFAULT_FILLFACTOR) < HEAP_DEFAULT_FILLFACTOR) {
    RelationSetTargetBlock(rel, RecentPage(rel, tuple->t_len));
    options = HEAP_INSERT_SKIP_FSM;
  }
  table_tuple_insert(rel, slot, GetCurrentCommandId(true), options, nullptr);
}

}  // namespace

namespace triggers {

Oid ExtensionRelation(const char *name) {
  for (int i = 0; i < known_count; ++i)
    if (strcmp(known[i].name, name) == 0) return known[i].oid;
  if (!forget_registered) {
    CacheRegisterRelcacheCallback(ForgetRelations, (Datum)0);
    forget_registered = true;
  }
  Oid relid = get_relname_relid(name, get_namespace_oid("triggers", false));
  if (!OidIsValid(relid)) elog(ERROR, "triggers: relation triggers.%s does not exist", name);
  if (known_count < kKnownMax && strlen(name) < NAMEDATALEN) {
    strlcpy(known[known_count].name, name, NAMEDATALEN);
    known[known_count++].oid = relid;
  }
  return relid;
}

/* True when every trigger of `rel` is the check of one of its foreign keys. */
static bool OnlyForeignKeyChecks(Relation rel) {
  for (int i = 0; i < rel->trigdesc->numtriggers; ++i) {
    const Trigger &t = rel->trigdesc->triggers[i];
    if (!t.tgisinternal || RI_FKey_trigger_type(t.tgfoid) != RI_TRIGGER_FK) return false;
  }
  return true;
}

/*
 * The table must be as the extension script made it: these columns, no
 * triggers or CHECKs to run — but for the checks of its own foreign keys
 * when the caller changes no foreign key column (PostgreSQL skips them then).
 */
static void CheckLayout(Relation rel, const char *table, const char *const *columns, int ncolumns,
                        bool keeps_foreign_keys) {
  TupleDesc desc = RelationGetDescr(rel);
  bool same = desc->natts == ncolumns;
  for (int i = 0; same && i < ncolumns; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    same = !att->attisdropped && strcmp(NameStr(att->attname), columns[i]) == 0;
  }
  if (!same)
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("table triggers.%s does not have the columns this version of the library expects", table),
                    errhint("Reinstall the extension (its tables are private).")));
  bool triggers_to_run = rel->trigdesc != nullptr && !(keeps_foreign_keys && OnlyForeignKeyChecks(rel));
  if (triggers_to_run || (desc->constr != nullptr && desc->constr->num_check > 0))
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("table triggers.%s has triggers or CHECK constraints added to it", table),
                    errdetail("The engine writes this table directly; what was added would be bypassed."),
                    errhint("Drop them: the extension's tables are private.")));
}

DirectWrite OpenDirectWrite(const char *table, const char *const *columns, int ncolumns, bool keeps_foreign_keys) {
  /* the executor refuses an INSERT or UPDATE in a read-only transaction (and on a
   * standby); a direct write bypasses that check, so it is made here */
  if (XactReadOnly)
    ereport(ERROR, (errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
                    errmsg("cannot write triggers.%s in a read-only transaction", table)));
  DirectWrite w;
  w.rel = table_open(ExtensionRelation(table), RowExclusiveLock);
  CheckLayout(w.rel, table, columns, ncolumns, keeps_foreign_keys);
  w.estate = CreateExecutorState();
  w.info = makeNode(ResultRelInfo);
  InitResultRelInfo(w.info, w.rel, 1, nullptr, 0);
  w.indexes_open = false;
  w.slot = ExecInitExtraTupleSlot(w.estate, RelationGetDescr(w.rel), &TTSOpsHeapTuple);
  return w;
}

/* Opened on first use: most updates are HOT and need none (heap_update decides
 * that from the relcache's list of indexed columns, not from open indexes). */
static void OpenIndexes(DirectWrite *w) {
  if (w->indexes_open) return;
  MemoryContext caller = MemoryContextSwitchTo(w->estate->es_query_cxt); /* the caller's may be emptied first */
  ExecOpenIndices(w->info, false);
  MemoryContextSwitchTo(caller);
  w->indexes_open = true;
}

void InsertIndexEntries(DirectWrite *w) {
  OpenIndexes(w);
  list_free(ExecInsertIndexTuples(w->info, w->slot, w->estate, false, false, nullptr, NIL));
  ResetPerTupleExprContext(w->estate); /* a writer may serve many rows (a batch's cascades) */
}

TM_Result UpdateVersion(DirectWrite *w, ItemPointer tid, Snapshot snapshot) {
  TM_FailureData failure;
  LockTupleMode mode;
  bool update_indexes;
  TM_Result result = table_tuple_update(w->rel, tid, w->slot, GetCurrentCommandId(true), snapshot, InvalidSnapshot,
                                        true, &failure, &mode, &update_indexes);
  if (result == TM_Ok && update_indexes) InsertIndexEntries(w);
  return result;
}

void UpdateLockedRow(DirectWrite *w, ItemPointer tid, Snapshot snapshot, const char *what) {
  if (UpdateVersion(w, tid, snapshot) != TM_Ok) /* only under a snapshot older than the session lock */
    ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                    errmsg("could not serialize access due to concurrent update of %s", what)));
}

Relation IndexOf(DirectWrite *w, const char *name) {
  OpenIndexes(w);
  Oid relid = ExtensionRelation(name);
  for (int i = 0; i < w->info->ri_NumIndices; ++i)
    if (RelationGetRelid(w->info->ri_IndexRelationDescs[i]) == relid) return w->info->ri_IndexRelationDescs[i];
  elog(ERROR, "triggers: index triggers.%s is not an index of table %s", name, RelationGetRelationName(w->rel));
  return nullptr; /* not reached */
}

void CloseDirectWrite(DirectWrite *w) {
  if (w->indexes_open) ExecCloseIndices(w->info);
  ExecResetTupleTable(w->estate->es_tupleTable, false);
  FreeExecutorState(w->estate);
  table_close(w->rel, NoLock);
}

void InsertRowWith(DirectWrite *w, Datum *values, const bool *nulls) {
  HeapTuple tuple = heap_form_tuple(RelationGetDescr(w->rel), values, const_cast<bool *>(nulls));
  ExecStoreHeapTuple(tuple, w->slot, false);
  InsertTuple(w->rel, w->slot, tuple);
  InsertIndexEntries(w);
}

void InsertRow(const char *table, const char *const *columns, int ncolumns, Datum *values, const bool *nulls) {
  DirectWrite w = OpenDirectWrite(table, columns, ncolumns);
  InsertRowWith(&w, values, nulls);
  CloseDirectWrite(&w);
}

int64 NextValue(const char *sequence) { return nextval_internal(ExtensionRelation(sequence), false); }

}  // namespace triggers
