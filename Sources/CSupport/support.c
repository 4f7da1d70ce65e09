// CSupport is header-only (static inline helpers); this file gives the target a translation unit.
#include "CSupport.h"

#if defined(__x86_64__)
#include <cpuid.h>

static int mnemo_has_sse42(void) {
    static int known = -1;
    if (known < 0) {
        unsigned a, b, c, d;
        known = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_2) ? 1 : 0;
    }
    return known;
}

__attribute__((target("sse4.2")))
static uint32_t mnemo_crc32c_sse42(uint32_t crc, const uint8_t *p, size_t n) {
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t v;
        __builtin_memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n-- > 0) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}

uint32_t mnemo_crc32c(uint32_t crc, const uint8_t *p, size_t n, int *ok) {
    if (!mnemo_has_sse42()) { *ok = 0; return 0; }
    *ok = 1;
    return mnemo_crc32c_sse42(crc, p, n);
}

#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#include <asm/hwcap.h>

__attribute__((target("crc")))
static uint32_t mnemo_crc32c_arm(uint32_t crc, const uint8_t *p, size_t n) {
    while (n >= 8) {
        uint64_t v;
        __builtin_memcpy(&v, p, 8);
        crc = __builtin_arm_crc32cd(crc, v);
        p += 8;
        n -= 8;
    }
    while (n-- > 0) crc = __builtin_arm_crc32cb(crc, *p++);
    return crc;
}

uint32_t mnemo_crc32c(uint32_t crc, const uint8_t *p, size_t n, int *ok) {
    static int known = -1;
    if (known < 0) known = (getauxval(AT_HWCAP) & HWCAP_CRC32) ? 1 : 0;
    if (!known) { *ok = 0; return 0; }
    *ok = 1;
    return mnemo_crc32c_arm(crc, p, n);
}

#else
uint32_t mnemo_crc32c(uint32_t crc, const uint8_t *p, size_t n, int *ok) {
    (void)crc; (void)p; (void)n;
    *ok = 0;
    return 0;
}
#endif
