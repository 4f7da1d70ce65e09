#ifndef MNEMO_LUA_SHIM_H
#define MNEMO_LUA_SHIM_H

#include <lua5.4/lua.h>
#include <lua5.4/lualib.h>
#include <lua5.4/lauxlib.h>
#include <stddef.h>

/* Lua raises errors with longjmp, which must never cross Swift frames. Swift functions
 * called from Lua therefore never raise: they return a status to a C trampoline, which
 * raises on their behalf once the Swift frame is gone. */

/* A Swift function callable from Lua: returns its number of results (>= 0), or -1 after
 * pushing the error value that the trampoline then raises. */
typedef int (*mnemo_swift_function)(lua_State *L);

/* Called by the instruction-count hook: returns 0 to continue, or 1 after pushing an error
 * value; the hook raises it and from then on fires on every line, so that a script cannot
 * swallow the error with pcall and carry on. Returns 2 to suspend a script run by
 * `mnemo_resume` (a yield, where the coroutine can yield; otherwise it goes on). */
typedef int (*mnemo_swift_hook)(lua_State *L);

/* The VM's heap: a byte budget that applies only while Lua code runs (never inside Swift). */
typedef struct mnemo_heap {
    size_t used;
    size_t limit; /* 0 = unlimited */
    int enforce;
    mnemo_swift_hook hook;
    void *owner; /* the Swift object that owns the VM */
} mnemo_heap;

lua_State *mnemo_newstate(mnemo_heap *heap);
mnemo_heap *mnemo_heap_of(lua_State *L);

/* Pushes a Lua C closure that calls `f` through the trampoline. */
void mnemo_push_function(lua_State *L, mnemo_swift_function f);

/* Calls with the heap budget enforced (lua_pcallk underneath). */
int mnemo_pcall(lua_State *L, int nargs, int nresults, int msgh);

/* Runs the function below `nargs` arguments on L's stack, with the message handler below it,
 * in the coroutine `co` (its stack empty), with the heap budget enforced: the count hook may
 * suspend it (see mnemo_swift_hook). Returns LUA_YIELD if suspended (continue with
 * mnemo_continue), else the call's status with its result (or error value) pushed on L; the
 * three values are popped from L either way. */
int mnemo_resume(lua_State *L, lua_State *co, int nargs);

/* Continues a suspended run (see mnemo_resume). */
int mnemo_continue(lua_State *L, lua_State *co);

/* A run in `co` begins on this thread. The instruction-count hook (every `interval`
 * instructions) is installed only once the run has lasted about a millisecond, by a
 * watchdog thread's signal: while installed it slows every Lua instruction. */
void mnemo_run_begin(lua_State *co, int interval);
/* The run ends (not when it is suspended): the hook is removed. */
void mnemo_run_end(lua_State *co);

/* Loads a text chunk (binary chunks are refused). */
int mnemo_load(lua_State *L, const char *buf, size_t len, const char *chunkname);

/* Opens the libraries scripts see: base, table, string, math, coroutine, debug (kept for the
 * error handler, hidden from scripts), and the Redis compat libraries cjson, bit, cmsgpack,
 * struct, plus 5.1 leftovers of math (pow, ldexp, frexp, cosh, sinh, tanh, log10, atan2). */
void mnemo_open_libs(lua_State *L);

/* The Redis compat libraries written for Mnemo (exposed for tests). */
int mnemo_open_cmsgpack(lua_State *L);
int mnemo_open_struct(lua_State *L);

/* math.random / math.randomseed use Redis's generator: one process-wide rand48 sequence,
 * starting where Redis's starts, so scripts see the same numbers as on Redis. */
void mnemo_rand48_seed(int seed);

/* Values of macros Swift cannot import. */
static const int mnemo_registry_index = LUA_REGISTRYINDEX;
static const int mnemo_multret = LUA_MULTRET;

/* A full garbage collection (lua_gc is variadic, so Swift cannot call it). */
void mnemo_gc_collect(lua_State *L);
/* The heap in use, in bytes. */
size_t mnemo_heap_used(lua_State *L);

#endif
