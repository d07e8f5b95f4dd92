/*
 * status_stamps.hpp — when an instance was created, last changed and last
 * entered each status.  Kept in instance.stamps as a timestamptz[] rather
 * than as JSON inside its metadata: 8 bytes a time instead of ~45 (the
 * instance row is the biggest row a fire writes), and a status change
 * rewrites no JSON.  triggers.instances shows them as metadata.timestamps.
 *
 * Slots (1-based, as in SQL): 1 created, 2 lastModified, then one per status
 * in this order: 3 unstarted, 4 scheduled, 5 running, 6 finished, 7 failed,
 * 8 replayed, 9 skipped, 10 abandoned (the view triggers.instances names them).
 * May raise: call from frames that own nothing.
 */
#pragma once

#include "triggers/pg_boundary.hpp"

extern "C" {
#include "datatype/timestamp.h"
}

namespace triggers {

constexpr int kStampSlots = 10;

/* The stamps of an instance created at `now` and scheduled at once:
 * created, lastModified, unstarted and scheduled. */
Datum ScheduledStamps(TimestampTz now);

/* `stamps` (a timestamptz[]) of an instance entering `status` now; 22023 for an unknown status. */
Datum StampStatus(Datum stamps, const char *status);

/* StampStatus for an instance whose delivery, claimed at `claimed_at`, is
 * answered: the running slot is the claim's time (a claim writes only the queue row). */
Datum StampAnswer(Datum stamps, const char *status, Datum claimed_at);

}  // namespace triggers
