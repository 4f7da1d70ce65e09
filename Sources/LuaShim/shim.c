#include "LuaShim.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Debian's lua-cjson and lua-bitop (the same libraries Redis embeds). */
int luaopen_cjson(lua_State *L);
int luaopen_bit(lua_State *L);

/* ---------------------------------------------------------------- heap and VM */

static void *mnemo_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    mnemo_heap *h = (mnemo_heap *)ud;
    size_t old = ptr ? osize : 0; /* without a block, osize tells the object's kind */
    if (nsize == 0) {
        free(ptr);
        h->used -= old;
        return NULL;
    }
    /* Shrinking must never fail; growing fails once the budget is spent (Lua then collects
     * garbage and retries before raising "not enough memory"). */
    if (h->enforce && h->limit && nsize > old && h->used - old + nsize > h->limit) return NULL;
    void *p = ptr ? realloc(ptr, nsize) : malloc(nsize); /* most are new blocks: malloc's path is shorter */
    if (p) h->used = h->used - old + nsize;
    return p;
}

static int mnemo_panic(lua_State *L) {
    const char *msg = lua_tostring(L, -1);
    (void)msg;
    abort();
}

lua_State *mnemo_newstate(mnemo_heap *heap) {
    lua_State *L = lua_newstate(mnemo_alloc, heap);
    if (L) lua_atpanic(L, mnemo_panic);
    return L;
}

mnemo_heap *mnemo_heap_of(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (mnemo_heap *)ud;
}

static const char heap_exceeded[] = "Lua heap limit exceeded (lua-heap-limit)";

static int trampoline(lua_State *L) {
    mnemo_swift_function f = (mnemo_swift_function)lua_touserdata(L, lua_upvalueindex(1));
    mnemo_heap *h = mnemo_heap_of(L);
    int enforce = h->enforce;
    h->enforce = 0; /* Swift code must never see an allocation failure (it would longjmp) */
    int n = f(L);
    h->enforce = enforce;
    if (n < 0) return lua_error(L);
    if (enforce && h->limit && h->used > h->limit) {
        lua_pushstring(L, heap_exceeded);
        return lua_error(L);
    }
    return n;
}

void mnemo_push_function(lua_State *L, mnemo_swift_function f) {
    lua_pushlightuserdata(L, (void *)f);
    lua_pushcclosure(L, trampoline, 1);
}

int mnemo_pcall(lua_State *L, int nargs, int nresults, int msgh) {
    mnemo_heap *h = mnemo_heap_of(L);
    int enforce = h->enforce;
    h->enforce = 1;
    int rc = lua_pcallk(L, nargs, nresults, msgh, 0, NULL);
    h->enforce = enforce;
    return rc;
}

/* The coroutine the run in progress executes in (see "the run watchdog"). */
static lua_State *_Atomic run_state;
/* A coroutine the script made yielded to suspend the run (see armed_coresume). */
static int suspend_requested;

static void count_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    mnemo_heap *h = mnemo_heap_of(L);
    if (!h->hook) return;
    int enforce = h->enforce;
    h->enforce = 0;
    int action = h->hook(L);
    h->enforce = enforce;
    if (action == 1) {
        lua_sethook(L, count_hook, LUA_MASKLINE | LUA_MASKCOUNT, 1);
        /* Raised in a coroutine the script made, the error ends at its resume: the run's own
         * coroutine raises it again at its next instruction. */
        lua_State *run = atomic_load(&run_state);
        if (run && run != L) lua_sethook(run, count_hook, LUA_MASKLINE | LUA_MASKCOUNT, 1);
        lua_error(L);
    }
    /* Suspends the run: a coroutine the script made yields to its resume, which passes the
     * request up (see armed_coresume). */
    if (action == 2 && lua_isyieldable(L)) {
        if (L != atomic_load(&run_state)) suspend_requested = 1;
        lua_yield(L, 0);
    }
}

/* ---------------------------------------------------------------- the run watchdog */

/* While a count hook is installed, Lua 5.4 calls into its hook machinery on every instruction
 * and every return (not only every `count` instructions, as 5.1 did): about a fifth of a short
 * script's VM time. So a run starts without the hook, and a watchdog thread that sees the
 * same run still going on two of its ticks (1 ms apart) sends the run's thread a signal whose
 * handler installs it. Setting a hook from a signal handler is what Lua provides
 * `lua_sethook` for (its own interpreter stops Ctrl-C that way), and the VM rechecks hooks
 * at every jump and call, so a tight loop is caught too. From then on the hook fires every
 * `hook_interval` instructions, as it did from the start before.
 *
 * Runs are serialized by the engine, so one slot describes the run in progress. `run_seq` is
 * odd while a run is in progress and changes with every run; the watchdog parks on a
 * condition variable after a second without runs. */
static _Atomic unsigned long run_seq;
static _Atomic unsigned long run_thread;
static _Atomic int hook_interval = 100000;
static _Atomic int watchdog_parked;
static pthread_mutex_t watchdog_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watchdog_wake = PTHREAD_COND_INITIALIZER;
static pthread_once_t watchdog_once = PTHREAD_ONCE_INIT;
#define WATCHDOG_SIGNAL SIGURG
#define WATCHDOG_TICK_NS 1000000L
#define WATCHDOG_IDLE_TICKS 1000

static void arm_hook(lua_State *L) {
    if (lua_gethook(L) == NULL) lua_sethook(L, count_hook, LUA_MASKCOUNT, atomic_load(&hook_interval));
}

static void watchdog_signal(int sig) {
    (void)sig;
    int saved = errno;
    lua_State *co = atomic_load(&run_state);
    if (co && (atomic_load(&run_seq) & 1) && pthread_equal((pthread_t)atomic_load(&run_thread), pthread_self()))
        arm_hook(co);
    errno = saved;
}

static void *watchdog_main(void *arg) {
    (void)arg;
    unsigned long last = atomic_load(&run_seq), armed = 0;
    int idle = 0;
    for (;;) {
        struct timespec tick = {0, WATCHDOG_TICK_NS};
        nanosleep(&tick, NULL);
        unsigned long seq = atomic_load(&run_seq);
        if ((seq & 1) && seq == last && seq != armed) {
            armed = seq;
            pthread_kill((pthread_t)atomic_load(&run_thread), WATCHDOG_SIGNAL);
        }
        idle = seq == last && !(seq & 1) ? idle + 1 : 0;
        last = seq;
        if (idle < WATCHDOG_IDLE_TICKS) continue;
        /* Parked until a run begins: it sees `watchdog_parked` after its own change of
         * `run_seq`, or we see that change here (both sequentially consistent). */
        pthread_mutex_lock(&watchdog_lock);
        atomic_store(&watchdog_parked, 1);
        while (atomic_load(&run_seq) == last) pthread_cond_wait(&watchdog_wake, &watchdog_lock);
        atomic_store(&watchdog_parked, 0);
        pthread_mutex_unlock(&watchdog_lock);
        idle = 0;
    }
    return NULL;
}

static void watchdog_start(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = watchdog_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(WATCHDOG_SIGNAL, &sa, NULL);
    /* The watchdog takes no signals meant for the process. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t t;
    if (pthread_create(&t, NULL, watchdog_main, NULL) == 0) pthread_detach(t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void mnemo_run_begin(lua_State *co, int interval) {
    pthread_once(&watchdog_once, watchdog_start);
    atomic_store(&hook_interval, interval);
    suspend_requested = 0;
    atomic_store(&run_state, co);
    atomic_store(&run_thread, (unsigned long)pthread_self());
    unsigned long seq = atomic_load(&run_seq);
    atomic_store(&run_seq, (seq | 1) + 2); /* odd: in progress (a continued run counts as new) */
    if (atomic_load(&watchdog_parked)) {
        pthread_mutex_lock(&watchdog_lock);
        pthread_cond_signal(&watchdog_wake);
        pthread_mutex_unlock(&watchdog_lock);
    }
}

void mnemo_run_end(lua_State *co) {
    atomic_store(&run_state, NULL); /* a signal arriving from here on leaves co alone */
    atomic_store(&run_seq, atomic_load(&run_seq) + 1);
    lua_sethook(co, NULL, 0, 0);
}

/* The coroutine library's create, resume and wrap for scripts, with what the run needs:
 * - a coroutine a script makes has the hook from its start (one made before the watchdog
 *   armed the run would otherwise have none, and a run resuming it forever could not be
 *   stopped);
 * - a run past its inline budget is suspended even while it is inside a coroutine it
 *   resumed: the hook yields that coroutine with `suspend_requested` set, and each resume
 *   on the way up yields its own thread in turn, up to the run's, which `mnemo_resume` sees
 *   suspended; continued, each resumes the one below where it stopped.
 * Otherwise they behave as Lua's own: the same results, errors and messages. */
static int resume_step(lua_State *L, lua_State *co, int narg, int wrap);

static int resume_continue(lua_State *L, int status, lua_KContext wrap) {
    (void)status;
    lua_State *co = wrap ? lua_tothread(L, lua_upvalueindex(1)) : lua_tothread(L, 1);
    lua_settop(L, wrap ? 0 : 1);
    return resume_step(L, co, 0, (int)wrap);
}

/* Resumes `co` with the `narg` values on top of L; returns what resume (wrap 0) or the
 * wrapped function (wrap 1) returns. */
static int resume_step(lua_State *L, lua_State *co, int narg, int wrap) {
    int status, nres;
    if (!lua_checkstack(co, narg)) {
        lua_pushliteral(L, "too many arguments to resume");
        status = LUA_ERRRUN;
    } else {
        lua_xmove(L, co, narg);
        for (;;) {
            status = lua_resume(co, L, narg, &nres);
            if (status != LUA_YIELD || !suspend_requested) break;
            if (lua_isyieldable(L)) {
                if (L == atomic_load(&run_state)) suspend_requested = 0;
                return lua_yieldk(L, 0, wrap, resume_continue);
            }
            suspend_requested = 0; /* cannot go up from here: the run goes on */
            narg = 0;
        }
        if (status == LUA_OK || status == LUA_YIELD) {
            if (!lua_checkstack(L, nres + 1)) {
                lua_pop(co, nres);
                lua_pushliteral(L, "too many results to resume");
                status = LUA_ERRRUN;
            } else {
                if (!wrap) lua_pushboolean(L, 1);
                lua_xmove(co, L, nres);
                return wrap ? nres : nres + 1;
            }
        } else {
            lua_xmove(co, L, 1);
        }
    }
    if (!wrap) {
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    int costatus = lua_status(co);
    if (costatus != LUA_OK && costatus != LUA_YIELD) lua_resetthread(co);
    if (status != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

static int armed_cocreate(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *NL = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, NL, 1);
    arm_hook(NL);
    return 1;
}

static int armed_coresume(lua_State *L) {
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co != NULL, 1, "coroutine");
    return resume_step(L, co, lua_gettop(L) - 1, 0);
}

static int armed_wrap_call(lua_State *L) {
    return resume_step(L, lua_tothread(L, lua_upvalueindex(1)), lua_gettop(L), 1);
}

static int armed_cowrap(lua_State *L) {
    armed_cocreate(L);
    lua_pushcclosure(L, armed_wrap_call, 1);
    return 1;
}

/* ---------------------------------------------------------------- suspendable runs */

/* After the protected call ends, at once or after yields: the result and its status. */
static int run_finish(lua_State *co, int status, lua_KContext ctx) {
    (void)ctx;
    lua_pushinteger(co, status == LUA_YIELD ? LUA_OK : status);
    return 2;
}

/* The coroutine's body: [msgh, fn, args...] -> fn's result (or the handled error), status. */
static int run_body(lua_State *co) {
    int nargs = lua_gettop(co) - 2;
    int status = lua_pcallk(co, nargs, 1, 1, 0, run_finish);
    return run_finish(co, status, 0);
}

/* Resumes `co` with `nargs` values already on its stack; moves the outcome to L. */
static int run_step(lua_State *L, lua_State *co, int nargs) {
    mnemo_heap *h = mnemo_heap_of(L);
    int enforce = h->enforce;
    h->enforce = 1;
    int nres = 0;
    int rc = lua_resume(co, L, nargs, &nres);
    h->enforce = enforce;
    if (rc == LUA_YIELD) return LUA_YIELD; /* suspended by the hook: its frames stay on co */
    if (rc == LUA_OK) {
        /* result, status */
        int status = (int)lua_tointeger(co, -1);
        lua_pop(co, 1);
        lua_xmove(co, L, 1);
        lua_settop(co, 0);
        return status;
    }
    /* An error outside the protected call (e.g. in the message handler): reset the coroutine. */
    lua_xmove(co, L, 1);
    lua_resetthread(co);
    return rc;
}

int mnemo_resume(lua_State *L, lua_State *co, int nargs) {
    lua_pushcfunction(co, run_body);
    lua_xmove(L, co, nargs + 2);
    return run_step(L, co, nargs + 2);
}

int mnemo_continue(lua_State *L, lua_State *co) {
    return run_step(L, co, 0);
}

int mnemo_load(lua_State *L, const char *buf, size_t len, const char *chunkname) {
    return luaL_loadbufferx(L, buf, len, chunkname, "t");
}

void mnemo_gc_collect(lua_State *L) { lua_gc(L, LUA_GCCOLLECT); }

size_t mnemo_heap_used(lua_State *L) { return mnemo_heap_of(L)->used; }

/* ---------------------------------------------------------------- math (5.1 surface) */

static uint64_t rand48_state = 0x1234ABCD330EULL; /* rand48's initial state, as in Redis */

void mnemo_rand48_seed(int seed) {
    rand48_state = ((uint64_t)(uint32_t)seed << 16) | 0x330E;
}

static int32_t rand48_next(void) {
    rand48_state = (0x5DEECE66DULL * rand48_state + 0xB) & 0xFFFFFFFFFFFFULL;
    return (int32_t)(rand48_state >> 17);
}

static int math_random(lua_State *L) {
    const double max = 2147483647.0;
    double r = (double)(rand48_next() % 2147483647) / max;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, r);
        break;
    case 1: {
        lua_Integer u = luaL_checkinteger(L, 1);
        luaL_argcheck(L, 1 <= u, 1, "interval is empty");
        lua_pushinteger(L, (lua_Integer)floor(r * (double)u) + 1);
        break;
    }
    case 2: {
        lua_Integer l = luaL_checkinteger(L, 1);
        lua_Integer u = luaL_checkinteger(L, 2);
        luaL_argcheck(L, l <= u, 2, "interval is empty");
        lua_pushinteger(L, (lua_Integer)floor(r * (double)(u - l + 1)) + l);
        break;
    }
    default:
        return luaL_error(L, "wrong number of arguments");
    }
    return 1;
}

static int math_randomseed(lua_State *L) {
    mnemo_rand48_seed((int)luaL_checkinteger(L, 1));
    return 0;
}

static int math_pow(lua_State *L) {
    lua_pushnumber(L, pow(luaL_checknumber(L, 1), luaL_checknumber(L, 2)));
    return 1;
}
static int math_ldexp(lua_State *L) {
    lua_pushnumber(L, ldexp(luaL_checknumber(L, 1), (int)luaL_checkinteger(L, 2)));
    return 1;
}
static int math_frexp(lua_State *L) {
    int e;
    lua_pushnumber(L, frexp(luaL_checknumber(L, 1), &e));
    lua_pushinteger(L, e);
    return 2;
}
static int math_cosh(lua_State *L) { lua_pushnumber(L, cosh(luaL_checknumber(L, 1))); return 1; }
static int math_sinh(lua_State *L) { lua_pushnumber(L, sinh(luaL_checknumber(L, 1))); return 1; }
static int math_tanh(lua_State *L) { lua_pushnumber(L, tanh(luaL_checknumber(L, 1))); return 1; }
static int math_log10(lua_State *L) { lua_pushnumber(L, log10(luaL_checknumber(L, 1))); return 1; }
static int math_atan2(lua_State *L) {
    lua_pushnumber(L, atan2(luaL_checknumber(L, 1), luaL_checknumber(L, 2)));
    return 1;
}

static const luaL_Reg math_compat[] = {
    {"random", math_random}, {"randomseed", math_randomseed}, {"pow", math_pow},
    {"ldexp", math_ldexp}, {"frexp", math_frexp}, {"cosh", math_cosh}, {"sinh", math_sinh},
    {"tanh", math_tanh}, {"log10", math_log10}, {"atan2", math_atan2}, {NULL, NULL}};

/* ---------------------------------------------------------------- cmsgpack */

#define MP_MAX_NESTING 16

/* A growable output buffer kept in a userdata at a fixed stack slot, so a Lua error in the
 * middle of packing leaks nothing. */
typedef struct {
    lua_State *L;
    int slot;
    unsigned char *p;
    size_t len, cap;
} mp_buf;

static void mp_reserve(mp_buf *b, size_t n) {
    if (b->len + n <= b->cap) return;
    size_t cap = b->cap ? b->cap * 2 : 128;
    while (cap < b->len + n) cap *= 2;
    unsigned char *p = (unsigned char *)lua_newuserdatauv(b->L, cap, 0);
    if (b->len) memcpy(p, b->p, b->len);
    lua_replace(b->L, b->slot);
    b->p = p;
    b->cap = cap;
}

static void mp_put(mp_buf *b, const void *src, size_t n) {
    mp_reserve(b, n);
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void mp_byte(mp_buf *b, unsigned char c) { mp_put(b, &c, 1); }

static void mp_be(mp_buf *b, unsigned char tag, uint64_t v, int bytes) {
    unsigned char out[9];
    out[0] = tag;
    for (int i = 0; i < bytes; i++) out[1 + i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
    mp_put(b, out, (size_t)bytes + 1);
}

static void mp_int(mp_buf *b, int64_t v) {
    if (v >= 0) {
        uint64_t u = (uint64_t)v;
        if (u <= 127) mp_byte(b, (unsigned char)u);
        else if (u <= 0xff) mp_be(b, 0xcc, u, 1);
        else if (u <= 0xffff) mp_be(b, 0xcd, u, 2);
        else if (u <= 0xffffffffULL) mp_be(b, 0xce, u, 4);
        else mp_be(b, 0xcf, u, 8);
    } else {
        if (v >= -32) mp_byte(b, (unsigned char)(0xe0 | (v + 32)));
        else if (v >= -128) mp_be(b, 0xd0, (uint64_t)v & 0xff, 1);
        else if (v >= -32768) mp_be(b, 0xd1, (uint64_t)v & 0xffff, 2);
        else if (v >= -2147483648LL) mp_be(b, 0xd2, (uint64_t)v & 0xffffffffULL, 4);
        else mp_be(b, 0xd3, (uint64_t)v, 8);
    }
}

static void mp_double(mp_buf *b, double d) {
    float f = (float)d;
    if ((double)f == d) {
        uint32_t bits;
        memcpy(&bits, &f, 4);
        mp_be(b, 0xca, bits, 4);
    } else {
        uint64_t bits;
        memcpy(&bits, &d, 8);
        mp_be(b, 0xcb, bits, 8);
    }
}

static void mp_len_header(mp_buf *b, size_t n, unsigned char fix, unsigned char fixmax,
                          unsigned char t8, unsigned char t16, unsigned char t32) {
    if (n <= fixmax) mp_byte(b, (unsigned char)(fix | n));
    else if (t8 && n <= 0xff) mp_be(b, t8, n, 1);
    else if (n <= 0xffff) mp_be(b, t16, n, 2);
    else mp_be(b, t32, n, 4);
}

/* An array if its keys are exactly 1..n (an empty table is an empty array). */
static int mp_is_array(lua_State *L, int idx, size_t *count) {
    size_t n = 0;
    double max = 0;
    int array = 1;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        n++;
        if (lua_type(L, -1) == LUA_TNUMBER) {
            double d = lua_tonumber(L, -1);
            if (d > 0 && d == floor(d)) {
                if (d > max) max = d;
                continue;
            }
        }
        array = 0;
    }
    *count = n;
    return array && max == (double)n;
}

static void mp_encode(lua_State *L, mp_buf *b, int idx, int level);

static void mp_encode_table(lua_State *L, mp_buf *b, int idx, int level) {
    size_t n;
    if (level >= MP_MAX_NESTING || !lua_checkstack(L, 4)) {
        mp_byte(b, 0xc0);
        return;
    }
    if (mp_is_array(L, idx, &n)) {
        mp_len_header(b, n, 0x90, 15, 0, 0xdc, 0xdd);
        for (size_t i = 1; i <= n; i++) {
            lua_rawgeti(L, idx, (lua_Integer)i);
            mp_encode(L, b, lua_gettop(L), level + 1);
            lua_pop(L, 1);
        }
    } else {
        mp_len_header(b, n, 0x80, 15, 0, 0xde, 0xdf);
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            mp_encode(L, b, lua_gettop(L) - 1, level + 1);
            mp_encode(L, b, lua_gettop(L), level + 1);
            lua_pop(L, 1);
        }
    }
}

static void mp_encode(lua_State *L, mp_buf *b, int idx, int level) {
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN:
        mp_byte(b, lua_toboolean(L, idx) ? 0xc3 : 0xc2);
        break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            mp_int(b, (int64_t)lua_tointeger(L, idx));
        } else {
            double d = lua_tonumber(L, idx);
            if (isfinite(d) && d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
                mp_int(b, (int64_t)d);
            else
                mp_double(b, d);
        }
        break;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        mp_len_header(b, len, 0xa0, 31, 0xd9, 0xda, 0xdb);
        mp_put(b, s, len);
        break;
    }
    case LUA_TTABLE:
        mp_encode_table(L, b, idx, level);
        break;
    default:
        mp_byte(b, 0xc0);
    }
}

static int mp_pack(lua_State *L) {
    int n = lua_gettop(L);
    if (n == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
    lua_pushnil(L); /* the buffer's slot */
    mp_buf b = {L, n + 1, NULL, 0, 0};
    for (int i = 1; i <= n; i++) mp_encode(L, &b, i, 0);
    lua_pushlstring(L, (const char *)b.p, b.len);
    return 1;
}

typedef struct {
    const unsigned char *p;
    size_t left;
} mp_cur;

static uint64_t mp_read_be(const unsigned char *p, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v = (v << 8) | p[i];
    return v;
}

/* Decodes one object onto the stack; returns 0 for missing bytes, -1 for bad data. */
static int mp_decode(lua_State *L, mp_cur *c, int depth) {
    if (c->left == 0) return 0;
    if (depth > 1000 || !lua_checkstack(L, 3)) return -1;
    unsigned char t = c->p[0];
#define NEED(n) do { if (c->left < (size_t)(n)) return 0; } while (0)
#define SKIP(n) do { c->p += (n); c->left -= (n); } while (0)
    if (t <= 0x7f) { lua_pushinteger(L, t); SKIP(1); return 1; }
    if (t >= 0xe0) { lua_pushinteger(L, (int8_t)t); SKIP(1); return 1; }
    size_t len = 0;
    int kind = 0; /* 1 string, 2 array, 3 map */
    if ((t & 0xe0) == 0xa0) { len = t & 0x1f; kind = 1; SKIP(1); }
    else if ((t & 0xf0) == 0x90) { len = t & 0x0f; kind = 2; SKIP(1); }
    else if ((t & 0xf0) == 0x80) { len = t & 0x0f; kind = 3; SKIP(1); }
    else {
        switch (t) {
        case 0xc0: lua_pushnil(L); SKIP(1); return 1;
        case 0xc2: lua_pushboolean(L, 0); SKIP(1); return 1;
        case 0xc3: lua_pushboolean(L, 1); SKIP(1); return 1;
        case 0xcc: NEED(2); lua_pushinteger(L, c->p[1]); SKIP(2); return 1;
        case 0xcd: NEED(3); lua_pushinteger(L, (lua_Integer)mp_read_be(c->p + 1, 2)); SKIP(3); return 1;
        case 0xce: NEED(5); lua_pushinteger(L, (lua_Integer)mp_read_be(c->p + 1, 4)); SKIP(5); return 1;
        case 0xcf: {
            NEED(9);
            uint64_t u = mp_read_be(c->p + 1, 8);
            if (u > (uint64_t)INT64_MAX) lua_pushnumber(L, (double)u);
            else lua_pushinteger(L, (lua_Integer)u);
            SKIP(9);
            return 1;
        }
        case 0xd0: NEED(2); lua_pushinteger(L, (int8_t)c->p[1]); SKIP(2); return 1;
        case 0xd1: NEED(3); lua_pushinteger(L, (int16_t)mp_read_be(c->p + 1, 2)); SKIP(3); return 1;
        case 0xd2: NEED(5); lua_pushinteger(L, (int32_t)mp_read_be(c->p + 1, 4)); SKIP(5); return 1;
        case 0xd3: NEED(9); lua_pushinteger(L, (int64_t)mp_read_be(c->p + 1, 8)); SKIP(9); return 1;
        case 0xca: {
            NEED(5);
            uint32_t bits = (uint32_t)mp_read_be(c->p + 1, 4);
            float f;
            memcpy(&f, &bits, 4);
            lua_pushnumber(L, (double)f);
            SKIP(5);
            return 1;
        }
        case 0xcb: {
            NEED(9);
            uint64_t bits = mp_read_be(c->p + 1, 8);
            double d;
            memcpy(&d, &bits, 8);
            lua_pushnumber(L, d);
            SKIP(9);
            return 1;
        }
        case 0xd9: case 0xc4: NEED(2); len = c->p[1]; kind = 1; SKIP(2); break;
        case 0xda: case 0xc5: NEED(3); len = (size_t)mp_read_be(c->p + 1, 2); kind = 1; SKIP(3); break;
        case 0xdb: case 0xc6: NEED(5); len = (size_t)mp_read_be(c->p + 1, 4); kind = 1; SKIP(5); break;
        case 0xdc: NEED(3); len = (size_t)mp_read_be(c->p + 1, 2); kind = 2; SKIP(3); break;
        case 0xdd: NEED(5); len = (size_t)mp_read_be(c->p + 1, 4); kind = 2; SKIP(5); break;
        case 0xde: NEED(3); len = (size_t)mp_read_be(c->p + 1, 2); kind = 3; SKIP(3); break;
        case 0xdf: NEED(5); len = (size_t)mp_read_be(c->p + 1, 4); kind = 3; SKIP(5); break;
        default: return -1;
        }
    }
    if (kind == 1) {
        NEED(len);
        lua_pushlstring(L, (const char *)c->p, len);
        SKIP(len);
        return 1;
    }
    /* Every element takes at least one byte: a length beyond the input is missing bytes. */
    if ((kind == 2 && len > c->left) || (kind == 3 && len > c->left / 2)) return 0;
    lua_createtable(L, kind == 2 ? (int)len : 0, kind == 3 ? (int)len : 0);
    int table = lua_gettop(L);
    for (size_t i = 0; i < len; i++) {
        int rc = mp_decode(L, c, depth + 1);
        if (rc <= 0) return rc;
        if (kind == 2) {
            lua_rawseti(L, table, (lua_Integer)i + 1);
        } else {
            rc = mp_decode(L, c, depth + 1);
            if (rc <= 0) return rc;
            if (lua_isnil(L, -2)) lua_pop(L, 2); /* a nil key cannot be stored */
            else lua_rawset(L, table);
        }
    }
    return 1;
#undef NEED
#undef SKIP
}

/* Decodes up to `limit` objects (0 = all) from `offset`. With a limit, the offset of the
 * next object (-1 at the end) comes first, as Redis's unpack_one / unpack_limit return. */
static int mp_unpack_full(lua_State *L, lua_Integer limit, lua_Integer offset) {
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    if (offset < 0 || (size_t)offset > len)
        return luaL_error(L, "Start offset %d greater than input length %d.", (int)offset, (int)len);
    mp_cur c = {(const unsigned char *)s + offset, len - (size_t)offset};
    int base = lua_gettop(L);
    if (limit > 0) lua_pushnil(L); /* the next offset goes here */
    int count = 0;
    while (c.left > 0 && (limit == 0 || count < limit)) {
        int rc = mp_decode(L, &c, 0);
        if (rc == 0) return luaL_error(L, "Missing bytes in input.");
        if (rc < 0) return luaL_error(L, "Bad data format in input.");
        count++;
    }
    if (limit > 0) {
        lua_pushinteger(L, c.left == 0 ? -1 : (lua_Integer)(len - c.left));
        lua_replace(L, base + 1);
        return count + 1;
    }
    return count;
}

static int mp_unpack(lua_State *L) { return mp_unpack_full(L, 0, 0); }
static int mp_unpack_one(lua_State *L) {
    lua_Integer offset = luaL_optinteger(L, 2, 0);
    lua_settop(L, 1);
    return mp_unpack_full(L, 1, offset);
}
static int mp_unpack_limit(lua_State *L) {
    lua_Integer limit = luaL_checkinteger(L, 2);
    lua_Integer offset = luaL_optinteger(L, 3, 0);
    lua_settop(L, 1);
    return mp_unpack_full(L, limit, offset);
}

static const luaL_Reg cmsgpack_funcs[] = {
    {"pack", mp_pack}, {"unpack", mp_unpack}, {"unpack_one", mp_unpack_one},
    {"unpack_limit", mp_unpack_limit}, {NULL, NULL}};

int mnemo_open_cmsgpack(lua_State *L) {
    luaL_newlib(L, cmsgpack_funcs);
    lua_pushliteral(L, "lua-cmsgpack");
    lua_setfield(L, -2, "_NAME");
    lua_pushliteral(L, "0.4.0");
    lua_setfield(L, -2, "_VERSION");
    return 1;
}

/* ---------------------------------------------------------------- struct */

#define ST_MAXINTSIZE 32
#define ST_MAXALIGN 8

typedef struct {
    int little;
    int maxalign;
} st_header;

static int st_digit(int c) { return c >= '0' && c <= '9'; }

static size_t st_num(const char **fmt, size_t dflt) {
    if (!st_digit(**fmt)) return dflt;
    size_t a = 0;
    do {
        a = a * 10 + (size_t)(*((*fmt)++) - '0');
    } while (st_digit(**fmt) && a < 100000);
    return a;
}

static int st_native_little(void) {
    int one = 1;
    return *(char *)&one == 1;
}

/* The size of the option at *fmt (0 for 's' and 'c0'); advances past it. */
static size_t st_optsize(lua_State *L, char opt, const char **fmt) {
    switch (opt) {
    case 'B': case 'b': return 1;
    case 'H': case 'h': return 2;
    case 'L': case 'l': return sizeof(long);
    case 'T': return sizeof(size_t);
    case 'f': return sizeof(float);
    case 'd': return sizeof(double);
    case 'x': return 1;
    case 'c': return st_num(fmt, 1);
    case 'i': case 'I': {
        size_t sz = st_num(fmt, sizeof(int));
        if (sz > ST_MAXINTSIZE) luaL_error(L, "integral size %d is larger than limit of %d", (int)sz, ST_MAXINTSIZE);
        return sz;
    }
    default: return 0;
    }
}

static size_t st_gettoalign(size_t len, const st_header *h, int opt, size_t size) {
    if (size == 0 || opt == 'c' || opt == 's' || opt == 'x') return 0;
    size_t align = size;
    if (align > (size_t)h->maxalign) align = (size_t)h->maxalign;
    if ((align & (align - 1)) != 0) return 0; /* not a power of 2: no padding */
    return (align - (len & (align - 1))) & (align - 1);
}

/* Handles the options that only change the header; returns 1 if `opt` was one of them. */
static int st_control(lua_State *L, int opt, const char **fmt, st_header *h) {
    switch (opt) {
    case ' ': return 1;
    case '>': h->little = 0; return 1;
    case '<': h->little = 1; return 1;
    case '=': h->little = st_native_little(); return 1;
    case '!': {
        size_t a = st_num(fmt, ST_MAXALIGN);
        if ((a & (a - 1)) != 0 || a == 0) luaL_error(L, "alignment %d is not a power of 2", (int)a);
        h->maxalign = (int)a;
        return 1;
    }
    default: return 0;
    }
}

static void st_putint(luaL_Buffer *b, lua_Integer v, int little, size_t size) {
    unsigned char buf[ST_MAXINTSIZE];
    uint64_t u = (uint64_t)v;
    for (size_t i = 0; i < size; i++) {
        unsigned char byte = i < 8 ? (unsigned char)(u >> (8 * i)) : (v < 0 ? 0xff : 0);
        buf[little ? i : size - 1 - i] = byte;
    }
    luaL_addlstring(b, (const char *)buf, size);
}

static lua_Integer st_checkint(lua_State *L, int arg) {
    if (lua_isinteger(L, arg)) return lua_tointeger(L, arg);
    double d = luaL_checknumber(L, arg);
    if (d >= 9223372036854775808.0) return (lua_Integer)(uint64_t)d;
    if (d < -9223372036854775808.0 || d != d) return LUA_MININTEGER;
    return (lua_Integer)d;
}

static int st_pack(lua_State *L) {
    const char *fmt = luaL_checkstring(L, 1);
    st_header h = {st_native_little(), 1};
    int arg = 2;
    size_t total = 0;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    while (*fmt) {
        int opt = *fmt++;
        if (st_control(L, opt, &fmt, &h)) continue;
        size_t size = st_optsize(L, (char)opt, &fmt);
        size_t toalign = st_gettoalign(total, &h, opt, size);
        total += toalign;
        while (toalign-- > 0) luaL_addchar(&b, '\0');
        switch (opt) {
        case 'b': case 'B': case 'h': case 'H': case 'l': case 'L': case 'T': case 'i': case 'I':
            st_putint(&b, st_checkint(L, arg++), h.little, size);
            break;
        case 'x':
            luaL_addchar(&b, '\0');
            break;
        case 'f': {
            float f = (float)luaL_checknumber(L, arg++);
            unsigned char *p = (unsigned char *)&f, out[sizeof f];
            for (size_t i = 0; i < sizeof f; i++) out[i] = p[h.little == st_native_little() ? i : sizeof f - 1 - i];
            luaL_addlstring(&b, (const char *)out, sizeof f);
            break;
        }
        case 'd': {
            double d = luaL_checknumber(L, arg++);
            unsigned char *p = (unsigned char *)&d, out[sizeof d];
            for (size_t i = 0; i < sizeof d; i++) out[i] = p[h.little == st_native_little() ? i : sizeof d - 1 - i];
            luaL_addlstring(&b, (const char *)out, sizeof d);
            break;
        }
        case 'c': case 's': {
            size_t l;
            const char *s = luaL_checklstring(L, arg, &l);
            if (opt == 'c' && size == 0) size = l;
            if (opt == 'c') {
                luaL_argcheck(L, l >= size, arg, "string too short");
            } else {
                luaL_argcheck(L, strlen(s) == l, arg, "string contains zeros");
                size = l + 1; /* with its terminating zero */
            }
            arg++;
            luaL_addlstring(&b, s, size);
            break;
        }
        default:
            return luaL_error(L, "invalid format option '%c'", opt);
        }
        total += size;
    }
    luaL_pushresult(&b);
    return 1;
}

static lua_Integer st_getint(const unsigned char *p, int little, int issigned, size_t size, int *fits_signed) {
    uint64_t u = 0;
    size_t n = size < 8 ? size : 8;
    for (size_t i = 0; i < n; i++) {
        unsigned char byte = little ? p[i] : p[size - 1 - i];
        u |= (uint64_t)byte << (8 * i);
    }
    *fits_signed = 1;
    if (issigned && size < 8 && size > 0) {
        uint64_t mask = (uint64_t)1 << (size * 8 - 1);
        u = (u ^ mask) - mask;
    } else if (!issigned && u > (uint64_t)INT64_MAX) {
        *fits_signed = 0;
    }
    return (lua_Integer)u;
}

static int st_unpack(lua_State *L) {
    const char *fmt = luaL_checkstring(L, 1);
    size_t ld;
    const char *data = luaL_checklstring(L, 2, &ld);
    lua_Integer start = luaL_optinteger(L, 3, 1);
    luaL_argcheck(L, start >= 1, 3, "offset must be 1 or greater");
    size_t pos = (size_t)start - 1;
    st_header h = {st_native_little(), 1};
    int n = 0;
    while (*fmt) {
        int opt = *fmt++;
        if (st_control(L, opt, &fmt, &h)) continue;
        size_t size = st_optsize(L, (char)opt, &fmt);
        pos += st_gettoalign(pos, &h, opt, size);
        luaL_argcheck(L, pos <= ld && size <= ld - pos, 2, "data string too short");
        luaL_checkstack(L, 2, "too many results");
        n++;
        switch (opt) {
        case 'b': case 'B': case 'h': case 'H': case 'l': case 'L': case 'T': case 'i': case 'I': {
            int fits;
            int issigned = opt == 'b' || opt == 'h' || opt == 'l' || opt == 'i';
            lua_Integer v = st_getint((const unsigned char *)data + pos, h.little, issigned, size, &fits);
            if (fits) lua_pushinteger(L, v);
            else lua_pushnumber(L, (double)(uint64_t)v);
            break;
        }
        case 'x':
            n--;
            break;
        case 'f': case 'd': {
            unsigned char tmp[8];
            for (size_t i = 0; i < size; i++)
                tmp[i] = (unsigned char)data[pos + (h.little == st_native_little() ? i : size - 1 - i)];
            if (opt == 'f') {
                float f;
                memcpy(&f, tmp, sizeof f);
                lua_pushnumber(L, (double)f);
            } else {
                double d;
                memcpy(&d, tmp, sizeof d);
                lua_pushnumber(L, d);
            }
            break;
        }
        case 'c':
            if (size == 0) {
                /* c0: the length is the previous value read */
                if (n == 1 || !lua_isnumber(L, -1)) return luaL_error(L, "format 'c0' needs a previous size");
                size = (size_t)lua_tointeger(L, -1);
                lua_pop(L, 1);
                n--;
                luaL_argcheck(L, size <= ld - pos, 2, "data string too short");
            }
            lua_pushlstring(L, data + pos, size);
            break;
        case 's': {
            const char *e = memchr(data + pos, '\0', ld - pos);
            if (e == NULL) return luaL_error(L, "unfinished string in data");
            size = (size_t)(e - (data + pos)) + 1;
            lua_pushlstring(L, data + pos, size - 1);
            break;
        }
        default:
            return luaL_error(L, "invalid format option '%c'", opt);
        }
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)pos + 1);
    return n + 1;
}

static int st_size(lua_State *L) {
    const char *fmt = luaL_checkstring(L, 1);
    st_header h = {st_native_little(), 1};
    size_t pos = 0;
    while (*fmt) {
        int opt = *fmt++;
        if (st_control(L, opt, &fmt, &h)) continue;
        size_t size = st_optsize(L, (char)opt, &fmt);
        if (opt == 's' || (opt == 'c' && size == 0)) return luaL_argerror(L, 1, "options 'c0' - 's' have undefined sizes");
        if (!strchr("bBhHlLTiIfdxc", opt)) return luaL_error(L, "invalid format option '%c'", opt);
        pos += st_gettoalign(pos, &h, opt, size);
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)pos);
    return 1;
}

static const luaL_Reg struct_funcs[] = {{"pack", st_pack}, {"unpack", st_unpack}, {"size", st_size}, {NULL, NULL}};

int mnemo_open_struct(lua_State *L) {
    luaL_newlib(L, struct_funcs);
    return 1;
}

/* ---------------------------------------------------------------- libraries */

void mnemo_open_libs(lua_State *L) {
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    luaL_setfuncs(L, math_compat, 0);
    luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
    lua_pushcfunction(L, armed_cocreate);
    lua_setfield(L, -2, "create");
    lua_pushcfunction(L, armed_coresume);
    lua_setfield(L, -2, "resume");
    lua_pushcfunction(L, armed_cowrap);
    lua_setfield(L, -2, "wrap");
    luaL_requiref(L, LUA_DBLIBNAME, luaopen_debug, 1);
    luaL_requiref(L, "cjson", luaopen_cjson, 1);
    luaL_requiref(L, "bit", luaopen_bit, 1);
    luaL_requiref(L, "cmsgpack", mnemo_open_cmsgpack, 1);
    luaL_requiref(L, "struct", mnemo_open_struct, 1);
    lua_settop(L, 0);
}
