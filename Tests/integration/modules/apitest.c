/* Mnemo's module API test module: one command per group of API functions, used by
 * Tests/integration/test_modules.py. Built with gcc -shared -fPIC -I include. */
#include "mnemo/redismodule.h"

#include <errno.h>
#include <string.h>
#include <stdlib.h>

static RedisModuleType *CounterType;

typedef struct Counter {
    long long value;
    double weight;
    RedisModuleString *label;
} Counter;

/* ---- Call ---- */

static int Incr(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 2) return RedisModule_WrongArity(ctx);
    RedisModuleCallReply *r = RedisModule_Call(ctx, "INCR", "!s", argv[1]);
    if (!r) return RedisModule_ReplyWithError(ctx, "ERR call failed");
    RedisModule_ReplyWithCallReply(ctx, r);
    RedisModule_FreeCallReply(r);
    return REDISMODULE_OK;
}

/* INCR without "!": not logged unless the module replicates itself. */
static int IncrNoRep(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 2) return RedisModule_WrongArity(ctx);
    RedisModuleCallReply *r = RedisModule_Call(ctx, "INCR", "s", argv[1]);
    RedisModule_ReplyWithCallReply(ctx, r);
    RedisModule_FreeCallReply(r);
    return REDISMODULE_OK;
}

static int IncrVerbatim(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 2) return RedisModule_WrongArity(ctx);
    RedisModule_AutoMemory(ctx);
    RedisModuleCallReply *r = RedisModule_Call(ctx, "INCRBY", "sl", argv[1], 10LL);
    RedisModule_ReplicateVerbatim(ctx);
    return RedisModule_ReplyWithCallReply(ctx, r);
}

/* Two writes, one record: both or neither survive a crash. */
static int Pair(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 3) return RedisModule_WrongArity(ctx);
    RedisModule_AutoMemory(ctx);
    RedisModuleCallReply *a = RedisModule_Call(ctx, "INCR", "!s", argv[1]);
    RedisModule_Call(ctx, "INCR", "!s", argv[2]);
    RedisModule_Replicate(ctx, "RPUSH", "cc", "pairlog", "x");
    RedisModule_Call(ctx, "RPUSH", "cc", "pairlog", "x");
    return RedisModule_ReplyWithCallReply(ctx, a);
}

/* CALL cmd fmtflags args...: runs argv[2..] with the flags in argv[1] ("-" = none); replies
 * with the reply, or with "errno=<name>" when Call returned NULL. */
static int CallGeneric(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc < 3) return RedisModule_WrongArity(ctx);
    RedisModule_AutoMemory(ctx);
    size_t flen;
    const char *flags = RedisModule_StringPtrLen(argv[1], &flen);
    char fmt[32];
    snprintf(fmt, sizeof(fmt), "%sv", strcmp(flags, "-") == 0 ? "" : flags);
    const char *cmd = RedisModule_StringPtrLen(argv[2], NULL);
    errno = 0;
    RedisModuleCallReply *r = RedisModule_Call(ctx, cmd, fmt, argv + 3, (size_t)(argc - 3));
    if (!r) {
        const char *e = errno == ENOENT ? "ENOENT" : errno == EINVAL ? "EINVAL" : errno == EACCES ? "EACCES"
                      : errno == ENOSPC ? "ENOSPC" : errno == ESPIPE ? "ESPIPE" : "other";
        return RedisModule_ReplyWithErrorFormat(ctx, "ERR errno=%s", e);
    }
    return RedisModule_ReplyWithCallReply(ctx, r);
}

/* Describes a Call reply: [type, length, integer/string/double/bool, proto]. */
static int CallDescribe(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc < 3) return RedisModule_WrongArity(ctx);
    RedisModule_AutoMemory(ctx);
    const char *flags = RedisModule_StringPtrLen(argv[1], NULL);
    char fmt[32];
    snprintf(fmt, sizeof(fmt), "%sv", strcmp(flags, "-") == 0 ? "" : flags);
    RedisModuleCallReply *r = RedisModule_Call(ctx, RedisModule_StringPtrLen(argv[2], NULL), fmt, argv + 3, (size_t)(argc - 3));
    if (!r) return RedisModule_ReplyWithError(ctx, "ERR null reply");
    int type = RedisModule_CallReplyType(r);
    RedisModule_ReplyWithArray(ctx, REDISMODULE_POSTPONED_LEN);
    long n = 0;
    RedisModule_ReplyWithLongLong(ctx, type); n++;
    RedisModule_ReplyWithLongLong(ctx, (long long)RedisModule_CallReplyLength(r)); n++;
    size_t len;
    const char *s;
    switch (type) {
    case REDISMODULE_REPLY_INTEGER: RedisModule_ReplyWithLongLong(ctx, RedisModule_CallReplyInteger(r)); n++; break;
    case REDISMODULE_REPLY_STRING: case REDISMODULE_REPLY_ERROR:
        s = RedisModule_CallReplyStringPtr(r, &len); RedisModule_ReplyWithStringBuffer(ctx, s, len); n++; break;
    case REDISMODULE_REPLY_DOUBLE: RedisModule_ReplyWithDouble(ctx, RedisModule_CallReplyDouble(r)); n++; break;
    case REDISMODULE_REPLY_BOOL: RedisModule_ReplyWithLongLong(ctx, RedisModule_CallReplyBool(r)); n++; break;
    case REDISMODULE_REPLY_ARRAY:
        for (size_t i = 0; i < RedisModule_CallReplyLength(r); i++) {
            RedisModuleCallReply *e = RedisModule_CallReplyArrayElement(r, i);
            RedisModuleString *es = RedisModule_CreateStringFromCallReply(e);
            if (es) RedisModule_ReplyWithString(ctx, es); else RedisModule_ReplyWithNull(ctx);
            n++;
        }
        break;
    case REDISMODULE_REPLY_MAP:
        for (size_t i = 0; i < RedisModule_CallReplyLength(r); i++) {
            RedisModuleCallReply *k, *v;
            RedisModule_CallReplyMapElement(r, i, &k, &v);
            RedisModule_ReplyWithString(ctx, RedisModule_CreateStringFromCallReply(k));
            RedisModule_ReplyWithString(ctx, RedisModule_CreateStringFromCallReply(v));
            n += 2;
        }
        break;
    case REDISMODULE_REPLY_SET:
        RedisModule_ReplyWithLongLong(ctx, RedisModule_CallReplySetElement(r, 0) != NULL); n++;
        break;
    }
    s = RedisModule_CallReplyProto(r, &len);
    RedisModule_ReplyWithStringBuffer(ctx, s, len); n++;
    RedisModule_ReplySetArrayLength(ctx, n);
    return REDISMODULE_OK;
}

/* ---- replies ---- */

static int Replies(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv; (void)argc;
    RedisModule_ReplyWithArray(ctx, REDISMODULE_POSTPONED_LEN);
    RedisModule_ReplyWithLongLong(ctx, -7);
    RedisModule_ReplyWithSimpleString(ctx, "simple");
    RedisModule_ReplyWithStringBuffer(ctx, "bu\0lk", 5);
    RedisModule_ReplyWithCString(ctx, "cstr");
    RedisModule_ReplyWithEmptyString(ctx);
    RedisModule_ReplyWithNull(ctx);
    RedisModule_ReplyWithDouble(ctx, 3.5);
    RedisModule_ReplyWithBool(ctx, 1);
    RedisModule_ReplyWithVerbatimString(ctx, "verbatim", 8);
    RedisModule_ReplyWithBigNumber(ctx, "123456789012345678901234567890", 30);
    RedisModule_ReplyWithLongDouble(ctx, 2.5L);
    RedisModule_ReplyWithEmptyArray(ctx);
    RedisModule_ReplyWithArray(ctx, 2);
    RedisModule_ReplyWithLongLong(ctx, 1);
    RedisModule_ReplyWithLongLong(ctx, 2);
    RedisModule_ReplyWithMap(ctx, 1);
    RedisModule_ReplyWithCString(ctx, "k");
    RedisModule_ReplyWithCString(ctx, "v");
    RedisModule_ReplyWithSet(ctx, REDISMODULE_POSTPONED_LEN);
    RedisModule_ReplyWithCString(ctx, "m");
    RedisModule_ReplySetSetLength(ctx, 1);
    RedisModule_ReplyWithNullArray(ctx);
    RedisModule_ReplySetArrayLength(ctx, 16);
    return REDISMODULE_OK;
}

static int ErrorFmt(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv;
    RedisModule_Log(ctx, "notice", "apitest error command called with %d args", argc);
    return RedisModule_ReplyWithErrorFormat(ctx, "CUSTOMERR value %d of %s", 42, "forty-two");
}

/* ---- strings ---- */

static int Strings(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv; (void)argc;
    RedisModule_AutoMemory(ctx);
    RedisModuleString *a = RedisModule_CreateString(ctx, "12", 2);
    RedisModuleString *b = RedisModule_CreateStringFromLongLong(ctx, -99);
    RedisModuleString *c = RedisModule_CreateStringFromDouble(ctx, 1.5);
    RedisModuleString *d = RedisModule_CreateStringPrintf(ctx, "%s-%d", "fmt", 7);
    RedisModuleString *e = RedisModule_CreateStringFromString(ctx, a);
    RedisModuleString *f = RedisModule_CreateStringFromULongLong(ctx, 18446744073709551615ULL);
    RedisModuleString *g = RedisModule_CreateStringFromLongDouble(ctx, 0.25L, 1);
    RedisModule_StringAppendBuffer(ctx, e, "34", 2);
    long long ll = 0; double dd = 0; unsigned long long ull = 0; long double ld = 0;
    int okll = RedisModule_StringToLongLong(e, &ll) == REDISMODULE_OK;
    int okd = RedisModule_StringToDouble(c, &dd) == REDISMODULE_OK;
    int bad = RedisModule_StringToLongLong(d, &ll) == REDISMODULE_ERR;
    int okull = RedisModule_StringToULongLong(f, &ull) == REDISMODULE_OK && ull == 18446744073709551615ULL;
    int okld = RedisModule_StringToLongDouble(g, &ld) == REDISMODULE_OK && ld == 0.25L;
    RedisModule_StringToLongLong(e, &ll);
    /* a string kept past the call: retained, then freed by hand */
    RedisModuleString *kept = RedisModule_CreateString(NULL, "kept", 4);
    RedisModule_RetainString(NULL, kept);
    RedisModule_FreeString(NULL, kept);
    RedisModule_FreeString(NULL, kept);
    RedisModuleString *held = RedisModule_HoldString(ctx, a);
    RedisModule_ReplyWithArray(ctx, 13);
    RedisModule_ReplyWithString(ctx, a);
    RedisModule_ReplyWithString(ctx, b);
    RedisModule_ReplyWithString(ctx, c);
    RedisModule_ReplyWithString(ctx, d);
    RedisModule_ReplyWithString(ctx, e);
    RedisModule_ReplyWithString(ctx, f);
    RedisModule_ReplyWithString(ctx, g);
    RedisModule_ReplyWithLongLong(ctx, okll ? ll : -1);
    RedisModule_ReplyWithDouble(ctx, okd ? dd : -1);
    RedisModule_ReplyWithLongLong(ctx, bad);
    RedisModule_ReplyWithLongLong(ctx, okull && okld);
    RedisModule_ReplyWithLongLong(ctx, RedisModule_StringCompare(a, d) < 0);
    RedisModule_ReplyWithString(ctx, held);
    RedisModule_FreeString(ctx, held);
    return REDISMODULE_OK;
}

/* ---- keys ---- */

/* KEYS key: StringSet, SetExpire/GetExpire, DMA edit, truncate; replies with a summary. */
static int KeyString(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 2) return RedisModule_WrongArity(ctx);
    RedisModule_AutoMemory(ctx);
    RedisModuleKey *k = RedisModule_OpenKey(ctx, argv[1], REDISMODULE_READ | REDISMODULE_WRITE);
    int t0 = RedisModule_KeyType(k);
    RedisModule_StringSet(k, RedisModule_CreateString(ctx, "hello world", 11));
    RedisModule_SetExpire(k, 100000);
    mstime_t ttl = RedisModule_GetExpire(k);
    size_t len;
    char *p = RedisModule_StringDMA(k, &len, REDISMODULE_WRITE);
    p[0] = 'J';
    RedisModule_StringTruncate(k, 5);
    int t1 = RedisModule_KeyType(k);
    size_t vl = RedisModule_ValueLength(k);
    mstime_t abs = RedisModule_GetAbsExpire(k);
    RedisModule_CloseKey(k);
    RedisModule_ReplyWithArray(ctx, 5);
    RedisModule_ReplyWithLongLong(ctx, t0);
    RedisModule_ReplyWithLongLong(ctx, t1);
    RedisModule_ReplyWithLongLong(ctx, (long long)vl);
    RedisModule_ReplyWithLongLong(ctx, ttl > 99000 && ttl <= 100000);
    RedisModule_ReplyWithLongLong(ctx, abs > RedisModule_Milliseconds());
    RedisModule_ReplicateVerbatim(ctx);
    return REDISMODULE_OK;
}

/* api.keydel key [unlink]: DeleteKey, or UnlinkKey when a second argument is given. */
static int KeyDel(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 2 && argc != 3) return RedisModule_WrongArity(ctx);
    RedisModuleKey *k = RedisModule_OpenKey(ctx, argv[1], REDISMODULE_WRITE);
    int existed = RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_EMPTY;
    if (argc == 3) RedisModule_UnlinkKey(k); else RedisModule_DeleteKey(k);
    RedisModule_CloseKey(k);
    int exists = RedisModule_KeyExists(ctx, argv[1]);
    RedisModule_ReplicateVerbatim(ctx);
    RedisModule_ReplyWithArray(ctx, 2);
    RedisModule_ReplyWithLongLong(ctx, existed);
    return RedisModule_ReplyWithLongLong(ctx, exists);
}

/* Read-only open of a missing key gives NULL; a wrong-type push fails. */
static int KeyMissing(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 2) return RedisModule_WrongArity(ctx);
    RedisModuleKey *k = RedisModule_OpenKey(ctx, argv[1], REDISMODULE_READ);
    RedisModule_ReplyWithLongLong(ctx, k == NULL);
    if (k) RedisModule_CloseKey(k);
    return REDISMODULE_OK;
}

static int List(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 2) return RedisModule_WrongArity(ctx);
    RedisModule_AutoMemory(ctx);
    RedisModuleKey *k = RedisModule_OpenKey(ctx, argv[1], REDISMODULE_WRITE);
    if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_EMPTY && RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_LIST)
        return RedisModule_ReplyWithError(ctx, "WRONGTYPE Operation against a key holding the wrong kind of value");
    RedisModule_ListPush(k, REDISMODULE_LIST_TAIL, RedisModule_CreateString(ctx, "b", 1));
    RedisModule_ListPush(k, REDISMODULE_LIST_HEAD, RedisModule_CreateString(ctx, "a", 1));
    RedisModule_ListPush(k, REDISMODULE_LIST_TAIL, RedisModule_CreateString(ctx, "c", 1));
    RedisModule_ListPush(k, REDISMODULE_LIST_TAIL, RedisModule_CreateString(ctx, "d", 1));
    RedisModuleString *popped = RedisModule_ListPop(k, REDISMODULE_LIST_TAIL);
    RedisModule_ListInsert(k, 1, RedisModule_CreateString(ctx, "ins", 3));
    RedisModule_ListSet(k, 0, RedisModule_CreateString(ctx, "A", 1));
    RedisModule_ListDelete(k, -1);
    RedisModuleString *second = RedisModule_ListGet(k, 1);
    RedisModule_ReplicateVerbatim(ctx);
    RedisModule_ReplyWithArray(ctx, 3);
    RedisModule_ReplyWithString(ctx, popped);
    RedisModule_ReplyWithString(ctx, second);
    return RedisModule_ReplyWithLongLong(ctx, (long long)RedisModule_ValueLength(k));
}

static int Hash(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 2) return RedisModule_WrongArity(ctx);
    RedisModule_AutoMemory(ctx);
    RedisModuleKey *k = RedisModule_OpenKey(ctx, argv[1], REDISMODULE_READ | REDISMODULE_WRITE);
    RedisModuleString *f1 = RedisModule_CreateString(ctx, "f1", 2);
    RedisModuleString *v1 = RedisModule_CreateString(ctx, "v1", 2);
    int added = RedisModule_HashSet(k, REDISMODULE_HASH_NONE, f1, v1, NULL);
    int cadded = RedisModule_HashSet(k, REDISMODULE_HASH_CFIELDS, "f2", RedisModule_CreateString(ctx, "v2", 2),
                                     "f3", RedisModule_CreateString(ctx, "v3", 2), NULL);
    int nx = RedisModule_HashSet(k, REDISMODULE_HASH_NX | REDISMODULE_HASH_CFIELDS, "f1", v1, NULL);
    int del = RedisModule_HashSet(k, REDISMODULE_HASH_CFIELDS, "f3", REDISMODULE_HASH_DELETE, NULL);
    RedisModuleString *got1 = NULL, *got2 = NULL;
    int exists = -1;
    RedisModule_HashGet(k, REDISMODULE_HASH_NONE, f1, &got1, NULL);
    RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS, "f2", &got2, NULL);
    RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS | REDISMODULE_HASH_EXISTS, "f3", &exists, NULL);
    RedisModule_ReplicateVerbatim(ctx);
    RedisModule_ReplyWithArray(ctx, 7);
    RedisModule_ReplyWithLongLong(ctx, added);
    RedisModule_ReplyWithLongLong(ctx, cadded);
    RedisModule_ReplyWithLongLong(ctx, nx);
    RedisModule_ReplyWithLongLong(ctx, del);
    RedisModule_ReplyWithString(ctx, got1);
    RedisModule_ReplyWithString(ctx, got2);
    return RedisModule_ReplyWithLongLong(ctx, exists);
}

static int Zset(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 2) return RedisModule_WrongArity(ctx);
    RedisModule_AutoMemory(ctx);
    RedisModuleKey *k = RedisModule_OpenKey(ctx, argv[1], REDISMODULE_READ | REDISMODULE_WRITE);
    const char *names[] = {"a", "b", "c", "d"};
    int flags;
    for (int i = 0; i < 4; i++) {
        flags = 0;
        RedisModule_ZsetAdd(k, i + 1, RedisModule_CreateString(ctx, names[i], 1), &flags);
    }
    flags = REDISMODULE_ZADD_NX;
    RedisModule_ZsetAdd(k, 100, RedisModule_CreateString(ctx, "a", 1), &flags);
    int nxflags = flags;
    double newscore = 0;
    flags = 0;
    RedisModule_ZsetIncrby(k, 10, RedisModule_CreateString(ctx, "d", 1), &flags, &newscore);
    int deleted = 0;
    RedisModule_ZsetRem(k, RedisModule_CreateString(ctx, "c", 1), &deleted);
    double score = 0;
    RedisModule_ZsetScore(k, RedisModule_CreateString(ctx, "b", 1), &score);
    RedisModule_ReplyWithArray(ctx, REDISMODULE_POSTPONED_LEN);
    long n = 0;
    RedisModule_ReplyWithLongLong(ctx, nxflags); n++;
    RedisModule_ReplyWithDouble(ctx, newscore); n++;
    RedisModule_ReplyWithLongLong(ctx, deleted); n++;
    RedisModule_ReplyWithDouble(ctx, score); n++;
    /* score range (1, +inf] ascending */
    RedisModule_ZsetFirstInScoreRange(k, 1, REDISMODULE_POSITIVE_INFINITE, 1, 0);
    while (!RedisModule_ZsetRangeEndReached(k)) {
        double s;
        RedisModuleString *e = RedisModule_ZsetRangeCurrentElement(k, &s);
        RedisModule_ReplyWithString(ctx, e); n++;
        RedisModule_ZsetRangeNext(k);
    }
    RedisModule_ZsetRangeStop(k);
    /* lex range descending */
    RedisModule_ZsetLastInLexRange(k, RedisModule_CreateString(ctx, "-", 1), RedisModule_CreateString(ctx, "+", 1));
    while (!RedisModule_ZsetRangeEndReached(k)) {
        RedisModuleString *e = RedisModule_ZsetRangeCurrentElement(k, NULL);
        RedisModule_ReplyWithString(ctx, e); n++;
        RedisModule_ZsetRangePrev(k);
    }
    RedisModule_ZsetRangeStop(k);
    RedisModule_ReplySetArrayLength(ctx, n);
    RedisModule_ReplicateVerbatim(ctx);
    return REDISMODULE_OK;
}

/* ---- misc ---- */

static int Misc(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv; (void)argc;
    char *a = RedisModule_Alloc(8);
    strcpy(a, "alloc");
    a = RedisModule_Realloc(a, 64);
    strcat(a, "+realloc");
    int *z = RedisModule_Calloc(4, sizeof(int));
    char *dup = RedisModule_Strdup(a);
    char *pool = RedisModule_PoolAlloc(ctx, 16);
    strcpy(pool, "pool");
    int db0 = RedisModule_GetSelectedDb(ctx);
    RedisModule_SelectDb(ctx, 3);
    int db1 = RedisModule_GetSelectedDb(ctx);
    RedisModule_SelectDb(ctx, db0);
    long long ms = RedisModule_Milliseconds();
    RedisModule_ReplyWithArray(ctx, 6);
    RedisModule_ReplyWithCString(ctx, dup);
    RedisModule_ReplyWithLongLong(ctx, z[0] + z[3]);
    RedisModule_ReplyWithCString(ctx, pool);
    RedisModule_ReplyWithLongLong(ctx, db1);
    RedisModule_ReplyWithLongLong(ctx, ms > 1600000000000LL);
    RedisModule_ReplyWithLongLong(ctx, (RedisModule_GetContextFlags(ctx) & REDISMODULE_CTX_FLAGS_MASTER) != 0);
    RedisModule_Free(a);
    RedisModule_Free(z);
    RedisModule_Free(dup);
    return REDISMODULE_OK;
}

static int Dict(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv; (void)argc;
    RedisModule_AutoMemory(ctx);
    RedisModuleDict *d = RedisModule_CreateDict(ctx);
    RedisModule_DictSetC(d, "b", 1, (void *)2);
    RedisModule_DictSetC(d, "a", 1, (void *)1);
    RedisModule_DictSet(d, RedisModule_CreateString(ctx, "c", 1), (void *)3);
    int dup = RedisModule_DictSetC(d, "a", 1, (void *)9);
    RedisModule_DictReplaceC(d, "b", 1, (void *)20);
    int nokey = 0;
    long got = (long)RedisModule_DictGetC(d, "b", 1, &nokey);
    void *old = NULL;
    RedisModule_DictDelC(d, "c", 1, &old);
    RedisModule_DictGet(d, RedisModule_CreateString(ctx, "zz", 2), &nokey);
    RedisModule_ReplyWithArray(ctx, REDISMODULE_POSTPONED_LEN);
    long n = 0;
    RedisModule_ReplyWithLongLong(ctx, dup); n++;
    RedisModule_ReplyWithLongLong(ctx, got); n++;
    RedisModule_ReplyWithLongLong(ctx, (long)old); n++;
    RedisModule_ReplyWithLongLong(ctx, nokey); n++;
    RedisModule_ReplyWithLongLong(ctx, (long long)RedisModule_DictSize(d)); n++;
    RedisModuleDictIter *it = RedisModule_DictIteratorStartC(d, "^", NULL, 0);
    char *key;
    size_t klen;
    void *val;
    while ((key = RedisModule_DictNextC(it, &klen, &val)) != NULL) {
        RedisModule_ReplyWithStringBuffer(ctx, key, klen); n++;
    }
    RedisModule_DictIteratorReseekC(it, "<=", "az", 2);
    RedisModuleString *s = RedisModule_DictPrev(ctx, it, NULL);
    RedisModule_ReplyWithString(ctx, s); n++;
    RedisModule_DictIteratorStop(it);
    RedisModule_ReplySetArrayLength(ctx, n);
    RedisModule_FreeDict(ctx, d);
    return REDISMODULE_OK;
}

static void TimerFired(RedisModuleCtx *ctx, void *data) {
    RedisModule_Call(ctx, "SET", "!cc", "timerkey", (const char *)data);
}

static int Timer(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv; (void)argc;
    RedisModuleTimerID id = RedisModule_CreateTimer(ctx, 50, TimerFired, "fired");
    RedisModuleTimerID id2 = RedisModule_CreateTimer(ctx, 10000, TimerFired, "never");
    uint64_t remaining = 0;
    void *data = NULL;
    RedisModule_GetTimerInfo(ctx, id2, &remaining, &data);
    int stopped = RedisModule_StopTimer(ctx, id2, &data) == REDISMODULE_OK;
    RedisModule_ReplyWithArray(ctx, 3);
    RedisModule_ReplyWithLongLong(ctx, id != 0);
    RedisModule_ReplyWithLongLong(ctx, remaining > 9000);
    return RedisModule_ReplyWithLongLong(ctx, stopped && strcmp(data, "never") == 0);
}

/* Uses a function Mnemo does not provide: the command fails with an error naming it. */
static int Missing(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv; (void)argc;
    int (*fn)(RedisModuleCtx *) = NULL;
    int rc = RedisModule_GetApi("RedisModule_NoSuchFunctionInMnemo", (void **)&fn);
    if (rc == REDISMODULE_OK) return RedisModule_ReplyWithError(ctx, "ERR unexpectedly found");
    fn(ctx);
    return RedisModule_ReplyWithSimpleString(ctx, "not reached as a reply");
}

static int SubA(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv; (void)argc;
    return RedisModule_ReplyWithSimpleString(ctx, "sub-a");
}

/* ---- the custom type ---- */

static void *CounterLoad(RedisModuleIO *io, int encver) {
    if (encver != 1) return NULL;
    Counter *c = RedisModule_Calloc(1, sizeof(*c));
    c->value = RedisModule_LoadSigned(io);
    c->weight = RedisModule_LoadDouble(io);
    c->label = RedisModule_LoadString(io);
    (void)RedisModule_LoadUnsigned(io);
    (void)RedisModule_LoadFloat(io);
    size_t n;
    char *buf = RedisModule_LoadStringBuffer(io, &n);
    RedisModule_Free(buf);
    if (RedisModule_IsIOError(io)) {
        RedisModule_LogIOError(io, "warning", "counter value damaged");
        return NULL;
    }
    return c;
}

static void CounterSave(RedisModuleIO *io, void *value) {
    Counter *c = value;
    RedisModule_SaveSigned(io, c->value);
    RedisModule_SaveDouble(io, c->weight);
    RedisModule_SaveString(io, c->label);
    RedisModule_SaveUnsigned(io, 7);
    RedisModule_SaveFloat(io, 1.5f);
    RedisModule_SaveStringBuffer(io, "tail", 4);
}

static void CounterRewrite(RedisModuleIO *io, RedisModuleString *key, void *value) {
    Counter *c = value;
    RedisModule_EmitAOF(io, "API.TSET", "sl", key, c->value);
}

/* A recognisable size, so MEMORY USAGE shows it went through mem_usage. */
static size_t CounterMem(const void *value) { (void)value; return sizeof(Counter) + 100000; }

static void CounterDigest(RedisModuleDigest *md, void *value) {
    Counter *c = value;
    RedisModule_DigestAddLongLong(md, c->value);
    size_t n;
    const char *s = RedisModule_StringPtrLen(c->label, &n);
    RedisModule_DigestAddStringBuffer(md, s, n);
    RedisModule_DigestEndSequence(md);
}

static void CounterFree(void *value) {
    Counter *c = value;
    if (c->label) RedisModule_FreeString(NULL, c->label);
    RedisModule_Free(c);
}

/* API.TSET key n: a new counter (logged verbatim: replayed through the module). */
static int TSet(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 3) return RedisModule_WrongArity(ctx);
    long long v;
    if (RedisModule_StringToLongLong(argv[2], &v) != REDISMODULE_OK)
        return RedisModule_ReplyWithError(ctx, "ERR value is not an integer or out of range");
    RedisModuleKey *k = RedisModule_OpenKey(ctx, argv[1], REDISMODULE_WRITE);
    int t = RedisModule_KeyType(k);
    if (t != REDISMODULE_KEYTYPE_EMPTY && RedisModule_ModuleTypeGetType(k) != CounterType) {
        RedisModule_CloseKey(k);
        return RedisModule_ReplyWithError(ctx, "WRONGTYPE Operation against a key holding the wrong kind of value");
    }
    Counter *c = RedisModule_Calloc(1, sizeof(*c));
    c->value = v;
    c->weight = 0.5;
    c->label = RedisModule_CreateString(NULL, "label", 5);
    RedisModule_ModuleTypeSetValue(k, CounterType, c);
    RedisModule_CloseKey(k);
    RedisModule_ReplicateVerbatim(ctx);
    return RedisModule_ReplyWithSimpleString(ctx, "OK");
}

/* API.TINCR key: changes the value in place. */
static int TIncr(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 2) return RedisModule_WrongArity(ctx);
    RedisModuleKey *k = RedisModule_OpenKey(ctx, argv[1], REDISMODULE_READ | REDISMODULE_WRITE);
    if (RedisModule_ModuleTypeGetType(k) != CounterType) {
        RedisModule_CloseKey(k);
        return RedisModule_ReplyWithError(ctx, "ERR no counter at key");
    }
    Counter *c = RedisModule_ModuleTypeGetValue(k);
    c->value++;
    RedisModule_CloseKey(k);
    RedisModule_ReplicateVerbatim(ctx);
    return RedisModule_ReplyWithLongLong(ctx, c->value);
}

static int TGet(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 2) return RedisModule_WrongArity(ctx);
    RedisModuleKey *k = RedisModule_OpenKey(ctx, argv[1], REDISMODULE_READ);
    if (!k) return RedisModule_ReplyWithNull(ctx);
    if (RedisModule_ModuleTypeGetType(k) != CounterType) {
        RedisModule_CloseKey(k);
        return RedisModule_ReplyWithError(ctx, "WRONGTYPE Operation against a key holding the wrong kind of value");
    }
    Counter *c = RedisModule_ModuleTypeGetValue(k);
    RedisModule_CloseKey(k);
    return RedisModule_ReplyWithLongLong(ctx, c->value);
}

/* api.kspec dest KEYS numkeys key...: replies with the number of keys it was given. */
static int KSpec(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv;
    return RedisModule_ReplyWithLongLong(ctx, argc - 4);
}

int RedisModule_OnLoad(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (RedisModule_Init(ctx, "apitest", 3, REDISMODULE_APIVER_1) == REDISMODULE_ERR) return REDISMODULE_ERR;
    for (int i = 0; i < argc; i++) {
        if (strcmp(RedisModule_StringPtrLen(argv[i], NULL), "fail") == 0) return REDISMODULE_ERR;
    }
    RedisModuleTypeMethods tm = {
        .version = REDISMODULE_TYPE_METHOD_VERSION,
        .rdb_load = CounterLoad, .rdb_save = CounterSave, .aof_rewrite = CounterRewrite,
        .mem_usage = CounterMem, .digest = CounterDigest, .free = CounterFree,
    };
    CounterType = RedisModule_CreateDataType(ctx, "apicount1", 1, &tm);
    if (!CounterType) return REDISMODULE_ERR;
#define CMD(name, fn, flags, f, l, s) \
    if (RedisModule_CreateCommand(ctx, name, fn, flags, f, l, s) == REDISMODULE_ERR) return REDISMODULE_ERR;
    CMD("api.incr", Incr, "write deny-oom", 1, 1, 1);
    CMD("api.incrnorep", IncrNoRep, "write", 1, 1, 1);
    CMD("api.incrverbatim", IncrVerbatim, "write", 1, 1, 1);
    CMD("api.pair", Pair, "write", 1, 2, 1);
    CMD("api.call", CallGeneric, "write", 0, 0, 0);
    CMD("api.describe", CallDescribe, "readonly", 0, 0, 0);
    CMD("api.replies", Replies, "readonly fast", 0, 0, 0);
    CMD("api.errorfmt", ErrorFmt, "readonly", 0, 0, 0);
    CMD("api.strings", Strings, "readonly", 0, 0, 0);
    CMD("api.keystring", KeyString, "write", 1, 1, 1);
    CMD("api.keydel", KeyDel, "write", 1, 1, 1);
    CMD("api.keymissing", KeyMissing, "readonly", 1, 1, 1);
    CMD("api.list", List, "write", 1, 1, 1);
    CMD("api.hash", Hash, "write", 1, 1, 1);
    CMD("api.zset", Zset, "write", 1, 1, 1);
    CMD("api.misc", Misc, "readonly", 0, 0, 0);
    CMD("api.dict", Dict, "readonly", 0, 0, 0);
    CMD("api.timer", Timer, "write", 0, 0, 0);
    CMD("api.missing", Missing, "readonly", 0, 0, 0);
    CMD("api.tset", TSet, "write deny-oom", 1, 1, 1);
    CMD("api.tincr", TIncr, "write", 1, 1, 1);
    CMD("api.tget", TGet, "readonly", 1, 1, 1);
    CMD("api.parent", NULL, "", 0, 0, 0);
    if (RedisModule_CreateCommand(ctx, "api.incr", Incr, "write", 1, 1, 1) != REDISMODULE_ERR) return REDISMODULE_ERR;
    RedisModuleCommand *parent = RedisModule_GetCommand(ctx, "api.parent");
    if (!parent || RedisModule_CreateSubcommand(parent, "a", SubA, "readonly", 0, 0, 0) != REDISMODULE_OK)
        return REDISMODULE_ERR;
    RedisModuleCommandInfo info = {0};
    info.version = REDISMODULE_COMMAND_INFO_VERSION;
    info.summary = "Increments through Call";
    info.since = "1.0.0";
    info.complexity = "O(1)";
    info.arity = 2;
    RedisModule_SetCommandInfo(RedisModule_GetCommand(ctx, "api.incr"), &info);

    /* api.kspec dest KEYS numkeys key...: keys declared only through SetCommandInfo key specs. */
    CMD("api.kspec", KSpec, "write", 0, 0, 0);
    RedisModuleCommandKeySpec specs[3];
    memset(specs, 0, sizeof(specs));
    specs[0].flags = REDISMODULE_CMD_KEY_RO | REDISMODULE_CMD_KEY_ACCESS;
    specs[0].begin_search_type = REDISMODULE_KSPEC_BS_KEYWORD;
    specs[0].bs.keyword.keyword = "KEYS";
    specs[0].bs.keyword.startfrom = 2;
    specs[0].find_keys_type = REDISMODULE_KSPEC_FK_KEYNUM;
    specs[0].fk.keynum.keynumidx = 0;
    specs[0].fk.keynum.firstkey = 1;
    specs[0].fk.keynum.keystep = 1;
    specs[1].notes = "the destination";
    specs[1].flags = REDISMODULE_CMD_KEY_OW | REDISMODULE_CMD_KEY_UPDATE;
    specs[1].begin_search_type = REDISMODULE_KSPEC_BS_INDEX;
    specs[1].bs.index.pos = 1;
    specs[1].find_keys_type = REDISMODULE_KSPEC_FK_RANGE;
    specs[1].fk.range.lastkey = 0;
    specs[1].fk.range.keystep = 1;
    RedisModuleCommandInfo kinfo = {0};
    kinfo.version = REDISMODULE_COMMAND_INFO_VERSION;
    kinfo.summary = "Keys from key specs";
    kinfo.arity = -5;
    kinfo.key_specs = specs;
    if (RedisModule_SetCommandInfo(RedisModule_GetCommand(ctx, "api.kspec"), &kinfo) != REDISMODULE_OK)
        return REDISMODULE_ERR;
    return REDISMODULE_OK;
}
