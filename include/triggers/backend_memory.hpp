/*
 * backend_memory.hpp — how much freed memory a backend that loads the library
 * keeps instead of handing it back to the operating system.
 *
 * glibc's malloc returns the top of the heap to the kernel as soon as more
 * than 128 kB of it is free, and adapts that only for allocations it served
 * with mmap.  A statement that frees a few hundred kB of small blocks (planning
 * a query, starting an executor, a batch of answers) gives them back at its
 * end, and the next statement takes a page fault for every 4 kB page it
 * touches again — tens of microseconds each on a virtual machine.  Measured
 * (bench/README.md): a worker's claim took twice as long and the latency from
 * a fire's commit to the worker answering went from ~0.4 to ~1.2 ms.
 *
 * GUC triggers.backend_memory_kept (kB, default 4096, 0 = glibc's own rule;
 * postgresql.conf, applied on reload) in every process that has loaded the
 * library: all of them when it is in shared_preload_libraries, else each
 * backend that has called the extension.  A backend keeps at most that much
 * freed memory; larger blocks (over half of it) are still mapped apart.
 * May raise: call from _PG_init only.
 */
#pragma once

#include "triggers/pg_boundary.hpp"

namespace triggers {

void BackendMemoryInit();

}  // namespace triggers
