/*
 * fire.cpp — the fire path: SPEC section 3, "Firing trigger T with kwargs K
 * in session S".  Each step is one SQL statement, prepared once per backend
 * (SPI_keepplan) and bound to Datums; the C++ here is only the control flow.
 * This file owns no C++ objects: every frame may be unwound by ereport.
 */
#include "triggers/config_cache.hpp"
#include "triggers/fire.hpp"
#include "triggers/instance_probe.hpp"
#include "triggers/jsonb_values.hpp"
#include "triggers/row_insert.hpp"
#include "triggers/session_bump.hpp"
#include "triggers/spi_plans.hpp"
#include "triggers/status_stamps.hpp"
#include "triggers/table_layout.hpp"
#include "triggers/unstarted_apply.hpp"
#include "triggers/wakeup.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
}

namespace {

/*
 * Step 0: lock the session row and count the fire (its number is seq):
 * directly for an existing session (session_bump.hpp), else this upsert,
 * which also creates it.
 */
const char *const kLockSql =
    "INSERT INTO triggers.session AS s (session, fires) VALUES ($1, 1) "
    "ON CONFLICT (session) DO UPDATE SET fires = s.fires + 1, last_activity = pg_catalog.now() "
    "RETURNING s.config_id, s.fires";

/*
 * The common case: a task that waits only for T (after is T or empty, no
 * unless) and has no unstarted instance gets a new instance when it has none
 * yet or T is its andEvery — scheduled at once with kwargs {T: K}: two rows
 * inserted directly (row_insert.hpp), or with withParams to merge, two plain
 * statements.
 */
const char *const kQueueFastSql =
    "INSERT INTO triggers.queue (task_id, queue, visible_at, session, task, n, run, kwargs) "
    "VALUES (pg_catalog.nextval('triggers.task_id_seq'), $5, pg_catalog.now(), $1, $2, $6, $7, "
    "        CASE WHEN $8::jsonb IS NULL THEN pg_catalog.jsonb_build_object($3, $4) "
    "             ELSE triggers._merge($8, pg_catalog.jsonb_build_object($3, $4)) END) "
    "RETURNING task_id";
const char *const kInstanceFastSql =
    "INSERT INTO triggers.instance (session, task, n, status, kwargs, metadata, stamps, task_id) "
    "VALUES ($1, $2, $3, 'scheduled', pg_catalog.jsonb_build_object($4::text, $5::jsonb), '{\"depth\": 0}', "
    "        triggers._stamp(ARRAY[pg_catalog.now(), pg_catalog.now(), pg_catalog.now()], 'scheduled'), $6)";

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
    "           WHERE i.session = $1 AND i.task = $2 AND i.waiting FOR UPDATE), "
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
    "      stamps = CASE WHEN t.status = 'unstarted' THEN i.stamps ELSE "
    "      triggers._stamp(i.stamps, t.status) END "
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
    "ins AS (INSERT INTO triggers.instance (session, task, n, status, kwargs, abandon_state, metadata, stamps, "
    "                                       task_id) "
    "        SELECT $1, $2, t.n, t.status, t.kwargs, t.abandon, '{\"depth\": 0}', "
    "               triggers._stamp(ARRAY[pg_catalog.now(), pg_catalog.now(), pg_catalog.now()], t.status), "
    "               t.task_id FROM t) "
    "SELECT t.n, t.status FROM t";

struct Plans {
  SPIPlanPtr lock, apply, new_instance, queue_fast, instance_fast;
};
Plans plans;

/* Prepares the statements on first use; they live as long as the backend. */
void PreparePlans() {
  if (plans.instance_fast != nullptr) return;
  Oid lock_types[] = {TEXTOID};
  Oid step_types[] = {TEXTOID, TEXTOID, TEXTOID, JSONBOID, TEXTARRAYOID,
                      TEXTARRAYOID, TEXTOID, TEXTOID, JSONBOID, INT8OID};
  Oid queue_types[] = {TEXTOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID, INT4OID, TEXTOID, JSONBOID};
  Oid instance_types[] = {TEXTOID, TEXTOID, INT4OID, TEXTOID, JSONBOID, INT8OID};
  /* each kept once: after a failure part-way, the next call prepares only the rest */
  if (!plans.lock) plans.lock = triggers::PrepareKept(kLockSql, 1, lock_types);
  if (!plans.apply) plans.apply = triggers::PrepareKept(kApplySql, 10, step_types);
  if (!plans.new_instance) plans.new_instance = triggers::PrepareKept(kNewInstanceSql, 10, step_types);
  if (!plans.queue_fast) plans.queue_fast = triggers::PrepareKept(kQueueFastSql, 8, queue_types);
  plans.instance_fast = triggers::PrepareKept(kInstanceFastSql, 6, instance_types);
}

/* Names scheduled so far, kept in the caller's memory context; and the
 * history table, opened once for the fire's event and new instances. */
struct Scheduled {
  Datum *names;
  int count, capacity;
  MemoryContext context;
  triggers::DirectWrite *history;
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

/* The queue row of instance n, claimable now as delivery task_id with `kwargs` (no withParams to merge). */
void InsertQueueRow(const triggers::TaskConfig *t, Datum session, int n, Datum kwargs, Datum task_id) {
  Datum queue[triggers::kQueueColumnCount] = {};
  bool queue_nulls[triggers::kQueueColumnCount] = {};
  queue[triggers::kQueueTaskId] = task_id;
  queue[triggers::kQueueQueue] = t->queue;
  queue[triggers::kQueueVisibleAt] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
  queue[triggers::kQueueSession] = session;
  queue[triggers::kQueueTask] = t->task;
  queue[triggers::kQueueN] = Int32GetDatum(n);
  queue[triggers::kQueueRun] = t->run;
  queue[triggers::kQueueKwargs] = kwargs;
  queue[triggers::kQueueAttempt] = Int32GetDatum(0);
  queue_nulls[triggers::kQueueWorker] = queue_nulls[triggers::kQueueClaimedAt] = true; /* not claimed */
  triggers::InsertRow("queue", triggers::kQueueColumns, triggers::kQueueColumnCount, queue, queue_nulls);
}

/* NewScheduled without withParams: the queue and instance rows, inserted directly. */
void InsertScheduled(triggers::DirectWrite *history, const triggers::TaskConfig *t, Datum session, Datum trigger,
                     Datum kwargs, int n) {
  Datum task_id = Int64GetDatum(triggers::NextValue("task_id_seq"));
  TimestampTz now = GetCurrentTransactionStartTimestamp();
  Datum fired = triggers::JsonbPair(trigger, kwargs);
  InsertQueueRow(t, session, n, fired, task_id);
  Datum row[triggers::kHistoryColumnCount] = {};
  bool nulls[triggers::kHistoryColumnCount] = {};
  row[triggers::kInstanceSession] = session;
  row[triggers::kInstanceTask] = t->task;
  row[triggers::kInstanceN] = Int32GetDatum(n);
  row[triggers::kInstanceStatus] = CStringGetTextDatum("scheduled");
  row[triggers::kInstanceKwargs] = fired;
  row[triggers::kInstanceAbandonState] = PointerGetDatum(construct_empty_array(TEXTOID));
  row[triggers::kInstanceMetadata] = triggers::InitialMetadata();
  row[triggers::kInstanceStamps] = triggers::ScheduledStamps(now);
  row[triggers::kInstanceTaskId] = task_id;
  nulls[triggers::kInstanceAnswer] = true;
  row[triggers::kInstanceWaiting] = BoolGetDatum(false); /* generated: status = 'unstarted' */
  row[triggers::kEventSeq] = Int64GetDatum(0);
  nulls[triggers::kEventFiredAt] = true;
  row[triggers::kHistoryIsEvent] = BoolGetDatum(false); /* generated: status IS NULL */
  triggers::InsertRowWith(history, row, nulls);
}

/*
 * The common apply for task t (no unless, no withParams; unstarted_apply.hpp):
 * true when T was applied to an unstarted instance; the instances it
 * scheduled get their queue rows and go to `out`, in instance order.
 * *covered: every unstarted instance lacked T (one that has T already, after
 * a reconfiguration, is left to kApplySql).
 */
bool ApplySimple(const triggers::TaskConfig *t, Datum session, Datum trigger, Datum kwargs, int unstarted,
                 Scheduled *out, bool *covered) {
  *covered = !t->trigger_in_after; /* then nothing applies, and there is no unless to abandon on */
  if (*covered) return false;
  triggers::AppliedInstances applied = triggers::ApplyToUnstarted(out->history, session, t->task, trigger,
                                                                  triggers::JsonbPair(trigger, kwargs), t->after);
  int *scheduled = static_cast<int *>(palloc(sizeof(int) * (applied.count + 1)));
  int nscheduled = 0;
  for (int r = 0; r < applied.count; ++r) {
    const triggers::AppliedInstance &row = applied.rows[r];
    if (!row.scheduled) continue;
    InsertQueueRow(t, session, row.n, row.kwargs, row.task_id);
    int at = nscheduled++;
    for (; at > 0 && scheduled[at - 1] > row.n; --at) scheduled[at] = scheduled[at - 1];
    scheduled[at] = row.n;
  }
  for (int i = 0; i < nscheduled; ++i) Add(out, t->task_name, scheduled[i]);
  *covered = applied.count == unstarted;
  return applied.count > 0;
}

/* The new instance number n of a task that only waits for T, scheduled at once. */
void NewScheduled(const triggers::TaskConfig *t, Datum session, Datum trigger, Datum kwargs, int n,
                  Scheduled *out) {
  if (!t->has_with_params) {
    InsertScheduled(out->history, t, session, trigger, kwargs, n);
    Add(out, t->task_name, n);
    return;
  }
  Datum queue[8] = {session, t->task, trigger, kwargs, t->queue, Int32GetDatum(n), t->run, t->with_params};
  triggers::RunPlan(plans.queue_fast, queue, "        ", SPI_OK_INSERT_RETURNING);
  bool isnull;
  Datum task_id = triggers::ResultColumn(1, &isnull);
  Datum instance[6] = {session, t->task, Int32GetDatum(n), trigger, kwargs, task_id};
  triggers::RunPlan(plans.instance_fast, instance, "      ", SPI_OK_INSERT);
  Add(out, t->task_name, n);
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
  triggers::InstanceProbe probe = triggers::ProbeInstances(out->history, session, t->task);
  bool applied = false, isnull;
  bool covered = false;
  if (probe.has_unstarted && !t->has_unless && !t->has_with_params)
    applied = ApplySimple(t, session, trigger, kwargs, probe.unstarted, out, &covered);
  if (probe.has_unstarted && !covered) {
    triggers::RunPlan(plans.apply, values, nulls, SPI_OK_SELECT);
    applied = DatumGetBool(triggers::ResultColumn(1, &isnull)) || applied;
    Datum names = triggers::ResultColumn(2, &isnull);
    if (!isnull) AddArray(out, names);
  }
  if (!probe.any || (is_every && !applied)) {
    if (t->only_this_trigger && !probe.has_unstarted)
      NewScheduled(t, session, trigger, kwargs, probe.any ? probe.highest_n + 1 : 0, out);
    else
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

DirectWrite OpenHistory() { return OpenDirectWrite("history", kHistoryColumns, kHistoryColumnCount); }

Datum ApplyFire(DirectWrite *history, Datum session, Datum config, Datum trigger, Datum kwargs, Datum seq,
                Datum only, bool only_null, MemoryContext result_context) {
  PreparePlans();
  Scheduled out{nullptr, 0, 0, result_context, history};
  const char *trigger_name = TextDatumGetCString(trigger);
  TaskList list = TasksUsingTrigger(DatumGetInt64(config), trigger);
  for (int i = 0; i < list.count; ++i) {
    const TaskConfig *t = &list.tasks[i];
    if (only_null || Contains(only, t->task_name))
      ApplyToTask(t, session, trigger, trigger_name, kwargs, seq, &out);
  }
  return ToArray(&out);
}

void RecordEvent(DirectWrite *history, Datum session, Datum trigger, Datum seq, Datum kwargs) {
  Datum row[kHistoryColumnCount] = {};
  bool nulls[kHistoryColumnCount];
  for (bool &null : nulls) null = true; /* what only instances have stays NULL */
  auto set = [&row, &nulls](int column, Datum value) {
    row[column] = value;
    nulls[column] = false;
  };
  set(kEventSession, session);
  set(kEventTrigger, trigger);
  set(kInstanceN, Int32GetDatum(0));
  set(kEventKwargs, kwargs);
  set(kEventSeq, seq);
  set(kEventFiredAt, TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()));
  set(kHistoryIsEvent, BoolGetDatum(true)); /* generated: status IS NULL */
  InsertRowWith(history, row, nulls);
}

Datum RecordFire(Datum session, Datum trigger, Datum kwargs, MemoryContext result_context) {
  PreparePlans();
  triggers::BumpedSession bumped = triggers::BumpSession(session);
  if (!bumped.found) { /* a new session: created by the upsert (a concurrent fire may create it too) */
    Datum lock_values[1] = {session};
    triggers::RunPlan(plans.lock, lock_values, " ", SPI_OK_INSERT_RETURNING);
    bool seq_null;
    bumped.config_id = triggers::ResultColumn(1, &bumped.config_null);
    bumped.fires = triggers::ResultColumn(2, &seq_null);
  }
  Datum config = bumped.config_id, seq = bumped.fires;
  DirectWrite history = OpenHistory();
  RecordEvent(&history, session, trigger, seq, kwargs);
  Datum scheduled;
  if (!bumped.config_null) {
    scheduled = ApplyFire(&history, session, config, trigger, kwargs, seq, (Datum)0, true, result_context);
  } else {
    Scheduled none{nullptr, 0, 0, result_context, nullptr};
    scheduled = ToArray(&none);
  }
  CloseDirectWrite(&history);
  return scheduled;
}

}  // namespace triggers
