/* Mnemo's module ABI: the GetApi registry, the variadic entry points of the Redis module
 * API, and calls through module function pointers. See include/ModuleABI.h. */
#include "ModuleABI.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OK 0
#define ERR 1

MnemoHost mnemo_host;

/* ---- the registry GetApi answers from ---- */

typedef struct ApiEntry {
    char *name;
    void *fn;
} ApiEntry;

static ApiEntry *api_entries;
static size_t api_count, api_cap;

void mnemo_api_register(const char *name, void *fn) {
    for (size_t i = 0; i < api_count; i++) {
        if (strcmp(api_entries[i].name, name) == 0) {
            api_entries[i].fn = fn;
            return;
        }
    }
    if (api_count == api_cap) {
        api_cap = api_cap ? api_cap * 2 : 256;
        api_entries = realloc(api_entries, api_cap * sizeof(ApiEntry));
    }
    api_entries[api_count].name = strdup(name);
    api_entries[api_count].fn = fn;
    api_count++;
}

static void *api_lookup(const char *name) {
    for (size_t i = 0; i < api_count; i++)
        if (strcmp(api_entries[i].name, name) == 0) return api_entries[i].fn;
    return NULL;
}

/* Stubs for names the host lacks: each remembers its name and reports it when called. */
#define STUB_COUNT 128
static char *missing_names[STUB_COUNT];
static size_t missing_used;

static long long stub_report(size_t i) {
    if (mnemo_host.unsupported) mnemo_host.unsupported(i < missing_used ? missing_names[i] : "?");
    return 0;
}

#define STUB(n) static long long stub_##n(void) { return stub_report(n); }
#define STUB8(a) STUB(a##0) STUB(a##1) STUB(a##2) STUB(a##3) STUB(a##4) STUB(a##5) STUB(a##6) STUB(a##7)
STUB8(0) STUB8(1) STUB8(2) STUB8(3) STUB8(4) STUB8(5) STUB8(6) STUB8(7)
STUB8(10) STUB8(11) STUB8(12) STUB8(13) STUB8(14) STUB8(15) STUB8(16) STUB8(17)
#define REF8(a) stub_##a##0, stub_##a##1, stub_##a##2, stub_##a##3, stub_##a##4, stub_##a##5, stub_##a##6, stub_##a##7
static long long (*const stubs[STUB_COUNT])(void) = {
    REF8(0), REF8(1), REF8(2), REF8(3), REF8(4), REF8(5), REF8(6), REF8(7),
    REF8(10), REF8(11), REF8(12), REF8(13), REF8(14), REF8(15), REF8(16), REF8(17),
};

static long long stub_overflow(void) {
    if (mnemo_host.unsupported) mnemo_host.unsupported("(an unsupported API function)");
    return 0;
}

int mnemo_get_api(const char *name, void *fnptr) {
    void *fn = api_lookup(name);
    if (fn) {
        memcpy(fnptr, &fn, sizeof(void *));
        return OK;
    }
    void *stub = (void *)stub_overflow;
    size_t i;
    for (i = 0; i < missing_used; i++)
        if (strcmp(missing_names[i], name) == 0) break;
    if (i == missing_used && missing_used < STUB_COUNT) missing_names[missing_used++] = strdup(name);
    if (i < missing_used) stub = (void *)stubs[i];
    memcpy(fnptr, &stub, sizeof(void *));
    return ERR;
}

size_t mnemo_missing_count(void) { return missing_used; }
const char *mnemo_missing_name(size_t i) { return i < missing_used ? missing_names[i] : NULL; }

/* ---- format walking ---- */

typedef struct ArgList {
    MnemoArg *args;
    size_t count, cap;
    char **owned; /* formatted numbers */
    size_t owned_count, owned_cap;
    char flags[32];
    size_t nflags;
} ArgList;

static void args_push(ArgList *l, const char *p, size_t n) {
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->args = realloc(l->args, l->cap * sizeof(MnemoArg));
    }
    l->args[l->count].ptr = p;
    l->args[l->count].len = n;
    l->count++;
}

static void args_push_owned(ArgList *l, char *s) {
    if (l->owned_count == l->owned_cap) {
        l->owned_cap = l->owned_cap ? l->owned_cap * 2 : 4;
        l->owned = realloc(l->owned, l->owned_cap * sizeof(char *));
    }
    l->owned[l->owned_count++] = s;
    args_push(l, s, strlen(s));
}

static void args_free(ArgList *l) {
    for (size_t i = 0; i < l->owned_count; i++) free(l->owned[i]);
    free(l->owned);
    free(l->args);
}

/* Returns 0, or -1 on an unknown format character. */
static int walk_format(ArgList *l, const char *fmt, va_list ap) {
    memset(l, 0, sizeof(*l));
    for (const char *p = fmt; p && *p; p++) {
        switch (*p) {
        case 'c': {
            const char *s = va_arg(ap, const char *);
            args_push(l, s, strlen(s));
            break;
        }
        case 's': {
            const void *str = va_arg(ap, const void *);
            size_t n = 0;
            const char *s = mnemo_host.stringPtrLen(str, &n);
            args_push(l, s, n);
            break;
        }
        case 'b': {
            const char *s = va_arg(ap, const char *);
            size_t n = va_arg(ap, size_t);
            args_push(l, s, n);
            break;
        }
        case 'l': {
            long long v = va_arg(ap, long long);
            char *buf = malloc(32);
            snprintf(buf, 32, "%lld", v);
            args_push_owned(l, buf);
            break;
        }
        case 'v': {
            void **vec = va_arg(ap, void **);
            size_t n = va_arg(ap, size_t);
            for (size_t i = 0; i < n; i++) {
                size_t len = 0;
                const char *s = mnemo_host.stringPtrLen(vec[i], &len);
                args_push(l, s, len);
            }
            break;
        }
        case '!': case 'A': case 'R': case '3': case '0': case 'C': case 'S': case 'W': case 'M':
        case 'E': case 'D': case 'K': case 'X':
            if (l->nflags < sizeof(l->flags) - 1) l->flags[l->nflags++] = *p;
            break;
        default:
            return -1;
        }
    }
    l->flags[l->nflags] = 0;
    return 0;
}

static void *RM_Call(void *ctx, const char *cmd, const char *fmt, ...) {
    ArgList l;
    va_list ap;
    va_start(ap, fmt);
    int rc = walk_format(&l, fmt, ap);
    va_end(ap);
    if (rc != 0) {
        args_free(&l);
        errno = EINVAL;
        return NULL;
    }
    void *reply = mnemo_host.call(ctx, cmd, l.flags, l.args, l.count);
    int saved = errno;
    args_free(&l);
    errno = saved;
    return reply;
}

static int RM_Replicate(void *ctx, const char *cmd, const char *fmt, ...) {
    ArgList l;
    va_list ap;
    va_start(ap, fmt);
    int rc = walk_format(&l, fmt, ap);
    va_end(ap);
    if (rc == 0) rc = mnemo_host.replicate(ctx, cmd, l.args, l.count);
    else rc = ERR;
    args_free(&l);
    return rc;
}

static void RM_EmitAOF(void *io, const char *cmd, const char *fmt, ...) {
    ArgList l;
    va_list ap;
    va_start(ap, fmt);
    int rc = walk_format(&l, fmt, ap);
    va_end(ap);
    if (rc == 0) mnemo_host.emitAOF(io, cmd, l.args, l.count);
    else mnemo_host.logIO(io, "warning", "EmitAOF: unknown format character");
    args_free(&l);
}

static char *vformat(const char *fmt, va_list ap) {
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0) return strdup("");
    char *buf = malloc((size_t)n + 1);
    vsnprintf(buf, (size_t)n + 1, fmt, ap);
    return buf;
}

static void RM_Log(void *ctx, const char *level, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(fmt, ap);
    va_end(ap);
    mnemo_host.log(ctx, level, msg);
    free(msg);
}

static void RM_LogIOError(void *io, const char *level, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(fmt, ap);
    va_end(ap);
    mnemo_host.logIO(io, level, msg);
    free(msg);
}

static void *RM_CreateStringPrintf(void *ctx, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(fmt, ap);
    va_end(ap);
    void *s = mnemo_host.createString(ctx, msg, strlen(msg));
    free(msg);
    return s;
}

static int RM_ReplyWithErrorFormat(void *ctx, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(fmt, ap);
    va_end(ap);
    int rc = mnemo_host.replyWithError(ctx, msg);
    free(msg);
    return rc;
}

#define HASH_CFIELDS (1 << 2)
#define HASH_EXISTS (1 << 3)
#define HASH_DELETE ((void *)(long)1)

/* A HashSet/HashGet field: a C string under HASH_CFIELDS, else a RedisModuleString. */
static const char *hash_field(int flags, void *field, size_t *len) {
    if (flags & HASH_CFIELDS) {
        *len = strlen(field);
        return field;
    }
    return mnemo_host.stringPtrLen(field, len);
}

static int RM_HashSet(void *key, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    int count = 0;
    for (;;) {
        void *field = va_arg(ap, void *);
        if (field == NULL) break;
        void *value = va_arg(ap, void *);
        size_t flen;
        const char *f = hash_field(flags, field, &flen);
        int rc;
        if (value == HASH_DELETE) {
            rc = mnemo_host.hashSetField(key, flags, f, flen, NULL, 0, 1);
        } else {
            size_t vlen = 0;
            const char *v = mnemo_host.stringPtrLen(value, &vlen);
            rc = mnemo_host.hashSetField(key, flags, f, flen, v, vlen, 0);
        }
        if (rc < 0) {
            va_end(ap);
            errno = ENOTSUP;
            return 0;
        }
        count += rc;
    }
    va_end(ap);
    return count;
}

static int RM_HashGet(void *key, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    for (;;) {
        void *field = va_arg(ap, void *);
        if (field == NULL) break;
        void *out = va_arg(ap, void *);
        size_t flen;
        const char *f = hash_field(flags, field, &flen);
        if (mnemo_host.hashGetField(key, flags, f, flen, out) < 0) {
            va_end(ap);
            return ERR;
        }
    }
    va_end(ap);
    return OK;
}

/* ---- long double helpers (Swift has no portable long double) ---- */

size_t mnemo_format_long_double(const void *value, int humanfriendly, char *buf, size_t cap) {
    long double v;
    memcpy(&v, value, sizeof(v));
    int n;
    if (humanfriendly) {
        n = snprintf(buf, cap, "%.17Lf", v);
        if (n > 0 && (size_t)n < cap && strchr(buf, '.')) {
            char *p = buf + n - 1;
            while (*p == '0') p--;
            if (*p == '.') p--;
            p[1] = 0;
            n = (int)(p + 1 - buf);
        }
    } else {
        n = snprintf(buf, cap, "%.17Lg", v);
    }
    return n < 0 ? 0 : (size_t)n;
}

int mnemo_parse_long_double(const char *s, size_t len, void *out) {
    char buf[256];
    if (len == 0 || len >= sizeof(buf)) return ERR;
    memcpy(buf, s, len);
    buf[len] = 0;
    if (buf[0] == ' ' || buf[len - 1] == ' ') return ERR;
    char *end;
    errno = 0;
    long double v = strtold(buf, &end);
    if (*end != 0 || errno == ERANGE || v != v) return ERR;
    memcpy(out, &v, sizeof(v));
    return OK;
}

typedef void *(*create_string_fn)(void *ctx, const char *ptr, size_t len);
typedef int (*reply_buffer_fn)(void *ctx, const char *ptr, size_t len);
typedef void (*save_buffer_fn)(void *io, const char *ptr, size_t len);
typedef char *(*load_buffer_fn)(void *io, size_t *len);
typedef void (*free_fn)(void *p);

static void *RM_CreateStringFromLongDouble(void *ctx, long double ld, int humanfriendly) {
    char buf[5 * 1024];
    size_t n = mnemo_format_long_double(&ld, humanfriendly, buf, sizeof(buf));
    return mnemo_host.createString(ctx, buf, n);
}

static int RM_StringToLongDouble(const void *str, long double *ld) {
    size_t len = 0;
    const char *s = mnemo_host.stringPtrLen(str, &len);
    return mnemo_parse_long_double(s, len, ld);
}

static int RM_ReplyWithLongDouble(void *ctx, long double ld) {
    char buf[5 * 1024];
    size_t n = mnemo_format_long_double(&ld, 1, buf, sizeof(buf));
    reply_buffer_fn f = (reply_buffer_fn)api_lookup("RedisModule_ReplyWithStringBuffer");
    return f(ctx, buf, n);
}

static void RM_SaveLongDouble(void *io, long double ld) {
    char buf[256];
    int n = snprintf(buf, sizeof(buf), "%La", ld);
    save_buffer_fn f = (save_buffer_fn)api_lookup("RedisModule_SaveStringBuffer");
    f(io, buf, n < 0 ? 0 : (size_t)n);
}

static long double RM_LoadLongDouble(void *io) {
    load_buffer_fn f = (load_buffer_fn)api_lookup("RedisModule_LoadStringBuffer");
    size_t len = 0;
    char *s = f(io, &len);
    long double v = 0;
    if (s) {
        mnemo_parse_long_double(s, len, &v);
        ((free_fn)api_lookup("RedisModule_Free"))(s);
    }
    return v;
}

/* ---- calls through module function pointers ---- */

int mnemo_invoke_command(void *fn, void *ctx, void **argv, int argc) {
    return ((mnemo_cmd_func)fn)(ctx, argv, argc);
}
void *mnemo_invoke_rdb_load(void *fn, void *io, int encver) { return ((mnemo_rdb_load_func)fn)(io, encver); }
void mnemo_invoke_rdb_save(void *fn, void *io, void *value) { ((mnemo_rdb_save_func)fn)(io, value); }
void mnemo_invoke_aof_rewrite(void *fn, void *io, void *key, void *value) {
    ((mnemo_aof_rewrite_func)fn)(io, key, value);
}
size_t mnemo_invoke_mem_usage(void *fn, const void *value) { return ((mnemo_mem_usage_func)fn)(value); }
void mnemo_invoke_digest(void *fn, void *md, void *value) { ((mnemo_digest_func)fn)(md, value); }
void mnemo_invoke_free(void *fn, void *value) { ((mnemo_free_func)fn)(value); }
void *mnemo_invoke_copy(void *fn, void *fromkey, void *tokey, const void *value) {
    return ((mnemo_copy_func)fn)(fromkey, tokey, value);
}
void mnemo_invoke_ctx_callback(void *fn, void *ctx, void *data) { ((mnemo_ctx_callback_func)fn)(ctx, data); }
int mnemo_invoke_unload(void *fn, void *ctx) { return ((int (*)(void *))fn)(ctx); }

/* RedisModuleTypeMethods as the API defines it, version by version. */
typedef struct ModuleTypeMethodsV4 {
    uint64_t version;
    void *rdb_load, *rdb_save, *aof_rewrite, *mem_usage, *digest, *free;
    void *aux_load, *aux_save;
    int aux_save_triggers;
    void *free_effort, *unlink, *copy, *defrag;
    void *mem_usage2, *free_effort2, *unlink2, *copy2;
} ModuleTypeMethodsV4;

void mnemo_read_type_methods(const void *module_methods, MnemoTypeMethods *out) {
    const ModuleTypeMethodsV4 *m = module_methods;
    memset(out, 0, sizeof(*out));
    out->version = m->version;
    out->rdb_load = m->rdb_load;
    out->rdb_save = m->rdb_save;
    out->aof_rewrite = m->aof_rewrite;
    out->mem_usage = m->mem_usage;
    out->digest = m->digest;
    out->free = m->free;
    if (m->version >= 2) {
        out->aux_load = m->aux_load;
        out->aux_save = m->aux_save;
        out->aux_save_triggers = m->aux_save_triggers;
    }
    if (m->version >= 3) {
        out->free_effort = m->free_effort;
        out->unlink = m->unlink;
        out->copy = m->copy;
    }
}

void mnemo_dict_register(void);

void mnemo_abi_register_c_functions(void) {
    mnemo_api_register("RedisModule_Call", (void *)RM_Call);
    mnemo_api_register("RedisModule_Replicate", (void *)RM_Replicate);
    mnemo_api_register("RedisModule_EmitAOF", (void *)RM_EmitAOF);
    mnemo_api_register("RedisModule_Log", (void *)RM_Log);
    mnemo_api_register("RedisModule_LogIOError", (void *)RM_LogIOError);
    mnemo_api_register("RedisModule_CreateStringPrintf", (void *)RM_CreateStringPrintf);
    mnemo_api_register("RedisModule_ReplyWithErrorFormat", (void *)RM_ReplyWithErrorFormat);
    mnemo_api_register("RedisModule_HashSet", (void *)RM_HashSet);
    mnemo_api_register("RedisModule_HashGet", (void *)RM_HashGet);
    mnemo_api_register("RedisModule_CreateStringFromLongDouble", (void *)RM_CreateStringFromLongDouble);
    mnemo_api_register("RedisModule_StringToLongDouble", (void *)RM_StringToLongDouble);
    mnemo_api_register("RedisModule_ReplyWithLongDouble", (void *)RM_ReplyWithLongDouble);
    mnemo_api_register("RedisModule_SaveLongDouble", (void *)RM_SaveLongDouble);
    mnemo_api_register("RedisModule_LoadLongDouble", (void *)RM_LoadLongDouble);
    mnemo_dict_register();
}
