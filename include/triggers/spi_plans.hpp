/*
 * spi_plans.hpp — statements prepared once per backend and run through SPI.
 * Generic plans: these statements are short index lookups, so re-planning
 * them per call (plancache's custom plans) would cost more than running them.
 */
#pragma once

#include "triggers/pg_boundary.hpp"

extern "C" {
#include "executor/spi.h"
}

namespace triggers {

/* Prepares `sql` (parameters of `types`) with a generic plan kept for the backend's life. */
SPIPlanPtr PrepareKept(const char *sql, int nargs, Oid *types);

/* Runs a kept plan; anything but the `expected` SPI result code is an error. */
void RunPlan(SPIPlanPtr plan, Datum *values, const char *nulls, int expected);

/* Column `col` (1-based) of row `row` of the last result. */
Datum ResultColumn(int col, bool *isnull, int row = 0);

}  // namespace triggers
