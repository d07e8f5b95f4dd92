/*
 * fire_functions.cpp — the SQL entry points of the fire path (fire.cpp).
 */
#include "triggers/arguments.hpp"
#include "triggers/fire.hpp"

extern "C" {
#include "executor/spi.h"
}

/*
 * triggers_fire(session text, trigger_name text, kwargs jsonb) returns text[]:
 * records the fire in the caller's transaction and applies it.
 */
TRIGGERS_FUNCTION(triggers_fire) {
  Datum session = PointerGetDatum(triggers::NameArg(fcinfo, 0, "session"));
  Datum trigger = PointerGetDatum(triggers::NameArg(fcinfo, 1, "trigger name"));
  Datum kwargs = triggers::ObjectArg(fcinfo, 2, "kwargs");
  MemoryContext caller = CurrentMemoryContext;
  SPI_connect();
  Datum result = triggers::RecordFire(session, trigger, kwargs, caller);
  SPI_finish();
  PG_RETURN_DATUM(result);
}

/* triggers._record_fire(session, trigger, kwargs) returns text[]: a fire with checked arguments. */
TRIGGERS_FUNCTION(triggers_record_fire) {
  MemoryContext caller = CurrentMemoryContext;
  SPI_connect();
  Datum result = triggers::RecordFire(PG_GETARG_DATUM(0), PG_GETARG_DATUM(1), PG_GETARG_DATUM(2), caller);
  SPI_finish();
  PG_RETURN_DATUM(result);
}

/*
 * triggers._apply(session, config_id, trigger, kwargs, seq, only text[]) returns text[]:
 * applies an earlier fire to some tasks (a configuration change catching up).
 */
TRIGGERS_FUNCTION(triggers_apply) {
  static const char *const required[] = {"session", "config_id", "trigger", "kwargs", "seq"};
  for (int i = 0; i < 5; ++i) triggers::RequireArg(fcinfo, i, required[i]);
  MemoryContext caller = CurrentMemoryContext;
  SPI_connect();
  triggers::DirectWrite history = triggers::OpenHistory();
  Datum result = triggers::ApplyFire(&history, PG_GETARG_DATUM(0), PG_GETARG_DATUM(1), PG_GETARG_DATUM(2),
                                     PG_GETARG_DATUM(3), PG_GETARG_DATUM(4), PG_GETARG_DATUM(5),
                                     PG_ARGISNULL(5), caller);
  triggers::CloseDirectWrite(&history);
  SPI_finish();
  PG_RETURN_DATUM(result);
}
