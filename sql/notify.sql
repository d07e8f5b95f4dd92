-- notify: the channel triggers_<queue> is notified when a transaction that made
-- a task claimable at once commits; never after a rollback, never when nothing
-- was queued, never for tasks that become claimable only later.
-- Sessions "nt-*", queues "default" and "nt.other".
--
-- psql prints "Asynchronous notification ... received from server process with
-- PID n." after the command that received it; the PID (and any payload, which
-- the contract does not specify) is filtered out by running the commands that
-- must notify with their output piped through sed.  Commands that must not
-- notify run unfiltered: a notification there would show up in the output.
\set SHOW_CONTEXT never

-- Earlier suites leave tasks on the default queue: take them out of the way.
SELECT count(*) >= 0 AS drained FROM triggers_claim('nt-drain', '{default}', 10000);

SELECT triggers_configure('nt-1', '{
  "t_ab":    {"after": ["a", "b"], "run": "r"},
  "t_other": {"after": ["o"], "run": "r", "using": "nt.other"},
  "t_next":  {"after": ["t_ab"], "run": "r"},
  "t_end":   {"after": ["t_next", "never"], "run": "r"}
}');
LISTEN triggers_default;
LISTEN "triggers_nt.other";
SELECT pg_listening_channels() ORDER BY 1;

-- a fire that schedules nothing: no notification
SELECT triggers_fire('nt-1', 'a');
-- a fire that schedules a task, rolled back: no notification
BEGIN;
SELECT triggers_fire('nt-1', 'b');
ROLLBACK;
SELECT * FROM triggers_unresolved_instances('nt-1');
-- the same fire in a savepoint rolled back: no notification either
BEGIN;
SAVEPOINT s;
SELECT triggers_fire('nt-1', 'b');
ROLLBACK TO SAVEPOINT s;
COMMIT;
-- committed: one notification, only after COMMIT
BEGIN;
SELECT triggers_fire('nt-1', 'b');
SELECT 'not yet' AS notified;
\o | sed -E 's/ (with payload ".*" )?received from server process with PID [0-9]+\./ received./'
COMMIT;
\o
-- in autocommit mode
\o | sed -E 's/ (with payload ".*" )?received from server process with PID [0-9]+\./ received./'
SELECT triggers_fire('nt-1', 'o');
\o
-- a task on another queue notifies that queue's channel only
UNLISTEN triggers_default;
\o | sed -E 's/ (with payload ".*" )?received from server process with PID [0-9]+\./ received./'
SELECT triggers_configure('nt-1b', '{"t": {"after": ["go"], "run": "r", "using": "nt.other"}}');
SELECT triggers_fire('nt-1b', 'go');
\o
SELECT triggers_configure('nt-1c', '{"t": {"after": ["go"], "run": "r"}}');
SELECT triggers_fire('nt-1c', 'go');
LISTEN triggers_default;
UNLISTEN "triggers_nt.other";

-- a finish whose cascade schedules a task notifies; one that schedules nothing does not
CREATE TEMP TABLE held AS SELECT * FROM triggers_claim('nt-w', '{default}', 1000);
SELECT session, instance FROM held ORDER BY session, instance;
\o | sed -E 's/ (with payload ".*" )?received from server process with PID [0-9]+\./ received./'
SELECT triggers_finish(task_id) FROM held WHERE session = 'nt-1';
\o
SELECT triggers_finish(task_id) FROM held WHERE session = 'nt-1c';
SELECT triggers_finish(task_id) FROM triggers_claim('nt-w', '{default}');

------------------------------------------------------------------------------
-- Replays, retries, skips, set_status and configuration.
------------------------------------------------------------------------------
SELECT triggers_configure('nt-2', '{
  "t":       {"after": ["go"], "run": "r"},
  "t_after": {"after": ["t"], "run": "r"},
  "t_retry": {"after": ["retry"], "run": "r", "maxRetries": 5, "retryDelay": 60}
}');
\o | sed -E 's/ (with payload ".*" )?received from server process with PID [0-9]+\./ received./'
SELECT triggers_fire('nt-2', 'go');
\o
SELECT triggers_fail(task_id) FROM triggers_claim('nt-w', '{default}');
-- a replay is claimable at once
\o | sed -E 's/ (with payload ".*" )?received from server process with PID [0-9]+\./ received./'
SELECT triggers_replay('nt-2', 't#0');
\o
-- a retry without cooldown too; with a cooldown it is not notified
\o | sed -E 's/ (with payload ".*" )?received from server process with PID [0-9]+\./ received./'
SELECT triggers_retry(task_id) FROM triggers_claim('nt-w', '{default}');
\o
SELECT triggers_retry(task_id, '1 hour') FROM triggers_claim('nt-w', '{default}');
-- an automatic retry after retryDelay is not notified (the fire that schedules t_retry is)
\o | sed -E 's/ (with payload ".*" )?received from server process with PID [0-9]+\./ received./'
SELECT triggers_fire('nt-2', 'retry');
\o
SELECT triggers_fail(task_id) FROM triggers_claim('nt-w', '{default}');
SELECT instance, status FROM triggers.instances WHERE session = 'nt-2' ORDER BY task, n;
-- set_status scheduled queues (and notifies); other statuses do not
\o | sed -E 's/ (with payload ".*" )?received from server process with PID [0-9]+\./ received./'
SELECT triggers_set_status('nt-2', 't#3', 'scheduled');
\o
SELECT triggers_set_status('nt-2', 't#3', 'failed');
-- a skip that cascades into a scheduled task notifies; a plain skip does not
\o | sed -E 's/ (with payload ".*" )?received from server process with PID [0-9]+\./ received./'
SELECT triggers_skip('nt-2', 't#3', true);
\o
SELECT triggers_fail(task_id) FROM triggers_claim('nt-w', '{default}');
SELECT triggers_skip('nt-2', 't_after#0');
-- a configuration that schedules tasks from earlier fires notifies
\o | sed -E 's/ (with payload ".*" )?received from server process with PID [0-9]+\./ received./'
SELECT triggers_configure('nt-2', '{"t_late": {"after": ["go"], "run": "r"}}');
\o
SELECT triggers_configure('nt-2', '{"t_later": {"after": ["never"], "run": "r"}}');
-- an expired lease makes a task claimable again without a notification
SELECT triggers_configure('nt-3', '{"t": {"after": ["go"], "run": "r", "using": "nt.lease"}}');
LISTEN "triggers_nt.lease";
\o | sed -E 's/ (with payload ".*" )?received from server process with PID [0-9]+\./ received./'
SELECT triggers_fire('nt-3', 'go');
\o
SELECT count(*) FROM triggers_claim('nt-w', '{nt.lease}', 1, '1 millisecond');
SELECT pg_sleep(0.05);
SELECT count(*) FROM triggers_claim('nt-w', '{nt.lease}');
-- a reconfiguration that moves a queued task to another queue notifies that
-- queue (and not when the task stays on its queue)
SELECT triggers_configure('nt-4', '{"t": {"after": ["go"], "run": "r", "using": "nt.from"}}');
SELECT triggers_fire('nt-4', 'go');
LISTEN "triggers_nt.to";
SELECT triggers_configure('nt-4', '{"t": {"after": ["go"], "run": "r2", "using": "nt.from"}}');
\o | sed -E 's/ (with payload ".*" )?received from server process with PID [0-9]+\./ received./'
SELECT triggers_configure('nt-4', '{"t": {"after": ["go"], "run": "r2", "using": "nt.to"}}');
\o
SELECT instance, run, queue FROM triggers_claim('nt-w', '{nt.from,nt.to}');
UNLISTEN *;
SELECT pg_listening_channels();
