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
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
}

namespace {

const char *const kSessionOfSql = "SELECT q.session FROM triggers.queue AS q WHERE q.task_id = $1";

const char *const kLockSql =
    "UPDATE triggers.session AS s SET last_activity = pg_catalog.now() WHERE s.session = $1";

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

struct Plans {
  SPIPlanPtr session_of, lock, take, explain;
};
Plans plans;

void PreparePlans() {
  if (plans.explain != nullptr) return;
  Oid id[] = {INT8OID};
  Oid text[] = {TEXTOID};
  Oid take[] = {INT8OID, JSONBOID};
  plans.session_of = triggers::PrepareKept(kSessionOfSql, 1, id);
  plans.lock = triggers::PrepareKept(kLockSql, 1, text);
  plans.take = triggers::PrepareKept(kTakeSql, 2, take);
  plans.explain = triggers::PrepareKept(kExplainSql, 1, id);
}

/* The fast path; returns false when the delivery is not (or no longer) held here. */
bool TakeHeld(Datum task_id, Datum result, Datum *session, Datum *task) {
  Datum id[1] = {task_id};
  triggers::RunPlan(plans.session_of, id, " ", SPI_OK_SELECT);
  if (SPI_processed == 0) return false;
  bool isnull;
  *session = SPI_datumTransfer(triggers::ResultColumn(1, &isnull), false, -1);
  triggers::RunPlan(plans.lock, session, " ", SPI_OK_UPDATE);
  Datum take[2] = {task_id, result};
  triggers::RunPlan(plans.take, take, "  ", SPI_OK_UPDATE_RETURNING);
  if (SPI_processed == 0) return false;
  *task = triggers::ResultColumn(1, &isnull);
  return true;
}

Datum FinishTask(Datum task_id, Datum result, MemoryContext result_context) {
  PreparePlans();
  Datum session, task;
  if (TakeHeld(task_id, result, &session, &task))
    return triggers::RecordFire(session, task, result, result_context);
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

}  // namespace

/*
 * triggers_finish(task_id bigint, result jsonb) returns text[]: the task is
 * done; its result is recorded and cascades.  Returns the instances scheduled.
 */
TRIGGERS_FUNCTION(triggers_finish) {
  if (PG_ARGISNULL(0))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("task_id must not be NULL")));
  Datum result = triggers::ObjectArg(fcinfo, 1, "result");
  /* an answer is never lost: its commit waits for the WAL flush, whatever the session says */
  (void)set_config_option("synchronous_commit", "on", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
                          true, 0, false);
  MemoryContext caller = CurrentMemoryContext;
  SPI_connect();
  Datum scheduled = FinishTask(PG_GETARG_DATUM(0), result, caller);
  SPI_finish();
  PG_RETURN_DATUM(scheduled);
}
