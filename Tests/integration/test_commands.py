"""Strings and generic key commands through redis-py (RESP2 and RESP3).

Most tests are differential: the same commands run on Mnemo and on a real redis-server
(`diff.same(...)` asserts identical replies or identical error class + text). Where a
reply is inherently nondeterministic (TTL countdown, SCAN cursors, RANDOMKEY, KEYS order)
the test normalizes it or asserts properties instead.
"""

import time

import pytest
import redis

MAX64 = 9223372036854775807
MIN64 = -9223372036854775808


def sorted_reply(outcome):
    if outcome[0] == "ok" and isinstance(outcome[1], (list, set)):
        return ("ok", sorted(outcome[1]))
    return outcome


def has_command(client, name):
    conn = client.connection_pool.get_connection()  # raw: no COMMAND response callback
    try:
        conn.send_command("COMMAND", "LIST", "FILTERBY", "PATTERN", name)
        names = conn.read_response()
    finally:
        client.connection_pool.release(conn)
    return any((n.decode() if isinstance(n, bytes) else n) == name for n in names)


def make_list(client, key, oracle=None):
    """Creates a non-string key (a list) for WRONGTYPE checks: LPUSH if the server has it,
    otherwise RESTORE of a payload DUMPed by the real Redis."""
    if has_command(client, "lpush"):
        client.execute_command("LPUSH", key, "x")
        return
    if oracle is None or not has_command(client, "restore"):
        pytest.skip("this server has neither LPUSH nor RESTORE yet: cannot create a non-string key")
    raw = redis.Redis(connection_pool=oracle.connection_pool)
    raw.delete("__dumpsrc")
    raw.rpush("__dumpsrc", "x")
    payload = redis.Redis(host=oracle.connection_pool.connection_kwargs["host"],
                          port=oracle.connection_pool.connection_kwargs["port"]).dump("__dumpsrc")
    raw.delete("__dumpsrc")
    client.execute_command("RESTORE", key, 0, payload)


# ------------------------------------------------------------------------------ strings

def test_set_options(diff):
    diff.script([
        ("SET", "k", "v"),
        ("SET", "k", "v2", "NX"),
        ("GET", "k"),
        ("SET", "k", "v3", "XX"),
        ("SET", "nx", "v", "XX"),
        ("EXISTS", "nx"),
        ("SET", "k", "v4", "GET"),
        ("SET", "missing", "v", "GET"),
        ("SET", "k", "v5", "XX", "GET"),
        ("SET", "k2", "v", "NX", "GET"),
        ("SET", "k2", "w", "NX", "GET"),
        ("SET", "k", "v", "NX", "XX"),
        ("SET", "k", "v", "EX", "10", "PX", "100"),
        ("SET", "k", "v", "EX", "0"),
        ("SET", "k", "v", "EX", "-1"),
        ("SET", "k", "v", "PX", "0"),
        ("SET", "k", "v", "EXAT", "0"),
        ("SET", "k", "v", "EX", "abc"),
        ("SET", "k", "v", "EX"),
        ("SET", "k", "v", "EX", str(MAX64)),
        ("SET", "k", "v", "KEEPTTL", "EX", "10"),
        ("SET", "k", "v", "BOGUS"),
        ("SET", "k"),
        ("SET", "k", "v", "EX", "100"),
        ("SET", "k", "w", "KEEPTTL"),
        ("SET", "k", "w", "PXAT", "99999999999999"),
        ("PEXPIRETIME", "k"),
        ("SET", "k", "w", "EXAT", "99999999999"),
        ("EXPIRETIME", "k"),
        ("SET", "k", "plain"),
        ("TTL", "k"),
    ])


def test_set_ex_and_keepttl(r):
    assert r.set("k", "v", ex=100)
    assert 99 <= r.ttl("k") <= 100
    assert r.set("k", "w", keepttl=True)
    assert 99 <= r.ttl("k") <= 100
    assert r.set("k", "x")
    assert r.ttl("k") == -1
    assert r.set("p", "v", px=1500)
    assert 1000 < r.pttl("p") <= 1500
    exat = int(time.time()) + 50
    assert r.set("e", "v", exat=exat)
    assert r.expiretime("e") == exat


def test_set_px_expires(r):
    r.set("short", "v", px=50)
    assert r.get("short") == "v"
    deadline = time.monotonic() + 3
    while r.get("short") is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert r.get("short") is None
    assert r.exists("short") == 0


def test_setnx_setex_psetex_getset_getdel(diff):
    diff.script([
        ("SETNX", "a", "1"), ("SETNX", "a", "2"), ("GET", "a"),
        ("SETEX", "b", "100", "v"), ("SETEX", "b", "0", "v"), ("SETEX", "b", "-5", "v"),
        ("SETEX", "b", "x", "v"), ("PSETEX", "c", "100000", "v"), ("PSETEX", "c", "0", "v"),
        ("GETSET", "a", "3"), ("GETSET", "nokey", "x"), ("GET", "a"),
        ("GETDEL", "a"), ("GETDEL", "a"), ("EXISTS", "a"),
        ("STRLEN", "b"), ("STRLEN", "nokey"),
        ("MGET", "a", "b", "c", "nokey", "nokey"),
        ("SUBSTR", "b", "0", "0"),
    ])


def test_getex(diff, r):
    diff.script([
        ("SET", "k", "v"),
        ("GETEX", "k"),
        ("GETEX", "k", "EX", "100"),
        ("GETEX", "k", "PERSIST"),
        ("TTL", "k"),
        ("GETEX", "k", "EX", "0"),
        ("GETEX", "k", "PX", "-1"),
        ("GETEX", "k", "EX", "10", "PX", "10"),
        ("GETEX", "k", "EX", "10", "PERSIST"),
        ("GETEX", "k", "FOO"),
        ("GETEX", "k", "EX"),
        ("GETEX", "k", "EX", "x"),
        ("GETEX", "missing", "EX", "10"),
        ("GETEX", "k", "EXAT", "99999999999"),
        ("EXPIRETIME", "k"),
        ("GETEX", "k", "PXAT", "99999999999999"),
        ("PEXPIRETIME", "k"),
        ("GETEX", "k", "PERSIST"),
        ("TTL", "k"),
    ])
    r.set("k", "v")
    assert r.getex("k", ex=100) == "v"
    assert 99 <= r.ttl("k") <= 100
    # GETEX with an expiry time in the past deletes the key
    assert r.getex("k", pxat=1) == "v"
    assert r.exists("k") == 0


def test_incr_family(diff):
    diff.script([
        ("INCR", "n"), ("INCR", "n"), ("INCRBY", "n", "10"), ("DECR", "n"), ("DECRBY", "n", "5"),
        ("INCRBY", "n", "-100"), ("GET", "n"),
        ("SET", "s", "abc"), ("INCR", "s"), ("DECR", "s"), ("INCRBY", "s", "1"),
        ("SET", "sp", " 1"), ("INCR", "sp"),
        ("SET", "lz", "01"), ("INCR", "lz"),
        ("SET", "f", "1.5"), ("INCR", "f"),
        ("INCRBY", "n", "1.5"), ("INCRBY", "n", "abc"), ("INCRBY", "n", ""),
        ("DECRBY", "n", "99999999999999999999"),
        ("SET", "max", str(MAX64)), ("INCR", "max"), ("INCRBY", "max", "1"), ("GET", "max"),
        ("SET", "min", str(MIN64)), ("DECR", "min"), ("DECRBY", "min", "1"), ("GET", "min"),
        ("SET", "z", "0"), ("DECRBY", "z", str(MIN64)),
        ("INCRBY", "z", str(MIN64)), ("INCRBY", "z", str(MIN64)),
        ("SET", "big", "9223372036854775808"), ("INCR", "big"),
        ("SET", "neg", "-0"), ("INCR", "neg"),
        ("INCR", "n", "extra"), ("INCR",),
    ])


def test_incr_overflow_messages(r):
    r.set("max", MAX64)
    with pytest.raises(redis.ResponseError, match="^increment or decrement would overflow$"):
        r.incr("max")
    assert r.get("max") == str(MAX64)
    r.set("s", "abc")
    with pytest.raises(redis.ResponseError, match="^value is not an integer or out of range$"):
        r.incr("s")


def test_incrbyfloat_formatting(diff, r):
    diff.script([
        ("SET", "f", "10.50"), ("INCRBYFLOAT", "f", "0.1"),
        ("INCRBYFLOAT", "f", "-5.0e0"), ("INCRBYFLOAT", "f", "5.0e3"),
        ("INCRBYFLOAT", "new", "3"), ("INCRBYFLOAT", "new", "-3"), ("GET", "new"),
        ("INCRBYFLOAT", "g", "1.1"), ("INCRBYFLOAT", "g", "2.2"),
        ("INCRBYFLOAT", "h", "3.0e-10"), ("INCRBYFLOAT", "h", "1e20"),
        ("INCRBYFLOAT", "i", "0.1"), ("INCRBYFLOAT", "i", "0.2"),
        ("SET", "big", "1e308"), ("INCRBYFLOAT", "big", "1e308"),
        ("INCRBYFLOAT", "f", "abc"), ("INCRBYFLOAT", "f", "inf"), ("INCRBYFLOAT", "f", "nan"),
        ("INCRBYFLOAT", "f", ""), ("INCRBYFLOAT", "f", "1.0 "),
        ("SET", "s", "xyz"), ("INCRBYFLOAT", "s", "1"),
        ("SET", "int", "17"), ("INCRBYFLOAT", "int", "0.5"), ("INCRBYFLOAT", "int", "-0.5"),
        ("GET", "int"), ("INCR", "int"),
        ("INCRBYFLOAT", "f"),
    ])
    r.set("k", "1", ex=100)
    assert r.incrbyfloat("k", 1.5) == 2.5
    assert 99 <= r.ttl("k") <= 100, "INCRBYFLOAT keeps the TTL"


def test_mset_msetnx(diff):
    diff.script([
        ("MSET", "a", "1", "b", "2", "c", "3"),
        ("MGET", "a", "b", "c"),
        ("MSET", "a", "1", "b"),
        ("MSET",),
        ("MSETNX", "x", "1", "a", "9"),
        ("EXISTS", "x"), ("GET", "a"),
        ("MSETNX", "x", "1", "y", "2"),
        ("MGET", "x", "y"),
        ("MSETNX", "x"),
        ("MSET", "dup", "1", "dup", "2"), ("GET", "dup"),
    ])


def test_append_setrange_getrange(diff):
    diff.script([
        ("APPEND", "s", "hello"), ("APPEND", "s", " world"), ("GET", "s"), ("STRLEN", "s"),
        ("SET", "n", "10"), ("APPEND", "n", "5"), ("GET", "n"), ("INCR", "n"),
        ("SETRANGE", "s", "6", "WORLD"), ("GET", "s"),
        ("SETRANGE", "pad", "5", "x"), ("GET", "pad"), ("STRLEN", "pad"),
        ("SETRANGE", "s", "-1", "x"),
        ("SETRANGE", "s", "abc", "x"),
        ("SETRANGE", "empty", "10", ""), ("EXISTS", "empty"),
        ("SETRANGE", "s", "0", ""), ("GET", "s"),
        ("SETRANGE", "s", "536870912", "x"),
        ("GETRANGE", "s", "0", "4"), ("GETRANGE", "s", "-5", "-1"), ("GETRANGE", "s", "0", "-1"),
        ("GETRANGE", "s", "5", "2"), ("GETRANGE", "s", "-100", "2"), ("GETRANGE", "s", "3", "1000"),
        ("GETRANGE", "s", "100", "200"), ("GETRANGE", "missing", "0", "-1"),
        ("GETRANGE", "s", "-1", "-5"), ("GETRANGE", "s", "x", "1"),
        ("SUBSTR", "s", "0", "2"),
    ])


def test_lcs(diff):
    diff.script([
        ("MSET", "key1", "ohmytext", "key2", "mynewtext"),
        ("LCS", "key1", "key2"),
        ("LCS", "key1", "key2", "LEN"),
        ("LCS", "key1", "key2", "IDX"),
        ("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4"),
        ("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"),
        ("LCS", "key1", "key2", "IDX", "WITHMATCHLEN"),
        ("LCS", "key1", "key2", "LEN", "IDX"),
        ("LCS", "key1", "nokey"),
        ("LCS", "nokey", "nokey2", "IDX"),
        ("LCS", "key1", "key2", "BOGUS"),
        ("LCS", "key1", "key2", "MINMATCHLEN", "x"),
        ("LCS", "key1"),
    ])


def test_string_size_limit(r):
    with pytest.raises(redis.ResponseError, match="string exceeds maximum allowed size"):
        r.setrange("k", 512 * 1024 * 1024, "x")
    with pytest.raises(redis.ResponseError, match="string exceeds maximum allowed size"):
        r.setrange("k", 600 * 1024 * 1024, "x")
    assert r.exists("k") == 0


# ------------------------------------------------------------------------------ expiry

def test_expire_options(diff):
    diff.script([
        ("SET", "k", "v"),
        ("EXPIRE", "k", "100", "XX"),
        ("TTL", "k"),
        ("EXPIRE", "k", "100", "NX"),
        ("EXPIRE", "k", "200", "NX"),
        ("EXPIRE", "k", "50", "GT"),
        ("EXPIRE", "k", "500", "GT"),
        ("EXPIRE", "k", "1000", "LT"),
        ("EXPIRE", "k", "300", "LT"),
        ("EXPIRE", "k", "300", "XX"),
        ("EXPIRE", "k", "10", "NX", "XX"),
        ("EXPIRE", "k", "10", "GT", "LT"),
        ("EXPIRE", "k", "10", "NX", "GT"),
        ("EXPIRE", "k", "10", "BOGUS"),
        ("EXPIRE", "k", "abc"),
        ("EXPIRE", "k", str(MAX64)),
        ("PEXPIRE", "k", str(MAX64)),
        ("EXPIREAT", "k", str(MAX64)),
        ("EXPIRE", "missing", "10"),
        ("PERSIST", "k"), ("PERSIST", "k"), ("PERSIST", "missing"),
        ("TTL", "k"), ("PTTL", "k"), ("TTL", "missing"), ("PTTL", "missing"),
        ("EXPIRETIME", "k"), ("EXPIRETIME", "missing"),
        ("EXPIRE", "k", "100", "GT"),   # no TTL counts as infinite: GT fails
        ("EXPIRE", "k", "100", "LT"),   # ... and LT succeeds
        ("PERSIST", "k"),
        ("PEXPIREAT", "k", "99999999999999"), ("PEXPIRETIME", "k"), ("EXPIRETIME", "k"),
        ("EXPIREAT", "k", "99999999999", "LT"), ("EXPIRETIME", "k"),
        ("EXPIRE", "k", "0"), ("EXISTS", "k"),
        ("SET", "k", "v"), ("EXPIRE", "k", "-10"), ("EXISTS", "k"),
        ("SET", "k", "v"), ("PEXPIREAT", "k", "1"), ("GET", "k"),
        ("EXPIRE", "k"),
    ])


def test_ttl_countdown_and_pttl(r):
    r.set("k", "v")
    assert r.expire("k", 10)
    assert 9 <= r.ttl("k") <= 10
    assert 9000 < r.pttl("k") <= 10000
    assert r.pexpire("k", 2500)
    assert r.ttl("k") in (2, 3)
    assert r.persist("k")
    assert r.ttl("k") == -1 and r.pttl("k") == -1
    assert r.ttl("nope") == -2 and r.pttl("nope") == -2


def test_expired_keys_are_reclaimed_without_access(r):
    """Active expiry: keys that are never touched again still disappear (DBSIZE drops)."""
    p = r.pipeline(transaction=False)
    for i in range(200):
        p.set(f"vol:{i}", "x", px=50)
    p.set("keep", "x")
    p.execute()
    deadline = time.monotonic() + 5
    while r.dbsize() > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert r.dbsize() == 1
    info = r.info("stats")
    assert info["expired_keys"] >= 200


# ------------------------------------------------------------------------------ keyspace

def test_scan_returns_every_key(r):
    keys = {f"scan:{i}" for i in range(1000)}
    p = r.pipeline(transaction=False)
    for k in keys:
        p.set(k, "v")
    p.set("other", "v")
    p.execute()
    seen = []
    cursor = 0
    iterations = 0
    while True:
        cursor, batch = r.scan(cursor=cursor, count=37)
        seen.extend(batch)
        iterations += 1
        assert iterations < 5000
        if cursor == 0:
            break
    assert set(seen) == keys | {"other"}
    assert iterations > 1, "COUNT 37 over 1001 keys should take several iterations"
    matched = set(r.scan_iter(match="scan:1*", count=100))
    assert matched == {k for k in keys if k.startswith("scan:1")}
    assert set(r.scan_iter(match="nomatch*")) == set()


def test_scan_type_filter(r, oracle):
    for i in range(50):
        r.set(f"str:{i}", "v")
    make_list(r, "alist", oracle)
    strings = set(r.scan_iter(_type="string", count=20))
    assert strings == {f"str:{i}" for i in range(50)}
    assert set(r.scan_iter(_type="list")) == {"alist"}
    assert set(r.scan_iter(_type="hash")) == set()


def test_scan_keys_present_throughout_are_returned_despite_writes(r):
    stable = {f"stable:{i}" for i in range(500)}
    for k in stable:
        r.set(k, 1)
    seen = set()
    cursor = 0
    n = 0
    while True:
        cursor, batch = r.scan(cursor=cursor, count=50)
        seen.update(batch)
        # churn: add and remove other keys during the iteration (forces rehashing)
        for j in range(40):
            r.set(f"churn:{n}:{j}", 1)
        if n % 2:
            r.delete(*[f"churn:{n - 1}:{j}" for j in range(40)])
        n += 1
        assert n < 2000, "SCAN did not terminate"
        if cursor == 0:
            break
    assert stable <= seen


def test_scan_errors(diff):
    diff.script([
        ("SCAN", "abc"),
        ("SCAN", "0", "COUNT", "0"),
        ("SCAN", "0", "COUNT", "-1"),
        ("SCAN", "0", "COUNT", "x"),
        ("SCAN", "0", "BOGUS", "1"),
        ("SCAN", "0", "MATCH"),
        ("SCAN", "0", "TYPE", "string"),
        ("SCAN", "0", "TYPE", "nosuchtype"),
        ("SCAN",),
    ])


@pytest.mark.parametrize("pattern", [
    "*", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h\\*llo", "*o", "[a-z]*",
    "h[", "h[a-", "*[", "\\", "h[\\]]llo", "?", "??llo*", "x*y*z", "hello\\",
])
def test_keys_glob(diff, pattern):
    diff.script([("MSET", "hello", 1, "hallo", 1, "hxllo", 1, "hllo", 1, "heeeello", 1, "h*llo", 1,
                  "h]llo", 1, "hbllo", 1, "a", 1, "xyz", 1, "x-y-z", 1, "hello\\", 1, "h[", 1)])
    diff.same("KEYS", pattern, normalize=sorted_reply)


def test_rename_renamenx(diff):
    diff.script([
        ("SET", "a", "1"), ("SET", "b", "2"),
        ("RENAME", "a", "c"), ("GET", "c"), ("EXISTS", "a"),
        ("RENAME", "missing", "x"),
        ("RENAME", "c", "c"), ("GET", "c"),
        ("RENAMENX", "c", "b"), ("RENAMENX", "c", "d"), ("GET", "d"),
        ("RENAMENX", "missing", "e"),
        ("RENAMENX", "d", "d"),
        ("SET", "t", "v", "EX", "100"), ("RENAME", "t", "t2"), ("TTL", "t"),
        ("RENAME", "a"),
    ])


def test_rename_keeps_ttl(r):
    r.set("t", "v", ex=100)
    r.rename("t", "u")
    assert 99 <= r.ttl("u") <= 100


def test_copy(diff, r):
    diff.script([
        ("SET", "src", "v"),
        ("COPY", "src", "dst"), ("GET", "dst"),
        ("COPY", "src", "dst"),
        ("SET", "src", "v2"),
        ("COPY", "src", "dst", "REPLACE"), ("GET", "dst"),
        ("COPY", "missing", "x"),
        ("COPY", "src", "src"),
        ("COPY", "src", "other", "DB", "1"),
        ("COPY", "src", "other", "DB", "1"),
        ("COPY", "src", "other", "DB", "99"),
        ("COPY", "src", "other", "DB", "x"),
        ("COPY", "src", "other", "BOGUS"),
        ("EXISTS", "other"),
    ])
    r.set("ttl", "v", ex=100)
    assert r.copy("ttl", "ttl2")
    assert 99 <= r.ttl("ttl2") <= 100
    assert r.execute_command("COPY", "ttl", "x1", "DB", "1") == 1
    assert r.exists("x1") == 0


def test_move_swapdb_select(diff, mnemo):
    diff.script([
        ("SET", "a", "1"),
        ("MOVE", "a", "1"),
        ("EXISTS", "a"),
        ("MOVE", "a", "1"),
        ("SET", "a", "0"),
        ("MOVE", "a", "0"),
        ("MOVE", "a", "16"),
        ("MOVE", "a", "x"),
        ("MOVE", "missing", "1"),
        ("SWAPDB", "0", "1"),
        ("GET", "a"),
        ("SWAPDB", "0", "1"),
        ("SWAPDB", "0", "99"),
        ("SWAPDB", "x", "1"),
        ("SELECT", "16"),
        ("SELECT", "x"),
        ("SELECT", "-1"),
    ])
    c = redis.Redis(host=mnemo.host, port=mnemo.port, db=1, decode_responses=True)
    try:
        assert c.get("a") == "1"  # moved into db 1 by the script above
        assert c.dbsize() == 1
    finally:
        c.close()


def test_swapdb_visible_to_other_connections(r, mnemo):
    r.set("only0", "x")
    other = redis.Redis(host=mnemo.host, port=mnemo.port, db=1, decode_responses=True)
    try:
        other.set("only1", "y")
        assert r.swapdb(0, 1)
        assert r.get("only1") == "y" and r.get("only0") is None
        assert other.get("only0") == "x"
    finally:
        other.close()


def test_flushdb_dbsize(diff, mnemo):
    diff.script([
        ("MSET", "a", 1, "b", 2, "c", 3),
        ("DBSIZE",),
        ("FLUSHDB",),
        ("DBSIZE",),
        ("MSET", "a", 1, "b", 2),
        ("FLUSHDB", "ASYNC"),
        ("DBSIZE",),
        ("SET", "a", 1),
        ("FLUSHDB", "SYNC"),
        ("FLUSHDB", "BOGUS"),
        ("FLUSHALL", "BOGUS"),
        ("DBSIZE", "x"),
    ])


def test_flushdb_only_current_db_flushall_everything(r, mnemo):
    db1 = redis.Redis(host=mnemo.host, port=mnemo.port, db=1, decode_responses=True)
    try:
        db1.set("x", 1)
        r.set("y", 1)
        r.flushdb()
        assert r.dbsize() == 0 and db1.dbsize() == 1
        r.set("y", 1)
        r.flushall()
        assert r.dbsize() == 0 and db1.dbsize() == 0
    finally:
        db1.close()


def test_type_object_encoding(diff):
    diff.script([
        ("SET", "int", "12345"),
        ("SET", "emb", "hello"),
        ("SET", "raw", "x" * 100),
        ("SET", "neg", "-5"),
        ("SET", "notint", "0123"),
        ("SET", "bigint", "99999999999999999999"),
        ("TYPE", "int"), ("TYPE", "missing"),
        ("OBJECT", "ENCODING", "int"),
        ("OBJECT", "ENCODING", "emb"),
        ("OBJECT", "ENCODING", "raw"),
        ("OBJECT", "ENCODING", "neg"),
        ("OBJECT", "ENCODING", "notint"),
        ("OBJECT", "ENCODING", "bigint"),
        ("OBJECT", "ENCODING", "missing"),
        ("OBJECT", "REFCOUNT", "raw"),
        ("OBJECT", "FREQ", "int"),
        ("OBJECT", "BOGUS", "int"),
        ("OBJECT",),
    ])


@pytest.mark.xfail(reason="server bug: APPEND keeps the embstr encoding; Redis converts the value "
                          "to raw on APPEND (OBJECT ENCODING says raw)", strict=True)
def test_append_makes_raw_encoding(diff):
    diff.script([("SET", "emb", "hello"), ("APPEND", "emb", "!"), ("OBJECT", "ENCODING", "emb")])


def test_object_idletime_and_help(r):
    r.set("k", "v")
    assert r.object("idletime", "k") in (0, 1)
    help_lines = r.execute_command("OBJECT", "HELP")
    assert isinstance(help_lines, list) and len(help_lines) > 3
    assert any("ENCODING" in line for line in help_lines)


def test_randomkey(r):
    assert r.randomkey() is None
    r.set("only", "1")
    assert r.randomkey() == "only"
    keys = {f"k{i}" for i in range(20)}
    for k in keys:
        r.set(k, 1)
    seen = {r.randomkey() for _ in range(200)}
    assert seen <= keys | {"only"}
    assert len(seen) > 5


def test_touch_unlink_del_exists(diff):
    diff.script([
        ("MSET", "a", 1, "b", 2, "c", 3),
        ("TOUCH", "a", "b", "missing"),
        ("EXISTS", "a", "a", "missing", "b"),
        ("UNLINK", "a", "missing"),
        ("DEL", "b", "c", "b"),
        ("EXISTS", "a", "b", "c"),
        ("DEL", "nothing"),
        ("TOUCH",),
        ("WAIT", "0", "0"),
    ])


def test_wrongtype(r, oracle):
    make_list(r, "l", oracle)
    make_list(oracle, "l")
    for client in (r, oracle):
        for cmd in (("GET", "l"), ("APPEND", "l", "x"), ("INCR", "l"), ("GETRANGE", "l", "0", "1"),
                    ("SETRANGE", "l", "0", "x"), ("STRLEN", "l"), ("GETDEL", "l"), ("GETEX", "l"),
                    ("INCRBYFLOAT", "l", "1"), ("SET", "l", "x", "GET")):
            with pytest.raises(redis.ResponseError) as e:
                client.execute_command(*cmd)
            assert str(e.value) == "WRONGTYPE Operation against a key holding the wrong kind of value", cmd
        with pytest.raises(redis.ResponseError, match="^The specified keys must contain string values$"):
            client.execute_command("LCS", "l", "l")
        assert client.type("l") == "list"
        assert client.mget("l") == [None]
        assert client.set("l", "now a string")
        assert client.type("l") == "string"


@pytest.mark.parametrize("cmd", [
    ("GET",), ("GET", "a", "b"), ("SET", "a"), ("INCR",), ("INCRBY", "a"), ("MGET",),
    ("EXPIRE", "a"), ("TTL",), ("RENAME", "a"), ("KEYS",), ("DBSIZE", "x"), ("ECHO",),
    ("GETRANGE", "a", "0"), ("SETRANGE", "a", "0"), ("APPEND", "a"), ("TYPE",), ("SELECT",),
    ("PING", "a", "b"), ("COPY", "a"), ("MOVE", "a"), ("SWAPDB", "0"), ("GETSET", "a"),
])
def test_wrong_arity(diff, cmd):
    outcome = diff.same(*cmd)
    assert outcome[0] == "err"
    assert outcome[2] == f"wrong number of arguments for '{cmd[0].lower()}' command"


@pytest.mark.parametrize("cmd", [
    ("NOSUCH",), ("nosuch", "a", "b"), ("FOO", "x" * 200, "y"),
    ("GETT", "a", "b", "c", "d", "e", "f", "g", "h"),
])
def test_unknown_command(diff, cmd):
    outcome = diff.same(*cmd)
    assert outcome[2].startswith(f"unknown command '{cmd[0]}', with args beginning with:")


def test_unknown_subcommand(diff):
    for cmd in (("OBJECT", "NOPE", "k"), ("CONFIG", "NOPE"), ("CLIENT", "NOPE"), ("COMMAND", "NOPE")):
        outcome = diff.same(*cmd)
        assert outcome[2].startswith("unknown subcommand")


def test_not_integer_errors(r):
    for cmd in (("EXPIRE", "k", "1.5"), ("SETRANGE", "k", "x", "v"), ("GETRANGE", "k", "a", "1"),
                ("INCRBY", "k", "1e3"), ("SELECT", "one"), ("MOVE", "k", "y")):
        with pytest.raises(redis.ResponseError) as e:
            r.execute_command(*cmd)
        assert str(e.value) == "value is not an integer or out of range", cmd


def test_resp3_types(r3):
    r3.set("k", "v")
    assert r3.get("k") == "v"
    assert r3.get("missing") is None
    assert r3.incrbyfloat("f", 1.5) == 1.5
    assert r3.lcs("k", "k") == "v"
    res = r3.execute_command("LCS", "k", "k", "IDX")
    assert isinstance(res, dict) and res["len"] == 1
    assert r3.execute_command("HELLO")["proto"] == 3
