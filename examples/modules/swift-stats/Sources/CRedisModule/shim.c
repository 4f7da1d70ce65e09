#include "CRedisModule.h"

#include <string.h>

int SwiftModule_Init(RedisModuleCtx *ctx, const char *name, int ver) {
    return RedisModule_Init(ctx, name, ver, REDISMODULE_APIVER_1);
}

RedisModuleCallReply *SwiftModule_Call(RedisModuleCtx *ctx, const char *cmd, const char *flags,
                                       RedisModuleString **argv, size_t argc) {
    char fmt[16];
    size_t n = strlen(flags);
    if (n > sizeof(fmt) - 2) return NULL;
    memcpy(fmt, flags, n);
    fmt[n] = 'v';
    fmt[n + 1] = 0;
    return RedisModule_Call(ctx, cmd, fmt, argv, argc);
}
