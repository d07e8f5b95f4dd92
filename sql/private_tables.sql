-- The hot paths write triggers.history (events and instances) and triggers.queue directly
-- (no executor): a trigger or CHECK constraint a DBA adds to them would be bypassed,
-- so the engine refuses to write such a table (55000) and changes nothing.
SELECT triggers_configure('pt1', '{"t": {"after": [], "andEvery": "go", "run": "r"}}');
SELECT triggers_fire('pt1', 'go');
CREATE FUNCTION pt_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER pt_audit BEFORE INSERT ON triggers.history FOR EACH ROW EXECUTE FUNCTION pt_audit();
\set VERBOSITY default
SELECT triggers_fire('pt1', 'go');
DROP TRIGGER pt_audit ON triggers.history;
ALTER TABLE triggers.queue ADD CONSTRAINT pt_check CHECK (attempt >= 0);
SELECT triggers_fire('pt1', 'go');
ALTER TABLE triggers.queue DROP CONSTRAINT pt_check;
\set VERBOSITY terse
-- nothing of the refused fires was kept; the next one works
SELECT count(*) AS events, max(seq) AS last_seq FROM triggers.event WHERE session = 'pt1';
SELECT triggers_fire('pt1', 'go');
SELECT instance, status FROM triggers.instances WHERE session = 'pt1' ORDER BY n;
DROP FUNCTION pt_audit();
-- Direct inserts keep every index's uniqueness: the task_id the next fire will draw,
-- taken by hand, makes that fire fail (23505) instead of duplicating it.
INSERT INTO triggers.instance (session, task, n, status, task_id)
SELECT 'pt-hand', 'x', 0, 'finished', last_value + 1 FROM triggers.task_id_seq;
SELECT triggers_fire('pt1', 'go');
SELECT count(*) AS instances FROM triggers.instances WHERE session = 'pt1';
DELETE FROM triggers.instance WHERE session = 'pt-hand';
-- The engine remembers its relations per backend; a re-created extension has new
-- ones, and a rolled back re-creation leaves the old ones: fires work in all three.
SELECT triggers_fire('pt1', 'go');
BEGIN;
DROP EXTENSION triggers;
CREATE EXTENSION triggers;
SELECT triggers_configure('pt-new', '{"t": {"after": [], "andEvery": "go", "run": "r"}}');
SELECT triggers_fire('pt-new', 'go');
SELECT session, instance, status FROM triggers.instances ORDER BY session, task, n;
ROLLBACK;
SELECT triggers_fire('pt1', 'go');
SELECT count(*) AS instances FROM triggers.instances WHERE session = 'pt1';
-- Events and instances are rows of one table, triggers.history, told apart by
-- is_event and reached through the views triggers.event and triggers.instance.  An
-- event named like a task is never taken for one of its instances: after a fire of
-- "t1" by hand, the first instance of task t1 is still t1#0, the next t1#1.
SELECT triggers_configure('pt-same', '{"t1": {"after": [], "andEvery": "go", "run": "r"}}');
SELECT triggers_fire('pt-same', 't1');
SELECT triggers_fire('pt-same', 'go');
SELECT triggers_fire('pt-same', 'go');
SELECT is_event, name, n, seq, status FROM triggers.history WHERE session = 'pt-same' ORDER BY is_event, name, n, seq;
SELECT trigger, seq FROM triggers.event WHERE session = 'pt-same' ORDER BY seq;
SELECT task, n, status FROM triggers.instance WHERE session = 'pt-same' ORDER BY n;
-- a statement on one view changes only that kind of row
DELETE FROM triggers.event WHERE session = 'pt-same';
SELECT is_event, count(*) FROM triggers.history WHERE session = 'pt-same' GROUP BY is_event;
