/*
 * core_only.hpp — included first by every file of src/core/.
 * The core is plain C++ (STL, nlohmann/json) and must never see PostgreSQL's
 * headers: that keeps exceptions and destructors on this side of the boundary.
 */
#pragma once

#if defined(PG_VERSION_NUM) || defined(POSTGRES_H)
#define TRIGGERS_CORE_SEES_POSTGRES 1
#else
#define TRIGGERS_CORE_SEES_POSTGRES 0
#endif
static_assert(!TRIGGERS_CORE_SEES_POSTGRES,
              "src/core must not include postgres.h; PostgreSQL calls belong in src/pg");
