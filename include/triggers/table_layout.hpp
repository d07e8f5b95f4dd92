/*
 * table_layout.hpp — the columns of the tables the hot paths write directly
 * (row_insert.hpp, unstarted_apply.hpp, session_bump.hpp), in table order,
 * as sql/triggers--0.1.sql creates them.  Every direct write checks the table against its list
 * (CheckLayout), so a schema change cannot silently misplace a value.
 */
#pragma once

namespace triggers {

inline constexpr const char *kQueueColumns[] = {"task_id", "queue",  "visible_at", "session", "task",      "n",
                                                "run",     "kwargs", "attempt",    "worker",  "claimed_at"};
enum QueueColumn {
  kQueueTaskId, kQueueQueue,  kQueueVisibleAt, kQueueSession, kQueueTask,      kQueueN,
  kQueueRun,    kQueueKwargs, kQueueAttempt,   kQueueWorker,  kQueueClaimedAt, kQueueColumnCount
};

inline constexpr const char *kStaleDeliveryColumns[] = {"task_id", "session", "task", "n"};
enum StaleDeliveryColumn { kStaleTaskId, kStaleSession, kStaleTask, kStaleN, kStaleDeliveryColumnCount };

/*
 * triggers.history: events and instances in one table (the views triggers.event
 * and triggers.instance).  An instance uses the kInstance columns (seq 0,
 * fired_at NULL); an event uses the kEvent ones and leaves the instance
 * columns NULL (n 0).  is_event and waiting are generated: direct writes set them.
 */
inline constexpr const char *kHistoryColumns[] = {"session", "name",   "n",       "status", "kwargs",
                                                  "abandon_state", "metadata", "stamps", "task_id", "answer",
                                                  "waiting", "seq",    "fired_at", "is_event"};
enum HistoryColumn {
  kInstanceSession,  kInstanceTask,   kInstanceN,      kInstanceStatus, kInstanceKwargs,  kInstanceAbandonState,
  kInstanceMetadata, kInstanceStamps, kInstanceTaskId, kInstanceAnswer, kInstanceWaiting, kEventSeq,
  kEventFiredAt,     kHistoryIsEvent, kHistoryColumnCount,
  kEventSession = kInstanceSession, kEventTrigger = kInstanceTask, kEventKwargs = kInstanceKwargs
};

inline constexpr const char *kSessionColumns[] = {"session", "workflow", "config_id", "fires", "created_at",
                                                  "last_activity"};
enum SessionColumn {
  kSessionSession, kSessionWorkflow, kSessionConfigId, kSessionFires, kSessionCreatedAt, kSessionLastActivity,
  kSessionColumnCount
};

}  // namespace triggers
