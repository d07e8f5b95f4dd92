-- queue_lookups: the calls that change a session's queued tasks (triggers_start,
-- triggers_configure, triggers_set_status, triggers_replay, triggers_skip) find
-- their queue rows through the session's instances.  The queue has no index by
-- session, so a scan of it would cost every such call the whole backlog of every
-- session.  Counted with pg_stat_get_xact_numscans (sequential scans in this
-- transaction) under enable_seqscan = off, which keeps any plan that can use an
-- index from scanning.  Sessions "ql-*", queues "ql*".
\set SHOW_CONTEXT never
-- a backlog of another session, and session ql-1 with a task queued and one claimed
SELECT triggers_configure('ql-backlog', '{"b": {"after": [], "andEvery": "go", "run": "r", "using": "ql-other"}}');
SELECT count(*) AS backlog FROM (SELECT triggers_fire('ql-backlog', 'go') FROM generate_series(1, 50)) AS f;
SELECT triggers_load_workflow('ql', '{"a": {"after": ["go"], "run": "r", "using": "ql"},
                                     "c": {"after": ["go"], "run": "r", "using": "ql-c"}}');
SELECT triggers_start('ql-1', 'ql');
SELECT triggers_fire('ql-1', 'go');
SELECT instance, attempt FROM triggers_claim('ql-w', '{ql-c}');

\c
SET enable_seqscan = off;
BEGIN;
SELECT triggers_start('ql-2', 'ql');
-- a moves to another queue with another run; c, claimed, gets the new run
SELECT triggers_configure('ql-1', '{"a": {"after": ["go"], "run": "r2", "using": "ql-moved"},
                                    "c": {"after": ["go"], "run": "r2", "using": "ql-c"}}');
-- (read through the instances too: no scan of the queue)
SELECT i.task, q.queue, q.run, q.worker IS NOT NULL AS claimed
FROM triggers.instance AS i JOIN triggers.queue AS q ON q.task_id = i.task_id
WHERE i.session = 'ql-1' ORDER BY i.task;
SELECT triggers_set_status('ql-1', 'c#0', 'failed');
SELECT triggers_replay('ql-1', 'c#0');
SELECT triggers_set_status('ql-1', 'c#1', 'failed');
SELECT triggers_skip('ql-1', 'c#1');
SELECT pg_stat_get_xact_numscans('triggers.queue'::regclass) AS queue_scans;
COMMIT;
SELECT q.task, q.n, q.queue, q.run FROM triggers.queue AS q WHERE q.session = 'ql-1' ORDER BY q.task, q.n;
SELECT instance, status FROM triggers.instances WHERE session = 'ql-1' ORDER BY instance;
SELECT count(*) AS backlog_untouched FROM triggers.queue WHERE session = 'ql-backlog' AND run = 'r';
