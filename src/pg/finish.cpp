/*
 * finish.cpp — triggers_finish and triggers_finish_many, the hot half of a
 * worker's answers: remove the deliveries from the queue, mark the instances
 * finished, and cascade (fire each task's name with its result) — in the
 * caller's transaction, with the sessions locked first like every other
 * change.  The batch is taken directly (delivery_take.cpp), each session
 * counts its deliveries at once, and each cascade is then recorded and
 * applied in turn.  Anything unusual (a repeated answer, a lost lease, an
 * unknown id) goes to the PL/pgSQL triggers._take, which raises the right
 * error or reports a harmless repeat.
 * This file owns no C++ objects: every frame may be unwound by ereport.
 */
#include "triggers/arguments.hpp"
#include "triggers/delivery_take.hpp"
#include "triggers/fire.hpp"
#include "triggers/session_bump.hpp"
#include "triggers/spi_plans.hpp"

extern "C" {
#include "executor/spi.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
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

/* The slow path: raises 55000/42704, or says the same answer was already given. */
const char *const kExplainSql = "SELECT t.repeat FROM triggers._take($1, 'finish') AS t";

struct Plans {
  SPIPlanPtr lock, explain;
};
Plans plans;

void PreparePlans() {
  if (plans.explain != nullptr) return;
  Oid ids[] = {INT8ARRAYOID};
  Oid id[] = {INT8OID};
  if (!plans.lock) plans.lock = triggers::PrepareKept(kLockSql, 1, ids); /* kept once, even after a failure */
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

/* The fire of the delivery at `at` in the batch (its task's k-th in the session: seq), recorded and applied. */
void Cascade(triggers::DirectWrite *history, Batch *batch, int at, Datum session, Datum task, Datum config,
             bool config_null, int64 seq, ArrayBuildState *acc, MemoryContext result_context) {
  Datum result = batch->results[at];
  batch->taken[at] = true;
  triggers::RecordEvent(history, session, task, Int64GetDatum(seq), result);
  if (config_null) return;
  SPI_connect();
  Datum scheduled = triggers::ApplyFire(history, session, config, task, result, Int64GetDatum(seq), (Datum)0, true,
                                        result_context);
  SPI_finish();
  Accumulate(acc, scheduled, result_context);
}

int CompareTexts(Datum a, Datum b) {
  text *x = DatumGetTextPP(a), *y = DatumGetTextPP(b);
  size_t nx = VARSIZE_ANY_EXHDR(x), ny = VARSIZE_ANY_EXHDR(y);
  int c = memcmp(VARDATA_ANY(x), VARDATA_ANY(y), Min(nx, ny));
  return c != 0 ? c : (nx < ny ? -1 : nx > ny ? 1 : 0);
}

/* By session, then in id order (the batch is sorted by id). */
int CompareTaken(const void *a, const void *b) {
  const triggers::TakenDelivery *x = static_cast<const triggers::TakenDelivery *>(a);
  const triggers::TakenDelivery *y = static_cast<const triggers::TakenDelivery *>(b);
  int c = CompareTexts(x->session, y->session);
  return c != 0 ? c : x->position - y->position;
}

/*
 * The cascades of taken[0..count), one session's deliveries in id order:
 * fires before + 1 .. before + count.  Each step runs in `work`, emptied after
 * it (what it returns is by value or in result_context).
 */
void CascadeSession(triggers::DirectWrite *history, Batch *batch, const triggers::TakenDelivery *taken, int count,
                    ArrayBuildState *acc, MemoryContext result_context, MemoryContext work) {
  MemoryContext outer = MemoryContextSwitchTo(work);
  triggers::BumpedSession bumped = triggers::BumpSession(taken[0].session, count);
  MemoryContextReset(work);
  if (!bumped.found) /* its deliveries were taken with it locked: it cannot have gone */
    elog(ERROR, "triggers: session \"%s\" vanished while its answers were taken", TextDatumGetCString(taken[0].session));
  int64 before = DatumGetInt64(bumped.fires) - count;
  for (int k = 0; k < count; ++k) {
    Cascade(history, batch, taken[k].position, taken[k].session, taken[k].task, bumped.config_id, bumped.config_null,
            before + k + 1, acc, result_context);
    MemoryContextReset(work);
  }
  MemoryContextSwitchTo(outer);
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
  /* each delivery's and each cascade's garbage is dropped as soon as it is done: a
   * batch's worth grew the statement's memory by blocks that went back to the OS at
   * its end, and touching them again cost page faults (a seventh of the CPU time) */
  MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "triggers answer", ALLOCSET_DEFAULT_SIZES);
  triggers::TakenDeliveries taken = triggers::TakeFinished(batch.ids, batch.results, batch.count, work);
  qsort(taken.rows, taken.count, sizeof(triggers::TakenDelivery), CompareTaken);
  triggers::DirectWrite history = triggers::OpenHistory(); /* once for all the cascades' rows */
  for (int first = 0, next; first < taken.count; first = next) {
    for (next = first + 1; next < taken.count && CompareTexts(taken.rows[next].session, taken.rows[first].session) == 0;)
      ++next;
    CascadeSession(&history, &batch, taken.rows + first, next - first, acc, result_context, work);
  }
  triggers::CloseDirectWrite(&history);
  MemoryContextDelete(work);
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
