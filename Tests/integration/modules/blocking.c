/* Mnemo's test module for blocking on keys (RedisModule_BlockClientOnKeys and friends), used
 * by Tests/integration/test_modules_blocking.py. Built with gcc -shared -fPIC -I include;
 * it loads in a real redis-server 7.0 too (the oracle for its replies). */
#include "mnemo/redismodule.h"

#include <stdlib.h>
#include <string.h>

/* What a blocked BK.POPN waits for: n elements of its list. */
typedef struct Want {
    long long n;
} Want;

static long long freed, freed_disconnected;
static RedisModuleBlockedClient *last_blocked;

static void FreeWant(RedisModuleCtx *ctx, void *privdata) {
    freed++;
    if (RedisModule_BlockedClientDisconnected(ctx)) freed_disconnected++;
    RedisModule_Free(privdata);
}

/* Pops n elements of `key` if it is a list holding that many: the pops, a counter and a log
 * entry are the effects (Call "!" and Replicate), one record. Returns ERR if not ready. */
static int PopIfReady(RedisModuleCtx *ctx, RedisModuleString *key, long long n) {
    RedisModuleKey *k = RedisModule_OpenKey(ctx, key, REDISMODULE_READ);
    int ready = k && RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_LIST && (long long)RedisModule_ValueLength(k) >= n;
    if (k) RedisModule_CloseKey(k);
    if (!ready) return REDISMODULE_ERR;
    RedisModuleCallReply *popped = RedisModule_Call(ctx, "LPOP", "!sl", key, n);
    RedisModuleCallReply *count = RedisModule_Call(ctx, "INCR", "!c", "bk:served");
    RedisModule_Replicate(ctx, "RPUSH", "cs", "bk:log", key);
    RedisModuleCallReply *logged = RedisModule_Call(ctx, "RPUSH", "cs", "bk:log", key);
    RedisModule_ReplyWithArray(ctx, 2);
    RedisModule_ReplyWithString(ctx, key);
    RedisModule_ReplyWithCallReply(ctx, popped);
    RedisModule_FreeCallReply(popped);
    RedisModule_FreeCallReply(count);
    RedisModule_FreeCallReply(logged);
    return REDISMODULE_OK;
}

static int PopnReply(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv;
    (void)argc;
    if (!RedisModule_IsBlockedReplyRequest(ctx) || RedisModule_IsBlockedTimeoutRequest(ctx))
        return RedisModule_ReplyWithError(ctx, "ERR not a reply request");
    Want *want = RedisModule_GetBlockedClientPrivateData(ctx);
    return PopIfReady(ctx, RedisModule_GetBlockedClientReadyKey(ctx), want->n);
}

static int PopnTimeout(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv;
    (void)argc;
    if (!RedisModule_IsBlockedTimeoutRequest(ctx)) return RedisModule_ReplyWithError(ctx, "ERR not a timeout request");
    Want *want = RedisModule_GetBlockedClientPrivateData(ctx);
    char msg[64];
    snprintf(msg, sizeof(msg), "TIMEDOUT waited for %lld", want->n);
    return RedisModule_ReplyWithError(ctx, msg);
}

/* BK.POPN n timeout-ms key [key ...]: pops n elements of the first listed key that has them,
 * blocking until one does. */
static int Popn(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc < 4) return RedisModule_WrongArity(ctx);
    long long n, timeout;
    if (RedisModule_StringToLongLong(argv[1], &n) != REDISMODULE_OK || n < 1 ||
        RedisModule_StringToLongLong(argv[2], &timeout) != REDISMODULE_OK || timeout < 0)
        return RedisModule_ReplyWithError(ctx, "ERR invalid n or timeout");
    for (int i = 3; i < argc; i++)
        if (PopIfReady(ctx, argv[i], n) == REDISMODULE_OK) return REDISMODULE_OK;
    Want *want = RedisModule_Alloc(sizeof(Want));
    want->n = n;
    last_blocked = RedisModule_BlockClientOnKeys(ctx, PopnReply, PopnTimeout, FreeWant, timeout, argv + 3, argc - 3, want);
    return REDISMODULE_OK;
}

/* BK.NOTIMEOUT key: blocks forever without a timeout callback (CLIENT UNBLOCK refuses). */
static int NoTimeout(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 2) return RedisModule_WrongArity(ctx);
    Want *want = RedisModule_Alloc(sizeof(Want));
    want->n = 1;
    RedisModule_BlockClientOnKeys(ctx, PopnReply, NULL, FreeWant, 0, argv + 1, 1, want);
    return REDISMODULE_OK;
}

/* BK.SIGNAL key: signals the key as ready without changing it. */
static int Signal(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 2) return RedisModule_WrongArity(ctx);
    RedisModule_SignalKeyAsReady(ctx, argv[1]);
    return RedisModule_ReplyWithSimpleString(ctx, "OK");
}

/* BK.PUSHSIGNAL key value: RPUSH through Call, then signals the key. */
static int PushSignal(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 3) return RedisModule_WrongArity(ctx);
    RedisModuleCallReply *r = RedisModule_Call(ctx, "RPUSH", "!ss", argv[1], argv[2]);
    RedisModule_SignalKeyAsReady(ctx, argv[1]);
    RedisModule_ReplyWithCallReply(ctx, r);
    RedisModule_FreeCallReply(r);
    return REDISMODULE_OK;
}

/* BK.UNBLOCK / BK.ABORT: ends the last blocking episode (its timeout callback replies). */
static int Unblock(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv;
    if (argc != 1) return RedisModule_WrongArity(ctx);
    if (!last_blocked) return RedisModule_ReplyWithError(ctx, "ERR nothing blocked");
    RedisModuleBlockedClient *bc = last_blocked;
    last_blocked = NULL;
    return RedisModule_ReplyWithLongLong(ctx, RedisModule_UnblockClient(bc, NULL));
}

static int Abort(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv;
    if (argc != 1) return RedisModule_WrongArity(ctx);
    if (!last_blocked) return RedisModule_ReplyWithError(ctx, "ERR nothing blocked");
    RedisModuleBlockedClient *bc = last_blocked;
    last_blocked = NULL;
    return RedisModule_ReplyWithLongLong(ctx, RedisModule_AbortBlock(bc));
}

/* BK.FREED: [free_privdata calls, of which for disconnected clients]. */
static int Freed(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv;
    (void)argc;
    RedisModule_ReplyWithArray(ctx, 2);
    RedisModule_ReplyWithLongLong(ctx, freed);
    return RedisModule_ReplyWithLongLong(ctx, freed_disconnected);
}

int RedisModule_OnLoad(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv;
    (void)argc;
    if (RedisModule_Init(ctx, "blocking", 1, REDISMODULE_APIVER_1) == REDISMODULE_ERR) return REDISMODULE_ERR;
    if (RedisModule_CreateCommand(ctx, "bk.popn", Popn, "write", 3, -1, 1) == REDISMODULE_ERR ||
        RedisModule_CreateCommand(ctx, "bk.notimeout", NoTimeout, "write", 1, 1, 1) == REDISMODULE_ERR ||
        RedisModule_CreateCommand(ctx, "bk.signal", Signal, "readonly", 1, 1, 1) == REDISMODULE_ERR ||
        RedisModule_CreateCommand(ctx, "bk.pushsignal", PushSignal, "write", 1, 1, 1) == REDISMODULE_ERR ||
        RedisModule_CreateCommand(ctx, "bk.unblock", Unblock, "", 0, 0, 0) == REDISMODULE_ERR ||
        RedisModule_CreateCommand(ctx, "bk.abort", Abort, "", 0, 0, 0) == REDISMODULE_ERR ||
        RedisModule_CreateCommand(ctx, "bk.freed", Freed, "readonly", 0, 0, 0) == REDISMODULE_ERR)
        return REDISMODULE_ERR;
    return REDISMODULE_OK;
}
