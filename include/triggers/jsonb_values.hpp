/*
 * jsonb_values.hpp — the few JSON documents the hot paths build, built in C
 * rather than by jsonb_build_object() in a statement (whose expressions cost
 * more to compile than to evaluate).  May raise: call from frames that own nothing.
 */
#pragma once

#include "triggers/pg_boundary.hpp"

extern "C" {
#include "datatype/timestamp.h"
}

namespace triggers {

/* {key: value}: key a text Datum, value a jsonb object Datum. */
Datum JsonbPair(Datum key, Datum value);

/* The metadata of an instance created scheduled at `now`:
 * {"depth": 0, "timestamps": {"created", "lastModified", "unstarted", "scheduled": now}}. */
Datum ScheduledMetadata(TimestampTz now);

/* `metadata` (an object) with timestamps.lastModified and timestamps.<status> set to
 * `now`, its other keys kept; a timestamps entry that is not an object is replaced. */
Datum StampedMetadata(Datum metadata, Datum status, TimestampTz now);

}  // namespace triggers
