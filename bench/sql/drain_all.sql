-- Claims and finishes everything claimable, in batches (setup of the scaling runs).
DO $$
DECLARE
  n bigint;
BEGIN
  LOOP
    SELECT count(triggers_finish(c.task_id, '{}')) INTO n FROM triggers_claim('bench-setup', '{default}', 10000) AS c;
    EXIT WHEN n = 0;
  END LOOP;
END $$;
