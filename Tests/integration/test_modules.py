"""Native modules: MODULE LOAD/UNLOAD/LIST, the module API through the project's test module
(Tests/integration/modules/apitest.c), the example module, durability across SIGKILL."""

import os
import subprocess
import time

import pytest
import redis

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def build(tmp_path_factory, source, name):
    out = tmp_path_factory.mktemp("modules") / name
    subprocess.run(["gcc", "-Wall", "-shared", "-fPIC", "-I", os.path.join(ROOT, "include"), "-o", str(out),
                    os.path.join(ROOT, source)], check=True)
    return str(out)


def raw(client, *args):
    """A reply without redis-py's per-command parsing."""
    conn = client.connection_pool.get_connection()
    try:
        conn.send_command(*args)
        return conn.read_response()
    finally:
        client.connection_pool.release(conn)


@pytest.fixture(scope="module")
def apitest(tmp_path_factory):
    return build(tmp_path_factory, "Tests/integration/modules/apitest.c", "apitest.so")


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    return build(tmp_path_factory, "examples/modules/counter/counter.c", "counter.so")


@pytest.fixture
def srv(mnemo_factory):
    return mnemo_factory(args=["--enable-module-command", "yes"])


@pytest.fixture
def m(srv, apitest):
    c = srv.client(decode_responses=True, protocol=2)
    assert c.execute_command("MODULE", "LOAD", apitest) == "OK"
    yield c
    c.close()


def test_module_command_disabled_by_default(mnemo_factory, apitest):
    c = mnemo_factory().client(decode_responses=True)
    with pytest.raises(redis.ResponseError, match="MODULE command not allowed"):
        c.execute_command("MODULE", "LOAD", apitest)


def test_load_errors_are_clear(srv, apitest, tmp_path):
    c = srv.client(decode_responses=True)
    with pytest.raises(redis.ResponseError, match="Error loading the extension"):
        c.execute_command("MODULE", "LOAD", str(tmp_path / "missing.so"))
    no_onload = tmp_path / "noonload.so"
    (tmp_path / "x.c").write_text("int nothing(void) { return 0; }\n")
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(no_onload), str(tmp_path / "x.c")], check=True)
    with pytest.raises(redis.ResponseError):
        c.execute_command("MODULE", "LOAD", str(no_onload))
    with pytest.raises(redis.ResponseError):
        c.execute_command("MODULE", "LOAD", apitest, "fail")
    log = srv.log()
    assert "failed to load" in log
    assert "does not export RedisModule_OnLoad" in log
    assert "initialization failed" in log
    assert c.execute_command("MODULE", "LIST") == []
    # a failed OnLoad leaves no command behind
    with pytest.raises(redis.ResponseError, match="unknown command"):
        c.execute_command("api.incr", "k")


def test_list_loadex_unload(srv, apitest):
    c = srv.client(decode_responses=True)
    assert c.execute_command("MODULE", "LOADEX", apitest, "ARGS", "a1", "a2") == "OK"
    mods = c.execute_command("MODULE", "LIST")
    assert mods == [{"name": "apitest", "ver": 3, "path": apitest, "args": ["a1", "a2"]}]
    with pytest.raises(redis.ResponseError):
        c.execute_command("MODULE", "LOAD", apitest)  # name busy
    assert c.execute_command("MODULE", "UNLOAD", "apitest") == "OK"
    with pytest.raises(redis.ResponseError, match="no such module"):
        c.execute_command("MODULE", "UNLOAD", "apitest")
    with pytest.raises(redis.ResponseError, match="unknown command"):
        c.execute_command("api.incr", "k")


def test_unload_refused_while_type_holds_keys(m):
    m.execute_command("api.tset", "t", 1)
    with pytest.raises(redis.ResponseError, match="module-side data types"):
        m.execute_command("MODULE", "UNLOAD", "apitest")
    m.delete("t")
    assert m.execute_command("MODULE", "UNLOAD", "apitest") == "OK"


def test_command_table_entries(m):
    info = raw(m, "COMMAND", "INFO", "api.incr")[0]
    assert info[1] == 2  # SetCommandInfo's arity
    assert "module" in info[2] and "write" in info[2]
    assert info[6] == []  # no implied ACL categories, as Redis 7.0
    assert "api.incr" in raw(m, "COMMAND", "LIST", "FILTERBY", "MODULE", "apitest")
    assert raw(m, "COMMAND", "GETKEYS", "api.pair", "a", "b") == ["a", "b"]
    assert m.execute_command("api.parent", "a") == "sub-a"


def test_call_and_call_replies(m):
    assert m.execute_command("api.incr", "x") == 1
    assert m.execute_command("api.incr", "x") == 2
    assert m.execute_command("api.call", "-", "get", "x") == "2"
    with pytest.raises(redis.ResponseError, match="errno=ENOENT"):
        m.execute_command("api.call", "-", "nosuchcmd")
    with pytest.raises(redis.ResponseError, match="errno=EINVAL"):
        m.execute_command("api.call", "-", "get")
    with pytest.raises(redis.ResponseError, match="Unknown Redis command"):
        m.execute_command("api.call", "E", "nosuchcmd")
    with pytest.raises(redis.ResponseError, match="errno=ENOSPC"):
        m.execute_command("api.call", "W", "set", "a", "b")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        m.execute_command("api.call", "-", "lpush", "x", "v")
    m.hset("h", mapping={"f1": "v1"})
    d2 = m.execute_command("api.describe", "-", "hgetall", "h")
    assert d2[:4] == [3, 2, "f1", "v1"] and d2[4].startswith("*2")
    d3 = m.execute_command("api.describe", "3", "hgetall", "h")
    assert d3[:4] == [5, 1, "f1", "v1"] and d3[4].startswith("%1")
    # A module's call reads the reply's structure (a client's LRANGE gets it pre-encoded).
    m.rpush("ml", "a", "b")
    assert m.execute_command("api.describe", "-", "lrange", "ml", "0", "-1")[:4] == [3, 2, "a", "b"]
    assert m.execute_command("api.describe", "-", "incr", "n")[:3] == [2, 0, 1]
    assert m.execute_command("api.describe", "3", "zscore", "nokey", "m")[0] == 4
    m.zadd("z", {"a": 1.5})
    assert m.execute_command("api.describe", "3", "zscore", "z", "a")[:3] == [8, 0, "1.5"]


@pytest.mark.parametrize("kind", ["mnemo", "redis"])
def test_set_command_info_key_specs(kind, mnemo_factory, redis_factory, apitest):
    """Key specs given through SetCommandInfo drive GETKEYS, COMMAND INFO and ACL key checks, as
    in Redis 7.0 (the same module runs on both)."""
    start = mnemo_factory if kind == "mnemo" else redis_factory
    s = start(args=["--loadmodule", apitest, "--enable-module-command", "yes"])
    c = s.client(decode_responses=True)
    assert raw(c, "COMMAND", "GETKEYS", "api.kspec", "dest", "KEYS", "2", "a", "b") == ["a", "b", "dest"]
    info = raw(c, "COMMAND", "INFO", "api.kspec")[0]
    assert info[1] == -5
    def as_dict(v):
        if isinstance(v, dict):
            return {k: as_dict(x) for k, x in v.items()}
        if isinstance(v, list) and v and all(isinstance(k, str) for k in v[::2]) and len(v) % 2 == 0 \
                and v[0] in ("notes", "flags", "begin_search", "find_keys", "type", "spec", "keyword", "index",
                             "keynumidx", "lastkey"):
            return {k: as_dict(x) for k, x in zip(v[::2], v[1::2])}
        return v
    specs = [as_dict(spec) for spec in info[8]]
    assert specs[0]["flags"] == ["RO", "access"]
    assert specs[0]["begin_search"] == {"type": "keyword", "spec": {"keyword": "KEYS", "startfrom": 2}}
    assert specs[0]["find_keys"] == {"type": "keynum", "spec": {"keynumidx": 0, "firstkey": 1, "keystep": 1}}
    assert specs[1]["flags"] == ["OW", "update"] and specs[1]["notes"] == "the destination"
    assert c.execute_command("api.kspec", "dest", "KEYS", "2", "a", "b") == 2
    # A user that may only write d* and read r*: the key specs decide, not the legacy triple.
    c.execute_command("ACL", "SETUSER", "u", "on", "nopass", "+@all", "%W~d*", "%R~r*")
    u = redis.Redis(host=s.host, port=s.port, username="u", password="x", decode_responses=True)
    assert u.execute_command("api.kspec", "dest", "KEYS", "1", "r1") == 1
    with pytest.raises(redis.exceptions.NoPermissionError):
        u.execute_command("api.kspec", "dest", "KEYS", "1", "dx")
    with pytest.raises(redis.exceptions.NoPermissionError):
        u.execute_command("api.kspec", "r2", "KEYS", "1", "r1")
    u.close()
    c.close()


def test_replies_resp2_and_resp3(srv, m):
    r2 = m.execute_command("api.replies")
    assert r2 == [-7, "simple", "bu\x00lk", "cstr", "", None, "3.5", 1, "verbatim",
                  "123456789012345678901234567890", "2.5", [], [1, 2], ["k", "v"], ["m"], None]
    c3 = srv.client(decode_responses=True, protocol=3)
    r3 = c3.execute_command("api.replies")
    assert r3[6] == 3.5 and r3[7] is True and r3[13] == {"k": "v"}
    with pytest.raises(redis.ResponseError, match="CUSTOMERR value 42 of forty-two"):
        m.execute_command("api.errorfmt")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'api.incr'"):
        m.execute_command("api.incr")


def test_strings(m):
    assert m.execute_command("api.strings") == [
        "12", "-99", "1.5", "fmt-7", "1234", "18446744073709551615", "0.25", 1234, "1.5", 1, 1, 1, "12"]


def test_key_api(m):
    assert m.execute_command("api.keystring", "s") == [0, 1, 5, 1, 1]
    assert m.get("s") == "Jello"
    assert 99 <= m.ttl("s") <= 100
    assert m.execute_command("api.list", "l") == ["d", "ins", 3]
    assert m.lrange("l", 0, -1) == ["A", "ins", "b"]
    m.set("str", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        m.execute_command("api.list", "str")
    assert m.execute_command("api.hash", "h") == [1, 2, 0, 1, "v1", "v2", 0]
    assert m.hgetall("h") == {"f1": "v1", "f2": "v2"}
    z = m.execute_command("api.zset", "z")
    assert z == [16, "14", 1, "2", "b", "d", "d", "b", "a"]
    assert m.zrange("z", 0, -1, withscores=True) == [("a", 1.0), ("b", 2.0), ("d", 14.0)]
    assert m.execute_command("api.keymissing", "nokey") == 1
    assert m.execute_command("api.keydel", "z") == [1, 0]
    assert m.exists("z") == 0
    m.rpush("u", "1", "2")
    assert m.execute_command("api.keydel", "u", "unlink") == [1, 0]
    assert m.exists("u") == 0


def test_misc_dict_timer_log(srv, m):
    assert m.execute_command("api.misc") == ["alloc+realloc", 0, "pool", 3, 1, 1]
    assert m.execute_command("api.dict") == [1, 20, 3, 1, 2, "a", "b", "a"]
    assert m.execute_command("api.timer") == [1, 1, 1]
    time.sleep(0.3)
    assert m.get("timerkey") == "fired"
    with pytest.raises(redis.ResponseError):
        m.execute_command("api.errorfmt")
    assert "<apitest> apitest error command called with 1 args" in srv.log()


def test_unknown_api_use_is_reported(srv, m):
    with pytest.raises(redis.ResponseError, match="RedisModule_NoSuchFunctionInMnemo"):
        m.execute_command("api.missing")
    assert m.ping()


def test_custom_type(m):
    assert m.execute_command("api.tset", "t", 41) == "OK"
    assert m.execute_command("api.tincr", "t") == 42
    assert m.execute_command("api.tget", "t") == 42
    assert m.type("t") == "apicount1"
    m.set("plain", "1")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        m.execute_command("api.tget", "plain")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        m.get("t")
    dump = m.dump("t")
    assert dump[0] == 7  # RDB_TYPE_MODULE_2
    m.restore("t2", 0, dump)
    assert m.execute_command("api.tget", "t2") == 42
    assert m.execute_command("DEBUG", "DIGEST-VALUE", "t") == m.execute_command("DEBUG", "DIGEST-VALUE", "t2")
    # MEMORY USAGE asks the type's mem_usage callback (it reports 100000 + its struct).
    assert 100000 < m.memory_usage("t") < 101000


def test_acl_applies_to_module_commands(m):
    try:
        m.execute_command("ACL", "SETUSER", "modu", "on", "nopass", "+@write", "~*")
    except redis.ResponseError:
        pytest.skip("ACL not available")
    u = m.connection_pool.connection_kwargs
    c = redis.Redis(host=u["host"], port=u["port"], username="modu", password="x", decode_responses=True, protocol=2)
    with pytest.raises(redis.ResponseError, match="no permissions"):
        c.execute_command("api.incr", "x")  # module commands are not in @write
    m.execute_command("ACL", "SETUSER", "modu", "+api.call", "-set")
    with pytest.raises(redis.ResponseError, match="errno=EACCES"):
        c.execute_command("api.call", "C", "set", "k", "v")
    assert c.execute_command("api.call", "-", "set", "k", "v") == "OK"  # without C: no ACL check


def test_writes_survive_sigkill_with_loadmodule(mnemo_factory, apitest):
    s = mnemo_factory(args=["--loadmodule", apitest, "--enable-module-command", "yes"])
    c = s.client(decode_responses=True)
    for _ in range(5):
        c.execute_command("api.incr", "calls")
    c.execute_command("api.incrverbatim", "verb")
    c.execute_command("api.pair", "p1", "p2")
    c.execute_command("api.tset", "cnt", 10)
    c.execute_command("api.tincr", "cnt")
    c.execute_command("api.hash", "h")
    c.execute_command("api.zset", "z")
    c.execute_command("api.list", "l")
    c.execute_command("api.keystring", "s")
    c.execute_command("BGSAVE")
    time.sleep(0.5)
    c.execute_command("api.tincr", "cnt")  # after the snapshot: replayed from the log
    c.execute_command("api.incr", "calls")
    c.execute_command("api.incrnorep", "notlogged")
    expect = {k: c.dump(k) for k in ["calls", "verb", "p1", "p2", "h", "z", "l", "s", "pairlog"]}
    s.kill()
    s.restart()
    c = s.client(decode_responses=True)
    assert c.get("calls") == "6"
    assert c.get("notlogged") is None  # Call without "!" is not logged (as Redis)
    assert c.get("verb") == "10"
    assert c.get("p1") == "1" and c.get("p2") == "1"
    assert c.lrange("pairlog", 0, -1) == ["x"]
    assert c.execute_command("api.tget", "cnt") == 12
    for k, v in expect.items():
        assert c.dump(k) == v, k


def test_snapshot_holds_module_values(mnemo_factory, apitest):
    s = mnemo_factory(args=["--loadmodule", apitest, "--enable-module-command", "yes"])
    c = s.client(decode_responses=True)
    c.execute_command("api.tset", "a", 5)
    c.execute_command("SAVE")
    c.execute_command("api.tincr", "a")  # in place after the snapshot: the snapshot keeps 5
    s.kill()
    s.restart()
    assert s.client(decode_responses=True).execute_command("api.tget", "a") == 6


def test_snapshot_with_module_values_loads_in_real_redis(mnemo_factory, redis_factory, apitest, tmp_path):
    """The snapshot stores custom-type values as RDB module values (Redis's 64-bit type id):
    a real redis-server with the same module loads Mnemo's snapshot and sees the values."""
    import shutil
    s = mnemo_factory(args=["--loadmodule", apitest, "--enable-module-command", "yes"])
    c = s.client(decode_responses=True)
    c.execute_command("api.tset", "counter", 77)
    c.set("plain", "text")
    c.execute_command("SAVE")
    rdir = tmp_path / "real"
    rdir.mkdir()
    shutil.copy(os.path.join(s.dir, "dump.rdb"), rdir / "dump.rdb")
    real = redis_factory(args=["--loadmodule", apitest, "--dbfilename", "dump.rdb"], dir=str(rdir))
    rc = real.client(decode_responses=True)
    assert rc.execute_command("api.tget", "counter") == 77
    assert rc.type("counter") == "apicount1"
    assert rc.get("plain") == "text"
    # And back: Redis's DUMP of a module value restores in Mnemo, byte for byte the same payload.
    rb = real.client()
    mb = s.client()
    payload = rb.dump("counter")
    assert payload == mb.dump("counter")
    mb.restore("from-redis", 0, payload)
    assert c.execute_command("api.tget", "from-redis") == 77


def test_example_module(srv, example):
    c = srv.client(decode_responses=True)
    assert c.execute_command("MODULE", "LOAD", example) == "OK"
    assert c.execute_command("counter.incrmax", "k", 2) == 1
    assert c.execute_command("counter.incrmax", "k", 2) == 2
    with pytest.raises(redis.ResponseError, match="limit"):
        c.execute_command("counter.incrmax", "k", 2)
    assert c.execute_command("counter.add", "tally", 5) == 5
    assert c.execute_command("counter.add", "tally", 3) == 8
    assert c.execute_command("counter.get", "tally") == 8


@pytest.fixture(scope="session")
def swift_example():
    """The Swift example module, built once per session into its own (persistent) build dir."""
    package = os.path.join(ROOT, "examples", "modules", "swift-stats")
    scratch = os.path.join(ROOT, ".build", "examples", "swift-stats")
    subprocess.run(["swift", "build", "-c", "debug", "--package-path", package, "--scratch-path", scratch],
                   check=True, capture_output=True)
    return os.path.join(scratch, "debug", "libswiftstats.so")


def test_swift_example_module(mnemo_factory, swift_example):
    s = mnemo_factory(args=["--loadmodule", swift_example, "--enable-module-command", "yes"])
    assert [m["name"] for m in s.client(decode_responses=True).execute_command("MODULE", "LIST")] == ["stats"]
    c = s.client(decode_responses=True, protocol=2)
    assert c.execute_command("stats.push", "lat", 1, "2.5", 4) == 3
    assert c.lrange("lat", 0, -1) == ["1", "2.5", "4"]
    assert c.execute_command("stats.summary", "lat") == [3, "7.5", "1", "4", "2.5"]
    assert c.execute_command("stats.summary", "none") == [0, "0", None, None, None]
    with pytest.raises(redis.ResponseError, match="not a valid float"):
        c.execute_command("stats.push", "lat", 5, "x")
    assert c.llen("lat") == 3  # all or nothing
    c.set("str", "a")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        c.execute_command("stats.summary", "str")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        c.execute_command("stats.summary")
    c3 = s.client(decode_responses=True, protocol=3)
    assert c3.execute_command("stats.summary", "lat") == [3, 7.5, 1.0, 4.0, 2.5]
    s.kill()
    s.restart()  # STATS.PUSH's Call("!") was logged: replayed with the module loaded from config
    c = s.client(decode_responses=True, protocol=2)
    assert c.execute_command("stats.summary", "lat") == [3, "7.5", "1", "4", "2.5"]
