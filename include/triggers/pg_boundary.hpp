/*
 * pg_boundary.hpp — the one place where C++ meets PostgreSQL.
 *
 * Two rules, enforced by the two helpers below:
 *
 *  1. Entry (PostgreSQL -> C++).  Every SQL-callable C function is declared with
 *     TRIGGERS_FUNCTION(name); its body runs as name_impl() inside GuardedCall(),
 *     which catches every C++ exception and turns it into ereport(ERROR) only
 *     after the catch block has closed (so no exception object is leaked and no
 *     destructor is skipped by the longjmp).
 *
 *  2. Exit (C++ -> PostgreSQL).  A frame that owns objects with destructors
 *     (std::string, nlohmann::json, ...) must not call a PostgreSQL function that
 *     can ereport(ERROR) directly: the longjmp would skip the destructors.  Such
 *     calls go through PgCall(), which catches the PostgreSQL error and rethrows
 *     it as PgError, so the C++ stack unwinds normally; GuardedCall re-raises it
 *     with its original SQLSTATE.  Frames that own nothing may call PostgreSQL
 *     directly (that is what the _impl functions mostly do).
 *
 * See src/backend/utils/error/elog.c (PG_TRY/PG_CATCH, CopyErrorData,
 * ReThrowError) for the PostgreSQL side of this contract.
 */
#pragma once

extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "utils/elog.h"
#include "utils/memutils.h"
}

#include <exception>
#include <string>
#include <utility>

namespace triggers {

/* A PostgreSQL error caught by PgCall, travelling up the C++ stack. */
struct PgError : std::exception {
  ErrorData *edata;
  explicit PgError(ErrorData *e) : edata(e) {}
  const char *what() const noexcept override { return edata->message; }
};

/* An error raised by our own C++ code, with the SQLSTATE it must surface as. */
struct SqlError : std::exception {
  int sqlstate;
  std::string message, detail, hint;
  SqlError(int code, std::string msg, std::string det = "", std::string hnt = "")
      : sqlstate(code), message(std::move(msg)), detail(std::move(det)), hint(std::move(hnt)) {}
  const char *what() const noexcept override { return message.c_str(); }
};

/* Runs impl(fcinfo), converting any C++ exception into a PostgreSQL error. */
Datum GuardedCall(Datum (*impl)(FunctionCallInfo), FunctionCallInfo fcinfo);

/* The same guard for entries that are not SQL functions (hooks, callbacks, bgworker mains). */
void GuardedVoid(void (*impl)(void *), void *arg);

/*
 * Runs f() — which must own no C++ objects with destructors — under PG_TRY;
 * a PostgreSQL error becomes a PgError exception.  The error is not flushed
 * from the transaction's point of view: the caller must let it propagate to
 * GuardedCall, which re-raises it, so the transaction still aborts.
 */
template <typename F>
void PgCall(F &&f) {
  MemoryContext saved_context = CurrentMemoryContext;
  ErrorData *volatile edata = nullptr;
  PG_TRY();
  {
    f();
  }
  PG_CATCH();
  {
    MemoryContextSwitchTo(saved_context);
    edata = CopyErrorData();
    FlushErrorState();
  }
  PG_END_TRY();
  if (edata != nullptr) throw PgError(edata);
}

/* Copies a C++ string into memory palloc'd in the current context. */
char *PallocString(const std::string &s);

}  // namespace triggers

/*
 * Declares the SQL-callable C function `name` and opens the body of its
 * implementation, which runs behind GuardedCall.
 */
#define TRIGGERS_FUNCTION(name)                                          \
  static Datum name##_impl(FunctionCallInfo fcinfo);                     \
  extern "C" {                                                           \
  PG_FUNCTION_INFO_V1(name);                                             \
  Datum name(PG_FUNCTION_ARGS) {                                         \
    return triggers::GuardedCall(name##_impl, fcinfo);                   \
  }                                                                      \
  }                                                                      \
  static Datum name##_impl(FunctionCallInfo fcinfo)
