/* The module API for Swift: Mnemo's header, plus shims for what Swift cannot call directly. */
#ifndef SWIFT_STATS_CREDISMODULE_H
#define SWIFT_STATS_CREDISMODULE_H

#include "../../../../../../include/mnemo/redismodule.h"

/* RedisModule_Init is a static inline function of the header: binds the API through ctx. */
int SwiftModule_Init(RedisModuleCtx *ctx, const char *name, int ver);

/* RedisModule_Call with the "v" format: `flags` are Call's modifier letters ("!", "" …). */
RedisModuleCallReply *SwiftModule_Call(RedisModuleCtx *ctx, const char *cmd, const char *flags,
                                       RedisModuleString **argv, size_t argc);

#endif
