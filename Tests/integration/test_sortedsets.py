"""Sorted sets and SORT over TCP: differential checks against a real Redis 7.0 in RESP2 and
RESP3, blocking pops, restart after SIGKILL, DUMP/RESTORE interop."""

import threading
import time

import pytest
import redis


@pytest.fixture
def zdiff(diff):
    """`diff` with redis-py's reply callbacks off, so both servers' raw replies are compared."""
    for c in (diff.m, diff.r):
        c.response_callbacks.clear()
    return diff


def _seed(d):
    d.script([
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
        ("ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "foo"),
        ("SADD", "s", "c", "x", "y"),
        ("SET", "str", "v"),
    ])


def test_zadd_zincrby_and_errors(zdiff):
    _seed(zdiff)
    zdiff.script([
        ("ZADD", "z", "NX", "XX", "1", "a"),
        ("ZADD", "z", "GT", "LT", "1", "a"),
        ("ZADD", "z", "NX", "LT", "1", "a"),
        ("ZADD", "z", "INCR", "1", "a", "2", "b"),
        ("ZADD", "z", "1"),
        ("ZADD", "z", "nan", "a"),
        ("ZADD", "z", "CH", "10", "a", "2", "b", "7", "new"),
        ("ZADD", "z", "GT", "CH", "1", "a", "20", "b"),
        ("ZADD", "z", "LT", "CH", "0", "a", "30", "b"),
        ("ZADD", "z", "XX", "1", "nope"),
        ("ZADD", "missing", "XX", "1", "a"),
        ("EXISTS", "missing"),
        ("ZADD", "z", "INCR", "inf", "a"),
        ("ZADD", "z", "INCR", "-inf", "a"),
        ("ZADD", "z", "XX", "INCR", "1", "nope"),
        ("ZINCRBY", "z", "2.5", "c"),
        ("ZINCRBY", "z", "x", "c"),
        ("ZINCRBY", "str", "1", "c"),
        ("ZADD", "str", "1", "a"),
        ("ZADD", "z", "1e-320", "tiny", "-0", "negzero", "1.7976931348623157e308", "huge"),
        ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
        # An equal score written as -0 leaves 0 in place, in both encodings.
        ("ZADD", "z", "0", "zero"),
        ("ZADD", "z", "CH", "-0", "zero"),
        ("ZSCORE", "z", "zero"),
        ("ZADD", "big", *[x for i in range(200) for x in (str(i % 7), "m%d" % i)]),
        ("OBJECT", "ENCODING", "big"),
        ("ZADD", "big", "0", "zero", "CH", "-0", "zero", "3", "m1", "3", "m2"),
        ("ZSCORE", "big", "zero"),
        ("ZRANGE", "big", "0", "4", "WITHSCORES"),
        ("ZRANK", "big", "m2"),
    ])


def test_point_reads(zdiff):
    _seed(zdiff)
    zdiff.script([
        ("ZCARD", "z"), ("ZCARD", "nope"), ("ZCARD", "str"),
        ("ZSCORE", "z", "c"), ("ZSCORE", "z", "nope"), ("ZSCORE", "nope", "a"),
        ("ZMSCORE", "z", "a", "nope", "e"), ("ZMSCORE", "nope", "a"),
        ("ZRANK", "z", "c"), ("ZREVRANK", "z", "c"), ("ZRANK", "z", "nope"),
        ("ZCOUNT", "z", "-inf", "+inf"), ("ZCOUNT", "z", "(1", "(5"), ("ZCOUNT", "z", "x", "1"),
        ("ZCOUNT", "z", "", ""), ("ZCOUNT", "nope", "0", "1"),
        ("ZLEXCOUNT", "lex", "-", "+"), ("ZLEXCOUNT", "lex", "[b", "(foo"), ("ZLEXCOUNT", "lex", "b", "+"),
        ("ZLEXCOUNT", "lex", "+", "-"),
    ])


def test_ranges(zdiff):
    _seed(zdiff)
    cmds = []
    for extra in ([], ["WITHSCORES"]):
        cmds += [
            ("ZRANGE", "z", "0", "-1", *extra), ("ZRANGE", "z", "-2", "100", *extra), ("ZRANGE", "z", "3", "1", *extra),
            ("ZRANGE", "z", "0", "1", "REV", *extra), ("ZRANGE", "z", "(1", "4", "BYSCORE", *extra),
            ("ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2", *extra),
            ("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "-1", *extra),
            ("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "2", *extra),
            ("ZREVRANGEBYSCORE", "z", "(5", "2", *extra), ("ZREVRANGE", "z", "0", "2", *extra),
            ("ZRANGE", "nope", "0", "-1", *extra),
        ]
    cmds += [
        ("ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"), ("ZRANGE", "lex", "-", "+", "BYLEX", "WITHSCORES"),
        ("ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"), ("ZRANGE", "z", "a", "b"), ("ZRANGE", "z", "a", "b", "BYSCORE"),
        ("ZRANGEBYSCORE", "z", "0", "5", "REV"), ("ZRANGE", "lex", "[b", "(foo", "BYLEX"),
        ("ZRANGE", "lex", "+", "[b", "BYLEX", "REV", "LIMIT", "0", "2"), ("ZRANGEBYLEX", "lex", "-", "[c"),
        ("ZRANGEBYLEX", "lex", "(a", "+", "LIMIT", "1", "1"), ("ZREVRANGEBYLEX", "lex", "+", "-"),
        ("ZRANGEBYLEX", "lex", "a", "+"), ("ZRANGE", "str", "0", "-1"),
        ("ZRANGESTORE", "dst", "z", "1", "3"), ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
        ("ZRANGESTORE", "dst", "z", "(1", "+inf", "BYSCORE", "LIMIT", "0", "2"), ("ZRANGE", "dst", "0", "-1"),
        ("ZRANGESTORE", "dst", "lex", "[c", "-", "BYLEX", "REV"), ("ZRANGE", "dst", "0", "-1"),
        ("ZRANGESTORE", "dst", "z", "10", "20"), ("EXISTS", "dst"), ("ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES"),
        ("ZRANGESTORE", "dst", "str", "0", "-1"),
        ("OBJECT", "ENCODING", "z"),
    ]
    zdiff.script(cmds)


def test_removals(zdiff):
    _seed(zdiff)
    zdiff.script([
        ("ZREM", "z", "a", "nope"), ("ZREM", "nope", "a"), ("ZREM", "str", "a"),
        ("ZREMRANGEBYSCORE", "z", "(2", "4"), ("ZREMRANGEBYSCORE", "z", "x", "4"),
        ("ZREMRANGEBYRANK", "z", "-1", "-1"), ("ZREMRANGEBYRANK", "z", "5", "10"), ("ZREMRANGEBYRANK", "z", "a", "1"),
        ("ZREMRANGEBYLEX", "lex", "[b", "[c"), ("ZREMRANGEBYLEX", "lex", "b", "[c"), ("ZRANGE", "lex", "0", "-1"),
        ("ZREMRANGEBYRANK", "z", "0", "-1"), ("EXISTS", "z"),
    ])


def test_pops(zdiff):
    _seed(zdiff)
    zdiff.script([
        ("ZPOPMIN", "z"), ("ZPOPMAX", "z", "2"), ("ZPOPMIN", "z", "0"), ("ZPOPMIN", "z", "-1"),
        ("ZPOPMIN", "nope"), ("ZPOPMIN", "nope", "3"), ("ZPOPMIN", "str"), ("ZPOPMIN", "z", "1", "2"),
        ("ZMPOP", "2", "nope", "z", "MIN"), ("ZMPOP", "1", "z", "MAX", "COUNT", "10"), ("ZMPOP", "1", "z", "MIN"),
        ("ZMPOP", "0", "z", "MIN"), ("ZMPOP", "2", "z", "MIN"), ("ZMPOP", "1", "z", "LEFT"),
        ("ZMPOP", "1", "z", "MIN", "COUNT", "0"), ("ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"),
        ("BZPOPMIN", "lex", "0"), ("BZPOPMAX", "nope", "lex", "0.01"), ("BZPOPMAX", "lex", "x"),
        ("BZPOPMAX", "lex", "-1"), ("BZMPOP", "0", "1", "lex", "MAX", "COUNT", "2"), ("BZMPOP", "x", "1", "lex", "MIN"),
        ("BZMPOP", "0.01", "1", "nope", "MIN"), ("BZPOPMIN", "nope", "0.01"),
    ])


def test_algebra(zdiff):
    _seed(zdiff)
    zdiff.script([
        ("ZADD", "z2", "10", "b", "20", "c", "30", "w"),
        ("ZUNION", "2", "z", "z2"), ("ZUNION", "2", "z", "z2", "WITHSCORES"),
        ("ZUNION", "3", "z", "z2", "s", "WEIGHTS", "1", "2", "3", "AGGREGATE", "MAX", "WITHSCORES"),
        ("ZINTER", "2", "z", "z2", "WITHSCORES"), ("ZINTER", "2", "z", "s", "AGGREGATE", "MIN", "WITHSCORES"),
        ("ZINTER", "2", "z", "nope"), ("ZDIFF", "2", "z", "z2", "WITHSCORES"), ("ZDIFF", "2", "s", "z"),
        ("ZINTERCARD", "2", "z", "z2"), ("ZINTERCARD", "2", "z", "z2", "LIMIT", "1"),
        ("ZINTERCARD", "2", "z", "z2", "LIMIT", "-1"), ("ZINTERCARD", "0", "z"),
        ("ZUNION", "0", "z"), ("ZUNION", "3", "z"), ("ZUNION", "1", "z", "WEIGHTS", "x"),
        ("ZUNION", "1", "z", "AGGREGATE", "AVG"), ("ZDIFF", "1", "z", "WEIGHTS", "2"), ("ZUNION", "2", "z", "str"),
        ("ZUNIONSTORE", "d", "2", "z", "z2"), ("ZRANGE", "d", "0", "-1", "WITHSCORES"), ("OBJECT", "ENCODING", "d"),
        ("ZINTERSTORE", "d", "2", "z", "z2", "WEIGHTS", "0.5", "inf"), ("ZRANGE", "d", "0", "-1", "WITHSCORES"),
        ("ZDIFFSTORE", "d", "2", "z", "z2"), ("ZRANGE", "d", "0", "-1", "WITHSCORES"),
        ("ZINTERSTORE", "d", "2", "z", "nope"), ("EXISTS", "d"),
        ("ZUNIONSTORE", "d", "1", "z", "WITHSCORES"),
        ("ZADD", "pinf", "inf", "m"), ("ZADD", "ninf", "-inf", "m"),
        ("ZUNION", "2", "pinf", "ninf", "WITHSCORES"), ("ZUNION", "1", "pinf", "WEIGHTS", "0", "WITHSCORES"),
    ])


def test_randmember_and_scan(zdiff):
    _seed(zdiff)
    zdiff.script([
        ("ZRANDMEMBER", "nope"), ("ZRANDMEMBER", "nope", "3"), ("ZRANDMEMBER", "z", "0"),
        ("ZRANDMEMBER", "z", "10"), ("ZRANDMEMBER", "z", "10", "WITHSCORES"),
        ("ZRANDMEMBER", "z", "1", "WITHSCORES", "x"), ("ZRANDMEMBER", "z", "x"),
        ("ZRANDMEMBER", "z", "-9223372036854775808"), ("ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES"),
        ("ZSCAN", "z", "0"), ("ZSCAN", "z", "0", "MATCH", "[a-c]", "COUNT", "1"), ("ZSCAN", "z", "x"),
        ("ZSCAN", "z", "0", "COUNT", "0"), ("ZSCAN", "nope", "0"), ("ZSCAN", "str", "0"),
    ])
    # Random replies: shapes only.
    for c in (zdiff.m, zdiff.r):
        assert len(c.execute_command("ZRANDMEMBER", "z", "-7")) == 7
        assert len(c.execute_command("ZRANDMEMBER", "z", "3")) == 3
        assert c.execute_command("ZRANDMEMBER", "z") in ["a", "b", "c", "d", "e"]


def test_sort(zdiff):
    zdiff.script([
        ("RPUSH", "l", "3", "1", "2", "10", "5"),
        ("MSET", "w_3", "30", "w_1", "10", "w_2", "5", "w_10", "1"),
        ("HSET", "h_1", "f", "one"), ("HSET", "h_2", "f", "two"),
        ("SORT", "l"), ("SORT", "l", "DESC"), ("SORT", "l", "LIMIT", "1", "2"), ("SORT", "l", "LIMIT", "-5", "2", "DESC"),
        ("SORT", "l", "LIMIT", "10", "2"), ("SORT", "l", "ALPHA"), ("SORT", "l", "BY", "w_*"),
        ("SORT", "l", "BY", "w_*", "DESC", "GET", "#", "GET", "w_*"), ("SORT", "l", "BY", "nosort"),
        ("SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"), ("SORT", "l", "GET", "h_*->f", "GET", "#"),
        ("SORT", "l", "BY", "h_*->f", "ALPHA"), ("SORT", "l", "STORE", "dst"), ("LRANGE", "dst", "0", "-1"),
        ("SORT", "l", "GET", "nope_*", "STORE", "dst"), ("LRANGE", "dst", "0", "-1"),
        ("SORT", "l", "LIMIT", "10", "10", "STORE", "dst"), ("EXISTS", "dst"),
        ("SORT_RO", "l", "DESC"), ("SORT_RO", "l", "STORE", "x"), ("SORT", "l", "foo"), ("SORT", "l", "LIMIT", "a", "1"),
        ("RPUSH", "bad", "1", "x"), ("SORT", "bad"), ("SORT", "bad", "ALPHA"),
        ("ZADD", "zs", "3", "a", "1", "b", "2", "c"), ("SORT", "zs", "ALPHA"), ("SORT", "zs", "BY", "nosort"),
        ("SORT", "zs", "BY", "nosort", "DESC", "LIMIT", "1", "1"),
        ("SADD", "st", "5", "2", "9"), ("SORT", "st"), ("SORT", "st", "BY", "nosort", "STORE", "sd"),
        ("LRANGE", "sd", "0", "-1"), ("SET", "str", "1"), ("SORT", "str"), ("SORT", "nope"),
    ])


def test_command_info_matches_redis(diff):
    names = ["zadd", "zrangestore", "zunionstore", "bzpopmin", "bzmpop", "zscan", "zrandmember", "sort", "sort_ro"]
    for n in names:
        got = diff.m.execute_command("COMMAND", "INFO", n)
        want = diff.r.execute_command("COMMAND", "INFO", n)
        if isinstance(got, dict):
            got, want = got[n], want[n]
        # Flags, ACL categories and key specs (movablekeys is derived by the table, not checked here).
        for field in ("arity", "acl_categories", "key_specifications"):
            if isinstance(got, dict) and field in got:
                assert got[field] == want[field], (n, field)


def test_blocking_pop_served_by_another_client_fifo(r, mnemo):
    results = {}

    def waiter(name, delay, cmd):
        time.sleep(delay)
        c = redis.Redis(host=mnemo.host, port=mnemo.port, decode_responses=True)
        c.response_callbacks.clear()
        results[name] = c.execute_command(*cmd)
        c.close()

    threads = [
        threading.Thread(target=waiter, args=("first", 0, ("BZPOPMIN", "bz", "5"))),
        threading.Thread(target=waiter, args=("second", 0.2, ("BZPOPMIN", "bz", "5"))),
        threading.Thread(target=waiter, args=("multi", 0.4, ("BZMPOP", "5", "2", "k1", "k2", "MAX", "COUNT", "2"))),
    ]
    for t in threads:
        t.start()
    time.sleep(0.7)
    r.zadd("bz", {"x": 1, "y": 2})
    r.zadd("k2", {"p": 1, "q": 2, "r": 3})
    for t in threads:
        t.join(10)
    assert list(results["first"][:2]) == ["bz", "x"] and float(results["first"][2]) == 1
    assert list(results["second"][:2]) == ["bz", "y"] and float(results["second"][2]) == 2
    key, popped = results["multi"]
    assert key == "k2" and [(m, float(sc)) for m, sc in popped] == [("r", 3.0), ("q", 2.0)]
    assert r.zrange("k2", 0, -1) == ["p"]
    assert r.exists("bz") == 0
    t0 = time.monotonic()
    assert r.bzpopmax("none", timeout=0.2) is None
    assert time.monotonic() - t0 >= 0.15
    # Inside MULTI a blocking pop does not block.
    p = r.pipeline(transaction=True)
    p.bzpopmin("none", 0)
    assert p.execute() == [None]


def test_restart_keeps_sorted_sets(mnemo_factory):
    s = mnemo_factory()
    c = s.client()
    c.zadd("small", {"a": 1, "b": 2.5, "c": float("-inf")})
    c.zadd("big", {f"m{i}": i / 3 for i in range(300)})
    c.zincrby("small", 0.1, "a")
    c.zpopmax("big", 3)
    c.zunionstore("u", ["small", "big"], aggregate="MAX")
    c.rpush("l", 3, 1, 2)
    c.sort("l", store="sorted")
    before = c.execute_command("DEBUG", "DIGEST")
    s.kill()
    s.start()
    c = s.client()
    assert c.execute_command("DEBUG", "DIGEST") == before
    assert c.zscore("small", "a") == pytest.approx(1.1)
    assert c.object("encoding", "big") in (b"skiplist", "skiplist")
    assert c.lrange("sorted", 0, -1) == [b"1", b"2", b"3"]


def test_dump_restore_interop(mnemo, redis_server):
    m = redis.Redis(host=mnemo.host, port=mnemo.port)
    o = redis.Redis(host=redis_server.host, port=redis_server.port)
    for c in (m, o):
        c.delete("small", "big", "x")
        c.zadd("small", {"a": 1, "b": 2.5, "c": -3, "d": float("inf"), "-0": 0})
        c.zadd("big", {f"member-{i}": i * 0.7 for i in range(200)})
    for key in ("small", "big"):
        assert m.dump(key) == o.dump(key), key
        m.restore("x", 0, o.dump(key), replace=True)
        assert m.zrange("x", 0, -1, withscores=True) == o.zrange(key, 0, -1, withscores=True)
        assert m.object("encoding", "x") == o.object("encoding", key)
        o.restore("x", 0, m.dump(key), replace=True)
        assert o.zrange("x", 0, -1, withscores=True) == m.zrange(key, 0, -1, withscores=True)
