/*
 * wakeup.cpp — waking idle workers after a commit that queued work for them.
 *
 * The contract: a transaction that makes a task claimable at once notifies
 * channel triggers_<queue> when it commits.  A plain NOTIFY in the fire path
 * does that, but PostgreSQL serialises every notifying transaction through
 * its commit (PreCommit_Notify takes a database-wide lock held across the
 * commit's WAL flush), which defeats group commit under load.
 *
 * So, when the library is in shared_preload_libraries, a fire only sets a bit
 * per queue in its own memory; at commit the bits are copied to shared memory
 * and the database's "waker" background worker is poked through its latch.
 * The waker sends one NOTIFY per pending queue in a tiny transaction of its
 * own (synchronous_commit off: notifications are not durable anyway), so
 * any number of fires committing together cost one notification, after their
 * commit.  Without the preload, or when the fixed tables below are full, the
 * fire falls back to a direct NOTIFY (Async_Notify), which keeps the contract.
 *
 * The waker notifies only a queue that a worker may be waiting on: every claim
 * first marks its queues "waiting" (ExpectWake), and the waker clears the mark
 * when it notifies.  Nobody claiming means nobody to wake, so a burst of fires
 * with no idle worker costs no notification at all.  No wake-up is lost: the
 * mark is set before the claim takes its snapshot and read after the fire's
 * commit became visible, so either the claim sees the fire's task or the fire
 * sees the mark (both under the same spinlock); and a worker whose mark the
 * waker cleared is sent the notification that made it clear it, and claims
 * again.
 *
 * The table of queues is fixed (kMaxQueues); when it is full, a new queue takes
 * the slot of the least recently used one that no open transaction holds and
 * no notification waits for.  That queue's "waiting" mark goes with it, so
 * from the first such eviction on, a queue new to the table is assumed to have
 * a worker waiting: its first commit notifies, and no wake-up is lost.
 *
 * A waker idle for triggers.waker_idle_timeout leaves (it holds a background
 * worker slot and a connection); the next fire starts another.  It leaves only
 * when no open transaction holds one of its queues and none is pending, under
 * the mutex, and a fire holds its queue before it looks for the waker: either
 * the waker sees the hold and stays, or the fire sees it gone and starts one.
 *
 * PostgreSQL contracts used: src/backend/commands/async.c (NOTIFY is
 * transactional, delivered at commit), src/include/postmaster/bgworker.h
 * (dynamic background workers), src/include/access/xact.h (XactCallback),
 * src/backend/commands/dbcommands.c (the statements that need a database
 * without other sessions wait up to 5 s for them to leave).
 */
#include "triggers/pg_boundary.hpp"
#include "triggers/wakeup.hpp"

extern "C" {
#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
}

namespace {

constexpr int kMaxQueues = 64;   /* (database, queue) pairs served by wakers */
constexpr int kMaxWakers = 16;   /* databases with a waker */
constexpr int kStartTimeoutMs = 10000;
constexpr int kDefaultIdleTimeoutS = 300;
int idle_timeout_s = kDefaultIdleTimeoutS; /* triggers.waker_idle_timeout; 0: never leave */

struct QueueSlot {
  Oid db;
  bool pending;    /* a commit queued work: the waker must notify */
  bool waiting;    /* a worker claimed since the last notification: it may be idle */
  int holders;     /* open transactions with this queue in their pending_mask */
  uint64 last_use; /* shared->uses when last looked up: the eviction order */
  char name[NAMEDATALEN];
};

struct WakerSlot {
  Oid db;
  Latch *latch;            /* NULL while starting */
  int pid;                 /* once started */
  TimestampTz registered;  /* when its start was requested */
};

struct WakeShared {
  slock_t mutex;
  uint64 uses;    /* lookups so far */
  bool evicted;   /* a queue lost its slot (and its "waiting" mark) once */
  QueueSlot queues[kMaxQueues];
  WakerSlot wakers[kMaxWakers];
};

WakeShared *shared = nullptr;
uint64 pending_mask = 0; /* queues this transaction must wake at commit */
/* the (sub)transaction nesting level that owns each pending queue: a rolled-back
 * savepoint takes back the queues its own work set */
int pending_level[kMaxQueues];
bool callback_registered = false;
shmem_request_hook_type prev_shmem_request_hook = nullptr;
shmem_startup_hook_type prev_shmem_startup_hook = nullptr;
ProcessUtility_hook_type prev_process_utility = nullptr;

void RequestShmem() noexcept {
  if (prev_shmem_request_hook) prev_shmem_request_hook();
  RequestAddinShmemSpace(sizeof(WakeShared));
}

void StartupShmem() noexcept {
  if (prev_shmem_startup_hook) prev_shmem_startup_hook();
  bool found = false;
  LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
  shared = static_cast<WakeShared *>(ShmemInitStruct("triggers wakeup", sizeof(WakeShared), &found));
  if (!found) {
    memset(shared, 0, sizeof(WakeShared));
    SpinLockInit(&shared->mutex);
  }
  LWLockRelease(AddinShmemInitLock);
}

/*
 * Slot of (this database, queue), under the mutex: added if new, in a free
 * slot or else in the least recently used one nobody holds or has to notify;
 * -1 when every slot is busy.
 */
int SlotForLocked(const char *queue) {
  int found = -1, free_slot = -1, victim = -1;
  for (int i = 0; i < kMaxQueues && found < 0; ++i) {
    const QueueSlot &q = shared->queues[i];
    if (q.db == MyDatabaseId && strcmp(q.name, queue) == 0) found = i;
    else if (q.db == InvalidOid) free_slot = free_slot < 0 ? i : free_slot;
    else if (q.holders == 0 && !q.pending && (victim < 0 || q.last_use < shared->queues[victim].last_use))
      victim = i;
  }
  if (found < 0 && free_slot < 0 && victim >= 0) {
    free_slot = victim;
    shared->evicted = true;
  }
  if (found < 0 && free_slot >= 0) {
    QueueSlot &q = shared->queues[free_slot];
    q.db = MyDatabaseId;
    q.pending = false;
    q.waiting = shared->evicted; /* it may be a queue that lost its slot while a worker waited */
    q.holders = 0;
    strlcpy(q.name, queue, NAMEDATALEN);
    found = free_slot;
  }
  if (found >= 0) shared->queues[found].last_use = ++shared->uses;
  return found;
}

/* The slot of `queue`, held by this transaction until it ends; -1 when none is free. */
int HoldSlot(const char *queue) {
  SpinLockAcquire(&shared->mutex);
  int slot = SlotForLocked(queue);
  if (slot >= 0 && !(pending_mask & (UINT64CONST(1) << slot))) shared->queues[slot].holders++;
  SpinLockRelease(&shared->mutex);
  return slot;
}

/* Lets go of the slots in `mask` (the caller holds the mutex). */
void ReleaseSlotsLocked(uint64 mask) {
  for (int i = 0; i < kMaxQueues; ++i)
    if (mask & (UINT64CONST(1) << i)) shared->queues[i].holders--;
}

void ReleaseSlots(uint64 mask) {
  SpinLockAcquire(&shared->mutex);
  ReleaseSlotsLocked(mask);
  SpinLockRelease(&shared->mutex);
}

/* Starts this database's waker unless it runs (or started recently). */
bool EnsureWaker() {
  int slot = -1;
  bool start = false;
  TimestampTz now = GetCurrentTimestamp();
  SpinLockAcquire(&shared->mutex);
  for (int i = 0; i < kMaxWakers && slot < 0; ++i)
    if (shared->wakers[i].db == MyDatabaseId) slot = i;
  if (slot >= 0 && shared->wakers[slot].latch == nullptr &&
      TimestampDifferenceExceeds(shared->wakers[slot].registered, now, kStartTimeoutMs)) {
    shared->wakers[slot].registered = now; /* its start failed: try again */
    start = true;
  }
  for (int i = 0; i < kMaxWakers && slot < 0; ++i)
    if (shared->wakers[i].db == InvalidOid) {
      slot = i;
      shared->wakers[i] = WakerSlot{MyDatabaseId, nullptr, 0, now};
      start = true;
    }
  SpinLockRelease(&shared->mutex);
  if (slot < 0) return false;
  if (!start) return true;

  BackgroundWorker worker;
  memset(&worker, 0, sizeof worker);
  worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
  worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
  worker.bgw_restart_time = BGW_NEVER_RESTART;
  strlcpy(worker.bgw_library_name, "triggers", BGW_MAXLEN);
  strlcpy(worker.bgw_function_name, "triggers_waker_main", BGW_MAXLEN);
  snprintf(worker.bgw_name, BGW_MAXLEN, "triggers waker for database %u", MyDatabaseId);
  strlcpy(worker.bgw_type, "triggers waker", BGW_MAXLEN);
  worker.bgw_main_arg = ObjectIdGetDatum(MyDatabaseId);
  if (RegisterDynamicBackgroundWorker(&worker, nullptr)) return true;
  SpinLockAcquire(&shared->mutex);
  shared->wakers[slot].db = InvalidOid;
  SpinLockRelease(&shared->mutex);
  return false;
}

/*
 * At commit, hands this transaction's queues to the waker; forgets them
 * otherwise.  Like the shmem hooks, plain C-style code that cannot throw and
 * must not raise after commit (an error there is fatal), so it needs no guard.
 * PREPARE TRANSACTION is refused, as PostgreSQL refuses it after a NOTIFY (the
 * direct mode): the wake-up would come at PREPARE, before the work is visible,
 * and nothing would wake the workers at COMMIT PREPARED.
 */
void OnXactEvent(XactEvent event, void *) noexcept {
  if (pending_mask == 0) return;
  if (event == XACT_EVENT_PRE_PREPARE)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("cannot PREPARE a transaction that queued tasks"),
                    errdetail("Its workers would be woken before COMMIT PREPARED made the tasks visible.")));
  if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_ABORT &&
      event != XACT_EVENT_PARALLEL_ABORT)
    return;
  uint64 mask = pending_mask;
  pending_mask = 0;
  bool commit = event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT;
  Latch *latch = nullptr;
  bool news = false; /* a queue already pending will be notified anyway, one nobody waits on need not be */
  SpinLockAcquire(&shared->mutex);
  ReleaseSlotsLocked(mask);
  for (int i = 0; i < kMaxQueues && commit; ++i)
    if ((mask & (UINT64CONST(1) << i)) && shared->queues[i].waiting && !shared->queues[i].pending) {
      shared->queues[i].pending = true;
      news = true;
    }
  for (int i = 0; i < kMaxWakers; ++i)
    if (shared->wakers[i].db == MyDatabaseId) latch = shared->wakers[i].latch;
  SpinLockRelease(&shared->mutex);
  if (news && latch != nullptr) SetLatch(latch);
}

/* A savepoint released hands its queues to its parent; one rolled back drops them. */
void OnSubXactEvent(SubXactEvent event, SubTransactionId, SubTransactionId, void *) noexcept {
  if (pending_mask == 0 || (event != SUBXACT_EVENT_COMMIT_SUB && event != SUBXACT_EVENT_ABORT_SUB)) return;
  int level = GetCurrentTransactionNestLevel();
  uint64 dropped = 0;
  for (int i = 0; i < kMaxQueues; ++i) {
    if (!(pending_mask & (UINT64CONST(1) << i)) || pending_level[i] < level) continue;
    if (event == SUBXACT_EVENT_COMMIT_SUB) pending_level[i] = level - 1;
    else dropped |= UINT64CONST(1) << i;
  }
  if (dropped == 0) return;
  pending_mask &= ~dropped;
  ReleaseSlots(dropped);
}

void Notify(const char *queue) {
  char channel[NAMEDATALEN + 16]; /* queue names are at most 54 bytes */
  strlcpy(channel, "triggers_", sizeof channel);
  strlcat(channel, queue, sizeof channel);
  Async_Notify(channel, "");
}

/* Waker: takes the pending queues of its database; their waiters are about to be woken. */
int TakePending(char names[][NAMEDATALEN]) {
  int n = 0;
  SpinLockAcquire(&shared->mutex);
  for (int i = 0; i < kMaxQueues; ++i) {
    QueueSlot &q = shared->queues[i];
    if (q.db == MyDatabaseId && q.pending) {
      q.pending = false;
      q.waiting = false;
      memcpy(names[n++], q.name, NAMEDATALEN);
    }
  }
  SpinLockRelease(&shared->mutex);
  return n;
}

/* (by pid: after a waker left, the next one of its database may already be registered) */
void ForgetWaker(int, Datum) noexcept {
  SpinLockAcquire(&shared->mutex);
  for (WakerSlot &w : shared->wakers)
    if (w.db == MyDatabaseId && w.pid == MyProcPid) w = WakerSlot{InvalidOid, nullptr, 0, 0};
  SpinLockRelease(&shared->mutex);
}

/* Leaves the table of wakers when nothing of this database is held or pending. */
bool LeaveIfIdle() {
  bool idle = true;
  SpinLockAcquire(&shared->mutex);
  for (const QueueSlot &q : shared->queues)
    if (q.db == MyDatabaseId && (q.holders > 0 || q.pending)) idle = false;
  if (idle)
    for (WakerSlot &w : shared->wakers)
      if (w.db == MyDatabaseId && w.pid == MyProcPid) w = WakerSlot{InvalidOid, nullptr, 0, 0};
  SpinLockRelease(&shared->mutex);
  return idle;
}

void AnnounceWaker() {
  bool mine = false;
  SpinLockAcquire(&shared->mutex);
  for (int i = 0; i < kMaxWakers; ++i)
    if (shared->wakers[i].db == MyDatabaseId && shared->wakers[i].latch == nullptr) {
      shared->wakers[i].latch = MyLatch;
      shared->wakers[i].pid = MyProcPid;
      mine = true;
      break;
    }
  SpinLockRelease(&shared->mutex);
  if (!mine) proc_exit(0); /* another waker serves this database */
  on_shmem_exit(ForgetWaker, 0);
}

/* The waker's life: wait for a poke, NOTIFY the pending queues, repeat. */
void WakerLoop(void *arg) {
  Oid db = DatumGetObjectId(*static_cast<Datum *>(arg));
  pqsignal(SIGTERM, die);
  pqsignal(SIGHUP, SignalHandlerForConfigReload);
  BackgroundWorkerUnblockSignals();
  BackgroundWorkerInitializeConnectionByOid(db, InvalidOid, 0);
  SetConfigOption("synchronous_commit", "off", PGC_SUSET, PGC_S_OVERRIDE);
  AnnounceWaker();
  char names[kMaxQueues][NAMEDATALEN];
  TimestampTz busy = GetCurrentTimestamp();
  for (;;) {
    ResetLatch(MyLatch);
    CHECK_FOR_INTERRUPTS();
    if (ConfigReloadPending) {
      ConfigReloadPending = false;
      ProcessConfigFile(PGC_SIGHUP);
    }
    int n = TakePending(names);
    if (n > 0) {
      SetCurrentStatementStartTimestamp();
      StartTransactionCommand();
      for (int i = 0; i < n; ++i) Notify(names[i]);
      CommitTransactionCommand();
      pgstat_report_stat(false);
      busy = GetCurrentTimestamp();
    } else if (idle_timeout_s > 0 &&
               TimestampDifferenceExceeds(busy, GetCurrentTimestamp(), idle_timeout_s * 1000) && LeaveIfIdle()) {
      proc_exit(0);
    }
    long wait_ms = idle_timeout_s > 0 ? Min(60000L, idle_timeout_s * 1000L) : 60000L;
    (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, wait_ms, PG_WAIT_EXTENSION);
  }
}

/*
 * The database a utility statement must have to itself (PostgreSQL refuses it
 * while another session is connected): DROP DATABASE, ALTER DATABASE RENAME
 * and SET TABLESPACE, CREATE DATABASE ... TEMPLATE.  NULL for the others.
 */
const char *DatabaseNeededAlone(Node *stmt) {
  List *options = NIL;
  const char *db = nullptr;
  const char *option = nullptr;
  switch (nodeTag(stmt)) {
    case T_DropdbStmt:
      return castNode(DropdbStmt, stmt)->dbname;
    case T_RenameStmt:
      return castNode(RenameStmt, stmt)->renameType == OBJECT_DATABASE ? castNode(RenameStmt, stmt)->subname
                                                                      : nullptr;
    case T_CreatedbStmt:
      options = castNode(CreatedbStmt, stmt)->options;
      option = "template";
      break;
    case T_AlterDatabaseStmt:
      options = castNode(AlterDatabaseStmt, stmt)->options;
      db = castNode(AlterDatabaseStmt, stmt)->dbname;
      option = "tablespace";
      break;
    default:
      return nullptr;
  }
  ListCell *cell;
  foreach (cell, options) {
    DefElem *def = lfirst_node(DefElem, cell);
    if (strcmp(def->defname, option) == 0 && def->arg != nullptr) return db != nullptr ? db : defGetString(def);
  }
  return nullptr;
}

/*
 * The waker stays connected to its database, which would make those
 * statements fail ("being accessed by other users"): it is asked to exit
 * first (they wait a few seconds for other sessions to go), and the next fire
 * that needs it starts it again.  Only for a user the statement could succeed
 * for (the owner, a superuser; CREATEDB for a template): anyone else's
 * statement fails anyway and must not stop the waker.
 */
bool IsTemplate(Oid db) {
  HeapTuple tuple = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(db));
  if (!HeapTupleIsValid(tuple)) return false;
  bool is_template = reinterpret_cast<Form_pg_database>(GETSTRUCT(tuple))->datistemplate;
  ReleaseSysCache(tuple);
  return is_template;
}

/*
 * Frees the slots of a dropped database: its waker died with a notification
 * perhaps still pending, and a pending slot is never taken by another queue.
 */
void ForgetQueuesOf(Oid db) {
  SpinLockAcquire(&shared->mutex);
  for (QueueSlot &q : shared->queues)
    if (q.db == db) q.db = InvalidOid;
  SpinLockRelease(&shared->mutex);
}

bool MayNeedDatabaseAlone(Node *stmt, Oid db) {
  bool owner = pg_database_ownercheck(db, GetUserId());
  switch (nodeTag(stmt)) {
    case T_CreatedbStmt:
      return have_createdb_privilege() && (owner || IsTemplate(db));
    case T_RenameStmt:
      return owner && have_createdb_privilege();
    default:
      return owner;
  }
}

void StopWakerBefore(PlannedStmt *pstmt, const char *query, bool read_only_tree, ProcessUtilityContext context,
                     ParamListInfo params, QueryEnvironment *env, DestReceiver *dest, QueryCompletion *qc) {
  const char *name = DatabaseNeededAlone(pstmt->utilityStmt);
  Oid db = name != nullptr ? get_database_oid(name, true) : InvalidOid;
  int pid = 0;
  if (OidIsValid(db) && shared != nullptr && MayNeedDatabaseAlone(pstmt->utilityStmt, db)) {
    SpinLockAcquire(&shared->mutex);
    for (const WakerSlot &w : shared->wakers)
      if (w.db == db && w.latch != nullptr) pid = w.pid;
    SpinLockRelease(&shared->mutex);
  }
  if (pid != 0) kill(pid, SIGTERM);
  (prev_process_utility ? prev_process_utility : standard_ProcessUtility)(pstmt, query, read_only_tree, context,
                                                                        params, env, dest, qc);
  if (OidIsValid(db) && shared != nullptr && nodeTag(pstmt->utilityStmt) == T_DropdbStmt) ForgetQueuesOf(db);
}

}  // namespace

namespace triggers {

void WakeupInit() {
  if (!process_shared_preload_libraries_in_progress) return;
  DefineCustomIntVariable("triggers.waker_idle_timeout",
                          "How long a database's waker stays without work before it leaves.",
                          "The next fire that queues work starts it again; 0: it never leaves.", &idle_timeout_s,
                          kDefaultIdleTimeoutS, 0, INT_MAX / 1000, PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr, nullptr);
  prev_shmem_request_hook = shmem_request_hook;
  shmem_request_hook = RequestShmem;
  prev_shmem_startup_hook = shmem_startup_hook;
  shmem_startup_hook = StartupShmem;
  prev_process_utility = ProcessUtility_hook;
  ProcessUtility_hook = StopWakerBefore;
}

void WakeQueue(const char *queue) {
  if (shared == nullptr || IsParallelWorker()) {
    Notify(queue);
    return;
  }
  if (!callback_registered) { /* before any slot is held: the callbacks let go of it */
    RegisterXactCallback(OnXactEvent, nullptr);
    RegisterSubXactCallback(OnSubXactEvent, nullptr);
    callback_registered = true;
  }
  int slot = HoldSlot(queue); /* first: a waker does not leave while one of its queues is held */
  if (slot < 0) {
    Notify(queue);
    return;
  }
  uint64 bit = UINT64CONST(1) << slot;
  if (!EnsureWaker()) {
    if (!(pending_mask & bit)) ReleaseSlots(bit); /* held just now, for nothing */
    Notify(queue);
    return;
  }
  if (!(pending_mask & bit)) pending_level[slot] = GetCurrentTransactionNestLevel();
  pending_mask |= bit;
}

void ExpectWake(const char *queue) {
  if (shared == nullptr || IsParallelWorker()) return;
  SpinLockAcquire(&shared->mutex);
  int slot = SlotForLocked(queue);
  /* with every slot busy, the queue's next slot comes from an eviction and starts as waited on */
  if (slot >= 0) shared->queues[slot].waiting = true;
  SpinLockRelease(&shared->mutex);
}

}  // namespace triggers

extern "C" {
PGDLLEXPORT void triggers_waker_main(Datum arg);

/* Entry of the waker background worker (one per database, started on demand). */
void triggers_waker_main(Datum arg) { triggers::GuardedVoid(WakerLoop, &arg); }
}

/*
 * triggers._wake(queue text) returns void: the workers of `queue` are woken
 * when the current transaction commits (by the waker, or by a direct NOTIFY).
 */
TRIGGERS_FUNCTION(triggers_wake) {
  triggers::WakeQueue(text_to_cstring(PG_GETARG_TEXT_PP(0)));
  PG_RETURN_VOID();
}

/*
 * triggers._expect_wake(queues text[]) returns void: a claim on these queues
 * is about to look for work; if it finds none, its worker waits to be woken.
 * Call before the claim's query takes its snapshot.
 */
TRIGGERS_FUNCTION(triggers_expect_wake) {
  Datum *items;
  bool *nulls;
  int count;
  deconstruct_array(PG_GETARG_ARRAYTYPE_P(0), TEXTOID, -1, false, TYPALIGN_INT, &items, &nulls, &count);
  for (int i = 0; i < count; ++i)
    if (!nulls[i]) triggers::ExpectWake(TextDatumGetCString(items[i]));
  PG_RETURN_VOID();
}

/* triggers._wake_mode() returns text: 'waker' with the preload, else 'notify'. */
TRIGGERS_FUNCTION(triggers_wake_mode) {
  (void)fcinfo;
  PG_RETURN_TEXT_P(cstring_to_text(shared != nullptr ? "waker" : "notify"));
}
