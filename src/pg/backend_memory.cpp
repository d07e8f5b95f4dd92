/*
 * backend_memory.cpp — see backend_memory.hpp: the GUC and the two glibc
 * malloc parameters it sets (mallopt: M_TRIM_THRESHOLD, the free memory kept
 * at the top of the heap; M_MMAP_THRESHOLD, half of it, the size from which a
 * block is mapped apart — glibc's own dynamic rule keeps the same ratio).
 * This file owns no C++ objects: every frame may be unwound by ereport.
 */
#include "triggers/backend_memory.hpp"

extern "C" {
#include "utils/guc.h"
}

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace {

constexpr int kDefaultKeptKb = 4096;
constexpr int kMaxKeptKb = 64 * 1024;    /* twice glibc's largest mmap threshold (32 MB) */
int kept_kb = kDefaultKeptKb;
bool changed = false; /* mallopt was called in this process */

/* Assign hook: in every process, at load and at each reload that changes it. */
void Keep(int kb, void *) noexcept {
#ifdef __GLIBC__
  if (kb <= 0 && !changed) return;      /* glibc's own rule, untouched */
  int trim = kb > 0 ? kb * 1024 : 128 * 1024; /* back to glibc's initial values */
  (void)mallopt(M_MMAP_THRESHOLD, kb > 0 ? trim / 2 : trim);
  (void)mallopt(M_TRIM_THRESHOLD, trim);
  changed = true;
#else
  (void)kb;
#endif
}

}  // namespace

namespace triggers {

void BackendMemoryInit() {
  DefineCustomIntVariable("triggers.backend_memory_kept",
                          "Freed memory a backend keeps instead of returning it to the operating system.",
                          "0: the C library's own rule (128 kB).",
                          &kept_kb, kDefaultKeptKb, 0, kMaxKeptKb, PGC_SIGHUP, GUC_UNIT_KB, nullptr, Keep, nullptr);
}

}  // namespace triggers
