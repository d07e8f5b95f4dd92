-- bench/sql/clone_sessions.sql — makes many sessions quickly for the scaling figure
-- (item 4) by copying the rows of template sessions s1..sT, for every table of
-- schema "triggers" that has a "session" column:  s<k>  ->  s<k + T*g>, g = 1..copies.
--   psql -v templates=T -v copies=C -f clone_sessions.sql
-- Generic on purpose (it survives schema changes): identity/generated columns take
-- their defaults; a column that alone is unique (e.g. a task_id) is set to NULL (the
-- templates must hold nothing that needs it: no queued or running task); tables
-- without template rows are left alone; tables are filled in foreign-key order.  bench/run.sh checks the result through the API.
SET bench.templates = :templates;
SET bench.copies = :copies;
DO $$
DECLARE
  t int := current_setting('bench.templates')::int;
  copies int := current_setting('bench.copies')::int;
  todo regclass[];
  done regclass[] := '{}';
  rel regclass;
  progress boolean;
  cols text;
  exprs text;
  has_rows boolean;
BEGIN
  SELECT array_agg(c.oid::regclass ORDER BY c.relname) INTO todo
  FROM pg_class AS c JOIN pg_namespace AS ns ON ns.oid = c.relnamespace
  WHERE ns.nspname = 'triggers' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    AND EXISTS (SELECT FROM pg_attribute AS a WHERE a.attrelid = c.oid AND a.attname = 'session'
                AND NOT a.attisdropped);
  IF todo IS NULL THEN
    RAISE EXCEPTION 'no table of schema triggers has a session column';
  END IF;
  WHILE cardinality(todo) > 0 LOOP
    progress := false;
    FOREACH rel IN ARRAY todo LOOP
      -- wait until the session tables it references are filled
      CONTINUE WHEN EXISTS (SELECT FROM pg_constraint AS f
                            WHERE f.conrelid = rel AND f.contype = 'f' AND f.confrelid <> rel
                              AND f.confrelid::regclass = ANY (todo));
      EXECUTE format('SELECT EXISTS (SELECT FROM %s WHERE session ~ ''^s[0-9]+$'' '
                     'AND substr(session, 2)::bigint BETWEEN 1 AND %s)', rel, t) INTO has_rows;
      IF NOT has_rows THEN  -- nothing to copy (e.g. the queue: templates hold no task)
        todo := array_remove(todo, rel);
        progress := true;
        CONTINUE;
      END IF;
      SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
             string_agg(CASE
                          WHEN a.attname = 'session' THEN
                            format('''s'' || (substr(%I, 2)::bigint + %s::bigint * g)', a.attname, t)
                          WHEN EXISTS (SELECT FROM pg_index AS i WHERE i.indrelid = rel AND i.indisunique
                                       AND i.indnatts = 1 AND i.indkey[0] = a.attnum) THEN
                            CASE WHEN a.attnotnull THEN
                              (SELECT 'error: ' || quote_literal(a.attname))
                            ELSE 'NULL' END
                          ELSE quote_ident(a.attname) END, ', ' ORDER BY a.attnum)
        INTO cols, exprs
      FROM pg_attribute AS a
      WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
        AND a.attidentity = '' AND a.attgenerated = '';
      IF exprs LIKE '%error: %' THEN
        RAISE EXCEPTION 'cannot clone %: a NOT NULL column is unique on its own (%)', rel, exprs;
      END IF;
      EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM %s, generate_series(1, %s) AS g '
                     'WHERE session ~ ''^s[0-9]+$'' AND substr(session, 2)::bigint BETWEEN 1 AND %s',
                     rel, cols, exprs, rel, copies, t);
      done := done || rel;
      todo := array_remove(todo, rel);
      progress := true;
    END LOOP;
    IF NOT progress THEN
      RAISE EXCEPTION 'cannot order the session tables by their foreign keys: %', todo;
    END IF;
  END LOOP;
  RAISE NOTICE 'cloned % session(s) % time(s) into %', t, copies, done;
END $$;
