/*
 * status_stamps.cpp — see status_stamps.hpp: triggers._stamp, a status
 * change.
 * This file owns no C++ objects: every frame may be unwound by ereport.
 */
#include "triggers/status_stamps.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
}

namespace {

/* The slots' names; the view triggers.instances spells the same order out. */
const char *const kStampNames[triggers::kStampSlots] = {"created",  "lastModified", "unstarted", "scheduled",
                                                        "running",  "finished",     "failed",    "replayed",
                                                        "skipped",  "abandoned"};

constexpr int kLastModifiedSlot = 2;
constexpr int kFirstStatusSlot = 3;

/* The slot of status `name` (`length` bytes); 22023 for a name that is not a status. */
int StatusSlot(const char *chars, size_t length) {
  for (int slot = kFirstStatusSlot; slot <= triggers::kStampSlots; ++slot) {
    const char *candidate = kStampNames[slot - 1];
    if (strlen(candidate) == length && memcmp(candidate, chars, length) == 0) return slot;
  }
  ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                  errmsg("invalid status \"%s\"", pnstrdup(chars, length))));
  return 0;
}

/* A one-dimensional timestamptz[] of `count` slots from values/nulls. */
Datum StampArray(Datum *values, bool *nulls, int count) {
  int dims[1] = {count}, lower_bounds[1] = {1};
  return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lower_bounds, TIMESTAMPTZOID, sizeof(TimestampTz),
                                            FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

constexpr int kRunningSlot = 5;

/* `stamps` with its lastModified slot and `slot` set to now, and the running slot
 * to `running` unless that is 0. */
Datum Stamp(ArrayType *stamps, int slot, Datum running = (Datum)0) {
  if (ARR_NDIM(stamps) > 1)
    ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR), errmsg("instance stamps must be one-dimensional")));
  Datum *old_values;
  bool *old_nulls;
  int old_count;
  deconstruct_array(stamps, TIMESTAMPTZOID, sizeof(TimestampTz), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &old_values,
                    &old_nulls, &old_count);
  Datum values[triggers::kStampSlots];
  bool nulls[triggers::kStampSlots];
  int count = Max(Max(Min(old_count, triggers::kStampSlots), slot), running != (Datum)0 ? kRunningSlot : 0);
  for (int i = 0; i < count; ++i) {
    nulls[i] = i >= old_count || old_nulls[i];
    values[i] = nulls[i] ? (Datum)0 : old_values[i];
  }
  Datum now = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
  values[kLastModifiedSlot - 1] = values[slot - 1] = now;
  nulls[kLastModifiedSlot - 1] = nulls[slot - 1] = false;
  if (running != (Datum)0) {
    values[kRunningSlot - 1] = running;
    nulls[kRunningSlot - 1] = false;
  }
  return StampArray(values, nulls, count);
}

}  // namespace

namespace triggers {

Datum ScheduledStamps(TimestampTz now) {
  Datum values[4];
  bool nulls[4] = {false, false, false, false};
  for (Datum &v : values) v = TimestampTzGetDatum(now);
  return StampArray(values, nulls, 4);
}

Datum StampStatus(Datum stamps_datum, const char *status) {
  return Stamp(DatumGetArrayTypeP(stamps_datum), StatusSlot(status, strlen(status)));
}

Datum StampAnswer(Datum stamps_datum, const char *status, Datum claimed_at) {
  return Stamp(DatumGetArrayTypeP(stamps_datum), StatusSlot(status, strlen(status)), claimed_at);
}

}  // namespace triggers

/*
 * triggers._stamp(stamps timestamptz[], status text) returns timestamptz[]:
 * the stamps of an instance entering `status` now (the transaction's start,
 * as now()): its lastModified and status slots set, the others kept.
 */
TRIGGERS_FUNCTION(triggers_stamp) {
  text *status = PG_GETARG_TEXT_PP(1);
  PG_RETURN_DATUM(Stamp(PG_GETARG_ARRAYTYPE_P(0), StatusSlot(VARDATA_ANY(status), VARSIZE_ANY_EXHDR(status))));
}

/*
 * triggers._stamp_answer(stamps timestamptz[], status text, claimed_at
 * timestamptz) returns timestamptz[]: triggers._stamp for an instance whose
 * delivery ends with `status`; its running slot is set to claimed_at (when
 * the delivery was claimed) unless that is NULL.
 */
TRIGGERS_FUNCTION(triggers_stamp_answer) {
  if (PG_ARGISNULL(0) || PG_ARGISNULL(1)) PG_RETURN_NULL();
  text *status = PG_GETARG_TEXT_PP(1);
  Datum running = PG_ARGISNULL(2) ? (Datum)0 : PG_GETARG_DATUM(2);
  PG_RETURN_DATUM(
      Stamp(PG_GETARG_ARRAYTYPE_P(0), StatusSlot(VARDATA_ANY(status), VARSIZE_ANY_EXHDR(status)), running));
}
