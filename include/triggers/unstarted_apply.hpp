/*
 * unstarted_apply.hpp — a fire applied to a task's unstarted instances in
 * the common case (no unless, no withParams, the trigger T one of after),
 * written directly: every unstarted instance that lacks T gets T's kwargs,
 * and those that then hold every trigger of after are scheduled under a new
 * delivery id.  The UPDATE statement this replaces cost more to start (its
 * executor, the generated column, five indexes opened) than the one or two
 * rows it changed in each cascade.
 * May raise: call from frames that own nothing, with the session row locked
 * (every writer of unstarted instances locks the session first).
 */
#pragma once

#include "triggers/pg_boundary.hpp"
#include "triggers/row_insert.hpp"

namespace triggers {

struct AppliedInstance {
  int n;
  bool scheduled;
  Datum kwargs;   /* the instance's kwargs with T's */
  Datum task_id;  /* its delivery id when scheduled */
};

struct AppliedInstances {
  int count;
  AppliedInstance *rows;  /* palloc'd, in index order */
};

/* `pair` is {T: kwargs}; `after` the task's after (text[]), which holds T;
 * `history` is triggers.history opened for writing (OpenHistory, fire.hpp). */
AppliedInstances ApplyToUnstarted(DirectWrite *history, Datum session, Datum task, Datum trigger, Datum pair,
                                  Datum after);

}  // namespace triggers
