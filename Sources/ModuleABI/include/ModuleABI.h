#ifndef MNEMO_MODULE_ABI_H
#define MNEMO_MODULE_ABI_H

#include <stddef.h>
#include <stdint.h>

/* The C side of Mnemo's module host. A module's RedisModule_Init reads the first word of
 * the ctx it is given as the GetApi function, so every ctx handed to a module starts with it.
 * Swift cannot define C variadic functions: the variadic API entry points live here, walk
 * their va_list by the format string and hand Swift plain arrays through `mnemo_host`. */

typedef struct MnemoModuleCtx {
    void *getapi; /* must stay first: int (*)(const char *name, void *fnptr) */
    void *host;   /* the Swift context object (unretained) */
} MnemoModuleCtx;

/* One argument of Call / Replicate / EmitAOF, as bytes. */
typedef struct MnemoArg {
    const char *ptr;
    size_t len;
} MnemoArg;

/* Swift functions the C shims call. Filled once by the Swift side before any module loads. */
typedef struct MnemoHost {
    const char *(*stringPtrLen)(const void *str, size_t *len);
    void *(*createString)(void *ctx, const char *ptr, size_t len);
    /* flags: the format's modifier letters (!, C, E, …), NUL-terminated. Returns a CallReply or NULL (errno set). */
    void *(*call)(void *ctx, const char *cmd, const char *flags, const MnemoArg *args, size_t argc);
    int (*replicate)(void *ctx, const char *cmd, const MnemoArg *args, size_t argc);
    void (*emitAOF)(void *io, const char *cmd, const MnemoArg *args, size_t argc);
    void (*log)(void *ctx, const char *level, const char *message);
    void (*logIO)(void *io, const char *level, const char *message);
    int (*replyWithError)(void *ctx, const char *message);
    /* One field of HashSet: value NULL deletes. Returns 1 if the field counted as changed, -1 on error. */
    int (*hashSetField)(void *key, int flags, const char *field, size_t flen, const char *value, size_t vlen, int del);
    /* One field of HashGet: writes a RedisModuleString* (or int with EXISTS) to `out`. -1 on error. */
    int (*hashGetField)(void *key, int flags, const char *field, size_t flen, void *out);
    /* A module called a function the host does not provide. */
    void (*unsupported)(const char *name);
} MnemoHost;

extern MnemoHost mnemo_host;

/* Registers an API function under its full name ("RedisModule_CreateCommand"). */
void mnemo_api_register(const char *name, void *fn);
/* The GetApi every ctx starts with: REDISMODULE_OK (0) or REDISMODULE_ERR (1). A name the host
 * lacks gets a stub that reports the name when called (and returns 0), and ERR. */
int mnemo_get_api(const char *name, void *fnptr);
/* Registers the variadic entry points and the dict API implemented in C. */
void mnemo_abi_register_c_functions(void);
/* Number of names asked for that the host lacks, and the i-th one. */
size_t mnemo_missing_count(void);
const char *mnemo_missing_name(size_t i);

/* Calls into module code through function pointers (Swift cannot call them by type). */
typedef int (*mnemo_cmd_func)(void *ctx, void **argv, int argc);
typedef int (*mnemo_onload_func)(void *ctx, void **argv, int argc);
int mnemo_invoke_command(void *fn, void *ctx, void **argv, int argc);
typedef void *(*mnemo_rdb_load_func)(void *io, int encver);
typedef void (*mnemo_rdb_save_func)(void *io, void *value);
typedef void (*mnemo_aof_rewrite_func)(void *io, void *key, void *value);
typedef size_t (*mnemo_mem_usage_func)(const void *value);
typedef void (*mnemo_digest_func)(void *md, void *value);
typedef void (*mnemo_free_func)(void *value);
typedef void *(*mnemo_copy_func)(void *fromkey, void *tokey, const void *value);
/* (ctx, pointer) callbacks: timers, free_privdata, blocked-client disconnect. */
typedef void (*mnemo_ctx_callback_func)(void *ctx, void *data);
void *mnemo_invoke_rdb_load(void *fn, void *io, int encver);
void mnemo_invoke_rdb_save(void *fn, void *io, void *value);
void mnemo_invoke_aof_rewrite(void *fn, void *io, void *key, void *value);
size_t mnemo_invoke_mem_usage(void *fn, const void *value);
void mnemo_invoke_digest(void *fn, void *md, void *value);
void mnemo_invoke_free(void *fn, void *value);
void *mnemo_invoke_copy(void *fn, void *fromkey, void *tokey, const void *value);
void mnemo_invoke_ctx_callback(void *fn, void *ctx, void *data);
int mnemo_invoke_unload(void *fn, void *ctx);

/* The methods of RedisModuleTypeMethods, read from the module's struct by its version. */
typedef struct MnemoTypeMethods {
    uint64_t version;
    void *rdb_load, *rdb_save, *aof_rewrite, *mem_usage, *digest, *free;
    void *aux_load, *aux_save;
    int aux_save_triggers;
    void *free_effort, *unlink, *copy;
} MnemoTypeMethods;
/* Copies the fields the module's declared version has (later ones stay NULL). */
void mnemo_read_type_methods(const void *module_methods, MnemoTypeMethods *out);

/* Formats a long double as Redis does (humanfriendly: %.17Lf trimmed; else %.17Lg). */
size_t mnemo_format_long_double(const void *value, int humanfriendly, char *buf, size_t cap);
/* Parses a long double from a string into *out (8/16 bytes as the platform's long double). */
int mnemo_parse_long_double(const char *s, size_t len, void *out);

#endif
