/*
 * finish.cpp — triggers_finish, the hot half of a worker's answers: remove
 * the delivery from the queue, mark the instance finished, and cascade (fire
 * the task's name with the result) — in the caller's transaction, with the
 * session locked first like every other change.  Anything unusual (a repeated
 * answer, a lost lease, an unknown id) goes to the PL/pgSQL triggers._take,
 * which raises the right error or reports a harmless repeat.
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
 * Locks the session of a held delivery (the session first, like every other
 * change) and counts the fire its cascade will be: the task's name.
 */
const char *const kLockSql =
    "UPDATE triggers.session AS s SET fires = s.fires + 1, last_activity = pg_catalog.now() "
    "FROM triggers.queue AS q WHERE q.task_id = $1 AND s.session = q.session "
    "RETURNING s.session, s.config_id, s.fires";

/* Takes a claimed delivery off the queue and finishes its instance. */
const char *const kTakeSql =
    "WITH d AS (DELETE FROM triggers.queue AS q WHERE q.task_id = $1 AND q.worker IS NOT NULL "
    "           RETURNING q.session, q.task, q.n) "
    "UPDATE triggers.instance AS i SET status = 'finished', answer = 'finish', metadata = "
    TRIGGERS_STAMP_SQL("(i.metadata OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('result', $2::jsonb))",
                       "'finished'")
    " FROM d WHERE i.session = d.session AND i.task = d.task AND i.n = d.n "
    "RETURNING i.task";

/* The slow path: raises 55000/42704, or says the same answer was already given. */
const char *const kExplainSql = "SELECT t.repeat FROM triggers._take($1, 'finish') AS t";

/* A batch is answered session by session, then by id: a fixed lock order. */
const char *const kOrderSql =
    "SELECT (t.ord - 1)::int4 FROM pg_catalog.unnest($1::int8[]) WITH ORDINALITY AS t(id, ord) "
    "LEFT JOIN triggers.queue AS q ON q.task_id = t.id ORDER BY q.session, t.id";

struct Plans {
  SPIPlanPtr lock, take, explain, order;
};
Plans plans;

void PreparePlans() {
  if (plans.order != nullptr) return;
  Oid id[] = {INT8OID};
  Oid take[] = {INT8OID, JSONBOID};
  Oid ids[] = {INT8ARRAYOID};
  plans.lock = triggers::PrepareKept(kLockSql, 1, id);
  plans.take = triggers::PrepareKept(kTakeSql, 2, take);
  plans.explain = triggers::PrepareKept(kExplainSql, 1, id);
  plans.order = triggers::PrepareKept(kOrderSql, 1, ids);
}

/* What the fast path learns about a held delivery it took. */
struct Taken {
  Datum session, config, seq, task;
  bool config_null;
};

/* The fast path; returns false when the delivery is not (or no longer) held here. */
bool TakeHeld(Datum task_id, Datum result, Taken *out) {
  Datum id[1] = {task_id};
  triggers::RunPlan(plans.lock, id, " ", SPI_OK_UPDATE_RETURNING);
  if (SPI_processed == 0) return false;
  bool isnull;
  out->session = SPI_datumTransfer(triggers::ResultColumn(1, &isnull), false, -1);
  out->config = triggers::ResultColumn(2, &out->config_null);
  out->seq = triggers::ResultColumn(3, &isnull);
  Datum take[2] = {task_id, result};
  triggers::RunPlan(plans.take, take, "  ", SPI_OK_UPDATE_RETURNING);
  if (SPI_processed == 0) return false;
  out->task = triggers::ResultColumn(1, &isnull);
  return true;
}

/* Finishes one task; must run inside SPI_connect().  Returns the text[] scheduled. */
Datum FinishTask(Datum task_id, Datum result, MemoryContext result_context) {
  PreparePlans();
  Taken taken;
  if (TakeHeld(task_id, result, &taken))
    return triggers::RecordLockedFire(taken.session, taken.config, taken.config_null, taken.task, result,
                                      taken.seq, result_context);
  Datum id[1] = {task_id};
  triggers::RunPlan(plans.explain, id, " ", SPI_OK_SELECT);
  bool isnull;
  if (!DatumGetBool(triggers::ResultColumn(1, &isnull)))
    ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                    errmsg("task %lld changed while it was being finished", (long long)DatumGetInt64(task_id)),
                    errhint("Answer again.")));
  MemoryContext old = MemoryContextSwitchTo(result_context);
  Datum none = PointerGetDatum(construct_empty_array(TEXTOID));
  MemoryContextSwitchTo(old);
  return none;
}

/* An answer is never lost: its commit waits for the WAL flush, whatever the session says. */
void ForceSynchronousCommit() {
  (void)set_config_option("synchronous_commit", "on", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
                          true, 0, false);
}

/* The positions of `ids` in answering order, palloc'd in the current context. */
int *AnswerOrder(Datum ids, int count) {
  int *order = static_cast<int *>(palloc(sizeof(int) * Max(count, 1)));
  SPI_connect();
  PreparePlans();
  triggers::RunPlan(plans.order, &ids, " ", SPI_OK_SELECT);
  bool isnull;
  for (int k = 0; k < count; ++k) order[k] = DatumGetInt32(triggers::ResultColumn(1, &isnull, k));
  SPI_finish();
  return order;
}

/* Appends the elements of the text[] `names` to `acc`. */
void Accumulate(ArrayBuildState *acc, Datum names, MemoryContext context) {
  Datum *items;
  bool *nulls;
  int count;
  deconstruct_array(DatumGetArrayTypeP(names), TEXTOID, -1, false, TYPALIGN_INT, &items, &nulls, &count);
  for (int i = 0; i < count; ++i) accumArrayResult(acc, items[i], false, TEXTOID, context);
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
  MemoryContext caller = CurrentMemoryContext;
  SPI_connect();
  Datum scheduled = FinishTask(PG_GETARG_DATUM(0), result, caller);
  SPI_finish();
  PG_RETURN_DATUM(scheduled);
}

/*
 * triggers_finish_many(task_ids bigint[], results jsonb[]) returns text[]:
 * triggers_finish for each task (results[i] for task_ids[i], {} without
 * results), all in the caller's transaction.  Each task gets its own SPI
 * connection, so a large batch does not keep every statement's result.
 */
TRIGGERS_FUNCTION(triggers_finish_many) {
  if (PG_ARGISNULL(0))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("task_ids must not be NULL")));
  Datum *ids, *results = nullptr;
  bool *id_nulls, *result_nulls = nullptr;
  int count, result_count = 0;
  deconstruct_array(PG_GETARG_ARRAYTYPE_P(0), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &ids, &id_nulls,
                    &count);
  if (!PG_ARGISNULL(1)) {
    deconstruct_array(PG_GETARG_ARRAYTYPE_P(1), JSONBOID, -1, false, TYPALIGN_INT, &results, &result_nulls,
                      &result_count);
    if (result_count != count)
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                      errmsg("results must have one element per task_id (%d task_ids, %d results)", count,
                             result_count)));
  }
  for (int i = 0; i < count; ++i)
    if (id_nulls[i])
      ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("task_ids must not contain NULL")));
  Datum empty = triggers::ObjectValue((Datum)0, true, "result");
  for (int i = 0; i < result_count; ++i) results[i] = triggers::ObjectValue(results[i], result_nulls[i], "result");
  ForceSynchronousCommit();
  MemoryContext caller = CurrentMemoryContext;
  int *order = AnswerOrder(PG_GETARG_DATUM(0), count);
  ArrayBuildState *acc = initArrayResult(TEXTOID, caller, false);
  for (int k = 0; k < count; ++k) {
    int i = order[k];
    SPI_connect();
    Datum scheduled = FinishTask(ids[i], results != nullptr ? results[i] : empty, caller);
    SPI_finish();
    Accumulate(acc, scheduled, caller);
  }
  PG_RETURN_DATUM(makeArrayResult(acc, caller));
}
