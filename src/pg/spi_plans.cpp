/*
 * spi_plans.cpp — see spi_plans.hpp.
 */
#include "triggers/spi_plans.hpp"

namespace triggers {

SPIPlanPtr PrepareKept(const char *sql, int nargs, Oid *types) {
  SPIPlanPtr plan = SPI_prepare_cursor(sql, nargs, types, CURSOR_OPT_GENERIC_PLAN);
  if (plan == nullptr)
    elog(ERROR, "triggers: could not prepare a statement: %s", SPI_result_code_string(SPI_result));
  if (SPI_keepplan(plan) != 0) elog(ERROR, "triggers: could not keep a prepared statement");
  return plan;
}

void RunPlan(SPIPlanPtr plan, Datum *values, const char *nulls, int expected) {
  int rc = SPI_execute_plan(plan, values, nulls, false, 0);
  if (rc != expected) elog(ERROR, "triggers: statement failed: %s", SPI_result_code_string(rc));
}

Datum ResultColumn(int col, bool *isnull, int row) {
  return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
}

}  // namespace triggers
