#ifndef MNEMO_CSUPPORT_H
#define MNEMO_CSUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/// Hints the CPU to start loading the cache line at `p` (no fault if it is not mapped).
/// The engine issues these for every key of a pipelined batch before running it, so the
/// batch's cache misses overlap instead of stalling one after the other.
static inline void mnemo_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

/// A flag one thread sets and others read without a lock (acquire/release).
static inline int mnemo_flag_load(const int *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void mnemo_flag_store(int *p, int v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

/// `%.17g` of a double (Redis 7.0's reply format), without Swift's CVarArg boxing.
static inline int mnemo_format_g17(char *buf, unsigned long size, double d) {
    return snprintf(buf, size, "%.17g", d);
}

/// The CPU's time-stamp counter (x86-64 TSC, arm64 virtual counter); CLOCK_MONOTONIC
/// nanoseconds on other machines. Whether the counter is a usable clock is the caller's call.
static inline uint64_t mnemo_cycles(void) {
#if defined(__x86_64__)
    return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
    uint64_t v;
    __asm__ __volatile__("mrs %0, cntvct_el0" : "=r"(v));
    return v;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
#endif
}

/// CRC-32C (Castagnoli) of `n` bytes continuing from `crc` (pre- and post-inverted by the
/// caller), with the CPU's CRC32 instruction (x86-64 SSE4.2, arm64 CRC extension).
/// Returns 0 and sets `*ok` to 0 where the CPU has none: the caller then uses its table.
uint32_t mnemo_crc32c(uint32_t crc, const uint8_t *p, size_t n, int *ok);

/// Opens `path` for direct (O_DIRECT), synchronous (O_DSYNC) writes; -1 with errno if it
/// cannot (Swift's Glibc module does not export O_DIRECT).
int mnemo_open_direct_sync(const char *path);

#endif
