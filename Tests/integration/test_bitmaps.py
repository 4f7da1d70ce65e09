"""Bitmaps (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO) compared with a
real Redis 7.0 through the `diff` fixture, plus what the log and keyspace events must show."""

import time

import pytest
import redis

from conftest import Differential


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def diff(request, mnemo, redis_server):
    """Like conftest's `diff`, with bytes replies (bitmaps are rarely UTF-8)."""
    m = redis.Redis(host=mnemo.host, port=mnemo.port, socket_timeout=10, protocol=request.param)
    o = redis.Redis(host=redis_server.host, port=redis_server.port, socket_timeout=10, protocol=request.param)
    m.flushall()
    o.flushall()
    yield Differential(m, o)
    m.close()
    o.close()


def test_setbit_getbit(diff):
    diff.script([
        ("SETBIT", "b", "7", "1"), ("GET", "b"), ("GETBIT", "b", "7"), ("GETBIT", "b", "6"),
        ("GETBIT", "b", "100000"), ("GETBIT", "missing", "3"),
        ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "7", "0"), ("GET", "b"),
        ("SETBIT", "b", "100", "0"), ("STRLEN", "b"),
        ("SET", "s", "foobar"), ("SETBIT", "s", "1", "0"), ("GET", "s"),
        ("SET", "n", "12"), ("GETBIT", "n", "2"), ("SETBIT", "n", "2", "0"), ("GET", "n"),
        # Errors, in Redis's order: offset, bit value, type.
        ("SETBIT", "b", "-1", "1"), ("SETBIT", "b", "x", "1"), ("SETBIT", "b", "4294967296", "1"),
        ("SETBIT", "b", "1", "2"), ("SETBIT", "b", "1", "-1"), ("SETBIT", "b", "1", "x"),
        ("GETBIT", "b", "-1"), ("GETBIT", "b", "4294967296"),
        ("LPUSH", "l", "a"), ("SETBIT", "l", "1", "1"), ("GETBIT", "l", "1"), ("SETBIT", "l", "x", "1"),
        ("GETBIT", "l", "x"), ("SETBIT", "l", "1", "x"),
        ("SETBIT", "b"), ("GETBIT", "b", "1", "2"),
    ])


def test_setbit_keeps_ttl(diff):
    diff.script([("SET", "k", "a", "EX", "100"), ("SETBIT", "k", "30", "1"), ("GET", "k")])
    assert diff.m.ttl("k") > 90


def test_bitcount(diff):
    diff.script([
        ("SET", "s", "foobar"), ("BITCOUNT", "s"), ("BITCOUNT", "s", "0", "0"), ("BITCOUNT", "s", "1", "1"),
        ("BITCOUNT", "s", "1", "-2"), ("BITCOUNT", "s", "-3", "-1"), ("BITCOUNT", "s", "-1", "-3"),
        ("BITCOUNT", "s", "5", "100"), ("BITCOUNT", "s", "-100", "100"), ("BITCOUNT", "s", "10", "2"),
        ("BITCOUNT", "s", "1", "1", "BYTE"), ("BITCOUNT", "s", "5", "30", "BIT"), ("BITCOUNT", "s", "5", "5", "bit"),
        ("BITCOUNT", "s", "-7", "-2", "BIT"), ("BITCOUNT", "s", "0", "-1", "BIT"), ("BITCOUNT", "s", "3", "9", "BIT"),
        ("BITCOUNT", "s", "0", "1000", "BIT"), ("BITCOUNT", "s", "9", "3", "BIT"),
        ("BITCOUNT", "s", "1"), ("BITCOUNT", "s", "a", "b"), ("BITCOUNT", "s", "0", "1", "FOO"),
        ("BITCOUNT", "s", "0", "1", "BIT", "x"),
        ("BITCOUNT", "missing"), ("BITCOUNT", "missing", "1"), ("BITCOUNT", "missing", "a", "b"),
        ("SET", "e", ""), ("BITCOUNT", "e"), ("BITCOUNT", "e", "0", "-1"), ("BITCOUNT", "e", "0", "-1", "BIT"),
        ("SET", "n", "1234567"), ("BITCOUNT", "n"), ("BITCOUNT", "n", "1", "3"),
        ("SET", "big", "x" * 1000 + "\xff" * 33), ("BITCOUNT", "big"), ("BITCOUNT", "big", "3", "1020"),
        ("BITCOUNT", "big", "17", "8100", "BIT"),
        ("HSET", "h", "f", "v"), ("BITCOUNT", "h"),
    ])


def test_bitpos(diff):
    diff.script([
        ("SET", "s", "\xff\xf0\x00"), ("BITPOS", "s", "0"), ("BITPOS", "s", "1"), ("BITPOS", "s", "1", "2"),
        ("BITPOS", "s", "0", "0", "0"), ("BITPOS", "s", "0", "1"), ("BITPOS", "s", "1", "-1"),
        ("BITPOS", "s", "1", "7", "15", "BIT"), ("BITPOS", "s", "0", "7", "15", "BIT"), ("BITPOS", "s", "0", "3", "11", "BIT"),
        ("BITPOS", "s", "1", "13", "-1", "BIT"), ("BITPOS", "s", "0", "5", "2", "BIT"), ("BITPOS", "s", "1", "0", "-1", "BYTE"),
        ("SET", "f", "\xff\xff"), ("BITPOS", "f", "0"), ("BITPOS", "f", "0", "0"), ("BITPOS", "f", "0", "0", "-1"),
        ("BITPOS", "f", "0", "1", "12", "BIT"), ("BITPOS", "f", "0", "5"), ("BITPOS", "f", "1", "5"),
        ("SET", "z", "\x00\x00\x00"), ("BITPOS", "z", "1"), ("BITPOS", "z", "0"), ("BITPOS", "z", "1", "1", "2"),
        ("SET", "e", ""), ("BITPOS", "e", "0"), ("BITPOS", "e", "1"),
        ("BITPOS", "missing", "0"), ("BITPOS", "missing", "1"), ("BITPOS", "missing", "0", "a"),
        ("BITPOS", "s", "2"), ("BITPOS", "s", "x"), ("BITPOS", "s", "1", "a"), ("BITPOS", "s", "1", "0", "b"),
        ("BITPOS", "s", "1", "0", "1", "FOO"), ("BITPOS", "s", "1", "0", "1", "BIT", "x"),
        ("SET", "n", "1234567"), ("BITPOS", "n", "1"), ("BITPOS", "n", "0", "2"),
        ("SET", "long", "\x00" * 40 + "\x01" + "\xff" * 20 + "\x7f"), ("BITPOS", "long", "1"),
        ("BITPOS", "long", "0", "41"), ("BITPOS", "long", "0", "41", "-2"), ("BITPOS", "long", "1", "8", "400", "BIT"),
        ("SADD", "set", "a"), ("BITPOS", "set", "1"),
    ])


def test_bitop(diff):
    diff.script([
        ("SET", "a", "\x01\x02\xff"), ("SET", "b", "\x03\x0f"), ("SET", "c", "\xf0"),
        ("BITOP", "AND", "d", "a", "b"), ("GET", "d"), ("BITOP", "and", "d", "a", "b", "missing"), ("GET", "d"),
        ("BITOP", "OR", "d", "a", "b", "c"), ("GET", "d"), ("BITOP", "XOR", "d", "a", "b", "c"), ("GET", "d"),
        ("BITOP", "NOT", "d", "a"), ("GET", "d"), ("BITOP", "NOT", "a", "a"), ("GET", "a"),
        ("BITOP", "AND", "d", "a"), ("GET", "d"),
        ("SET", "d", "old", "EX", "100"), ("BITOP", "OR", "d", "b"), ("TTL", "d"),
        ("BITOP", "OR", "d", "missing1", "missing2"), ("EXISTS", "d"), ("BITOP", "OR", "d", "missing1"),
        ("SET", "e", ""), ("BITOP", "NOT", "d", "e"), ("EXISTS", "d"),
        ("BITOP", "NOT", "d", "a", "b"), ("BITOP", "NAND", "d", "a"), ("BITOP", "OR", "d"),
        ("LPUSH", "l", "x"), ("BITOP", "OR", "d", "a", "l"), ("BITOP", "OR", "l", "a"), ("TYPE", "l"),
        ("SET", "n", "123"), ("BITOP", "XOR", "d", "n", "a"), ("GET", "d"),
    ])


def test_bitfield(diff):
    diff.script([
        ("BITFIELD", "bf", "SET", "u8", "0", "255", "GET", "u8", "0", "GET", "i8", "0"), ("GET", "bf"),
        ("BITFIELD", "bf", "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "u2", "102", "5"),
        ("BITFIELD", "bf", "SET", "i5", "#3", "-3", "GET", "i5", "#3", "GET", "u5", "15"),
        ("BITFIELD", "w", "INCRBY", "i8", "0", "100", "INCRBY", "i8", "0", "100", "OVERFLOW", "SAT",
         "INCRBY", "i8", "0", "100", "INCRBY", "i8", "0", "-1000", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "-1"),
        ("BITFIELD", "w", "OVERFLOW", "WRAP", "INCRBY", "u8", "8", "300", "INCRBY", "u8", "8", "-301", "SET", "u8", "8", "-1"),
        ("BITFIELD", "w", "OVERFLOW", "SAT", "SET", "u8", "8", "-1", "SET", "i8", "8", "200", "SET", "i8", "8", "-200"),
        ("BITFIELD", "w", "OVERFLOW", "FAIL", "SET", "u8", "8", "256", "SET", "i4", "8", "8", "INCRBY", "u4", "8", "16"),
        ("BITFIELD", "w64", "SET", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "1",
         "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1", "INCRBY", "i64", "0", "2", "GET", "u63", "0", "GET", "u63", "1"),
        ("BITFIELD", "w64", "OVERFLOW", "SAT", "SET", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-5",
         "OVERFLOW", "WRAP", "INCRBY", "i64", "0", "-1"),
        ("BITFIELD", "u63", "SET", "u63", "0", "9223372036854775807", "INCRBY", "u63", "0", "1",
         "OVERFLOW", "SAT", "INCRBY", "u63", "0", "-5", "INCRBY", "u63", "0", "9223372036854775807"),
        ("BITFIELD", "odd", "SET", "u13", "3", "5000", "GET", "u13", "3", "GET", "i13", "3", "GET", "u3", "12"), ("GET", "odd"),
        ("BITFIELD", "missing", "GET", "u8", "0", "GET", "i16", "1000"), ("EXISTS", "missing"),
        ("BITFIELD", "missing"), ("BITFIELD", "bf"),
        ("BITFIELD", "bf", "GET", "u64", "0"), ("BITFIELD", "bf", "GET", "i65", "0"), ("BITFIELD", "bf", "GET", "u0", "0"),
        ("BITFIELD", "bf", "GET", "U8", "0"), ("BITFIELD", "bf", "GET", "x8", "0"), ("BITFIELD", "bf", "GET", "u8", "-1"),
        ("BITFIELD", "bf", "GET", "u8", "#-1"), ("BITFIELD", "bf", "GET", "u8", "4294967296"),
        ("BITFIELD", "bf", "GET", "u8", "#536870912"), ("BITFIELD", "bf", "GET", "u8", "#536870911"),
        ("BITFIELD", "bf", "GET", "u8", "##1"), ("BITFIELD", "bf", "SET", "u8", "0", "x"), ("BITFIELD", "bf", "SET", "u8", "0"),
        ("BITFIELD", "bf", "GET", "u8"), ("BITFIELD", "bf", "FOO", "u8", "0"), ("BITFIELD", "bf", "OVERFLOW", "X"),
        ("BITFIELD", "bf", "OVERFLOW"), ("BITFIELD", "bf", "OVERFLOW", "FAIL", "GET", "u8", "0"),
        ("LPUSH", "l", "x"), ("BITFIELD", "l", "GET", "u8", "0"), ("BITFIELD", "l", "SET", "u8", "0", "1"),
        ("BITFIELD", "l", "SET", "u8", "0", "x"),
        ("SET", "n", "42"), ("BITFIELD", "n", "GET", "u8", "0", "SET", "u8", "8", "51"), ("GET", "n"),
    ])


def test_bitfield_ro(diff):
    diff.script([
        ("SET", "k", "\x0f\xf0"), ("BITFIELD_RO", "k", "GET", "u4", "0", "GET", "i8", "4", "GET", "u4", "#3"),
        ("BITFIELD_RO", "k"), ("BITFIELD_RO", "missing", "GET", "u8", "0"),
        ("BITFIELD_RO", "k", "SET", "u8", "0", "1"), ("BITFIELD_RO", "k", "INCRBY", "u8", "0", "1"),
        ("BITFIELD_RO", "k", "OVERFLOW", "SAT", "GET", "u8", "0"), ("BITFIELD_RO", "k", "GET", "u64", "0"),
        ("LPUSH", "l", "x"), ("BITFIELD_RO", "l", "GET", "u8", "0"), ("BITFIELD_RO", "l", "SET", "u8", "0", "1"),
    ])


def _raw(client, *args):
    conn = client.connection_pool.get_connection()  # raw: no COMMAND response callback
    try:
        conn.send_command(*args)
        return conn.read_response()
    finally:
        client.connection_pool.release(conn)


def test_bit_commands_info_matches_redis(diff):
    for argv in [["SETBIT", "k", "0", "1"], ["GETBIT", "k", "0"], ["BITCOUNT", "k"], ["BITPOS", "k", "1"],
                 ["BITOP", "AND", "d", "a", "b"], ["BITFIELD", "k", "GET", "u8", "0"], ["BITFIELD_RO", "k", "GET", "u8", "0"]]:
        assert _raw(diff.m, "COMMAND", "INFO", argv[0]) == _raw(diff.r, "COMMAND", "INFO", argv[0])
        assert _raw(diff.m, "COMMAND", "GETKEYS", *argv) == _raw(diff.r, "COMMAND", "GETKEYS", *argv)


def _events(r, body):
    p = r.pubsub()
    p.psubscribe("__keyspace@0__:*")
    p.get_message(timeout=1)
    body()
    r.set("end-marker", 1)
    got = []
    deadline = time.time() + 5
    while time.time() < deadline:
        m = p.get_message(timeout=1)
        if m is None:
            continue
        if m["channel"].endswith("end-marker"):
            break
        got.append((m["channel"].split(":", 1)[1], m["data"]))
    p.close()
    return got


@pytest.mark.parametrize("server", ["mnemo", "redis"])
def test_keyspace_events(server, r, oracle):
    c = r if server == "mnemo" else oracle
    c.flushall()
    c.config_set("notify-keyspace-events", "KA")
    try:
        def body():
            c.setbit("a", 3, 1)
            c.setbit("a", 3, 1)  # unchanged: no event
            c.bitop("OR", "d", "a")
            c.bitop("OR", "d", "nothing")
            c.execute_command("BITFIELD", "a", "SET", "u8", "0", "255")
            c.execute_command("BITFIELD", "a", "SET", "u8", "0", "255")  # unchanged
            c.execute_command("BITFIELD", "a", "GET", "u8", "0")
            c.execute_command("BITFIELD", "a", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1")
        assert _events(c, body) == [("a", "setbit"), ("d", "set"), ("d", "del"), ("a", "setbit")]
    finally:
        c.config_set("notify-keyspace-events", "")


def test_bit_writes_survive_restart(mnemo_factory):
    srv = mnemo_factory()
    c = srv.client()
    c.setbit("s", 100, 1)
    c.setbit("s", 3, 1)
    c.setbit("s", 3, 0)
    c.set("x", "\x0f")
    c.bitop("XOR", "d", "s", "x")
    c.execute_command("BITFIELD", "f", "SET", "i8", "0", "-5", "INCRBY", "u4", "8", "9", "OVERFLOW", "FAIL", "INCRBY", "u4", "8", "9")
    c.execute_command("BITFIELD", "g", "GET", "u8", "0")
    c.execute_command("BITFIELD", "h", "OVERFLOW", "FAIL", "SET", "u2", "0", "10")
    before = {k: c.get(k) for k in ["s", "d", "f"]}
    srv.restart()
    c = srv.client()
    assert {k: c.get(k) for k in ["s", "d", "f"]} == before
    assert c.exists("g", "h") == 0
