/*
 * config_cache.cpp — see config_cache.hpp.  A small array of entries, each in
 * its own memory context, replaced round-robin when full: the bound is on the
 * number of (configuration, trigger) pairs, never on a backend's lifetime.
 */
#include "triggers/config_cache.hpp"
#include "triggers/spi_plans.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/memutils.h"
}

namespace {

constexpr int kMaxEntries = 64;

struct Entry {
  int64 config_id;
  char *trigger; /* NULL: unused */
  triggers::TaskList list;
  MemoryContext context;
};

Entry entries[kMaxEntries];
int next_victim = 0;
bool callback_registered = false;
bool stale = false; /* an invalidation arrived: drop everything at the next lookup */
MemoryContext cache_context = nullptr;

const char *const kTasksSql =
    "SELECT c.task, c.after, c.unless, c.every, c.queue, c.run, c.with_params "
    "FROM triggers.config_trigger AS g "
    "JOIN triggers.config_task AS c ON c.config_id = g.config_id AND c.task = g.task "
    "WHERE g.config_id = $1 AND g.trigger = $2 ORDER BY g.task";
SPIPlanPtr tasks_plan = nullptr;

void Forget(Entry *e) {
  if (e->context != nullptr) MemoryContextDelete(e->context);
  *e = Entry{0, nullptr, {0, nullptr}, nullptr};
}

/*
 * Relcache callback.  It can run in the middle of a fire (invalidations are
 * read when locks are taken), while the fire still uses an entry: so it only
 * marks the cache stale, and the next lookup frees it.
 */
void MarkStale(Datum, Oid) noexcept { stale = true; }

bool IsEmpty(Datum array) {
  return ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(array)), ARR_DIMS(DatumGetArrayTypeP(array))) == 0;
}

/* How many elements of the text[] `after` equal `trigger`, and how many it has. */
void CountTrigger(Datum after, const char *trigger, int *equal, int *count) {
  Datum *items;
  bool *nulls;
  deconstruct_array(DatumGetArrayTypeP(after), TEXTOID, -1, false, TYPALIGN_INT, &items, &nulls, count);
  *equal = 0;
  for (int i = 0; i < *count; ++i)
    if (strcmp(TextDatumGetCString(items[i]), trigger) == 0) ++*equal;
}

/* Copies row `row` of the current SPI result into `out`, in the current context
 * (every column is a varlena: text, text[], jsonb). */
void CopyTask(int row, const char *trigger, triggers::TaskConfig *out) {
  HeapTuple tuple = SPI_tuptable->vals[row];
  TupleDesc desc = SPI_tuptable->tupdesc;
  bool isnull[7];
  Datum v[7];
  for (int i = 0; i < 7; ++i) {
    v[i] = SPI_getbinval(tuple, desc, i + 1, &isnull[i]);
    /* all varlena; detoasted into the entry: a toast pointer would be
     * followed again on every fire, in later transactions too */
    if (!isnull[i]) v[i] = PointerGetDatum(PG_DETOAST_DATUM_COPY(v[i]));
  }
  out->task = v[0];
  out->after = v[1];
  out->unless = v[2];
  out->queue = v[4];
  out->run = v[5];
  out->with_params = v[6];
  out->has_with_params = !isnull[6];
  out->task_name = TextDatumGetCString(v[0]);
  out->every = isnull[3] ? nullptr : TextDatumGetCString(v[3]);
  out->queue_name = TextDatumGetCString(v[4]);
  int equal, count;
  CountTrigger(v[1], trigger, &equal, &count);
  out->has_unless = !IsEmpty(v[2]);
  out->trigger_in_after = equal > 0;
  out->only_this_trigger = equal == count && !out->has_unless;
}

void Load(Entry *e, int64 config_id, Datum trigger) {
  if (tasks_plan == nullptr) {
    Oid types[] = {INT8OID, TEXTOID};
    tasks_plan = triggers::PrepareKept(kTasksSql, 2, types);
  }
  Datum values[2] = {Int64GetDatum(config_id), trigger};
  triggers::RunPlan(tasks_plan, values, "  ", SPI_OK_SELECT);
  e->context = AllocSetContextCreate(cache_context, "triggers config cache entry", ALLOCSET_SMALL_SIZES);
  MemoryContext old = MemoryContextSwitchTo(e->context);
  e->trigger = TextDatumGetCString(trigger);
  int count = static_cast<int>(SPI_processed);
  auto *tasks = static_cast<triggers::TaskConfig *>(palloc0(sizeof(triggers::TaskConfig) * (count + 1)));
  for (int i = 0; i < count; ++i) CopyTask(i, e->trigger, &tasks[i]);
  e->list = triggers::TaskList{count, tasks};
  e->config_id = config_id;
  MemoryContextSwitchTo(old);
}

}  // namespace

namespace triggers {

TaskList TasksUsingTrigger(int64 config_id, Datum trigger) {
  if (!callback_registered) {
    cache_context = AllocSetContextCreate(TopMemoryContext, "triggers config cache", ALLOCSET_SMALL_SIZES);
    CacheRegisterRelcacheCallback(MarkStale, (Datum)0);
    callback_registered = true;
  }
  if (stale) {
    for (Entry &e : entries) Forget(&e);
    stale = false;
  }
  char *name = TextDatumGetCString(trigger);
  for (Entry &e : entries)
    if (e.trigger != nullptr && e.config_id == config_id && strcmp(e.trigger, name) == 0) return e.list;
  Entry *victim = &entries[next_victim];
  next_victim = (next_victim + 1) % kMaxEntries;
  Forget(victim);
  PG_TRY();
  {
    Load(victim, config_id, trigger);
  }
  PG_CATCH();
  {
    Forget(victim); /* never leave a half-filled entry behind */
    PG_RE_THROW();
  }
  PG_END_TRY();
  return victim->list;
}

}  // namespace triggers
