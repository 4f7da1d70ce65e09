/* Mnemo's header for native modules: the subset of the Redis module API (version 1) that
 * Mnemo provides, with the documented names, C signatures and constants, so a module
 * written for that API builds against this file unchanged.
 *
 * Written for Mnemo from the public module API reference. A module compiled against any
 * header that binds through GetApi also loads: a function Mnemo lacks is bound to a stub
 * that makes the calling command fail with an error naming the function. */
#ifndef MNEMO_REDISMODULE_H
#define MNEMO_REDISMODULE_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

#define REDISMODULE_OK 0
#define REDISMODULE_ERR 1
#define REDISMODULE_APIVER_1 1
#define REDISMODULE_TYPE_METHOD_VERSION 4

/* OpenKey modes */
#define REDISMODULE_READ (1 << 0)
#define REDISMODULE_WRITE (1 << 1)
#define REDISMODULE_OPEN_KEY_NOTOUCH (1 << 16)

/* List ends */
#define REDISMODULE_LIST_HEAD 0
#define REDISMODULE_LIST_TAIL 1

/* Key types */
#define REDISMODULE_KEYTYPE_EMPTY 0
#define REDISMODULE_KEYTYPE_STRING 1
#define REDISMODULE_KEYTYPE_LIST 2
#define REDISMODULE_KEYTYPE_HASH 3
#define REDISMODULE_KEYTYPE_SET 4
#define REDISMODULE_KEYTYPE_ZSET 5
#define REDISMODULE_KEYTYPE_MODULE 6
#define REDISMODULE_KEYTYPE_STREAM 7

/* Call reply types */
#define REDISMODULE_REPLY_UNKNOWN -1
#define REDISMODULE_REPLY_STRING 0
#define REDISMODULE_REPLY_ERROR 1
#define REDISMODULE_REPLY_INTEGER 2
#define REDISMODULE_REPLY_ARRAY 3
#define REDISMODULE_REPLY_NULL 4
#define REDISMODULE_REPLY_MAP 5
#define REDISMODULE_REPLY_SET 6
#define REDISMODULE_REPLY_BOOL 7
#define REDISMODULE_REPLY_DOUBLE 8
#define REDISMODULE_REPLY_BIG_NUMBER 9
#define REDISMODULE_REPLY_VERBATIM_STRING 10
#define REDISMODULE_REPLY_ATTRIBUTE 11

#define REDISMODULE_POSTPONED_ARRAY_LEN -1
#define REDISMODULE_POSTPONED_LEN -1
#define REDISMODULE_NO_EXPIRE -1

/* Sorted set flags */
#define REDISMODULE_ZADD_XX (1 << 0)
#define REDISMODULE_ZADD_NX (1 << 1)
#define REDISMODULE_ZADD_ADDED (1 << 2)
#define REDISMODULE_ZADD_UPDATED (1 << 3)
#define REDISMODULE_ZADD_NOP (1 << 4)
#define REDISMODULE_ZADD_GT (1 << 5)
#define REDISMODULE_ZADD_LT (1 << 6)
#define REDISMODULE_POSITIVE_INFINITE (1.0 / 0.0)
#define REDISMODULE_NEGATIVE_INFINITE (-1.0 / 0.0)

/* Hash flags */
#define REDISMODULE_HASH_NONE 0
#define REDISMODULE_HASH_NX (1 << 0)
#define REDISMODULE_HASH_XX (1 << 1)
#define REDISMODULE_HASH_CFIELDS (1 << 2)
#define REDISMODULE_HASH_EXISTS (1 << 3)
#define REDISMODULE_HASH_COUNT_ALL (1 << 4)
#define REDISMODULE_HASH_DELETE ((RedisModuleString *)(long)1)

/* Context flags (GetContextFlags) */
#define REDISMODULE_CTX_FLAGS_LUA (1 << 0)
#define REDISMODULE_CTX_FLAGS_MULTI (1 << 1)
#define REDISMODULE_CTX_FLAGS_MASTER (1 << 2)
#define REDISMODULE_CTX_FLAGS_AOF (1 << 6)

#define REDISMODULE_LOGLEVEL_DEBUG "debug"
#define REDISMODULE_LOGLEVEL_VERBOSE "verbose"
#define REDISMODULE_LOGLEVEL_NOTICE "notice"
#define REDISMODULE_LOGLEVEL_WARNING "warning"

typedef long long mstime_t;
typedef long long ustime_t;
typedef uint64_t RedisModuleTimerID;

typedef struct RedisModuleCtx RedisModuleCtx;
typedef struct RedisModuleCommand RedisModuleCommand;
typedef struct RedisModuleKey RedisModuleKey;
typedef struct RedisModuleString RedisModuleString;
typedef struct RedisModuleCallReply RedisModuleCallReply;
typedef struct RedisModuleIO RedisModuleIO;
typedef struct RedisModuleType RedisModuleType;
typedef struct RedisModuleDigest RedisModuleDigest;
typedef struct RedisModuleDict RedisModuleDict;
typedef struct RedisModuleDictIter RedisModuleDictIter;
typedef struct RedisModuleBlockedClient RedisModuleBlockedClient;

typedef int (*RedisModuleCmdFunc)(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
typedef void *(*RedisModuleTypeLoadFunc)(RedisModuleIO *rdb, int encver);
typedef void (*RedisModuleTypeSaveFunc)(RedisModuleIO *rdb, void *value);
typedef void (*RedisModuleTypeRewriteFunc)(RedisModuleIO *aof, RedisModuleString *key, void *value);
typedef size_t (*RedisModuleTypeMemUsageFunc)(const void *value);
typedef void (*RedisModuleTypeDigestFunc)(RedisModuleDigest *digest, void *value);
typedef void (*RedisModuleTypeFreeFunc)(void *value);
typedef int (*RedisModuleTypeAuxLoadFunc)(RedisModuleIO *rdb, int encver, int when);
typedef void (*RedisModuleTypeAuxSaveFunc)(RedisModuleIO *rdb, int when);
typedef size_t (*RedisModuleTypeFreeEffortFunc)(RedisModuleString *key, const void *value);
typedef void (*RedisModuleTypeUnlinkFunc)(RedisModuleString *key, const void *value);
typedef void *(*RedisModuleTypeCopyFunc)(RedisModuleString *fromkey, RedisModuleString *tokey, const void *value);
typedef void (*RedisModuleTimerProc)(RedisModuleCtx *ctx, void *data);
typedef void (*RedisModuleDisconnectFunc)(RedisModuleCtx *ctx, RedisModuleBlockedClient *bc);

/* Field order is part of the ABI (version 4 layout); Mnemo reads rdb_load … copy. */
typedef struct RedisModuleTypeMethods {
    uint64_t version;
    RedisModuleTypeLoadFunc rdb_load;
    RedisModuleTypeSaveFunc rdb_save;
    RedisModuleTypeRewriteFunc aof_rewrite;
    RedisModuleTypeMemUsageFunc mem_usage;
    RedisModuleTypeDigestFunc digest;
    RedisModuleTypeFreeFunc free;
    RedisModuleTypeAuxLoadFunc aux_load;
    RedisModuleTypeAuxSaveFunc aux_save;
    int aux_save_triggers;
    RedisModuleTypeFreeEffortFunc free_effort;
    RedisModuleTypeUnlinkFunc unlink;
    RedisModuleTypeCopyFunc copy;
    void *defrag;
    void *mem_usage2;
    void *free_effort2;
    void *unlink2;
    void *copy2;
} RedisModuleTypeMethods;

/* SetCommandInfo: Mnemo applies summary, complexity, since, arity and key specs (which then
 * drive COMMAND GETKEYS/INFO, ACL key checks and the durability hold like any command's). */
typedef struct RedisModuleCommandInfoVersion {
    int version;
    size_t sizeof_historyentry;
    size_t sizeof_keyspec;
    size_t sizeof_arg;
} RedisModuleCommandInfoVersion;

/* Key spec flags (the same bits as Redis 7.0's). */
#define REDISMODULE_CMD_KEY_RO (1ULL<<0)
#define REDISMODULE_CMD_KEY_RW (1ULL<<1)
#define REDISMODULE_CMD_KEY_OW (1ULL<<2)
#define REDISMODULE_CMD_KEY_RM (1ULL<<3)
#define REDISMODULE_CMD_KEY_ACCESS (1ULL<<4)
#define REDISMODULE_CMD_KEY_UPDATE (1ULL<<5)
#define REDISMODULE_CMD_KEY_INSERT (1ULL<<6)
#define REDISMODULE_CMD_KEY_DELETE (1ULL<<7)
#define REDISMODULE_CMD_KEY_NOT_KEY (1ULL<<8)
#define REDISMODULE_CMD_KEY_INCOMPLETE (1ULL<<9)
#define REDISMODULE_CMD_KEY_VARIABLE_FLAGS (1ULL<<10)

typedef enum {
    REDISMODULE_KSPEC_BS_INVALID = 0, /* ends the key_specs array */
    REDISMODULE_KSPEC_BS_UNKNOWN,
    REDISMODULE_KSPEC_BS_INDEX,
    REDISMODULE_KSPEC_BS_KEYWORD
} RedisModuleKeySpecBeginSearchType;

typedef enum {
    REDISMODULE_KSPEC_FK_OMITTED = 0, /* same as a range of one key */
    REDISMODULE_KSPEC_FK_UNKNOWN,
    REDISMODULE_KSPEC_FK_RANGE,
    REDISMODULE_KSPEC_FK_KEYNUM
} RedisModuleKeySpecFindKeysType;

/* Where a command's keys are: begin searching at an index or after a keyword, then take a
 * range of keys or a key count followed by the keys. */
typedef struct RedisModuleCommandKeySpec {
    const char *notes;
    uint64_t flags;
    RedisModuleKeySpecBeginSearchType begin_search_type;
    union {
        struct { int pos; } index;
        struct { const char *keyword; int startfrom; } keyword;
    } bs;
    RedisModuleKeySpecFindKeysType find_keys_type;
    union {
        struct { int lastkey; int keystep; int limit; } range;
        struct { int keynumidx; int firstkey; int keystep; } keynum;
    } fk;
} RedisModuleCommandKeySpec;

#define REDISMODULE_COMMAND_INFO_VERSION (&MnemoModule_CommandInfoVersion)
static const RedisModuleCommandInfoVersion MnemoModule_CommandInfoVersion __attribute__((unused)) =
    {1, 0, sizeof(RedisModuleCommandKeySpec), 0};

typedef struct RedisModuleCommandInfo {
    const RedisModuleCommandInfoVersion *version;
    const char *summary;
    const char *complexity;
    const char *since;
    void *history;
    const char *tips;
    int arity;
    RedisModuleCommandKeySpec *key_specs; /* ends with begin_search_type 0 */
    void *args;
} RedisModuleCommandInfo;

#ifndef REDISMODULE_API
#define REDISMODULE_API
#endif
#ifndef REDISMODULE_ATTR
#define REDISMODULE_ATTR __attribute__((__common__))
#endif

#define MNEMO_API(ret, name, args) REDISMODULE_API ret(*RedisModule_##name) args REDISMODULE_ATTR

MNEMO_API(int, GetApi, (const char *name, void *funcptr));
MNEMO_API(void, SetModuleAttribs, (RedisModuleCtx *ctx, const char *name, int ver, int apiver));
MNEMO_API(int, IsModuleNameBusy, (const char *name));
MNEMO_API(int, CreateCommand, (RedisModuleCtx *ctx, const char *name, RedisModuleCmdFunc cmdfunc, const char *strflags, int firstkey, int lastkey, int keystep));
MNEMO_API(RedisModuleCommand *, GetCommand, (RedisModuleCtx *ctx, const char *name));
MNEMO_API(int, CreateSubcommand, (RedisModuleCommand *parent, const char *name, RedisModuleCmdFunc cmdfunc, const char *strflags, int firstkey, int lastkey, int keystep));
MNEMO_API(int, SetCommandInfo, (RedisModuleCommand *command, const RedisModuleCommandInfo *info));
MNEMO_API(int, WrongArity, (RedisModuleCtx *ctx));
MNEMO_API(void, AutoMemory, (RedisModuleCtx *ctx));
MNEMO_API(int, GetSelectedDb, (RedisModuleCtx *ctx));
MNEMO_API(int, SelectDb, (RedisModuleCtx *ctx, int newid));
MNEMO_API(unsigned long long, GetClientId, (RedisModuleCtx *ctx));
MNEMO_API(int, GetContextFlags, (RedisModuleCtx *ctx));

/* Replies */
MNEMO_API(int, ReplyWithLongLong, (RedisModuleCtx *ctx, long long ll));
MNEMO_API(int, ReplyWithError, (RedisModuleCtx *ctx, const char *err));
MNEMO_API(int, ReplyWithErrorFormat, (RedisModuleCtx *ctx, const char *fmt, ...));
MNEMO_API(int, ReplyWithSimpleString, (RedisModuleCtx *ctx, const char *msg));
MNEMO_API(int, ReplyWithArray, (RedisModuleCtx *ctx, long len));
MNEMO_API(int, ReplyWithMap, (RedisModuleCtx *ctx, long len));
MNEMO_API(int, ReplyWithSet, (RedisModuleCtx *ctx, long len));
MNEMO_API(void, ReplySetArrayLength, (RedisModuleCtx *ctx, long len));
MNEMO_API(void, ReplySetMapLength, (RedisModuleCtx *ctx, long len));
MNEMO_API(void, ReplySetSetLength, (RedisModuleCtx *ctx, long len));
MNEMO_API(int, ReplyWithStringBuffer, (RedisModuleCtx *ctx, const char *buf, size_t len));
MNEMO_API(int, ReplyWithCString, (RedisModuleCtx *ctx, const char *buf));
MNEMO_API(int, ReplyWithString, (RedisModuleCtx *ctx, RedisModuleString *str));
MNEMO_API(int, ReplyWithEmptyString, (RedisModuleCtx *ctx));
MNEMO_API(int, ReplyWithVerbatimString, (RedisModuleCtx *ctx, const char *buf, size_t len));
MNEMO_API(int, ReplyWithVerbatimStringType, (RedisModuleCtx *ctx, const char *buf, size_t len, const char *ext));
MNEMO_API(int, ReplyWithNull, (RedisModuleCtx *ctx));
MNEMO_API(int, ReplyWithNullArray, (RedisModuleCtx *ctx));
MNEMO_API(int, ReplyWithEmptyArray, (RedisModuleCtx *ctx));
MNEMO_API(int, ReplyWithBool, (RedisModuleCtx *ctx, int b));
MNEMO_API(int, ReplyWithDouble, (RedisModuleCtx *ctx, double d));
MNEMO_API(int, ReplyWithBigNumber, (RedisModuleCtx *ctx, const char *bignum, size_t len));
MNEMO_API(int, ReplyWithLongDouble, (RedisModuleCtx *ctx, long double ld));
MNEMO_API(int, ReplyWithCallReply, (RedisModuleCtx *ctx, RedisModuleCallReply *reply));

/* Call and its replies */
MNEMO_API(RedisModuleCallReply *, Call, (RedisModuleCtx *ctx, const char *cmdname, const char *fmt, ...));
MNEMO_API(int, CallReplyType, (RedisModuleCallReply *reply));
MNEMO_API(long long, CallReplyInteger, (RedisModuleCallReply *reply));
MNEMO_API(double, CallReplyDouble, (RedisModuleCallReply *reply));
MNEMO_API(int, CallReplyBool, (RedisModuleCallReply *reply));
MNEMO_API(const char *, CallReplyBigNumber, (RedisModuleCallReply *reply, size_t *len));
MNEMO_API(const char *, CallReplyVerbatim, (RedisModuleCallReply *reply, size_t *len, const char **format));
MNEMO_API(size_t, CallReplyLength, (RedisModuleCallReply *reply));
MNEMO_API(RedisModuleCallReply *, CallReplyArrayElement, (RedisModuleCallReply *reply, size_t idx));
MNEMO_API(RedisModuleCallReply *, CallReplySetElement, (RedisModuleCallReply *reply, size_t idx));
MNEMO_API(int, CallReplyMapElement, (RedisModuleCallReply *reply, size_t idx, RedisModuleCallReply **key, RedisModuleCallReply **val));
MNEMO_API(const char *, CallReplyStringPtr, (RedisModuleCallReply *reply, size_t *len));
MNEMO_API(const char *, CallReplyProto, (RedisModuleCallReply *reply, size_t *len));
MNEMO_API(RedisModuleString *, CreateStringFromCallReply, (RedisModuleCallReply *reply));
MNEMO_API(void, FreeCallReply, (RedisModuleCallReply *reply));

/* Strings */
MNEMO_API(RedisModuleString *, CreateString, (RedisModuleCtx *ctx, const char *ptr, size_t len));
MNEMO_API(RedisModuleString *, CreateStringFromLongLong, (RedisModuleCtx *ctx, long long ll));
MNEMO_API(RedisModuleString *, CreateStringFromULongLong, (RedisModuleCtx *ctx, unsigned long long ull));
MNEMO_API(RedisModuleString *, CreateStringFromDouble, (RedisModuleCtx *ctx, double d));
MNEMO_API(RedisModuleString *, CreateStringFromLongDouble, (RedisModuleCtx *ctx, long double ld, int humanfriendly));
MNEMO_API(RedisModuleString *, CreateStringFromString, (RedisModuleCtx *ctx, const RedisModuleString *str));
MNEMO_API(RedisModuleString *, CreateStringPrintf, (RedisModuleCtx *ctx, const char *fmt, ...));
MNEMO_API(void, FreeString, (RedisModuleCtx *ctx, RedisModuleString *str));
MNEMO_API(void, RetainString, (RedisModuleCtx *ctx, RedisModuleString *str));
MNEMO_API(RedisModuleString *, HoldString, (RedisModuleCtx *ctx, RedisModuleString *str));
MNEMO_API(const char *, StringPtrLen, (const RedisModuleString *str, size_t *len));
MNEMO_API(int, StringToLongLong, (const RedisModuleString *str, long long *ll));
MNEMO_API(int, StringToULongLong, (const RedisModuleString *str, unsigned long long *ull));
MNEMO_API(int, StringToDouble, (const RedisModuleString *str, double *d));
MNEMO_API(int, StringToLongDouble, (const RedisModuleString *str, long double *d));
MNEMO_API(int, StringCompare, (const RedisModuleString *a, const RedisModuleString *b));
MNEMO_API(int, StringAppendBuffer, (RedisModuleCtx *ctx, RedisModuleString *str, const char *buf, size_t len));
MNEMO_API(void, TrimStringAllocation, (RedisModuleString *str));

/* Keys */
MNEMO_API(RedisModuleKey *, OpenKey, (RedisModuleCtx *ctx, RedisModuleString *keyname, int mode));
MNEMO_API(void, CloseKey, (RedisModuleKey *kp));
MNEMO_API(int, KeyExists, (RedisModuleCtx *ctx, RedisModuleString *keyname));
MNEMO_API(int, KeyType, (RedisModuleKey *kp));
MNEMO_API(size_t, ValueLength, (RedisModuleKey *kp));
MNEMO_API(int, DeleteKey, (RedisModuleKey *key));
MNEMO_API(int, UnlinkKey, (RedisModuleKey *key));
MNEMO_API(mstime_t, GetExpire, (RedisModuleKey *key));
MNEMO_API(int, SetExpire, (RedisModuleKey *key, mstime_t expire));
MNEMO_API(mstime_t, GetAbsExpire, (RedisModuleKey *key));
MNEMO_API(int, SetAbsExpire, (RedisModuleKey *key, mstime_t expire));
MNEMO_API(int, StringSet, (RedisModuleKey *key, RedisModuleString *str));
MNEMO_API(char *, StringDMA, (RedisModuleKey *key, size_t *len, int mode));
MNEMO_API(int, StringTruncate, (RedisModuleKey *key, size_t newlen));
MNEMO_API(int, ListPush, (RedisModuleKey *kp, int where, RedisModuleString *ele));
MNEMO_API(RedisModuleString *, ListPop, (RedisModuleKey *key, int where));
MNEMO_API(RedisModuleString *, ListGet, (RedisModuleKey *key, long index));
MNEMO_API(int, ListSet, (RedisModuleKey *key, long index, RedisModuleString *value));
MNEMO_API(int, ListInsert, (RedisModuleKey *key, long index, RedisModuleString *value));
MNEMO_API(int, ListDelete, (RedisModuleKey *key, long index));
MNEMO_API(int, HashSet, (RedisModuleKey *key, int flags, ...));
MNEMO_API(int, HashGet, (RedisModuleKey *key, int flags, ...));
MNEMO_API(int, ZsetAdd, (RedisModuleKey *key, double score, RedisModuleString *ele, int *flagsptr));
MNEMO_API(int, ZsetIncrby, (RedisModuleKey *key, double score, RedisModuleString *ele, int *flagsptr, double *newscore));
MNEMO_API(int, ZsetRem, (RedisModuleKey *key, RedisModuleString *ele, int *deleted));
MNEMO_API(int, ZsetScore, (RedisModuleKey *key, RedisModuleString *ele, double *score));
MNEMO_API(int, ZsetFirstInScoreRange, (RedisModuleKey *key, double min, double max, int minex, int maxex));
MNEMO_API(int, ZsetLastInScoreRange, (RedisModuleKey *key, double min, double max, int minex, int maxex));
MNEMO_API(int, ZsetFirstInLexRange, (RedisModuleKey *key, RedisModuleString *min, RedisModuleString *max));
MNEMO_API(int, ZsetLastInLexRange, (RedisModuleKey *key, RedisModuleString *min, RedisModuleString *max));
MNEMO_API(RedisModuleString *, ZsetRangeCurrentElement, (RedisModuleKey *key, double *score));
MNEMO_API(int, ZsetRangeNext, (RedisModuleKey *key));
MNEMO_API(int, ZsetRangePrev, (RedisModuleKey *key));
MNEMO_API(int, ZsetRangeEndReached, (RedisModuleKey *key));
MNEMO_API(void, ZsetRangeStop, (RedisModuleKey *key));

/* Replication / the log */
MNEMO_API(int, Replicate, (RedisModuleCtx *ctx, const char *cmdname, const char *fmt, ...));
MNEMO_API(int, ReplicateVerbatim, (RedisModuleCtx *ctx));

/* Module data types */
MNEMO_API(RedisModuleType *, CreateDataType, (RedisModuleCtx *ctx, const char *name, int encver, RedisModuleTypeMethods *typemethods));
MNEMO_API(int, ModuleTypeSetValue, (RedisModuleKey *key, RedisModuleType *mt, void *value));
MNEMO_API(int, ModuleTypeReplaceValue, (RedisModuleKey *key, RedisModuleType *mt, void *new_value, void **old_value));
MNEMO_API(RedisModuleType *, ModuleTypeGetType, (RedisModuleKey *key));
MNEMO_API(void *, ModuleTypeGetValue, (RedisModuleKey *key));
MNEMO_API(void, SaveUnsigned, (RedisModuleIO *io, uint64_t value));
MNEMO_API(uint64_t, LoadUnsigned, (RedisModuleIO *io));
MNEMO_API(void, SaveSigned, (RedisModuleIO *io, int64_t value));
MNEMO_API(int64_t, LoadSigned, (RedisModuleIO *io));
MNEMO_API(void, SaveString, (RedisModuleIO *io, RedisModuleString *s));
MNEMO_API(void, SaveStringBuffer, (RedisModuleIO *io, const char *str, size_t len));
MNEMO_API(RedisModuleString *, LoadString, (RedisModuleIO *io));
MNEMO_API(char *, LoadStringBuffer, (RedisModuleIO *io, size_t *lenptr));
MNEMO_API(void, SaveDouble, (RedisModuleIO *io, double value));
MNEMO_API(double, LoadDouble, (RedisModuleIO *io));
MNEMO_API(void, SaveFloat, (RedisModuleIO *io, float value));
MNEMO_API(float, LoadFloat, (RedisModuleIO *io));
MNEMO_API(void, SaveLongDouble, (RedisModuleIO *io, long double value));
MNEMO_API(long double, LoadLongDouble, (RedisModuleIO *io));
MNEMO_API(int, IsIOError, (RedisModuleIO *io));
MNEMO_API(RedisModuleCtx *, GetContextFromIO, (RedisModuleIO *io));
MNEMO_API(void, EmitAOF, (RedisModuleIO *io, const char *cmdname, const char *fmt, ...));
MNEMO_API(void, DigestAddStringBuffer, (RedisModuleDigest *md, const char *ele, size_t len));
MNEMO_API(void, DigestAddLongLong, (RedisModuleDigest *md, long long ele));
MNEMO_API(void, DigestEndSequence, (RedisModuleDigest *md));

/* Logging, memory, time */
MNEMO_API(void, Log, (RedisModuleCtx *ctx, const char *level, const char *fmt, ...));
MNEMO_API(void, LogIOError, (RedisModuleIO *io, const char *levelstr, const char *fmt, ...));
MNEMO_API(void *, Alloc, (size_t bytes));
MNEMO_API(void *, TryAlloc, (size_t bytes));
MNEMO_API(void *, Calloc, (size_t nmemb, size_t size));
MNEMO_API(void *, Realloc, (void *ptr, size_t bytes));
MNEMO_API(void, Free, (void *ptr));
MNEMO_API(char *, Strdup, (const char *str));
MNEMO_API(void *, PoolAlloc, (RedisModuleCtx *ctx, size_t bytes));
MNEMO_API(long long, Milliseconds, (void));
MNEMO_API(ustime_t, Microseconds, (void));

/* Timers */
MNEMO_API(RedisModuleTimerID, CreateTimer, (RedisModuleCtx *ctx, mstime_t period, RedisModuleTimerProc callback, void *data));
MNEMO_API(int, StopTimer, (RedisModuleCtx *ctx, RedisModuleTimerID id, void **data));
MNEMO_API(int, GetTimerInfo, (RedisModuleCtx *ctx, RedisModuleTimerID id, uint64_t *remaining, void **data));

/* Dict */
MNEMO_API(RedisModuleDict *, CreateDict, (RedisModuleCtx *ctx));
MNEMO_API(void, FreeDict, (RedisModuleCtx *ctx, RedisModuleDict *d));
MNEMO_API(uint64_t, DictSize, (RedisModuleDict *d));
MNEMO_API(int, DictSetC, (RedisModuleDict *d, void *key, size_t keylen, void *ptr));
MNEMO_API(int, DictReplaceC, (RedisModuleDict *d, void *key, size_t keylen, void *ptr));
MNEMO_API(int, DictSet, (RedisModuleDict *d, RedisModuleString *key, void *ptr));
MNEMO_API(int, DictReplace, (RedisModuleDict *d, RedisModuleString *key, void *ptr));
MNEMO_API(void *, DictGetC, (RedisModuleDict *d, void *key, size_t keylen, int *nokey));
MNEMO_API(void *, DictGet, (RedisModuleDict *d, RedisModuleString *key, int *nokey));
MNEMO_API(int, DictDelC, (RedisModuleDict *d, void *key, size_t keylen, void *oldval));
MNEMO_API(int, DictDel, (RedisModuleDict *d, RedisModuleString *key, void *oldval));
MNEMO_API(RedisModuleDictIter *, DictIteratorStartC, (RedisModuleDict *d, const char *op, void *key, size_t keylen));
MNEMO_API(RedisModuleDictIter *, DictIteratorStart, (RedisModuleDict *d, const char *op, RedisModuleString *key));
MNEMO_API(void, DictIteratorStop, (RedisModuleDictIter *di));
MNEMO_API(int, DictIteratorReseekC, (RedisModuleDictIter *di, const char *op, void *key, size_t keylen));
MNEMO_API(int, DictIteratorReseek, (RedisModuleDictIter *di, const char *op, RedisModuleString *key));
MNEMO_API(void *, DictNextC, (RedisModuleDictIter *di, size_t *keylen, void **dataptr));
MNEMO_API(void *, DictPrevC, (RedisModuleDictIter *di, size_t *keylen, void **dataptr));
MNEMO_API(RedisModuleString *, DictNext, (RedisModuleCtx *ctx, RedisModuleDictIter *di, void **dataptr));
MNEMO_API(RedisModuleString *, DictPrev, (RedisModuleCtx *ctx, RedisModuleDictIter *di, void **dataptr));
MNEMO_API(int, DictCompareC, (RedisModuleDictIter *di, const char *op, void *key, size_t keylen));
MNEMO_API(int, DictCompare, (RedisModuleDictIter *di, const char *op, RedisModuleString *key));

/* Blocking on keys (BlockClientOnKeys; plain BlockClient and thread-safe contexts are not provided) */
MNEMO_API(RedisModuleBlockedClient *, BlockClientOnKeys, (RedisModuleCtx *ctx, RedisModuleCmdFunc reply_callback, RedisModuleCmdFunc timeout_callback, void (*free_privdata)(RedisModuleCtx *, void *), long long timeout_ms, RedisModuleString **keys, int numkeys, void *privdata));
MNEMO_API(void, SignalKeyAsReady, (RedisModuleCtx *ctx, RedisModuleString *key));
MNEMO_API(RedisModuleString *, GetBlockedClientReadyKey, (RedisModuleCtx *ctx));
MNEMO_API(int, UnblockClient, (RedisModuleBlockedClient *bc, void *privdata));
MNEMO_API(int, AbortBlock, (RedisModuleBlockedClient *bc));
MNEMO_API(void *, GetBlockedClientPrivateData, (RedisModuleCtx *ctx));
MNEMO_API(int, IsBlockedReplyRequest, (RedisModuleCtx *ctx));
MNEMO_API(int, IsBlockedTimeoutRequest, (RedisModuleCtx *ctx));
MNEMO_API(int, BlockedClientDisconnected, (RedisModuleCtx *ctx));
MNEMO_API(RedisModuleBlockedClient *, GetBlockedClientHandle, (RedisModuleCtx *ctx));
MNEMO_API(void, SetDisconnectCallback, (RedisModuleBlockedClient *bc, RedisModuleDisconnectFunc callback));

#define MNEMO_BIND(name) RedisModule_GetApi("RedisModule_" #name, ((void **)&RedisModule_##name))

/* Binds every function above through the GetApi pointer at the start of ctx, then registers
 * the module's name and version. A function the server lacks is bound to a stub that reports
 * its name when called. */
static inline int RedisModule_Init(RedisModuleCtx *ctx, const char *name, int ver, int apiver) {
    void *getapifuncptr = ((void **)ctx)[0];
    RedisModule_GetApi = (int (*)(const char *, void *))(unsigned long)getapifuncptr;
    MNEMO_BIND(SetModuleAttribs); MNEMO_BIND(IsModuleNameBusy); MNEMO_BIND(CreateCommand);
    MNEMO_BIND(GetCommand); MNEMO_BIND(CreateSubcommand); MNEMO_BIND(SetCommandInfo);
    MNEMO_BIND(WrongArity); MNEMO_BIND(AutoMemory); MNEMO_BIND(GetSelectedDb); MNEMO_BIND(SelectDb);
    MNEMO_BIND(GetClientId); MNEMO_BIND(GetContextFlags);
    MNEMO_BIND(ReplyWithLongLong); MNEMO_BIND(ReplyWithError); MNEMO_BIND(ReplyWithErrorFormat);
    MNEMO_BIND(ReplyWithSimpleString); MNEMO_BIND(ReplyWithArray); MNEMO_BIND(ReplyWithMap);
    MNEMO_BIND(ReplyWithSet); MNEMO_BIND(ReplySetArrayLength); MNEMO_BIND(ReplySetMapLength);
    MNEMO_BIND(ReplySetSetLength); MNEMO_BIND(ReplyWithStringBuffer); MNEMO_BIND(ReplyWithCString);
    MNEMO_BIND(ReplyWithString); MNEMO_BIND(ReplyWithEmptyString); MNEMO_BIND(ReplyWithVerbatimString);
    MNEMO_BIND(ReplyWithVerbatimStringType); MNEMO_BIND(ReplyWithNull); MNEMO_BIND(ReplyWithNullArray);
    MNEMO_BIND(ReplyWithEmptyArray); MNEMO_BIND(ReplyWithBool); MNEMO_BIND(ReplyWithDouble);
    MNEMO_BIND(ReplyWithBigNumber); MNEMO_BIND(ReplyWithLongDouble); MNEMO_BIND(ReplyWithCallReply);
    MNEMO_BIND(Call); MNEMO_BIND(CallReplyType); MNEMO_BIND(CallReplyInteger); MNEMO_BIND(CallReplyDouble);
    MNEMO_BIND(CallReplyBool); MNEMO_BIND(CallReplyBigNumber); MNEMO_BIND(CallReplyVerbatim);
    MNEMO_BIND(CallReplyLength); MNEMO_BIND(CallReplyArrayElement); MNEMO_BIND(CallReplySetElement);
    MNEMO_BIND(CallReplyMapElement); MNEMO_BIND(CallReplyStringPtr); MNEMO_BIND(CallReplyProto);
    MNEMO_BIND(CreateStringFromCallReply); MNEMO_BIND(FreeCallReply);
    MNEMO_BIND(CreateString); MNEMO_BIND(CreateStringFromLongLong); MNEMO_BIND(CreateStringFromULongLong);
    MNEMO_BIND(CreateStringFromDouble); MNEMO_BIND(CreateStringFromLongDouble); MNEMO_BIND(CreateStringFromString);
    MNEMO_BIND(CreateStringPrintf); MNEMO_BIND(FreeString); MNEMO_BIND(RetainString); MNEMO_BIND(HoldString);
    MNEMO_BIND(StringPtrLen); MNEMO_BIND(StringToLongLong); MNEMO_BIND(StringToULongLong);
    MNEMO_BIND(StringToDouble); MNEMO_BIND(StringToLongDouble); MNEMO_BIND(StringCompare);
    MNEMO_BIND(StringAppendBuffer); MNEMO_BIND(TrimStringAllocation);
    MNEMO_BIND(OpenKey); MNEMO_BIND(CloseKey); MNEMO_BIND(KeyExists); MNEMO_BIND(KeyType); MNEMO_BIND(ValueLength);
    MNEMO_BIND(DeleteKey); MNEMO_BIND(UnlinkKey); MNEMO_BIND(GetExpire); MNEMO_BIND(SetExpire);
    MNEMO_BIND(GetAbsExpire); MNEMO_BIND(SetAbsExpire); MNEMO_BIND(StringSet); MNEMO_BIND(StringDMA);
    MNEMO_BIND(StringTruncate); MNEMO_BIND(ListPush); MNEMO_BIND(ListPop); MNEMO_BIND(ListGet);
    MNEMO_BIND(ListSet); MNEMO_BIND(ListInsert); MNEMO_BIND(ListDelete); MNEMO_BIND(HashSet); MNEMO_BIND(HashGet);
    MNEMO_BIND(ZsetAdd); MNEMO_BIND(ZsetIncrby); MNEMO_BIND(ZsetRem); MNEMO_BIND(ZsetScore);
    MNEMO_BIND(ZsetFirstInScoreRange); MNEMO_BIND(ZsetLastInScoreRange); MNEMO_BIND(ZsetFirstInLexRange);
    MNEMO_BIND(ZsetLastInLexRange); MNEMO_BIND(ZsetRangeCurrentElement); MNEMO_BIND(ZsetRangeNext);
    MNEMO_BIND(ZsetRangePrev); MNEMO_BIND(ZsetRangeEndReached); MNEMO_BIND(ZsetRangeStop);
    MNEMO_BIND(Replicate); MNEMO_BIND(ReplicateVerbatim);
    MNEMO_BIND(CreateDataType); MNEMO_BIND(ModuleTypeSetValue); MNEMO_BIND(ModuleTypeReplaceValue);
    MNEMO_BIND(ModuleTypeGetType); MNEMO_BIND(ModuleTypeGetValue); MNEMO_BIND(SaveUnsigned);
    MNEMO_BIND(LoadUnsigned); MNEMO_BIND(SaveSigned); MNEMO_BIND(LoadSigned); MNEMO_BIND(SaveString);
    MNEMO_BIND(SaveStringBuffer); MNEMO_BIND(LoadString); MNEMO_BIND(LoadStringBuffer); MNEMO_BIND(SaveDouble);
    MNEMO_BIND(LoadDouble); MNEMO_BIND(SaveFloat); MNEMO_BIND(LoadFloat); MNEMO_BIND(SaveLongDouble);
    MNEMO_BIND(LoadLongDouble); MNEMO_BIND(IsIOError); MNEMO_BIND(GetContextFromIO); MNEMO_BIND(EmitAOF);
    MNEMO_BIND(DigestAddStringBuffer); MNEMO_BIND(DigestAddLongLong); MNEMO_BIND(DigestEndSequence);
    MNEMO_BIND(Log); MNEMO_BIND(LogIOError); MNEMO_BIND(Alloc); MNEMO_BIND(TryAlloc); MNEMO_BIND(Calloc);
    MNEMO_BIND(Realloc); MNEMO_BIND(Free); MNEMO_BIND(Strdup); MNEMO_BIND(PoolAlloc);
    MNEMO_BIND(Milliseconds); MNEMO_BIND(Microseconds);
    MNEMO_BIND(CreateTimer); MNEMO_BIND(StopTimer); MNEMO_BIND(GetTimerInfo);
    MNEMO_BIND(CreateDict); MNEMO_BIND(FreeDict); MNEMO_BIND(DictSize); MNEMO_BIND(DictSetC);
    MNEMO_BIND(DictReplaceC); MNEMO_BIND(DictSet); MNEMO_BIND(DictReplace); MNEMO_BIND(DictGetC);
    MNEMO_BIND(DictGet); MNEMO_BIND(DictDelC); MNEMO_BIND(DictDel); MNEMO_BIND(DictIteratorStartC);
    MNEMO_BIND(DictIteratorStart); MNEMO_BIND(DictIteratorStop); MNEMO_BIND(DictIteratorReseekC);
    MNEMO_BIND(DictIteratorReseek); MNEMO_BIND(DictNextC); MNEMO_BIND(DictPrevC); MNEMO_BIND(DictNext);
    MNEMO_BIND(DictPrev); MNEMO_BIND(DictCompareC); MNEMO_BIND(DictCompare);
    MNEMO_BIND(BlockClientOnKeys); MNEMO_BIND(SignalKeyAsReady); MNEMO_BIND(GetBlockedClientReadyKey);
    MNEMO_BIND(UnblockClient); MNEMO_BIND(AbortBlock); MNEMO_BIND(GetBlockedClientPrivateData);
    MNEMO_BIND(IsBlockedReplyRequest); MNEMO_BIND(IsBlockedTimeoutRequest); MNEMO_BIND(BlockedClientDisconnected);
    MNEMO_BIND(GetBlockedClientHandle); MNEMO_BIND(SetDisconnectCallback);
    if (RedisModule_IsModuleNameBusy && RedisModule_IsModuleNameBusy(name)) return REDISMODULE_ERR;
    RedisModule_SetModuleAttribs(ctx, name, ver, apiver);
    return REDISMODULE_OK;
}

#endif
