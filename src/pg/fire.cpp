/*
 * fire.cpp — the fire path: SPEC section 3, "Firing trigger T with kwargs K
 * in session S".  Each step is one SQL statement, prepared once per backend
 * (SPI_keepplan) and bound to Datums; the C++ here is only the control flow.
 * This file owns no C++ objects: every frame may be unwound by ereport.
 */
#include "triggers/config_cache.hpp"
#include "triggers/fire.hpp"
#include "triggers/spi_plans.hpp"
#include "triggers/wakeup.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
}

namespace {

/* Step 0: create or lock the session row, and record the fire (seq = its number). */
const char *const kLockAndRecordSql =
    "WITH s AS (INSERT INTO triggers.session AS s (session, fires) VALUES ($1, 1) "
    "           ON CONFLICT (session) DO UPDATE "
    "           SET fires = s.fires + 1, last_activity = pg_catalog.now() "
    "           RETURNING s.config_id, s.fires) "
    "INSERT INTO triggers.event (session, trigger, seq, kwargs) SELECT $1, $2, s.fires, $3 FROM s "
    "RETURNING (SELECT s.config_id FROM s), seq";

/* Does the task have instances (the highest n), and unstarted ones? */
const char *const kProbeSql =
    "SELECT (SELECT pg_catalog.max(i.n) FROM triggers.instance AS i "
    "        WHERE i.session = $1 AND i.task = $2), "
    "       EXISTS (SELECT FROM triggers.instance AS i "
    "               WHERE i.session = $1 AND i.task = $2 AND i.status = 'unstarted')";

/*
 * The common case in one statement: a task that waits only for T (after is T
 * or empty, no unless) and has no unstarted instance gets a new instance when
 * it has none yet or T is its andEvery — scheduled at once with kwargs {T: K}.
 * Returns (max_n, unstarted, n of the new instance or NULL); with unstarted
 * instances it does nothing and the general path takes over.
 * $1 session, $2 task, $3 trigger, $4 kwargs, $5 queue, $6 run, $7 withParams, $8 is andEvery.
 */
const char *const kFastSql =
    "WITH p AS (SELECT (SELECT pg_catalog.max(i.n) FROM triggers.instance AS i "
    "                   WHERE i.session = $1 AND i.task = $2) AS max_n, "
    "                  EXISTS (SELECT FROM triggers.instance AS i "
    "                          WHERE i.session = $1 AND i.task = $2 AND i.status = 'unstarted') AS unstarted), "
    "g AS (SELECT coalesce(p.max_n + 1, 0) AS n, pg_catalog.nextval('triggers.task_id_seq') AS task_id "
    "      FROM p WHERE NOT p.unstarted AND (p.max_n IS NULL OR $8)), "
    "q AS (INSERT INTO triggers.queue (task_id, queue, visible_at, session, task, n, run, kwargs) "
    "      SELECT g.task_id, $5, pg_catalog.now(), $1, $2, g.n, $6, "
    "             CASE WHEN $7::jsonb IS NULL THEN pg_catalog.jsonb_build_object($3, $4) "
    "                  ELSE triggers._merge($7, pg_catalog.jsonb_build_object($3, $4)) END FROM g), "
    "ins AS (INSERT INTO triggers.instance (session, task, n, status, kwargs, metadata, task_id) "
    "        SELECT $1, $2, g.n, 'scheduled', pg_catalog.jsonb_build_object($3, $4), "
    "               pg_catalog.jsonb_build_object('depth', 0, 'timestamps', "
    "                 pg_catalog.jsonb_build_object('created', pg_catalog.now(), 'lastModified', pg_catalog.now(), "
    "                                               'unstarted', pg_catalog.now(), 'scheduled', pg_catalog.now())), "
    "               g.task_id FROM g) "
    "SELECT p.max_n, p.unstarted, (SELECT g.n FROM g) FROM p";

/*
 * Shared tail of the two instance statements: from CTE "s" (n, kwargs,
 * abandon, status) give scheduled instances a task_id and a queue row.
 * Parameters: $1 session, $2 task, $3 trigger, $4 kwargs, $5 after,
 * $6 unless, $7 queue, $8 run, $9 withParams, $10 seq.
 */
#define STATUS_OF(rel)                                                                   \
  "CASE WHEN pg_catalog.cardinality($6::text[]) > 0 AND $6 OPERATOR(pg_catalog.<@) " rel \
  ".abandon THEN 'abandoned' WHEN " rel ".kwargs OPERATOR(pg_catalog.?&) $5 "             \
  "THEN 'scheduled' ELSE 'unstarted' END"
#define QUEUE_TAIL                                                                        \
  "t AS (SELECT s.*, CASE WHEN s.status = 'scheduled' "                                   \
  "      THEN pg_catalog.nextval('triggers.task_id_seq') END AS task_id FROM s), "        \
  "q AS (INSERT INTO triggers.queue (task_id, queue, visible_at, session, task, n, run, kwargs) " \
  "      SELECT t.task_id, $7, pg_catalog.now(), $1, $2, t.n, $8, "                       \
  "             CASE WHEN $9::jsonb IS NULL THEN t.kwargs ELSE triggers._merge($9, t.kwargs) END " \
  "      FROM t WHERE t.status = 'scheduled') "
/* Step 1 for existing instances: apply T to the unstarted ones, then step 3. */
const char *const kApplySql =
    "WITH o AS (SELECT i.n, i.kwargs, i.abandon_state FROM triggers.instance AS i "
    "           WHERE i.session = $1 AND i.task = $2 AND i.status = 'unstarted' FOR UPDATE), "
    "w AS (SELECT o.n, ($3 = ANY ($5) AND NOT o.kwargs ? $3) AS applied, "
    "      CASE WHEN $3 = ANY ($5) AND NOT o.kwargs ? $3 "
    "           THEN o.kwargs OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object($3, $4) "
    "           ELSE o.kwargs END AS kwargs, "
    "      CASE WHEN $3 = ANY ($6) AND NOT $3 = ANY (o.abandon_state) "
    "           THEN o.abandon_state OPERATOR(pg_catalog.||) $3 ELSE o.abandon_state END AS abandon "
    "      FROM o), "
    "s AS (SELECT w.*, " STATUS_OF("w") " AS status FROM w), "
    QUEUE_TAIL ", "
    "u AS (UPDATE triggers.instance AS i SET kwargs = t.kwargs, abandon_state = t.abandon, "
    "      status = t.status, task_id = coalesce(t.task_id, i.task_id), "
    "      answer = CASE WHEN t.status = 'scheduled' THEN NULL ELSE i.answer END, "
    "      metadata = CASE WHEN t.status = 'unstarted' THEN i.metadata ELSE "
           TRIGGERS_STAMP_SQL("i.metadata", "t.status") " END "
    "      FROM t WHERE i.session = $1 AND i.task = $2 AND i.n = t.n "
    "        AND (t.status <> 'unstarted' OR i.kwargs IS DISTINCT FROM t.kwargs "
    "             OR i.abandon_state IS DISTINCT FROM t.abandon)) "
    "SELECT coalesce(pg_catalog.bool_or(t.applied), false) AS applied, "
    "       pg_catalog.array_agg($2 OPERATOR(pg_catalog.||) '#' OPERATOR(pg_catalog.||) t.n "
    "                            ORDER BY t.n) FILTER (WHERE t.status = 'scheduled') AS scheduled "
    "FROM t";

/* Steps 1-2 for a new instance: seeded with the latest kwargs fired before $10. */
const char *const kNewInstanceSql =
    "WITH v AS (SELECT "
    "  coalesce((SELECT pg_catalog.max(i.n) + 1 FROM triggers.instance AS i "
    "            WHERE i.session = $1 AND i.task = $2), 0) AS n, "
    "  (SELECT coalesce(pg_catalog.jsonb_object_agg(a.trig, l.kwargs), '{}'::jsonb) "
    "   FROM pg_catalog.unnest($5::text[]) AS a(trig) "
    "   CROSS JOIN LATERAL (SELECT e.kwargs FROM triggers.event AS e "
    "                       WHERE e.session = $1 AND e.trigger = a.trig AND e.seq < $10 "
    "                       ORDER BY e.seq DESC LIMIT 1) AS l "
    "   WHERE a.trig <> $3) "
    "  OPERATOR(pg_catalog.||) CASE WHEN $3 = ANY ($5) THEN pg_catalog.jsonb_build_object($3, $4) "
    "                               ELSE '{}'::jsonb END AS kwargs, "
    "  ARRAY(SELECT DISTINCT u.trig FROM pg_catalog.unnest($6::text[]) AS u(trig) "
    "        WHERE u.trig <> $3 AND EXISTS (SELECT FROM triggers.event AS e "
    "              WHERE e.session = $1 AND e.trigger = u.trig AND e.seq < $10)) "
    "  OPERATOR(pg_catalog.||) CASE WHEN $3 = ANY ($6) THEN ARRAY[$3] ELSE '{}'::text[] END AS abandon), "
    "s AS (SELECT v.*, " STATUS_OF("v") " AS status FROM v), "
    QUEUE_TAIL ", "
    "ins AS (INSERT INTO triggers.instance (session, task, n, status, kwargs, abandon_state, metadata, task_id) "
    "        SELECT $1, $2, t.n, t.status, t.kwargs, t.abandon, "
    "               pg_catalog.jsonb_build_object('depth', 0, 'timestamps', "
    "                 pg_catalog.jsonb_build_object('created', pg_catalog.now(), 'lastModified', pg_catalog.now(), "
    "                                               'unstarted', pg_catalog.now(), t.status, pg_catalog.now())), "
    "               t.task_id FROM t) "
    "SELECT t.n, t.status FROM t";

struct Plans {
  SPIPlanPtr lock, probe, apply, new_instance, fast;
};
Plans plans;

/* Prepares the statements on first use; they live as long as the backend. */
void PreparePlans() {
  if (plans.fast != nullptr) return;
  Oid lock_types[] = {TEXTOID, TEXTOID, JSONBOID};
  Oid probe_types[] = {TEXTOID, TEXTOID};
  Oid step_types[] = {TEXTOID, TEXTOID, TEXTOID, JSONBOID, TEXTARRAYOID,
                      TEXTARRAYOID, TEXTOID, TEXTOID, JSONBOID, INT8OID};
  Oid fast_types[] = {TEXTOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID, TEXTOID, JSONBOID, BOOLOID};
  plans.lock = triggers::PrepareKept(kLockAndRecordSql, 3, lock_types);
  plans.probe = triggers::PrepareKept(kProbeSql, 2, probe_types);
  plans.apply = triggers::PrepareKept(kApplySql, 10, step_types);
  plans.new_instance = triggers::PrepareKept(kNewInstanceSql, 10, step_types);
  plans.fast = triggers::PrepareKept(kFastSql, 8, fast_types);
}

/* Names scheduled so far, kept in the caller's memory context. */
struct Scheduled {
  Datum *names;
  int count, capacity;
  MemoryContext context;
};

/* Appends a name; call with out->context current. */
void Push(Scheduled *out, Datum name) {
  if (out->count == out->capacity) {
    out->capacity = out->capacity * 2 + 8;
    out->names = out->names ? static_cast<Datum *>(repalloc(out->names, sizeof(Datum) * out->capacity))
                            : static_cast<Datum *>(palloc(sizeof(Datum) * out->capacity));
  }
  out->names[out->count++] = name;
}

void Add(Scheduled *out, const char *task, int n) {
  MemoryContext old = MemoryContextSwitchTo(out->context);
  Push(out, CStringGetTextDatum(psprintf("%s#%d", task, n)));
  MemoryContextSwitchTo(old);
}

void AddArray(Scheduled *out, Datum names) {
  Datum *items;
  bool *nulls;
  int count;
  deconstruct_array(DatumGetArrayTypeP(names), TEXTOID, -1, false, TYPALIGN_INT, &items, &nulls, &count);
  MemoryContext old = MemoryContextSwitchTo(out->context);
  for (int i = 0; i < count; ++i) Push(out, PointerGetDatum(DatumGetTextPCopy(items[i])));
  MemoryContextSwitchTo(old);
}

/* A new instance for this fire (steps 1-3 for it). */
void NewInstance(const triggers::TaskConfig *t, Datum *values, const char *nulls, Scheduled *out) {
  triggers::RunPlan(plans.new_instance, values, nulls, SPI_OK_SELECT);
  bool isnull;
  int n = DatumGetInt32(triggers::ResultColumn(1, &isnull));
  if (strcmp(TextDatumGetCString(triggers::ResultColumn(2, &isnull)), "scheduled") == 0) Add(out, t->task_name, n);
}

/* kFastSql; false when the task has unstarted instances and the general path must run. */
bool TryFast(const triggers::TaskConfig *t, Datum session, Datum trigger, Datum kwargs, bool is_every,
             Scheduled *out) {
  Datum fast[8] = {session, t->task, trigger, kwargs, t->queue, t->run, t->with_params, BoolGetDatum(is_every)};
  triggers::RunPlan(plans.fast, fast, t->has_with_params ? "        " : "      n ", SPI_OK_SELECT);
  bool isnull, n_null;
  if (DatumGetBool(triggers::ResultColumn(2, &isnull))) return false;
  int n = DatumGetInt32(triggers::ResultColumn(3, &n_null));
  if (!n_null) Add(out, t->task_name, n);
  return true;
}

/* Applies one fire to one task (steps 1-3); true when it scheduled something. */
bool ApplyToTask(const triggers::TaskConfig *t, Datum session, Datum trigger, const char *trigger_name,
                 Datum kwargs, Datum seq, Scheduled *out) {
  /* $1 session, $2 task, $3 trigger, $4 kwargs, $5 after, $6 unless, $7 queue, $8 run, $9 withParams, $10 seq */
  Datum values[10] = {session, t->task, trigger, kwargs, t->after, t->unless, t->queue, t->run,
                      t->with_params, seq};
  const char *nulls = t->has_with_params ? "          " : "        n ";
  bool is_every = t->every != nullptr && strcmp(t->every, trigger_name) == 0;
  int before = out->count;
  /* an andEvery fire usually makes a new instance: try the one statement that does it */
  bool done = t->only_this_trigger && is_every && TryFast(t, session, trigger, kwargs, true, out);
  if (!done) {
    /* otherwise a cheap look first: a one-shot task that already ran costs one probe */
    Datum probe[2] = {session, t->task};
    triggers::RunPlan(plans.probe, probe, "  ", SPI_OK_SELECT);
    bool no_instance, isnull;
    (void)triggers::ResultColumn(1, &no_instance);
    bool has_unstarted = DatumGetBool(triggers::ResultColumn(2, &isnull));
    bool applied = false;
    if (has_unstarted) {
      triggers::RunPlan(plans.apply, values, nulls, SPI_OK_SELECT);
      applied = DatumGetBool(triggers::ResultColumn(1, &isnull));
      Datum names = triggers::ResultColumn(2, &isnull);
      if (!isnull) AddArray(out, names);
    }
    if (no_instance && t->only_this_trigger)
      (void)TryFast(t, session, trigger, kwargs, is_every, out);
    else if (no_instance || (is_every && !applied))
      NewInstance(t, values, nulls, out);
  }
  if (out->count > before) triggers::WakeQueue(t->queue_name);
  return out->count > before;
}

/* Is `name` one of the elements of the text[] `only`? */
bool Contains(Datum only, const char *name) {
  Datum *items;
  bool *nulls;
  int count;
  deconstruct_array(DatumGetArrayTypeP(only), TEXTOID, -1, false, TYPALIGN_INT, &items, &nulls, &count);
  for (int i = 0; i < count; ++i)
    if (!nulls[i] && strcmp(TextDatumGetCString(items[i]), name) == 0) return true;
  return false;
}

Datum ToArray(Scheduled *out) {
  MemoryContext old = MemoryContextSwitchTo(out->context);
  ArrayType *result = construct_array(out->names, out->count, TEXTOID, -1, false, TYPALIGN_INT);
  MemoryContextSwitchTo(old);
  return PointerGetDatum(result);
}

}  // namespace

namespace triggers {

Datum ApplyFire(Datum session, Datum config, Datum trigger, Datum kwargs, Datum seq, Datum only,
                bool only_null, MemoryContext result_context) {
  PreparePlans();
  Scheduled out{nullptr, 0, 0, result_context};
  const char *trigger_name = TextDatumGetCString(trigger);
  TaskList list = TasksUsingTrigger(DatumGetInt64(config), trigger);
  for (int i = 0; i < list.count; ++i) {
    const TaskConfig *t = &list.tasks[i];
    if (only_null || Contains(only, t->task_name))
      ApplyToTask(t, session, trigger, trigger_name, kwargs, seq, &out);
  }
  return ToArray(&out);
}

Datum RecordFire(Datum session, Datum trigger, Datum kwargs, MemoryContext result_context) {
  PreparePlans();
  Datum lock_values[3] = {session, trigger, kwargs};
  triggers::RunPlan(plans.lock, lock_values, "   ", SPI_OK_INSERT_RETURNING);
  bool config_null, seq_null;
  Datum config = triggers::ResultColumn(1, &config_null);
  Datum seq = triggers::ResultColumn(2, &seq_null);
  if (!config_null) return ApplyFire(session, config, trigger, kwargs, seq, (Datum)0, true, result_context);
  Scheduled none{nullptr, 0, 0, result_context};
  return ToArray(&none);
}

}  // namespace triggers
