// CSupport is mostly header-only (static inline helpers); this file holds what is not.
#define _GNU_SOURCE
#include <fcntl.h>
#include "CSupport.h"

// CRC-32C with the CPU's instruction: each architecture names its 8-byte and 1-byte steps,
// its target attribute and how to ask the CPU; one loop serves both.
#if defined(__x86_64__)
#include <cpuid.h>
#define MNEMO_CRC_TARGET __attribute__((target("sse4.2")))
#define MNEMO_CRC_STEP8(c, v) ((uint32_t)__builtin_ia32_crc32di((c), (v)))
#define MNEMO_CRC_STEP1(c, b) __builtin_ia32_crc32qi((c), (b))
static int mnemo_crc_available(void) {
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_2);
}
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#include <asm/hwcap.h>
#define MNEMO_CRC_TARGET __attribute__((target("crc")))
#define MNEMO_CRC_STEP8(c, v) __builtin_arm_crc32cd((c), (v))
#define MNEMO_CRC_STEP1(c, b) __builtin_arm_crc32cb((c), (b))
static int mnemo_crc_available(void) { return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0; }
#endif

#ifdef MNEMO_CRC_TARGET
MNEMO_CRC_TARGET
static uint32_t mnemo_crc32c_hw(uint32_t crc, const uint8_t *p, size_t n) {
    while (n >= 8) {
        uint64_t v;
        __builtin_memcpy(&v, p, 8);
        crc = MNEMO_CRC_STEP8(crc, v);
        p += 8;
        n -= 8;
    }
    while (n-- > 0) crc = MNEMO_CRC_STEP1(crc, *p++);
    return crc;
}

uint32_t mnemo_crc32c(uint32_t crc, const uint8_t *p, size_t n, int *ok) {
    static int known = -1;
    if (known < 0) known = mnemo_crc_available() ? 1 : 0;
    *ok = known;
    return known ? mnemo_crc32c_hw(crc, p, n) : 0;
}
#else
uint32_t mnemo_crc32c(uint32_t crc, const uint8_t *p, size_t n, int *ok) {
    (void)crc; (void)p; (void)n;
    *ok = 0;
    return 0;
}
#endif

int mnemo_open_direct_sync(const char *path) {
    return open(path, O_WRONLY | O_DIRECT | O_DSYNC);
}
