/* The module dict API (RedisModule_CreateDict …): an ordered map of byte keys, kept as a
 * sorted array with binary search; iterators seek with ^ $ > >= < <= == as the API does. */
#include "ModuleABI.h"

#include <stdlib.h>
#include <string.h>

#define OK 0
#define ERR 1

typedef struct DictEntry {
    unsigned char *key;
    size_t len;
    void *val;
} DictEntry;

typedef struct MnemoDict {
    DictEntry *e;
    size_t count, cap;
} MnemoDict;

typedef struct MnemoDictIter {
    MnemoDict *d;
    long pos;     /* current element; -1 or count = beyond the ends */
    int fresh;    /* just sought: the next Next/Prev returns pos itself */
    unsigned char *lastkey; /* copy of the key returned by the last NextC/PrevC */
} MnemoDictIter;

static int keycmp(const void *a, size_t alen, const void *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int c = memcmp(a, b, n);
    if (c) return c;
    return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

/* Index of the first entry >= key; *found set if equal. */
static size_t lower_bound(MnemoDict *d, const void *key, size_t len, int *found) {
    size_t lo = 0, hi = d->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (keycmp(d->e[mid].key, d->e[mid].len, key, len) < 0) lo = mid + 1;
        else hi = mid;
    }
    *found = lo < d->count && keycmp(d->e[lo].key, d->e[lo].len, key, len) == 0;
    return lo;
}

static void *CreateDict(void *ctx) {
    (void)ctx;
    return calloc(1, sizeof(MnemoDict));
}

static void FreeDict(void *ctx, MnemoDict *d) {
    (void)ctx;
    if (!d) return;
    for (size_t i = 0; i < d->count; i++) free(d->e[i].key);
    free(d->e);
    free(d);
}

static uint64_t DictSize(MnemoDict *d) { return d->count; }

static int insert(MnemoDict *d, void *key, size_t len, void *ptr, int replace) {
    int found;
    size_t i = lower_bound(d, key, len, &found);
    if (found) {
        if (replace) d->e[i].val = ptr;
        return ERR;
    }
    if (d->count == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->e = realloc(d->e, d->cap * sizeof(DictEntry));
    }
    memmove(&d->e[i + 1], &d->e[i], (d->count - i) * sizeof(DictEntry));
    d->e[i].key = malloc(len ? len : 1);
    memcpy(d->e[i].key, key, len);
    d->e[i].len = len;
    d->e[i].val = ptr;
    d->count++;
    return OK;
}

static int DictSetC(MnemoDict *d, void *key, size_t len, void *ptr) { return insert(d, key, len, ptr, 0); }
static int DictReplaceC(MnemoDict *d, void *key, size_t len, void *ptr) { return insert(d, key, len, ptr, 1); }

static void *DictGetC(MnemoDict *d, void *key, size_t len, int *nokey) {
    int found;
    size_t i = lower_bound(d, key, len, &found);
    if (nokey) *nokey = !found;
    return found ? d->e[i].val : NULL;
}

static int DictDelC(MnemoDict *d, void *key, size_t len, void *oldval) {
    int found;
    size_t i = lower_bound(d, key, len, &found);
    if (!found) return ERR;
    if (oldval) *(void **)oldval = d->e[i].val;
    free(d->e[i].key);
    memmove(&d->e[i], &d->e[i + 1], (d->count - i - 1) * sizeof(DictEntry));
    d->count--;
    return OK;
}

#define STR(s, lenvar) const char *s##_p = mnemo_host.stringPtrLen(s, &lenvar)

static int DictSet(MnemoDict *d, void *key, void *ptr) {
    size_t n; STR(key, n); return DictSetC(d, (void *)key_p, n, ptr);
}
static int DictReplace(MnemoDict *d, void *key, void *ptr) {
    size_t n; STR(key, n); return DictReplaceC(d, (void *)key_p, n, ptr);
}
static void *DictGet(MnemoDict *d, void *key, int *nokey) {
    size_t n; STR(key, n); return DictGetC(d, (void *)key_p, n, nokey);
}
static int DictDel(MnemoDict *d, void *key, void *oldval) {
    size_t n; STR(key, n); return DictDelC(d, (void *)key_p, n, oldval);
}

static int seek(MnemoDictIter *it, const char *op, void *key, size_t len) {
    MnemoDict *d = it->d;
    int found;
    it->fresh = 1;
    if (strcmp(op, "^") == 0) { it->pos = 0; return OK; }
    if (strcmp(op, "$") == 0) { it->pos = (long)d->count - 1; return OK; }
    size_t i = lower_bound(d, key, len, &found);
    if (strcmp(op, ">=") == 0) it->pos = (long)i;
    else if (strcmp(op, ">") == 0) it->pos = (long)(found ? i + 1 : i);
    else if (strcmp(op, "<=") == 0) it->pos = found ? (long)i : (long)i - 1;
    else if (strcmp(op, "<") == 0) it->pos = (long)i - 1;
    else if (strcmp(op, "==") == 0) it->pos = found ? (long)i : (long)d->count;
    else { it->pos = (long)d->count; return ERR; }
    return OK;
}

static MnemoDictIter *DictIteratorStartC(MnemoDict *d, const char *op, void *key, size_t len) {
    MnemoDictIter *it = calloc(1, sizeof(*it));
    it->d = d;
    seek(it, op, key, len);
    return it;
}
static MnemoDictIter *DictIteratorStart(MnemoDict *d, const char *op, void *key) {
    size_t n = 0;
    const char *p = key ? mnemo_host.stringPtrLen(key, &n) : NULL;
    return DictIteratorStartC(d, op, (void *)p, n);
}
static void DictIteratorStop(MnemoDictIter *it) {
    if (!it) return;
    free(it->lastkey);
    free(it);
}
static int DictIteratorReseekC(MnemoDictIter *it, const char *op, void *key, size_t len) { return seek(it, op, key, len); }
static int DictIteratorReseek(MnemoDictIter *it, const char *op, void *key) {
    size_t n; STR(key, n); return seek(it, op, (void *)key_p, n);
}

static DictEntry *step(MnemoDictIter *it, int dir) {
    if (!it->fresh) it->pos += dir;
    it->fresh = 0;
    if (it->pos < 0 || it->pos >= (long)it->d->count) return NULL;
    return &it->d->e[it->pos];
}

static void *nextC(MnemoDictIter *it, int dir, size_t *keylen, void **dataptr) {
    DictEntry *e = step(it, dir);
    if (!e) return NULL;
    free(it->lastkey);
    it->lastkey = malloc(e->len + 1);
    memcpy(it->lastkey, e->key, e->len);
    it->lastkey[e->len] = 0;
    if (keylen) *keylen = e->len;
    if (dataptr) *dataptr = e->val;
    return it->lastkey;
}
static void *DictNextC(MnemoDictIter *it, size_t *keylen, void **dataptr) { return nextC(it, 1, keylen, dataptr); }
static void *DictPrevC(MnemoDictIter *it, size_t *keylen, void **dataptr) { return nextC(it, -1, keylen, dataptr); }

static void *DictNext(void *ctx, MnemoDictIter *it, void **dataptr) {
    size_t n;
    void *k = nextC(it, 1, &n, dataptr);
    return k ? mnemo_host.createString(ctx, k, n) : NULL;
}
static void *DictPrev(void *ctx, MnemoDictIter *it, void **dataptr) {
    size_t n;
    void *k = nextC(it, -1, &n, dataptr);
    return k ? mnemo_host.createString(ctx, k, n) : NULL;
}

/* Compares the element the iterator is at with key: OK when `current op key` holds. */
static int DictCompareC(MnemoDictIter *it, const char *op, void *key, size_t len) {
    if (it->pos < 0 || it->pos >= (long)it->d->count) return ERR;
    DictEntry *e = &it->d->e[it->pos];
    int c = keycmp(e->key, e->len, key, len);
    int ok;
    if (strcmp(op, ">") == 0) ok = c > 0;
    else if (strcmp(op, ">=") == 0) ok = c >= 0;
    else if (strcmp(op, "<") == 0) ok = c < 0;
    else if (strcmp(op, "<=") == 0) ok = c <= 0;
    else if (strcmp(op, "==") == 0) ok = c == 0;
    else if (strcmp(op, "^") == 0 || strcmp(op, "$") == 0) ok = 1;
    else ok = 0;
    return ok ? OK : ERR;
}
static int DictCompare(MnemoDictIter *it, const char *op, void *key) {
    size_t n; STR(key, n); return DictCompareC(it, op, (void *)key_p, n);
}

void mnemo_dict_register(void) {
#define REG(f) mnemo_api_register("RedisModule_" #f, (void *)f)
    REG(CreateDict); REG(FreeDict); REG(DictSize); REG(DictSetC); REG(DictReplaceC); REG(DictSet);
    REG(DictReplace); REG(DictGetC); REG(DictGet); REG(DictDelC); REG(DictDel);
    REG(DictIteratorStartC); REG(DictIteratorStart); REG(DictIteratorStop); REG(DictIteratorReseekC);
    REG(DictIteratorReseek); REG(DictNextC); REG(DictPrevC); REG(DictNext); REG(DictPrev);
    REG(DictCompareC); REG(DictCompare);
#undef REG
}
