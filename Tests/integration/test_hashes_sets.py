"""Hashes and sets through redis-py, differential against a real redis-server (RESP2 and RESP3).

Replies whose order Redis leaves unspecified (hash tables, random picks) are normalized or
checked by property; small hashes (listpack) and intsets have a defined order and are compared
as they come. Also: OBJECT ENCODING transitions, restart after SIGKILL (same DEBUG DIGEST),
and DUMP/RESTORE both ways with the real Redis.
"""

import pytest
import redis


def norm(outcome):
    """Sorts unordered collection replies (and [cursor, items] scan replies' items)."""
    if outcome[0] != "ok":
        return outcome
    v = outcome[1]
    if isinstance(v, set):
        return ("ok", sorted(v))
    if isinstance(v, dict):
        return ("ok", sorted(v.items()))
    if isinstance(v, list):
        return ("ok", sorted(map(repr, v)))
    return outcome


WRONG = ("SET", "str", "x")


def test_hash_write_commands(diff):
    diff.script([
        WRONG,
        ("HSET", "h", "a", "1", "b", "2"),
        ("HSET", "h", "a", "10", "c", "3"),
        ("HSET", "h", "a"),
        ("HSET", "h", "a", "1", "b"),
        ("HSET", "str", "a", "1"),
        ("HMSET", "h", "d", "4", "e", "5"),
        ("HMSET", "h", "d"),
        ("HSETNX", "h", "a", "x"),
        ("HSETNX", "h", "z", "26"),
        ("HSETNX", "str", "z", "26"),
        ("HGETALL", "h"),
        ("HDEL", "h", "a", "nope", "a"),
        ("HDEL", "nokey", "a"),
        ("HDEL", "str", "a"),
        ("HDEL", "h"),
        ("HGETALL", "h"),
        ("HDEL", "h", "b", "c", "d", "e", "z"),
        ("EXISTS", "h"),
    ])


def test_hash_read_commands(diff):
    diff.script([
        WRONG,
        ("HSET", "h", "a", "1", "b", "hello", "c", "", "n", "-17"),
        ("HGET", "h", "a"), ("HGET", "h", "zz"), ("HGET", "nokey", "a"), ("HGET", "str", "a"), ("HGET", "h"),
        ("HMGET", "h", "a", "zz", "b"), ("HMGET", "nokey", "a"), ("HMGET", "str", "a"), ("HMGET", "h"),
        ("HLEN", "h"), ("HLEN", "nokey"), ("HLEN", "str"),
        ("HSTRLEN", "h", "b"), ("HSTRLEN", "h", "n"), ("HSTRLEN", "h", "zz"), ("HSTRLEN", "str", "b"),
        ("HEXISTS", "h", "c"), ("HEXISTS", "h", "zz"), ("HEXISTS", "nokey", "c"), ("HEXISTS", "str", "c"),
        # A listpack hash has a defined order: compared as is.
        ("HKEYS", "h"), ("HVALS", "h"), ("HGETALL", "h"),
        ("HKEYS", "nokey"), ("HVALS", "nokey"), ("HGETALL", "nokey"),
        ("HKEYS", "str"), ("HVALS", "str"), ("HGETALL", "str"),
    ])


def test_hash_counters(diff):
    diff.script([
        WRONG,
        ("HINCRBY", "h", "n", "5"), ("HINCRBY", "h", "n", "-12"),
        ("HINCRBY", "h", "n", "x"), ("HINCRBY", "h", "n", "1.5"),
        ("HSET", "h", "s", "abc", "big", "9223372036854775807", "sp", " 1", "f", "1.5", "e", "1e3"),
        ("HINCRBY", "h", "s", "1"), ("HINCRBY", "h", "sp", "1"), ("HINCRBY", "h", "f", "1"),
        ("HINCRBY", "h", "big", "1"), ("HINCRBY", "h", "big", "-1"),
        ("HINCRBY", "str", "n", "1"),
        ("HINCRBYFLOAT", "h", "f", "0.1"), ("HINCRBYFLOAT", "h", "f", "-1.6"),
        ("HINCRBYFLOAT", "h", "e", "2.5"), ("HINCRBYFLOAT", "h", "new", "5.0e3"),
        ("HINCRBYFLOAT", "h", "n", "1"), ("HINCRBYFLOAT", "h", "s", "1"),
        ("HINCRBYFLOAT", "h", "f", "inf"), ("HINCRBYFLOAT", "h", "f", "nan"), ("HINCRBYFLOAT", "h", "f", "x"),
        ("HINCRBYFLOAT", "h", "m", "1.7e308"), ("HINCRBYFLOAT", "h", "m", "1.7e308"),
        ("HINCRBYFLOAT", "str", "f", "1"),
        ("HINCRBYFLOAT", "nokey", "f", "inf"), ("EXISTS", "nokey"),
        ("HGETALL", "h"),
    ])


def test_hash_encodings(diff):
    long = "v" * 65
    diff.script([
        ("HSET", "h", "a", "v" * 64), ("OBJECT", "ENCODING", "h"),
        ("HSET", "h", "b", long), ("OBJECT", "ENCODING", "h"),
        ("HDEL", "h", "b"), ("OBJECT", "ENCODING", "h"),
        ("HSET", "i", "a", "1"), ("HINCRBY", "i", "f" * 65, "1"), ("OBJECT", "ENCODING", "i"),
        ("HSET", "j", "a", "1"), ("HSETNX", "j", "a", long), ("OBJECT", "ENCODING", "j"),
        ("HSET", "n", *[x for i in range(512) for x in (f"f{i}", i)]), ("OBJECT", "ENCODING", "n"),
        ("HSET", "n", "more", "1"), ("OBJECT", "ENCODING", "n"), ("HLEN", "n"),
    ])


def test_hrandfield(diff, r, r3):
    diff.script([
        WRONG,
        ("HRANDFIELD", "nokey"), ("HRANDFIELD", "nokey", "3"), ("HRANDFIELD", "nokey", "3", "WITHVALUES"),
        ("HRANDFIELD", "str"), ("HRANDFIELD", "str", "1"),
        ("HSET", "h", "a", "1", "b", "2", "c", "3"),
        ("HRANDFIELD", "h", "0"), ("HRANDFIELD", "h", "0", "WITHVALUES"),
        ("HRANDFIELD", "h", "1", "x"), ("HRANDFIELD", "h", "1", "WITHVALUES", "x"), ("HRANDFIELD", "h", "x"),
        ("HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"),
        ("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"),
        ("HRANDFIELD", "h", "-9223372036854775808"),
        # count ≥ size of a listpack: the whole hash, in order.
        ("HRANDFIELD", "h", "3"), ("HRANDFIELD", "h", "100", "WITHVALUES"),
    ])
    for c in (r, r3):
        c.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
        assert c.hrandfield("h") in {"a", "b", "c"}
        picks = c.hrandfield("h", 2)
        assert len(picks) == 2 and len(set(picks)) == 2
        assert len(c.hrandfield("h", -10)) == 10
        wv = c.execute_command("HRANDFIELD", "h", "-6", "WITHVALUES")
        # (redis-py may already group RESP2's flat reply into pairs)
        pairs = [tuple(p) for p in wv] if isinstance(wv[0], list) else list(zip(wv[::2], wv[1::2]))
        assert len(pairs) == 6 and all({"a": "1", "b": "2", "c": "3"}[f] == v for f, v in pairs)
        c.hset("big", mapping={f"f{i}": i for i in range(1000)})
        sample = c.hrandfield("big", 50)
        assert len(sample) == 50 and len(set(sample)) == 50
        assert c.hlen("big") == 1000 and c.hlen("h") == 3


def test_hscan(diff, r):
    diff.script([
        WRONG,
        ("HSET", "h", "a", "1", "b", "2", "ab", "3"),
        ("HSCAN", "h", "0"), ("HSCAN", "h", "0", "MATCH", "a*"), ("HSCAN", "h", "0", "COUNT", "1"),
        ("HSCAN", "h", "0", "COUNT", "0"), ("HSCAN", "h", "0", "COUNT", "x"), ("HSCAN", "h", "0", "TYPE", "hash"),
        ("HSCAN", "h", "0", "MATCH"), ("HSCAN", "h", "x"), ("HSCAN", "h", "-1"),
        ("HSCAN", "nokey", "0", "COUNT", "x"), ("HSCAN", "str", "0"),
    ])
    r.hset("big", mapping={f"f{i}": f"v{i}" for i in range(3000)})
    seen = dict(r.hscan_iter("big", count=30))
    assert seen == {f"f{i}": f"v{i}" for i in range(3000)}
    assert dict(r.hscan_iter("big", match="f1??")) == {f"f{i}": f"v{i}" for i in range(100, 200)}


def test_set_member_commands(diff):
    diff.script([
        WRONG,
        ("SADD", "s", "3", "1", "2", "1"), ("SADD", "s", "1"), ("SADD", "str", "a"), ("SADD", "s"),
        ("SMEMBERS", "s"), ("SMEMBERS", "nokey"), ("SMEMBERS", "str"),
        ("SCARD", "s"), ("SCARD", "nokey"), ("SCARD", "str"),
        ("SISMEMBER", "s", "2"), ("SISMEMBER", "s", "02"), ("SISMEMBER", "nokey", "2"), ("SISMEMBER", "str", "2"),
        ("SMISMEMBER", "s", "1", "9", "3"), ("SMISMEMBER", "nokey", "1"), ("SMISMEMBER", "str", "1"), ("SMISMEMBER", "s"),
        ("SREM", "s", "9"), ("SREM", "s", "1", "9"), ("SREM", "nokey", "1"), ("SREM", "str", "1"),
        ("SREM", "s", "2", "3"), ("EXISTS", "s"),
    ])


def test_set_encodings(diff):
    diff.script([
        ("SADD", "s", "1", "-5", "9223372036854775807"), ("OBJECT", "ENCODING", "s"), ("SMEMBERS", "s"),
        ("SADD", "s", "01"), ("OBJECT", "ENCODING", "s"),
        ("SREM", "s", "01"), ("OBJECT", "ENCODING", "s"),
        ("SADD", "n", *range(512)), ("OBJECT", "ENCODING", "n"),
        ("SADD", "n", "512"), ("OBJECT", "ENCODING", "n"), ("SCARD", "n"),
        ("SADD", "t", "a"), ("OBJECT", "ENCODING", "t"),
    ])


def test_smove(diff):
    diff.script([
        WRONG,
        ("SADD", "a", "x", "y", "1"),
        ("SMOVE", "nokey", "str", "x"), ("SMOVE", "a", "str", "x"), ("SMOVE", "str", "a", "x"),
        ("SMOVE", "a", "a", "x"), ("SMOVE", "a", "a", "zz"), ("SMOVE", "a", "b", "zz"),
        ("SMOVE", "a", "b", "1"), ("OBJECT", "ENCODING", "b"),
        ("SMOVE", "a", "b", "x"), ("SMOVE", "a", "b", "y"), ("EXISTS", "a"), ("SCARD", "b"),
    ])


def test_spop_and_srandmember(diff, r, r3):
    diff.script([
        WRONG,
        ("SPOP", "nokey"), ("SPOP", "nokey", "2"), ("SPOP", "str"), ("SPOP", "str", "0"),
        ("SRANDMEMBER", "nokey"), ("SRANDMEMBER", "nokey", "2"), ("SRANDMEMBER", "str"), ("SRANDMEMBER", "str", "0"),
        ("SADD", "s", "1", "2", "3"),
        ("SPOP", "s", "0"), ("SPOP", "s", "-1"), ("SPOP", "s", "x"), ("SPOP", "s", "1", "2"),
        ("SRANDMEMBER", "s", "0"), ("SRANDMEMBER", "s", "x"), ("SRANDMEMBER", "s", "1", "2"),
        ("SRANDMEMBER", "s", "-9223372036854775808"),
        # count ≥ size of an intset: all of it, in order.
        ("SRANDMEMBER", "s", "3"), ("SRANDMEMBER", "s", "9223372036854775807"),
        ("SPOP", "s", "5"), ("EXISTS", "s"),
    ])
    for c in (r, r3):
        c.sadd("s", *"abcdefghij")
        one = c.spop("s")
        two = c.spop("s", 2)
        assert len(two) == 2 and one not in two
        assert c.scard("s") == 7
        assert c.srandmember("s") in set("abcdefghij")
        assert len(set(c.srandmember("s", 5))) == 5
        assert len(c.srandmember("s", -20)) == 20
        rest = c.spop("s", 100)
        assert set(rest) | set(two) | {one} == set("abcdefghij")
        assert not c.exists("s")
        c.sadd("n", *range(600))
        assert c.object("encoding", "n") == "hashtable"
        assert len(set(c.spop("n", 500))) == 500
        assert c.scard("n") == 100 and c.object("encoding", "n") == "intset"  # rebuilt, as in Redis
        c.delete("n")


def test_set_algebra(diff):
    diff.script([
        WRONG,
        ("SADD", "a", "1", "2", "3", "4"), ("SADD", "b", "3", "4", "5"), ("SADD", "c", "4", "x", "y"),
        ("SINTER", "a", "nokey"), ("SINTER", "nokey", "str"), ("SINTER", "a", "str"),
        ("SUNION", "nokey", "str"), ("SDIFF", "nokey", "str"), ("SDIFF", "a", "str"),
        # Results of integers only: intsets, in order.
        ("SINTER", "a", "b"), ("SUNION", "a", "b", "nokey"), ("SDIFF", "a", "b"), ("SDIFF", "nokey", "a"),
        ("SINTERCARD", "2", "a", "b"), ("SINTERCARD", "2", "a", "b", "LIMIT", "1"),
        ("SINTERCARD", "2", "a", "b", "LIMIT", "0"), ("SINTERCARD", "3", "a", "b", "c"),
        ("SINTERCARD", "2", "a", "nokey"), ("SINTERCARD", "2", "nokey", "str"),
        ("SINTERCARD", "0", "a"), ("SINTERCARD", "x", "a"), ("SINTERCARD", "3", "a", "b"),
        ("SINTERCARD", "1", "a", "LIMIT", "-1"), ("SINTERCARD", "1", "a", "LIMIT", "x"),
        ("SINTERCARD", "1", "a", "FOO", "1"), ("SINTERCARD", "1", "a", "LIMIT"),
        ("SINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "3"),
    ])
    diff.same("SUNION", "a", "c", normalize=norm)
    diff.same("SINTER", "a", "b", "c", normalize=norm)
    diff.same("SDIFF", "c", "a", normalize=norm)


def test_set_store_commands(diff):
    diff.script([
        WRONG,
        ("SADD", "a", "1", "2", "3"), ("SADD", "b", "3", "4", "x"), ("SET", "dest", "string"),
        ("SINTERSTORE", "dest", "a", "b"), ("TYPE", "dest"), ("OBJECT", "ENCODING", "dest"), ("SMEMBERS", "dest"),
        ("SUNIONSTORE", "dest", "a", "b"), ("OBJECT", "ENCODING", "dest"), ("SCARD", "dest"),
        ("SDIFFSTORE", "dest", "a", "b"), ("OBJECT", "ENCODING", "dest"), ("SMEMBERS", "dest"),
        ("SINTERSTORE", "dest", "a", "nokey"), ("EXISTS", "dest"),
        ("SDIFFSTORE", "dest", "a", "a"), ("EXISTS", "dest"),
        ("SUNIONSTORE", "dest", "a", "str"), ("SINTERSTORE", "dest", "str"), ("SDIFFSTORE", "dest", "nokey", "str"),
        ("SUNIONSTORE", "a", "a", "b"), ("SCARD", "a"),
        ("SADD", "t", "q"), ("EXPIRE", "t", "100"), ("SUNIONSTORE", "t", "b"), ("TTL", "t"),
        ("SUNIONSTORE", "dest"),
    ])


def test_sscan(diff, r):
    diff.script([
        WRONG,
        ("SADD", "s", "1", "2", "10"),
        ("SSCAN", "s", "0"), ("SSCAN", "s", "0", "MATCH", "1*"), ("SSCAN", "s", "0", "COUNT", "0"),
        ("SSCAN", "s", "x"), ("SSCAN", "s", "0", "NOPE", "1"), ("SSCAN", "nokey", "0"), ("SSCAN", "str", "0"),
    ])
    r.sadd("big", *[f"m{i}" for i in range(3000)])
    assert set(r.sscan_iter("big", count=25)) == {f"m{i}" for i in range(3000)}
    assert set(r.sscan_iter("big", match="m1?")) == {f"m{i}" for i in range(10, 20)}


def test_command_info_matches_redis(diff):
    commands = ["hdel", "hexists", "hget", "hgetall", "hincrby", "hincrbyfloat", "hkeys", "hlen", "hmget",
                "hmset", "hrandfield", "hscan", "hset", "hsetnx", "hstrlen", "hvals",
                "sadd", "scard", "sdiff", "sdiffstore", "sinter", "sintercard", "sinterstore", "sismember",
                "smembers", "smismember", "smove", "spop", "srandmember", "srem", "sscan", "sunion", "sunionstore"]

    def raw(client, *args):
        # Straight from the connection: no redis-py response callbacks.
        conn = client.connection_pool.get_connection("COMMAND")
        try:
            conn.send_command(*args)
            return conn.read_response()
        finally:
            client.connection_pool.release(conn)

    def info(client, name):
        entry = raw(client, "COMMAND", "INFO", name)[0]
        # name, arity, flags, first, last, step, categories, (tips skipped), key specs
        return [entry[0], entry[1], sorted(entry[2]), entry[3], entry[4], entry[5], sorted(entry[6]), entry[8]]

    def docs(client, name):
        reply = raw(client, "COMMAND", "DOCS", name)
        d = reply[name] if isinstance(reply, dict) else dict(zip(reply[1][::2], reply[1][1::2]))
        return {k: d.get(k) for k in ("summary", "since", "group", "complexity")}

    for name in commands:
        assert info(diff.m, name) == info(diff.r, name), name
        assert docs(diff.m, name) == docs(diff.r, name), name


def test_restart_after_kill_keeps_hashes_and_sets(mnemo_factory):
    srv = mnemo_factory()
    c = srv.client(decode_responses=True)
    c.hset("small", mapping={"a": "1", "b": "two"})
    c.hset("big", mapping={f"f{i}": i for i in range(700)})
    c.hincrbyfloat("small", "f", "1.25")
    c.sadd("ints", 1, 2, 3, -70000)
    c.srem("ints", -70000)
    c.sadd("strs", *[f"m{i}" for i in range(100)])
    c.spop("strs", 10)
    c.sadd("a", 1, 2, 3)
    c.sunionstore("u", "a", "ints", "strs")
    c.smove("strs", "a", c.srandmember("strs"))
    before = c.execute_command("DEBUG", "DIGEST")
    encodings = {k: c.object("encoding", k) for k in ("small", "big", "ints", "strs", "a", "u")}
    dumps = {k: c.dump(k) for k in ("small", "ints")}
    c.close()
    srv.kill()
    srv.restart()
    c = srv.client(decode_responses=True)
    assert c.execute_command("DEBUG", "DIGEST") == before
    assert {k: c.object("encoding", k) for k in encodings} == encodings
    assert c.hget("small", "f") == "1.25"
    c.close()
    rb = srv.client()
    assert {k: rb.dump(k) for k in dumps} == dumps
    rb.close()


def test_dump_restore_interop_with_redis(mnemo, redis_server):
    m = redis.Redis(host=mnemo.host, port=mnemo.port)
    o = redis.Redis(host=redis_server.host, port=redis_server.port)
    m.flushall()
    o.flushall()
    for c in (m, o):
        c.hset("hsmall", mapping={"a": "1", "b": "hello", "c": "-5", "d": "70000"})
        c.hset("hbig", mapping={f"f{i}": f"v{i}" for i in range(600)})
        c.hset("hlong", mapping={"a": "x" * 100})
        c.sadd("iset", 1, 2, 3, 100000)
        c.srem("iset", 100000)
        c.sadd("sstr", *[f"m{i}" for i in range(50)])
        c.sadd("sbig", *range(1000))
    for key in ("hsmall", "iset"):
        # Deterministic encodings: the payloads are byte-identical.
        assert m.dump(key) == o.dump(key), key
    for key in ("hsmall", "hbig", "hlong", "iset", "sstr", "sbig"):
        # Mnemo's payload loads in Redis and Redis's in Mnemo, with the same content and encoding.
        o.restore(key + ":from-mnemo", 0, m.dump(key))
        m.restore(key + ":from-redis", 0, o.dump(key))
        for c, k in ((o, key + ":from-mnemo"), (m, key + ":from-redis")):
            assert c.type(k) == c.type(key)
            assert c.object("encoding", k) == c.object("encoding", key), (k, c)
            if c.type(k) == b"hash":
                assert c.hgetall(k) == c.hgetall(key)
            else:
                assert c.smembers(k) == c.smembers(key)
