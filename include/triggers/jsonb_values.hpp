/*
 * jsonb_values.hpp — the few JSON documents the hot paths build, built in C
 * rather than by jsonb_build_object() in a statement (whose expressions cost
 * more to compile than to evaluate).  May raise: call from frames that own nothing.
 */
#pragma once

#include "triggers/pg_boundary.hpp"

namespace triggers {

/* {key: value}: key a text Datum, value a jsonb object Datum. */
Datum JsonbPair(Datum key, Datum value);

/* The metadata of a new instance that is not a replay: {"depth": 0}. */
Datum InitialMetadata();

}  // namespace triggers
