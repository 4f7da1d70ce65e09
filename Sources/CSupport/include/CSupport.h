#ifndef MNEMO_CSUPPORT_H
#define MNEMO_CSUPPORT_H

#include <stdio.h>

/// Hints the CPU to start loading the cache line at `p` (no fault if it is not mapped).
/// The engine issues these for every key of a pipelined batch before running it, so the
/// batch's cache misses overlap instead of stalling one after the other.
static inline void mnemo_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

/// `%.17g` of a double (Redis 7.0's reply format), without Swift's CVarArg boxing.
static inline int mnemo_format_g17(char *buf, unsigned long size, double d) {
    return snprintf(buf, size, "%.17g", d);
}

#endif
