/*
 * arguments.hpp — checking SQL arguments the way SPEC section 4 says:
 * 22004 for a NULL name, 22023 for a bad one, {} for a NULL object.
 * These call PostgreSQL and may raise: use them from frames that own nothing.
 */
#pragma once

#include "triggers/pg_boundary.hpp"

extern "C" {
#include "utils/jsonb.h"
}

namespace triggers {

/* 22004 naming `what` when argument argno is NULL: internal functions that are not
 * STRICT (some of their arguments may be NULL) check the others with it. */
void RequireArg(FunctionCallInfo fcinfo, int argno, const char *what);

/* Argument argno as a name of 1-255 characters without control characters. */
text *NameArg(FunctionCallInfo fcinfo, int argno, const char *what);

/* Deepest kwargs, results and metadata accepted (PostgreSQL's own limit is ~14,000). */
constexpr int kMaxObjectDepth = 1000;

/* Argument argno as a JSON object: SQL NULL or JSON null give {}; anything else,
 * or an object nested deeper than kMaxObjectDepth, is 22023. */
Datum ObjectArg(FunctionCallInfo fcinfo, int argno, const char *what);

/* The same check for a value that is not an argument (an element of an array). */
Datum ObjectValue(Datum value, bool isnull, const char *what);

}  // namespace triggers
