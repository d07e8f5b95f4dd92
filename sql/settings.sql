-- triggers.backend_memory_kept (src/pg/backend_memory.cpp): the freed memory a
-- backend that loads the library keeps (glibc's malloc would hand it back to the
-- OS at 128 kB).  Defined when the library loads; set in postgresql.conf (reload).
SELECT count(*) >= 0 AS library_loaded FROM triggers_validate('{}');
SHOW triggers.backend_memory_kept;
SELECT name, setting, unit, context, min_val, max_val FROM pg_settings WHERE name = 'triggers.backend_memory_kept';
SET triggers.backend_memory_kept = 0;
SHOW triggers.backend_memory_kept;
