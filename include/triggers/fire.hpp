/*
 * fire.hpp — applying fires to a session's tasks (SPEC section 3), in SQL
 * statements prepared once per backend and run through SPI.
 */
#pragma once

#include "triggers/pg_boundary.hpp"
#include "triggers/row_insert.hpp"

namespace triggers {

/*
 * Records fire (trigger, kwargs) in a session — creating and locking its row —
 * and applies it.  Returns the names of the instances it scheduled, as a
 * text[] palloc'd in `result_context`.  Must run inside SPI_connect().
 */
Datum RecordFire(Datum session, Datum trigger, Datum kwargs, MemoryContext result_context);

/* triggers.history opened for writing a fire's rows; CloseDirectWrite when done. */
DirectWrite OpenHistory();

/* Records fire number `seq` of (trigger, kwargs) in a session whose row is locked. */
void RecordEvent(DirectWrite *history, Datum session, Datum trigger, Datum seq, Datum kwargs);

/*
 * Applies fire number `seq` to the tasks of configuration `config` that use
 * `trigger` (only those named in the text[] `only`, unless only_null); the
 * session row must already be locked.  Same result as RecordFire.
 */
Datum ApplyFire(DirectWrite *history, Datum session, Datum config, Datum trigger, Datum kwargs, Datum seq,
                Datum only, bool only_null, MemoryContext result_context);

}  // namespace triggers
