#ifndef MNEMO_CSUPPORT_H
#define MNEMO_CSUPPORT_H

/// Hints the CPU to start loading the cache line at `p` (no fault if it is not mapped).
/// The engine issues these for every key of a pipelined batch before running it, so the
/// batch's cache misses overlap instead of stalling one after the other.
static inline void mnemo_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#endif
