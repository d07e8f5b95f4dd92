/*
 * finish.cpp — triggers_finish and triggers_finish_many, the hot half of a
 * worker's answers: remove the deliveries from the queue, mark the instances
 * finished, and cascade (fire each task's name with its result) — in the
 * caller's transaction, with the sessions locked first like every other
 * change.  A batch is taken and counted by one statement; each cascade is
 * then recorded and applied in turn.  Anything unusual (a repeated answer, a lost lease,
 * an unknown id) goes to the PL/pgSQL triggers._take, which raises the right
 * error or reports a harmless repeat.
 * This file owns no C++ objects: every frame may be unwound by ereport.
 */
#include "triggers/arguments.hpp"
#include "triggers/fire.hpp"
#include "triggers/spi_plans.hpp"

extern "C" {
#include "executor/spi.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
}

namespace {

/*
 * The sessions of the deliveries, locked in a fixed order so two batches
 * cannot deadlock.  `= ANY (ARRAY(...))`, not IN (...): a semi-join can be
 * planned as a hash join that reads the whole session table per batch.
 */
const char *const kLockSql =
    "SELECT FROM triggers.session AS s WHERE s.session OPERATOR(pg_catalog.=) ANY (ARRAY("
    "  SELECT q.session FROM triggers.queue AS q WHERE q.task_id OPERATOR(pg_catalog.=) ANY ($1))) "
    "ORDER BY s.session FOR UPDATE OF s";

/*
 * Takes the claimed deliveries of $1 off the queue, finishes their instances
 * with their results ($2[i] for $1[i]; $1 is sorted and distinct, so
 * width_bucket finds i by binary search) and counts one fire (the task's name)
 * per delivery in its session.  One row per session, in session order: its
 * configuration, its fire count before the batch, and the ids and tasks it
 * finished, in id order (the k-th is fire before + k).  Plain joins on keys
 * and no join carrying the results: a join in an UPDATE copies each joined
 * row whole (for rechecks), which had cost more than the updates.
 */
const char *const kTakeSql =
    "WITH d AS (DELETE FROM triggers.queue AS q "
    "           WHERE q.task_id OPERATOR(pg_catalog.=) ANY ($1) AND q.worker IS NOT NULL "
    "           RETURNING q.task_id, q.session, q.task, q.n, q.claimed_at), "
    "u AS (UPDATE triggers.instance AS i SET status = 'finished', answer = 'finish', "
    "      metadata = i.metadata OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('result', "
    "                 $2[pg_catalog.width_bucket(d.task_id, $1)]), "
    /* triggers._stamp(i.stamps, 'finished'), with the running time of the claim (slot 5) */
    "      stamps[2] = pg_catalog.now(), stamps[5] = d.claimed_at, stamps[6] = pg_catalog.now() "
    "      FROM d WHERE i.session = d.session AND i.task = d.task AND i.n = d.n "
    "      RETURNING d.task_id, d.session, d.task), "
    "c AS (SELECT u.session, pg_catalog.count(*) AS fires, "
    "             pg_catalog.array_agg(u.task_id ORDER BY u.task_id) AS ids, "
    "             pg_catalog.array_agg(u.task ORDER BY u.task_id) AS tasks FROM u GROUP BY u.session), "
    "b AS (UPDATE triggers.session AS s SET fires = s.fires + c.fires, last_activity = pg_catalog.now() "
    "      FROM c WHERE s.session = c.session "
    "      RETURNING s.session, s.config_id, s.fires - c.fires AS before, c.ids, c.tasks) "
    "SELECT * FROM b ORDER BY b.session";

/* The slow path: raises 55000/42704, or says the same answer was already given. */
const char *const kExplainSql = "SELECT t.repeat FROM triggers._take($1, 'finish') AS t";

struct Plans {
  SPIPlanPtr lock, take, explain;
};
Plans plans;

void PreparePlans() {
  if (plans.explain != nullptr) return;
  Oid ids[] = {INT8ARRAYOID};
  Oid take[] = {INT8ARRAYOID, JSONBARRAYOID};
  Oid id[] = {INT8OID};
  plans.lock = triggers::PrepareKept(kLockSql, 1, ids);
  plans.take = triggers::PrepareKept(kTakeSql, 2, take);
  plans.explain = triggers::PrepareKept(kExplainSql, 1, id);
}

/* A delivery the batch did not take: a harmless repeat, or an error. */
void ExplainNotTaken(Datum task_id) {
  triggers::RunPlan(plans.explain, &task_id, " ", SPI_OK_SELECT);
  bool isnull;
  if (!DatumGetBool(triggers::ResultColumn(1, &isnull)))
    ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                    errmsg("task %lld changed while it was being finished", (long long)DatumGetInt64(task_id)),
                    errhint("Answer again.")));
}

/* Appends the elements of the text[] `names` to `acc`. */
void Accumulate(ArrayBuildState *acc, Datum names, MemoryContext context) {
  Datum *items;
  bool *nulls;
  int count;
  deconstruct_array(DatumGetArrayTypeP(names), TEXTOID, -1, false, TYPALIGN_INT, &items, &nulls, &count);
  for (int i = 0; i < count; ++i) accumArrayResult(acc, items[i], false, TEXTOID, context);
}

/* The deliveries of one batch, distinct and sorted: ids[i] answered with results[i]; taken[i] once taken. */
struct Batch {
  Datum *ids, *results;
  bool *taken;
  int count;
};

struct Answer {
  int64 id;
  int position; /* in the caller's arrays */
  Datum result;
};

int CompareAnswers(const void *a, const void *b) {
  const Answer *x = static_cast<const Answer *>(a), *y = static_cast<const Answer *>(b);
  if (x->id != y->id) return x->id < y->id ? -1 : 1;
  return x->position - y->position;
}

/* The batch of ids[i] answered with results[i]: sorted by id, the first answer of a repeated id kept. */
Batch SortedBatch(const Datum *id_items, const Datum *result_items, int count) {
  Answer *answers = static_cast<Answer *>(palloc(sizeof(Answer) * Max(count, 1)));
  for (int i = 0; i < count; ++i) answers[i] = Answer{DatumGetInt64(id_items[i]), i, result_items[i]};
  qsort(answers, count, sizeof(Answer), CompareAnswers);
  Batch batch{static_cast<Datum *>(palloc(sizeof(Datum) * Max(count, 1))),
              static_cast<Datum *>(palloc(sizeof(Datum) * Max(count, 1))),
              static_cast<bool *>(palloc0(sizeof(bool) * Max(count, 1))), 0};
  for (int i = 0; i < count; ++i) {
    if (i > 0 && answers[i].id == answers[i - 1].id) continue;
    batch.ids[batch.count] = Int64GetDatum(answers[i].id);
    batch.results[batch.count++] = answers[i].result;
  }
  return batch;
}

/* The position of `id` in the batch (it is there: the batch's own ids were taken). */
int Find(const Batch *batch, int64 id) {
  int low = 0, high = batch->count - 1;
  while (low < high) {
    int middle = (low + high) / 2;
    if (DatumGetInt64(batch->ids[middle]) < id) low = middle + 1;
    else high = middle;
  }
  return low;
}

/* The fire of delivery `id` of `task` (its k-th in the session: seq), recorded and applied in its own SPI level. */
void Cascade(Batch *batch, Datum id, Datum session, Datum task, Datum config, bool config_null, int64 seq,
             ArrayBuildState *acc, MemoryContext result_context) {
  int at = Find(batch, DatumGetInt64(id));
  Datum result = batch->results[at];
  batch->taken[at] = true;
  triggers::RecordEvent(session, task, Int64GetDatum(seq), result);
  if (config_null) return;
  SPI_connect();
  Datum scheduled = triggers::ApplyFire(session, config, task, result, Int64GetDatum(seq), (Datum)0, true,
                                        result_context);
  SPI_finish();
  Accumulate(acc, scheduled, result_context);
}

/* The cascades of one session's row of kTakeSql, in id order. */
void CascadeSession(Batch *batch, SPITupleTable *taken, uint64 row, ArrayBuildState *acc,
                    MemoryContext result_context) {
  bool isnull, config_null;
  Datum session = SPI_getbinval(taken->vals[row], taken->tupdesc, 1, &isnull);
  Datum config = SPI_getbinval(taken->vals[row], taken->tupdesc, 2, &config_null);
  int64 before = DatumGetInt64(SPI_getbinval(taken->vals[row], taken->tupdesc, 3, &isnull));
  Datum *ids, *tasks;
  int count;
  deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(taken->vals[row], taken->tupdesc, 4, &isnull)), INT8OID, 8,
                    FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &ids, nullptr, &count);
  deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(taken->vals[row], taken->tupdesc, 5, &isnull)), TEXTOID, -1,
                    false, TYPALIGN_INT, &tasks, nullptr, &count);
  for (int k = 0; k < count; ++k)
    Cascade(batch, ids[k], session, tasks[k], config, config_null, before + k + 1, acc, result_context);
}

/*
 * Finishes the tasks ids[i] (int8) with results[i] (jsonb objects); returns
 * the text[] of instances the cascades scheduled.
 */
Datum FinishBatch(const Datum *ids, const Datum *results, int count, MemoryContext result_context) {
  Batch batch = SortedBatch(ids, results, count);
  Datum sorted[2] = {PointerGetDatum(construct_array(batch.ids, batch.count, INT8OID, 8, FLOAT8PASSBYVAL,
                                                     TYPALIGN_DOUBLE)),
                     PointerGetDatum(construct_array(batch.results, batch.count, JSONBOID, -1, false, TYPALIGN_INT))};
  ArrayBuildState *acc = initArrayResult(TEXTOID, result_context, false);
  SPI_connect();
  PreparePlans();
  triggers::RunPlan(plans.lock, sorted, " ", SPI_OK_SELECT);
  triggers::RunPlan(plans.take, sorted, "  ", SPI_OK_SELECT);
  SPITupleTable *taken = SPI_tuptable;
  uint64 sessions = SPI_processed;
  for (uint64 row = 0; row < sessions; ++row) CascadeSession(&batch, taken, row, acc, result_context);
  for (int i = 0; i < batch.count; ++i)
    if (!batch.taken[i]) ExplainNotTaken(batch.ids[i]);
  SPI_finish();
  return makeArrayResult(acc, result_context);
}

/* An answer is never lost: its commit waits for the WAL flush, whatever the session says. */
void ForceSynchronousCommit() {
  (void)set_config_option("synchronous_commit", "on", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
                          true, 0, false);
}

}  // namespace

/*
 * triggers_finish(task_id bigint, result jsonb) returns text[]: the task is
 * done; its result is recorded and cascades.  Returns the instances scheduled.
 */
TRIGGERS_FUNCTION(triggers_finish) {
  if (PG_ARGISNULL(0))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("task_id must not be NULL")));
  Datum result = triggers::ObjectArg(fcinfo, 1, "result");
  ForceSynchronousCommit();
  Datum id = PG_GETARG_DATUM(0);
  PG_RETURN_DATUM(FinishBatch(&id, &result, 1, CurrentMemoryContext));
}

/*
 * triggers_finish_many(task_ids bigint[], results jsonb[]) returns text[]:
 * triggers_finish for each task (results[i] for task_ids[i], {} without
 * results), all in the caller's transaction.
 */
TRIGGERS_FUNCTION(triggers_finish_many) {
  if (PG_ARGISNULL(0))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("task_ids must not be NULL")));
  Datum *ids, *results;
  bool *id_nulls, *result_nulls = nullptr;
  int count, result_count;
  deconstruct_array(PG_GETARG_ARRAYTYPE_P(0), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &ids, &id_nulls,
                    &count);
  for (int i = 0; i < count; ++i)
    if (id_nulls[i])
      ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("task_ids must not contain NULL")));
  if (PG_ARGISNULL(1)) {
    results = static_cast<Datum *>(palloc(sizeof(Datum) * Max(count, 1)));
    result_count = count;
    for (int i = 0; i < count; ++i) results[i] = triggers::ObjectValue((Datum)0, true, "result");
  } else {
    deconstruct_array(PG_GETARG_ARRAYTYPE_P(1), JSONBOID, -1, false, TYPALIGN_INT, &results, &result_nulls,
                      &result_count);
    if (result_count != count)
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                      errmsg("results must have one element per task_id (%d task_ids, %d results)", count,
                             result_count)));
    for (int i = 0; i < count; ++i) results[i] = triggers::ObjectValue(results[i], result_nulls[i], "result");
  }
  ForceSynchronousCommit();
  PG_RETURN_DATUM(FinishBatch(ids, results, count, CurrentMemoryContext));
}
