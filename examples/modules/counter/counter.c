/* An example Mnemo module (Redis module API).
 *
 *   COUNTER.INCRMAX key max   INCR key through RedisModule_Call, refusing to pass max.
 *   COUNTER.ADD key n         adds n to a counter of the module's own type "mnctr-typ".
 *   COUNTER.GET key           reads it.
 *
 * The counter type is saved in snapshots through rdb_save/rdb_load; COUNTER.ADD is logged
 * verbatim (ReplicateVerbatim) and replayed through the module on recovery. */
#include "mnemo/redismodule.h"

static RedisModuleType *CounterType;

static int IncrMax(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 3) return RedisModule_WrongArity(ctx);
    RedisModule_AutoMemory(ctx);
    long long max;
    if (RedisModule_StringToLongLong(argv[2], &max) != REDISMODULE_OK)
        return RedisModule_ReplyWithError(ctx, "ERR max is not an integer");
    RedisModuleKey *key = RedisModule_OpenKey(ctx, argv[1], REDISMODULE_READ);
    long long current = 0;
    if (key) {
        if (RedisModule_KeyType(key) != REDISMODULE_KEYTYPE_STRING)
            return RedisModule_ReplyWithError(ctx, "WRONGTYPE Operation against a key holding the wrong kind of value");
        size_t len;
        const char *p = RedisModule_StringDMA(key, &len, REDISMODULE_READ);
        RedisModuleString *s = RedisModule_CreateString(ctx, p, len);
        RedisModule_StringToLongLong(s, &current);
    }
    if (current >= max) return RedisModule_ReplyWithError(ctx, "ERR counter is at its limit");
    /* "!": the INCR is logged as this command's effect. */
    RedisModuleCallReply *reply = RedisModule_Call(ctx, "INCR", "!s", argv[1]);
    return RedisModule_ReplyWithCallReply(ctx, reply);
}

static void *Load(RedisModuleIO *io, int encver) {
    (void)encver;
    long long *v = RedisModule_Alloc(sizeof(long long));
    *v = RedisModule_LoadSigned(io);
    return v;
}
static void Save(RedisModuleIO *io, void *value) { RedisModule_SaveSigned(io, *(long long *)value); }
static void Free(void *value) { RedisModule_Free(value); }

static int Add(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 3) return RedisModule_WrongArity(ctx);
    long long n;
    if (RedisModule_StringToLongLong(argv[2], &n) != REDISMODULE_OK)
        return RedisModule_ReplyWithError(ctx, "ERR value is not an integer or out of range");
    RedisModuleKey *key = RedisModule_OpenKey(ctx, argv[1], REDISMODULE_READ | REDISMODULE_WRITE);
    long long *v;
    if (RedisModule_KeyType(key) == REDISMODULE_KEYTYPE_EMPTY) {
        v = RedisModule_Calloc(1, sizeof(long long));
        RedisModule_ModuleTypeSetValue(key, CounterType, v);
    } else if (RedisModule_ModuleTypeGetType(key) == CounterType) {
        v = RedisModule_ModuleTypeGetValue(key);
    } else {
        RedisModule_CloseKey(key);
        return RedisModule_ReplyWithError(ctx, "WRONGTYPE Operation against a key holding the wrong kind of value");
    }
    *v += n;
    RedisModule_CloseKey(key);
    RedisModule_ReplicateVerbatim(ctx);
    return RedisModule_ReplyWithLongLong(ctx, *v);
}

static int Get(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 2) return RedisModule_WrongArity(ctx);
    RedisModuleKey *key = RedisModule_OpenKey(ctx, argv[1], REDISMODULE_READ);
    if (!key) return RedisModule_ReplyWithNull(ctx);
    if (RedisModule_ModuleTypeGetType(key) != CounterType) {
        RedisModule_CloseKey(key);
        return RedisModule_ReplyWithError(ctx, "WRONGTYPE Operation against a key holding the wrong kind of value");
    }
    long long v = *(long long *)RedisModule_ModuleTypeGetValue(key);
    RedisModule_CloseKey(key);
    return RedisModule_ReplyWithLongLong(ctx, v);
}

int RedisModule_OnLoad(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv; (void)argc;
    if (RedisModule_Init(ctx, "counter", 1, REDISMODULE_APIVER_1) == REDISMODULE_ERR) return REDISMODULE_ERR;
    RedisModuleTypeMethods tm = {.version = REDISMODULE_TYPE_METHOD_VERSION, .rdb_load = Load, .rdb_save = Save, .free = Free};
    CounterType = RedisModule_CreateDataType(ctx, "mnctr-typ", 0, &tm);
    if (!CounterType) return REDISMODULE_ERR;
    if (RedisModule_CreateCommand(ctx, "counter.incrmax", IncrMax, "write deny-oom", 1, 1, 1) == REDISMODULE_ERR ||
        RedisModule_CreateCommand(ctx, "counter.add", Add, "write deny-oom", 1, 1, 1) == REDISMODULE_ERR ||
        RedisModule_CreateCommand(ctx, "counter.get", Get, "readonly fast", 1, 1, 1) == REDISMODULE_ERR)
        return REDISMODULE_ERR;
    return REDISMODULE_OK;
}
