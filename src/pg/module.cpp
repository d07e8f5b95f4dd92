/*
 * module.cpp — the library's identity for PostgreSQL (PG_MODULE_MAGIC).
 */
extern "C" {
#include "postgres.h"
#include "fmgr.h"

PG_MODULE_MAGIC;
}
