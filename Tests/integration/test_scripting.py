"""Lua scripting (EVAL/EVALSHA/SCRIPT) and Functions (FUNCTION/FCALL), compared with Redis 7.0."""

import threading
import time

import pytest
import redis

from support import wait_until


def plain(value):
    """Error objects nested in replies compare by type and text."""
    if isinstance(value, Exception):
        return (type(value).__name__, str(value))
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, set):
        return {plain(v) for v in value}
    return value


def sorted_functions(outcome):
    """FUNCTION LIST orders functions by hash on Redis (nondeterministic_output_order)."""
    def fix(lib):
        if isinstance(lib, dict):
            lib = dict(lib, functions=sorted(lib["functions"], key=lambda f: f["name"]))
        else:
            lib = list(lib)
            i = lib.index("functions") + 1
            lib[i] = sorted(lib[i], key=lambda f: f[1])
        return lib
    if outcome[0] == "ok":
        return ("ok", [fix(lib) for lib in outcome[1]])
    return outcome


def flush_scripts(diff):
    for c in (diff.m, diff.r):
        c.execute_command("SCRIPT", "FLUSH")
        c.execute_command("FUNCTION", "FLUSH")




EVAL_CASES = [
    # Replies: Lua → RESP, both protocols.
    "return 1", "return -3.99", "return 2^63", "return 0/0", "return 'str'", "return true", "return false",
    "return nil", "return {1, 2, {3, 'x'}, nil, 5}", "return {ok='fine'}", "return {err='MY failure'}",
    "return {ok='a\\r\\nb'}", "return {err='ERR x\\r\\ny'}", "return {1, {err='inner'}, 2}",
    "return {double=3.5}", "return {double=0.1}", "return {big_number='123456789012345678901234567890'}",
    "return {map={a=1}}", "return {set={a=true}}", "return {verbatim_string={format='txt', string='abc'}}",
    "return {ok={1}}", "return {err=5}", "redis.setresp(3) return true", "redis.setresp(3) return false",
    "redis.setresp(3) return nil",
    # Replies: RESP → Lua.
    "redis.call('set','k','v') return redis.call('get','k')", "return type(redis.call('get','nokey'))",
    "redis.setresp(3) return type(redis.call('get','nokey'))", "return redis.call('set','k','v')",
    "return redis.pcall('incr','k')", "return type(redis.call('set','k','v'))",
    "redis.call('set','f',0.1) return redis.call('get','f')", "redis.call('set','i',10/2) return redis.call('get','i')",
    "return tostring(10/2) .. ' ' .. tostring(0.1)",
    # Errors and their texts.
    "return redis.call('incr','k2', 'x')", "redis.call('set','s','a') return redis.call('incr','s')",
    "return nil + 1", "return +", "x = 5", "return y", "redis.call = nil", "string.foo = 1",
    "setmetatable(_G, nil)", "rawset(_G, 'x', 1)", "return redis.call('nosuch')", "return redis.call()",
    "return redis.call('get')", "return redis.pcall('get')", "return redis.call('eval', 'return 1', 0)",
    "return redis.call('set', {})", "return redis.call('config', 'foo')",
    "return redis.error_reply('My Error')", "return redis.error_reply('-MY Error')", "return redis.error_reply('x')",
    "return redis.error_reply()", "return redis.status_reply('FINE')", "return redis.status_reply()",
    "return error('boom')", "return error({err='boom'})", "error('line two')",
    "return redis.setresp(4)", "return redis.set_repl(99)", "return redis.log(99, 'x')", "return redis.log(1)",
    # The redis API and the sandbox.
    "return redis.sha1hex('')", "return redis.REDIS_VERSION .. ' ' .. redis.REDIS_VERSION_NUM",
    "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}",
    "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}",
    "return redis.replicate_commands()", "return redis.set_repl(redis.REPL_ALL)", "return redis.acl_check_cmd('get','x')",
    "return redis.acl_check_cmd('nosuch')", "return redis.log(redis.LOG_WARNING, 'from a test')",
    "return type(print)", "return type(os)", "return type(io)", "return type(loadfile)", "return type(dofile)",
    "return type(require)", "return {type(unpack), type(loadstring), type(cjson), type(bit), type(cmsgpack), type(struct)}",
    "local f = loadstring('return 1 + 1') return f()", "return {unpack({1, 2, 3})}",
    "math.randomseed(42) return {math.random(100), math.random(5, 10)}", "return redis.breakpoint()",
    # Compat libraries.
    "return cjson.encode({1, 2, 3})", "return cjson.decode('{\"a\":[1,2,{\"b\":true}]}').a[3].b",
    "return cjson.encode(cjson.decode('[1,\"x\",null]'))", "return bit.band(0xff, 0x0f)", "return bit.tohex(255)",
    "return bit.bxor(5, 3)", "return bit.lshift(1, 10)", "return bit.rshift(-1, 28)", "return bit.bnot(0)",
    "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(cmsgpack.pack({1, 2, 3}))", "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(cmsgpack.pack({a=1}))", "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(cmsgpack.pack('abc', 300, -5, true))",
    "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(cmsgpack.pack(1.5))", "return {cmsgpack.unpack(cmsgpack.pack({1, {2, 'x'}, 'y'}))}",
    "local t = cmsgpack.unpack(cmsgpack.pack({k='v'})) return t.k", "return {cmsgpack.unpack(cmsgpack.pack(-70000, 2^40))}",
    "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(struct.pack('>I2', 258))", "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(struct.pack('<i4', -2))", "return {struct.unpack('>I2', 'AB')}",
    "return struct.size('>iIhb')", "return {struct.unpack('BBc0', struct.pack('BBc0', 1, 3, 'abc'))}",
    "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(struct.pack('s', 'zz'))",
]


@pytest.mark.parametrize("script", EVAL_CASES)
def test_eval_matches_redis(diff, script):
    diff.same("EVAL", script, 0, normalize=plain)


def test_keys_argv_and_numkeys(diff):
    diff.same("EVAL", "return {KEYS[1], KEYS[2], ARGV[1], #KEYS, #ARGV}", 2, "k1", "k2", "a1")
    diff.same("EVAL", "return 1", 2, "a")
    diff.same("EVAL", "return 1", -1)
    diff.same("EVAL", "return 1", "x")
    diff.same("EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", 0)
    diff.same("EVALSHA", "abc", 0)


def test_script_commands(diff):
    flush_scripts(diff)
    sha = diff.same("SCRIPT", "LOAD", "return 'loaded'")[1]
    diff.same("EVALSHA", sha, 0)
    diff.same("EVALSHA", sha.upper(), 0)
    diff.same("EVALSHA", sha.upper(), 0)
    diff.same("SCRIPT", "EXISTS", sha, "0" * 40)
    diff.same("EVAL", "return 7", 0)
    diff.same("SCRIPT", "EXISTS", "ac4fd3f38d4c1c5c3fa8e4e5cfa9e3d5e3f6e0c2")
    diff.same("SCRIPT", "LOAD", "return +")
    diff.same("SCRIPT", "FLUSH", "ASYNC")
    diff.same("SCRIPT", "FLUSH", "foo")
    diff.same("SCRIPT", "EXISTS", sha)
    diff.same("EVALSHA", sha, 0)
    # The SHA run last (as sent) must not outlive the flush either.
    diff.same("EVALSHA", sha.upper(), 0)
    diff.same("SCRIPT", "KILL")
    diff.same("FUNCTION", "KILL")
    diff.same("SCRIPT", "FOO")
    diff.same("SCRIPT", "HELP")
    diff.same("FUNCTION", "HELP")


def test_read_only_scripts_and_shebang(diff):
    diff.same("EVAL_RO", "return redis.call('set','a','b')", 0)
    diff.same("EVAL_RO", "return redis.call('get','a')", 1, "a")
    diff.same("EVAL", "#!lua flags=no-writes\nreturn redis.call('set','a','b')", 0)
    diff.same("EVAL", "#!lua flags=bad\nreturn 1", 0)
    diff.same("EVAL", "#!py\nreturn 1", 0)
    diff.same("EVAL", "#!lua foo=bar\nreturn 1", 0)
    diff.same("EVAL", "#!lua\nreturn 1", 0)
    diff.same("EVAL_RO", "#!lua\nreturn 1", 0)
    diff.same("EVAL", "#!lua\nerror('x')", 0)
    diff.same("EVAL", "#!lua", 0)
    sha = diff.same("SCRIPT", "LOAD", "return redis.call('set', KEYS[1], 'v')")[1]
    diff.same("EVALSHA_RO", sha, 1, "k")


def test_select_stays_inside_the_script(diff):
    diff.same("EVAL", "redis.call('select', 3) return redis.call('set','in3','x')", 0)
    diff.same("GET", "in3")
    diff.same("SELECT", "3")
    diff.same("GET", "in3")
    diff.same("FLUSHALL")


LIB = """#!lua name=mylib
local function set(keys, args) return redis.call('set', keys[1], args[1]) end
redis.register_function('myset', set)
redis.register_function{function_name='myget', callback=function(keys, args) return redis.call('get', keys[1]) end,
  flags={'no-writes'}, description='get it'}
"""


def test_functions_match_redis(diff):
    flush_scripts(diff)
    diff.same("FUNCTION", "LOAD", LIB)
    diff.same("FCALL", "myset", 1, "k", "v")
    diff.same("FCALL", "myget", 1, "k")
    diff.same("FCALL_RO", "myset", 1, "k", "v")
    diff.same("FCALL_RO", "myget", 1, "k")
    diff.same("FCALL", "nosuch", 0)
    diff.same("FCALL", "myset", 5, "a")
    diff.same("FUNCTION", "LIST", normalize=sorted_functions)
    diff.same("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "my*", normalize=sorted_functions)
    diff.same("FUNCTION", "LIST", "LIBRARYNAME", "other*")
    diff.same("FUNCTION", "LIST", "LIBRARYNAME")
    diff.same("FUNCTION", "LIST", "foo")
    diff.same("FUNCTION", "STATS")
    diff.same("FUNCTION", "LOAD", LIB)
    diff.same("FUNCTION", "LOAD", "REPLACE", LIB)
    diff.same("FUNCTION", "LOAD", "BAD", LIB)
    diff.same("FUNCTION", "DELETE", "nosuch")
    diff.same("FUNCTION", "FLUSH", "foo")
    diff.same("FUNCTION", "RESTORE", "garbage")
    diff.same("FUNCTION", "DELETE", "mylib")
    diff.same("FCALL", "myget", 1, "k")


LOAD_ERRORS = [
    "return 1", "#!lua", "#!lua name=lib2", "#!lua name=lib2 foo=bar\nredis.register_function('zz', function() end)",
    "#!js name=lib2\n", "#!lua name=lib2\nreturn 5", "#!lua name=lib2\nredis.call('set','x','y')",
    "#!lua name=lib2\nreturn +", "#!lua name=lib2\nx = 1", "#!lua name=lib2\nlocal a = y", "#!lua name=lib2\nerror('bad')",
    "#!lua name=lib2\nredis.setresp(3)", "#!lua name=b-d\nredis.register_function('f', function() end)",
    "#!lua name=lib2\nredis.register_function('ok', function() return 1 end, 'x')",
    "#!lua name=lib2\nredis.register_function{function_name='ok', callback=function() return 1 end, flags={'bad-flag'}}",
    "#!lua name=lib2\nredis.register_function{function_name='ok', callback=function() return 1 end, foo=1}",
    "#!lua name=lib2\nredis.register_function{function_name='o k', callback=function() return 1 end}",
    "#!lua name=lib2\nredis.register_function('ok')", "#!lua name=lib2\nredis.register_function('ok', 5)",
    "#!lua name=lib2\nredis.register_function()", "#!lua name=lib2\nredis.register_function{callback=function() end}",
    "#!lua name=lib2\nredis.register_function{function_name='f'}",
    "#!lua name=lib2\nredis.register_function('a', function() end) redis.register_function('a', function() end)",
    "#!lua name=lib2\nredis.register_function('myset', function() end)",
]


@pytest.mark.parametrize("code", LOAD_ERRORS)
def test_function_load_errors(diff, code):
    flush_scripts(diff)
    diff.same("FUNCTION", "LOAD", LIB)
    diff.same("FUNCTION", "LOAD", code)


def test_function_runtime_errors_and_flags(diff):
    flush_scripts(diff)
    diff.same("FUNCTION", "LOAD", "#!lua name=lib3\n"
              "redis.register_function('zz', function() return redis.register_function('a', function() end) end)\n"
              "redis.register_function('boom', function(keys, args) error('boom ' .. args[1]) end)\n"
              "redis.register_function('kv', function(keys, args) return {keys[1], args[1], type(KEYS)} end)\n"
              "redis.register_function{function_name='ro', callback=function(keys) return redis.call('set', keys[1], 'x') end,"
              " flags={'no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}}")
    # Lua 5.4 words "attempt to call a nil value (field ...)" differently from 5.1: compare the rest.
    with pytest.raises(redis.ResponseError, match="register_function.* script: zz, on @user_function:2."):
        diff.m.execute_command("FCALL", "zz", 0)
    diff.same("FCALL", "boom", 0, "a")
    diff.same("FCALL", "kv", 1, "k", "a")
    diff.same("FCALL", "ro", 1, "k")
    diff.same("FUNCTION", "LIST", "LIBRARYNAME", "lib3", normalize=sorted_functions)


def test_function_dump_and_restore(r):
    r.function_flush()
    r.function_load(LIB)
    payload = r.function_dump()
    r.function_flush()
    assert r.function_restore(payload)
    assert r.fcall("myset", 1, "k", "v") == "OK"
    with pytest.raises(redis.ResponseError, match="Library mylib already exists"):
        r.function_restore(payload)
    assert r.function_restore(payload, "REPLACE")
    assert r.function_restore(payload, "FLUSH")
    with pytest.raises(redis.ResponseError, match="Wrong restore policy"):
        r.function_restore(payload, "BAD")
    r.function_flush()


def test_function_dump_is_redis_compatible(rb, redis_server):
    """A payload from Mnemo restores on Redis 7.0 and the other way round."""
    real = redis_server.client()
    real.function_flush()
    rb.function_flush()
    rb.function_load(LIB)
    real.function_restore(rb.function_dump())
    assert real.fcall("myset", 1, "k", "v") == b"OK"
    rb.function_flush()
    rb.function_restore(real.function_dump())
    assert rb.fcall("myget", 1, "k") is None
    real.function_flush()
    rb.function_flush()


REDIS_STYLE_SCRIPT = """
-- A script as written for Redis (Lua 5.1): unpack, cjson, bit, cmsgpack, struct.
local key = KEYS[1]
local event = cjson.decode(ARGV[1])
local flags = bit.bor(bit.lshift(1, event.level), tonumber(ARGV[2]))
local packed = cmsgpack.pack({event.name, event.level, flags})
redis.call('set', key, packed)
local name, level, f = unpack(cmsgpack.unpack(redis.call('get', key)))
local header = struct.pack('>I2I2', level, f)
return {name, level, f, bit.tohex(f, 4), #header, cjson.encode({n = level})}
"""


def test_redis_style_script_runs_unchanged(diff):
    diff.same("EVAL", REDIS_STYLE_SCRIPT, 1, "event:1", '{"name":"boot","level":3}', "5")


def test_script_writes_survive_sigkill(mnemo_factory):
    server = mnemo_factory()
    c = server.client(decode_responses=True)
    script = "for i = 1, 200 do redis.call('set', KEYS[1] .. i, i) end redis.call('incrby', 'total', 200) return 1"
    for n in range(5):
        assert c.eval(script, 1, f"batch{n}:") == 1
    server.kill()
    server.start()
    c = server.client(decode_responses=True)
    assert c.get("total") == "1000"
    assert all(c.get(f"batch{n}:{i}") == str(i) for n in range(5) for i in (1, 100, 200))
    assert c.dbsize() == 1001


def test_function_load_survives_restart(mnemo_factory):
    server = mnemo_factory()
    c = server.client(decode_responses=True)
    c.function_load(LIB)
    c.function_load("#!lua name=gone\nredis.register_function('g', function() return 1 end)")
    c.function_delete("gone")
    server.kill()
    server.start()
    c = server.client(decode_responses=True)
    assert c.fcall("myset", 1, "k", "v") == "OK"
    libs = str(c.execute_command("FUNCTION", "LIST"))
    assert "mylib" in libs and "gone" not in libs
    # Through a snapshot too (FUNCTION2 records in the RDB).
    try:
        c.save()
    except redis.ResponseError:
        pytest.skip("SAVE is not available")
    server.kill()
    server.start()
    c = server.client(decode_responses=True)
    assert c.fcall("myget", 1, "k") == "v"


def start_spin(server, script, *args, fcall=False):
    c = server.client(decode_responses=True)
    result = {}

    def run():
        try:
            result["reply"] = c.fcall(script, *args) if fcall else c.eval(script, *args)
        except Exception as e:  # noqa: BLE001 - the test inspects it
            result["error"] = e

    t = threading.Thread(target=run)
    t.start()
    return t, result


SPIN = "local i = 0 while true do i = i + 1 end"


def spin_with_low_threshold(mnemo_factory, script):
    """A server with busy-reply-threshold 100 ms running `script` on a thread; returns the
    thread, its result and a second client."""
    server = mnemo_factory()
    server.client(decode_responses=True).config_set("busy-reply-threshold", 100)
    t, result = start_spin(server, script, 0)
    return t, result, server.client(decode_responses=True)


def test_busy_and_script_kill(mnemo_factory):
    t, result, other = spin_with_low_threshold(mnemo_factory, SPIN)

    def busy():
        try:
            other.ping()
            return False
        except redis.exceptions.BusyLoadingError:
            return True
        except redis.ResponseError as e:
            assert str(e).startswith("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")
            return True

    wait_until(busy, timeout=10, message="BUSY")
    with pytest.raises(redis.ResponseError, match="BUSY Redis is busy running a script. You can only call SCRIPT KILL"):
        other.execute_command("FUNCTION", "KILL")
    assert other.script_kill()
    t.join(10)
    assert "Script killed by user with SCRIPT KILL..." in str(result.get("error")), result
    assert other.ping()
    assert other.get("x") is None


def test_coroutines_resume_yield_wrap_and_fail_as_in_lua(mnemo_factory):
    """coroutine.create/resume/wrap are the shim's (armed with the time-limit hook, and able to
    pass a run's suspension up): results, errors and messages as Lua's own."""
    c = mnemo_factory().client(decode_responses=True)
    assert c.eval("local f = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) return b * 2 end) "
                  "return {f(1), f(5)}", 0) == [2, 10]
    assert c.eval("local co = coroutine.create(function(a, b) local c = coroutine.yield(a + b) error('x' .. c) end) "
                  "local r = {coroutine.resume(co, 1, 2)} local s = {coroutine.resume(co, 'y')} "
                  "local t = {coroutine.resume(co)} "
                  "return {tostring(r[1]), r[2], tostring(s[1]), s[2], tostring(t[1]), t[2], coroutine.status(co)}",
                  0) == ["true", 3, "false", "user_script:1: xy", "false", "cannot resume dead coroutine", "dead"]
    assert c.eval("local co co = coroutine.create(function() return coroutine.resume(co) end) "
                  "local ok, inner, err = coroutine.resume(co) return {tostring(ok), tostring(inner), err}",
                  0) == ["true", "false", "cannot resume non-suspended coroutine"]
    with pytest.raises(redis.ResponseError, match=r"user_script:1: user_script:1: boom script: "):
        c.eval("return coroutine.wrap(function() error('boom') end)()", 0)
    with pytest.raises(redis.ResponseError, match=r"^X y script: "):
        c.eval("return coroutine.wrap(function() error({err='X y'}) end)()", 0)
    with pytest.raises(redis.ResponseError, match=r"user_script:1: cannot resume dead coroutine"):
        c.eval("local f = coroutine.wrap(function() return 1 end) f() return f()", 0)
    with pytest.raises(redis.ResponseError, match=r"bad argument #1 to 'wrap' \(function expected, got no value\)"):
        c.eval("return coroutine.wrap()", 0)
    with pytest.raises(redis.ResponseError, match=r"bad argument #1 to 'resume' \(coroutine expected, got number\)"):
        c.eval("return coroutine.resume(5)", 0)
    # A run inside a coroutine past its inline budget is suspended and finished as a whole.
    assert c.eval("local n = 0 return coroutine.wrap(function() for i = 1, 2e7 do n = n + 1 end return n end)()",
                  0) == 20000000


@pytest.mark.parametrize("spin", [
    "local co = coroutine.create(function() " + SPIN + " end) coroutine.resume(co)",
    "coroutine.wrap(function() " + SPIN + " end)()",
    "local co = coroutine.create(function() while true do coroutine.yield() end end) while true do coroutine.resume(co) end",
])
def test_a_script_spinning_in_its_coroutines_is_stopped_too(mnemo_factory, spin):
    """The time-limit hook is installed once a run has lasted about a millisecond (a watchdog's
    signal): coroutines the script made before then must have it from their start, or a script
    spinning inside one would hold the server forever."""
    t, result, other = spin_with_low_threshold(mnemo_factory, spin)

    def killed():
        try:
            return other.script_kill()
        except redis.ResponseError as e:
            assert str(e).startswith("NOTBUSY"), e
            return False

    wait_until(killed, timeout=10, message="SCRIPT KILL")
    t.join(10)
    assert "Script killed by user with SCRIPT KILL..." in str(result.get("error")), result
    assert other.ping()


def test_function_kill_and_stats_while_busy(mnemo_factory):
    server = mnemo_factory()
    admin = server.client(decode_responses=True)
    admin.config_set("busy-reply-threshold", 100)
    admin.function_load("#!lua name=busylib\nredis.register_function('spin', function() " + SPIN + " end)")
    t, result = start_spin(server, "spin", 0, fcall=True)
    other = server.client(decode_responses=True)
    wait_until(lambda: other.execute_command("FUNCTION", "STATS")["running_script"] is not None, message="stats")
    stats = other.execute_command("FUNCTION", "STATS")
    assert stats["running_script"]["name"] == "spin"
    with pytest.raises(redis.ResponseError, match="You can only call FUNCTION KILL"):
        other.script_kill()
    assert other.execute_command("FUNCTION", "KILL") == "OK"
    t.join(10)
    assert "Script killed by user with SCRIPT KILL... script: spin, on @user_function:" in str(result["error"])


def test_connection_opened_before_busy_gets_busy_not_a_hang(mnemo_factory):
    """A client that connects and sends a command after a script started but before it turned
    busy is answered -BUSY at the threshold, like every other client (it used to wait behind the
    script until it ended: its session was not registered yet when the script turned busy)."""
    server = mnemo_factory()
    admin = server.client(decode_responses=True)
    admin.config_set("busy-reply-threshold", 500)
    t, result = start_spin(server, SPIN, 0)
    time.sleep(0.1)  # the script runs; 400 ms before it turns busy
    late = server.client(decode_responses=True, socket_timeout=5, retry_on_timeout=False)
    started = time.monotonic()
    with pytest.raises(redis.ResponseError, match="BUSY Redis is busy running a script"):
        late.ping()
    assert time.monotonic() - started < 3
    assert late.script_kill()
    t.join(10)
    assert "Script killed by user with SCRIPT KILL..." in str(result.get("error")), result


def test_unkillable_then_shutdown_nosave(mnemo_factory):
    server = mnemo_factory()
    admin = server.client(decode_responses=True)
    admin.set("before", "1")
    admin.config_set("busy-reply-threshold", 100)
    t, result = start_spin(server, "redis.call('set', 'written', '1') " + SPIN, 0)
    other = server.client(decode_responses=True)

    def unkillable():
        try:
            other.script_kill()
        except redis.ResponseError as e:
            if str(e).startswith("UNKILLABLE Sorry the script already executed write commands against the dataset."):
                return True
        return False

    wait_until(unkillable, timeout=10, message="UNKILLABLE")
    try:
        other.shutdown(nosave=True)
    except redis.ConnectionError:
        pass
    assert server.wait_exit(timeout=20) is not None
    t.join(10)
    assert "error" in result
    server.start()
    c = server.client(decode_responses=True)
    assert c.get("before") == "1"
    assert c.get("written") is None  # the stopped script's writes never reached the log


def test_heap_limit_stops_runaway_allocation(mnemo_factory):
    server = mnemo_factory(["--lua-heap-limit", "20mb"])
    c = server.client(decode_responses=True)
    with pytest.raises(redis.ResponseError, match="Lua heap limit exceeded"):
        c.eval("local t = {} for i = 1, 1e8 do t[i] = string.rep('x', 100) .. i end", 0)
    assert c.eval("return #string.rep('x', 1000)", 0) == 1000
    with pytest.raises(redis.ResponseError, match="Lua heap limit exceeded"):
        c.eval("local s = 'x' while true do s = s .. s end", 0)
    assert c.ping()


def test_scripts_do_not_block(r):
    r.delete("nolist")
    assert r.eval("return redis.call('lrange', 'nolist', 0, -1)", 0) == []


def test_array_replies_reach_scripts_as_tables(r):
    # A client gets LRANGE's reply encoded at once; a script must still get a table.
    r.delete("sl")
    r.rpush("sl", "a", "b", "c")
    assert r.eval("local t = redis.call('lrange', KEYS[1], 0, -1) return {#t, t[2]}", 1, "sl") == [3, "b"]
    assert r.lrange("sl", 0, 1) == ["a", "b"]


def test_watch_is_invalidated_by_script_writes(mnemo):
    a = mnemo.client(decode_responses=True)
    b = mnemo.client(decode_responses=True)
    a.set("w", "1")
    p = a.pipeline(transaction=True)
    p.watch("w")
    b.eval("redis.call('set', KEYS[1], '2')", 1, "w")
    p.multi()
    p.set("w", "3")
    with pytest.raises(redis.WatchError):
        p.execute()
    assert a.get("w") == "2"


def test_long_script_moves_from_the_io_loop_to_the_engine_loop(mnemo_factory):
    """A script starts inline on the I/O loop that read it; past its budget there (5 ms) it is
    suspended and finished on the engine loop. The pipeline's replies stay in order, the client
    it serves is served once it ends, and its writes are one record: all there after SIGKILL."""
    server = mnemo_factory()
    c = server.client(decode_responses=True)
    waiter = server.client(decode_responses=True)
    served = {}
    t = threading.Thread(target=lambda: served.setdefault("reply", waiter.blpop("q", 20)))
    t.start()
    wait_until(lambda: "cmd=blpop" in str(c.execute_command("CLIENT", "LIST")), message="blocked")
    script = ("redis.call('set', KEYS[1], 'a') redis.call('rpush', 'q', 'item') "
              "for i = 1, 3e7 do end redis.call('set', KEYS[2], 'b') return 'done'")
    moved = int(c.info("stats")["mnemo_scripts_moved_to_engine_loop"])
    p = c.pipeline(transaction=False)
    p.set("before", 1)
    p.eval(script, 2, "k1", "k2")
    p.get("k2")
    p.incr("before")
    assert p.execute() == [True, "done", "b", 2]
    assert int(c.info("stats")["mnemo_scripts_moved_to_engine_loop"]) == moved + 1
    t.join(20)
    assert list(served["reply"]) == ["q", "item"]
    # Short scripts finish inline.
    assert c.eval("return 1", 0) == 1
    assert int(c.info("stats")["mnemo_scripts_moved_to_engine_loop"]) == moved + 1
    server.kill()
    server.start()
    c = server.client(decode_responses=True)
    assert [c.get("k1"), c.get("k2"), c.get("before"), c.llen("q")] == ["a", "b", "2", 0]
