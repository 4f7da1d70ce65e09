"""Lists, including blocking pops, through redis-py (RESP2 and RESP3) and raw sockets.

Non-blocking commands are differential (`diff.same`: same replies or same error text as a
real redis-server). Blocking behaviour is checked with several connections: FIFO serving,
timeouts, CLIENT UNBLOCK, disconnects, MULTI, pipelining, and durability of served pops.
"""

import socket
import threading
import time

import pytest
import redis

from support import read_until, wait_until

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def blocked_clients(c):
    return int(c.info("clients")["blocked_clients"])


def wait_blocked(c, n):
    wait_until(lambda: blocked_clients(c) == n, timeout=5, message=f"{n} blocked clients")


def raw(server):
    s = socket.create_connection((server.host, server.port), timeout=5)
    return s


def send(sock, *args):
    out = f"*{len(args)}\r\n".encode()
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(out)


# ------------------------------------------------------------------------------ differential

def test_push_pop_and_reads(diff):
    diff.script([
        ("RPUSH", "l", "a", "b", "c", "1", "2", "300", "-5", "c"),
        ("LPUSH", "l", "x", "y"),
        ("LPUSHX", "l", "z"), ("RPUSHX", "l", "w", "v"),
        ("LPUSHX", "nx", "z"), ("RPUSHX", "nx", "z"), ("EXISTS", "nx"),
        ("LLEN", "l"), ("LLEN", "nx"),
        ("LRANGE", "l", "0", "-1"), ("LRANGE", "l", "-3", "100"), ("LRANGE", "l", "5", "2"),
        ("LRANGE", "l", "-100", "2"), ("LRANGE", "nx", "0", "-1"), ("LRANGE", "l", "a", "1"),
        ("LINDEX", "l", "0"), ("LINDEX", "l", "-1"), ("LINDEX", "l", "99"), ("LINDEX", "l", "x"),
        ("LINDEX", "nx", "x"),
        ("LPOP", "l"), ("RPOP", "l"), ("LPOP", "l", "2"), ("RPOP", "l", "3"), ("LPOP", "l", "0"),
        ("LPOP", "nx"), ("LPOP", "nx", "1"), ("LPOP", "nx", "0"), ("RPOP", "l", "-1"), ("RPOP", "l", "x"),
        ("LPOP", "l", "1", "2"), ("LPOP", "l", "100"), ("EXISTS", "l"),
        ("OBJECT", "ENCODING", "nx"),
    ])


def test_lpos(diff):
    diff.script([
        ("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"),
        ("LPOS", "l", "c"), ("LPOS", "l", "c", "RANK", "2"), ("LPOS", "l", "c", "RANK", "-1"),
        ("LPOS", "l", "c", "RANK", "-3"), ("LPOS", "l", "c", "RANK", "9"),
        ("LPOS", "l", "c", "COUNT", "0"), ("LPOS", "l", "c", "COUNT", "2", "RANK", "-1"),
        ("LPOS", "l", "c", "COUNT", "0", "MAXLEN", "7"), ("LPOS", "l", "c", "RANK", "-1", "MAXLEN", "1"),
        ("LPOS", "l", "1"), ("LPOS", "l", "zz", "COUNT", "3"), ("LPOS", "nx", "a"), ("LPOS", "nx", "a", "COUNT", "0"),
        ("LPOS", "l", "a", "RANK", "0"), ("LPOS", "l", "a", "RANK", "x"), ("LPOS", "l", "a", "COUNT", "-1"),
        ("LPOS", "l", "a", "COUNT", "x"), ("LPOS", "l", "a", "MAXLEN", "-1"), ("LPOS", "l", "a", "FOO"),
        ("LPOS", "l", "a", "RANK"), ("LPOS", "l", "a", "RANK", "-9223372036854775808"),
    ])


def test_edits(diff):
    diff.script([
        ("RPUSH", "l", "a", "b", "a", "c", "a", "b"),
        ("LINSERT", "l", "BEFORE", "a", "x"), ("LINSERT", "l", "after", "c", "y"),
        ("LINSERT", "l", "AFTER", "zz", "q"), ("LINSERT", "nx", "AFTER", "a", "q"),
        ("LINSERT", "l", "MIDDLE", "a", "q"), ("LRANGE", "l", "0", "-1"),
        ("LSET", "l", "0", "first"), ("LSET", "l", "-1", "last"), ("LSET", "l", "100", "v"),
        ("LSET", "l", "x", "v"), ("LSET", "nx", "x", "v"), ("LRANGE", "l", "0", "-1"),
        ("LREM", "l", "-1", "a"), ("LREM", "l", "1", "b"), ("LREM", "l", "0", "a"), ("LREM", "l", "0", "zz"),
        ("LREM", "l", "x", "a"), ("LREM", "nx", "0", "a"), ("LRANGE", "l", "0", "-1"),
        ("RPUSH", "t", "0", "1", "2", "3", "4", "5"),
        ("LTRIM", "t", "1", "-2"), ("LRANGE", "t", "0", "-1"), ("LTRIM", "t", "0", "100"),
        ("LTRIM", "t", "3", "1"), ("EXISTS", "t"), ("LTRIM", "nx", "0", "1"), ("LTRIM", "nx", "x", "1"),
    ])


def test_moves_and_mpop(diff):
    diff.script([
        ("RPUSH", "src", "a", "b", "c"),
        ("LMOVE", "src", "dst", "LEFT", "RIGHT"), ("LMOVE", "src", "dst", "right", "left"),
        ("RPOPLPUSH", "src", "dst"), ("EXISTS", "src"), ("LRANGE", "dst", "0", "-1"),
        ("LMOVE", "dst", "dst", "LEFT", "RIGHT"), ("RPOPLPUSH", "dst", "dst"), ("LRANGE", "dst", "0", "-1"),
        ("LMOVE", "nx", "dst", "LEFT", "LEFT"), ("RPOPLPUSH", "nx", "dst"), ("LMOVE", "dst", "x", "UP", "LEFT"),
        ("RPUSH", "b", "1", "2", "3", "4"),
        ("LMPOP", "2", "a", "b", "RIGHT", "COUNT", "2"), ("LMPOP", "2", "a", "b", "LEFT"),
        ("LMPOP", "2", "a", "b", "LEFT", "COUNT", "9"), ("LMPOP", "2", "a", "b", "LEFT"),
        ("LMPOP", "0", "a", "LEFT"), ("LMPOP", "x", "a", "LEFT"), ("LMPOP", "2", "a", "LEFT"),
        ("LMPOP", "1", "a", "MIDDLE"), ("LMPOP", "1", "a", "LEFT", "COUNT", "0"),
        ("LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1"), ("LMPOP", "1", "a", "LEFT", "COUNT"),
        ("LMPOP", "1", "a", "LEFT", "FOO"),
        ("BLMPOP", "0.01", "1", "a", "MIDDLE"), ("BLMPOP", "-1", "1", "a", "LEFT"), ("BLMPOP", "x", "1", "a", "LEFT"),
        ("BLMPOP", "0.01", "0", "a", "LEFT"),
    ])


def test_wrongtype_everywhere(diff):
    diff.script([("SET", "s", "v"), ("RPUSH", "l", "a")])
    for cmd in [("LPUSH", "s", "a"), ("RPUSH", "s", "a"), ("LPUSHX", "s", "a"), ("RPUSHX", "s", "a"),
                ("LPOP", "s"), ("RPOP", "s", "0"), ("LLEN", "s"), ("LINDEX", "s", "x"), ("LRANGE", "s", "0", "1"),
                ("LPOS", "s", "a"), ("LINSERT", "s", "BEFORE", "a", "b"), ("LSET", "s", "0", "a"),
                ("LREM", "s", "0", "a"), ("LTRIM", "s", "0", "1"), ("LMOVE", "s", "l", "LEFT", "LEFT"),
                ("LMOVE", "l", "s", "LEFT", "LEFT"), ("LMOVE", "nx", "s", "LEFT", "LEFT"), ("RPOPLPUSH", "l", "s"),
                ("LMPOP", "2", "nx", "s", "LEFT"), ("LMPOP", "2", "l", "s", "LEFT"),
                ("BLPOP", "nx", "s", "0.01"), ("BRPOP", "s", "0.01"), ("BLMOVE", "nx", "s", "LEFT", "LEFT", "0.01"),
                ("BLMOVE", "s", "l", "LEFT", "LEFT", "0.01"), ("BLMPOP", "0.01", "1", "s", "LEFT")]:
        diff.same(*cmd)


def test_blocking_commands_served_at_once(diff):
    diff.script([
        ("RPUSH", "k", "a", "b", "c", "d", "e"),
        ("BLPOP", "nx", "k", "0"), ("BRPOP", "k", "nx", "0"),
        ("BLMOVE", "k", "d", "LEFT", "RIGHT", "0"), ("BRPOPLPUSH", "k", "d", "0"),
        ("BLMPOP", "0", "2", "nx", "k", "LEFT", "COUNT", "10"), ("EXISTS", "k"), ("LRANGE", "d", "0", "-1"),
        ("BLPOP", "nx", "0.01"), ("BLMOVE", "nx", "d", "LEFT", "LEFT", "0.01"), ("BRPOPLPUSH", "nx", "d", "0.01"),
        ("BLMPOP", "0.01", "1", "nx", "LEFT"),
        ("BLPOP", "k", "-1"), ("BLPOP", "k", "abc"), ("BLMOVE", "k", "d", "LEFT", "LEFT", "-1"),
        ("BRPOPLPUSH", "k", "d", "x"), ("BLMOVE", "k", "d", "UP", "LEFT", "0"),
    ])


def test_large_list_values_and_encoding(diff):
    big = "x" * 10000
    diff.script([
        ("RPUSH", "l", *[f"element-{i}" for i in range(3000)]),
        ("RPUSH", "l", big, "12345678901", "-9223372036854775808"),
        ("LLEN", "l"), ("LINDEX", "l", "1500"), ("LRANGE", "l", "2995", "-1"),
        ("LPOS", "l", "element-2999"), ("OBJECT", "ENCODING", "l"),
        ("RPUSH", "small", "1"), ("OBJECT", "ENCODING", "small"),
    ])


def test_command_info_matches_redis(mnemo, redis_server):
    names = ["blmove", "blmpop", "blpop", "brpop", "brpoplpush", "lindex", "linsert", "llen", "lmove", "lmpop",
             "lpop", "lpos", "lpush", "lpushx", "lrange", "lrem", "lset", "ltrim", "rpop", "rpoplpush", "rpush",
             "rpushx"]
    clients = []
    for server in (mnemo, redis_server):
        c = server.client(decode_responses=True)
        c.set_response_callback("COMMAND", lambda reply, **kw: reply)
        clients.append(c)
    m, o = clients
    for name in names:
        got = m.execute_command("COMMAND", "INFO", name)[0]
        want = o.execute_command("COMMAND", "INFO", name)[0]
        # name, arity, flags, first, last, step, ACL categories, tips, key specs, subcommands
        assert got == want, f"{name}: {got!r} != {want!r}"
        dm = m.execute_command("COMMAND", "DOCS", name)[name]
        do = o.execute_command("COMMAND", "DOCS", name)[name]
        for field in ("summary", "since", "group", "complexity"):
            assert dm[field] == do[field], f"{name} {field}"


# ------------------------------------------------------------------------------ blocking

def test_waiters_are_served_fifo_one_element_each(mnemo, r):
    socks = [raw(mnemo) for _ in range(3)]
    try:
        for i, s in enumerate(socks):
            send(s, "BLPOP", "q", "other", "0")
            wait_blocked(r, i + 1)
        assert r.rpush("q", "a", "b", "c") == 3
        replies = [read_until(s, lambda d: d.count(b"\r\n") >= 5) for s in socks]
        assert replies == [b"*2\r\n$1\r\nq\r\n$1\r\n%s\r\n" % v for v in (b"a", b"b", b"c")]
        assert blocked_clients(r) == 0
        assert r.exists("q") == 0
    finally:
        for s in socks:
            s.close()


def test_push_serves_as_many_waiters_as_elements(mnemo, r):
    socks = [raw(mnemo) for _ in range(3)]
    try:
        for i, s in enumerate(socks):
            send(s, "BRPOP", "q", "0")
            wait_blocked(r, i + 1)
        r.lpush("q", "x", "y")  # list is [y, x]: BRPOP takes x then y
        assert read_until(socks[0], lambda d: d.count(b"\r\n") >= 5).endswith(b"$1\r\nx\r\n")
        assert read_until(socks[1], lambda d: d.count(b"\r\n") >= 5).endswith(b"$1\r\ny\r\n")
        assert blocked_clients(r) == 1
        r.rpush("q", "z")
        assert read_until(socks[2], lambda d: d.count(b"\r\n") >= 5).endswith(b"$1\r\nz\r\n")
        assert blocked_clients(r) == 0
    finally:
        for s in socks:
            s.close()


def test_push_inside_multi_serves_after_exec(mnemo, r):
    s = raw(mnemo)
    try:
        send(s, "BLPOP", "q", "0")
        wait_blocked(r, 1)
        p = r.pipeline(transaction=True)
        p.rpush("q", "a")
        p.rpush("q", "b")
        p.llen("q")
        assert p.execute() == [1, 2, 2]  # nobody was served inside the transaction
        assert read_until(s, lambda d: d.count(b"\r\n") >= 5) == b"*2\r\n$1\r\nq\r\n$1\r\na\r\n"
        assert r.lrange("q", 0, -1) == ["b"]
    finally:
        s.close()


def test_blocking_inside_multi_does_not_block(r):
    p = r.pipeline(transaction=True)
    p.blpop(["q"], 0)
    p.execute_command("BLMOVE", "q", "d", "LEFT", "LEFT", 0)
    p.execute_command("BLMPOP", 0, 1, "q", "LEFT")
    assert p.execute() == [None, None, None]
    assert blocked_clients(r) == 0


def test_fractional_timeout(mnemo, r):
    c = mnemo.client(decode_responses=True)
    start = time.monotonic()
    assert c.blpop(["q"], 0.3) is None
    elapsed = time.monotonic() - start
    assert 0.25 <= elapsed < 2.0
    start = time.monotonic()
    assert c.execute_command("BLMOVE", "q", "d", "LEFT", "LEFT", "0.2") is None
    assert 0.15 <= time.monotonic() - start < 2.0
    assert c.execute_command("BLMPOP", "0.1", "1", "q", "LEFT") is None


def test_timeout_zero_waits_until_served(mnemo, r):
    s = raw(mnemo)
    try:
        send(s, "BLMPOP", "0", "1", "q", "RIGHT", "COUNT", "2")
        wait_blocked(r, 1)
        time.sleep(1.0)
        assert blocked_clients(r) == 1
        r.rpush("q", "1", "2", "3")
        assert read_until(s, lambda d: d.count(b"\r\n") >= 8) == b"*2\r\n$1\r\nq\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"
        assert r.lrange("q", 0, -1) == ["1"]
    finally:
        s.close()


def test_client_unblock_timeout_and_error(mnemo, r):
    s = raw(mnemo)
    try:
        send(s, "CLIENT", "ID")
        cid = int(read_until(s, lambda d: d.endswith(b"\r\n"))[1:-2])
        send(s, "BLPOP", "q", "0")
        wait_blocked(r, 1)
        assert r.client_unblock(cid, error=False) == 1
        assert read_until(s, lambda d: d.endswith(b"\r\n")) == b"*-1\r\n"
        send(s, "BLMOVE", "q", "d", "LEFT", "LEFT", "0")
        wait_blocked(r, 1)
        assert r.client_unblock(cid, error=True) == 1
        assert read_until(s, lambda d: d.endswith(b"\r\n")) == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
        assert r.client_unblock(cid) == 0
        assert blocked_clients(r) == 0
    finally:
        s.close()


def test_disconnected_waiter_is_removed(mnemo, r):
    s = raw(mnemo)
    send(s, "BLPOP", "q", "0")
    wait_blocked(r, 1)
    s.close()
    wait_blocked(r, 0)
    r.rpush("q", "kept")
    assert r.lrange("q", 0, -1) == ["kept"]


def test_pipelined_commands_after_a_blocking_one_keep_their_order(mnemo, r):
    s = raw(mnemo)
    try:
        s.sendall(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nLLEN\r\n$1\r\nq\r\n")
        wait_blocked(r, 1)
        s.settimeout(0.3)
        with pytest.raises(socket.timeout):
            s.recv(100)  # nothing is answered while the BLPOP waits
        r.rpush("q", "a", "b")
        data = read_until(s, lambda d: d.endswith(b":1\r\n"))
        assert data == b"*2\r\n$1\r\nq\r\n$1\r\na\r\n+PONG\r\n:1\r\n"
    finally:
        s.close()


def test_served_client_next_pipelined_pop_queues_behind_other_waiters(mnemo, r):
    a, b = raw(mnemo), raw(mnemo)
    try:
        a.sendall(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n" * 2)
        wait_blocked(r, 1)
        send(b, "BLPOP", "q", "0")
        wait_blocked(r, 2)
        r.rpush("q", "1", "2")
        # B was queued before A's second BLPOP ran: it gets the second element.
        assert read_until(b, lambda d: d.count(b"\r\n") >= 5) == b"*2\r\n$1\r\nq\r\n$1\r\n2\r\n"
        wait_blocked(r, 1)  # A's second BLPOP waits for the next element
        r.rpush("q", "3")
        assert read_until(a, lambda d: d.count(b"\r\n") >= 10) == b"*2\r\n$1\r\nq\r\n$1\r\n1\r\n" * 1 + \
            b"*2\r\n$1\r\nq\r\n$1\r\n3\r\n"
    finally:
        a.close()
        b.close()


def test_replies_before_a_blocking_command_are_sent_at_once(mnemo, r):
    s = raw(mnemo)
    try:
        s.sendall(b"*1\r\n$4\r\nPING\r\n*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n")
        wait_blocked(r, 1)
        assert read_until(s, lambda d: d.endswith(b"\r\n"), timeout=1) == b"+PONG\r\n"
    finally:
        s.close()


def test_waiter_keeps_waiting_when_key_becomes_another_type(mnemo, r):
    s = raw(mnemo)
    try:
        send(s, "BLPOP", "q", "0")
        wait_blocked(r, 1)
        r.set("q", "string")
        time.sleep(0.1)
        assert blocked_clients(r) == 1
        r.delete("q")
        r.rpush("q", "v")
        assert read_until(s, lambda d: d.count(b"\r\n") >= 5) == b"*2\r\n$1\r\nq\r\n$1\r\nv\r\n"
    finally:
        s.close()


def test_blmove_destination_of_wrong_type_errors_the_waiter(mnemo, r):
    s = raw(mnemo)
    try:
        r.set("d", "string")
        send(s, "BLMOVE", "q", "d", "LEFT", "LEFT", "0")
        wait_blocked(r, 1)
        r.rpush("q", "v")
        assert read_until(s, lambda d: d.endswith(b"\r\n")) == ("-" + WRONGTYPE + "\r\n").encode()
        assert r.lrange("q", 0, -1) == ["v"]
        assert blocked_clients(r) == 0
    finally:
        s.close()


def test_resp3_blocking_replies(mnemo, r3):
    c = redis.Redis(host=mnemo.host, port=mnemo.port, protocol=3, decode_responses=True)
    assert c.blpop(["q"], 0.05) is None
    r3.rpush("q", "a")
    assert c.blpop(["q"], 0) == ["q", "a"]
    out = []
    t = threading.Thread(target=lambda: out.append(c.execute_command("BLMPOP", 0, 1, "q", "LEFT", "COUNT", 3)))
    t.start()
    wait_blocked(r3, 1)
    r3.rpush("q", "x", "y")
    t.join(5)
    assert out == [["q", ["x", "y"]]]


def test_served_blmove_survives_sigkill(mnemo_factory):
    s = mnemo_factory()
    c = s.client(decode_responses=True)
    out = []
    waiter = s.client(decode_responses=True)
    t = threading.Thread(target=lambda: out.append(waiter.execute_command("BLMOVE", "src", "dst", "RIGHT", "LEFT", 0)))
    t.start()
    wait_blocked(c, 1)
    c.rpush("src", "a", "b")
    t.join(5)
    assert out == ["b"]
    s.kill()
    s.start()
    c = s.client(decode_responses=True)
    assert c.lrange("src", 0, -1) == ["a"]
    assert c.lrange("dst", 0, -1) == ["b"]


# ------------------------------------------------------------------------------ persistence

def fill_lists(c):
    c.rpush("small", "a", "1", "-5", "300")
    c.rpush("big", *[f"value-{i}" for i in range(5000)])
    c.rpush("huge-elements", *["z" * 9000, "y" * 20000, "short"])
    c.lpush("built-from-head", *[str(i) for i in range(2000)])
    c.rpush("edited", *range(100))
    c.lrem("edited", 0, "50")
    c.linsert("edited", "BEFORE", "10", "ten")
    c.ltrim("edited", 2, -3)
    c.lset("edited", 0, "first")


def test_restart_keeps_lists(mnemo_factory):
    s = mnemo_factory()
    c = s.client()
    fill_lists(c)
    c.lmove("big", "moved", "LEFT", "RIGHT")
    c.execute_command("LMPOP", 1, "small", "RIGHT", "COUNT", 2)
    before = c.execute_command("DEBUG", "DIGEST")
    snapshot = {k: c.lrange(k, 0, -1) for k in c.keys()}
    s.kill()
    s.start()
    c = s.client()
    assert c.execute_command("DEBUG", "DIGEST") == before
    assert {k: c.lrange(k, 0, -1) for k in c.keys()} == snapshot
    # Again from a snapshot (RDB) rather than the log.
    c.execute_command("DEBUG", "RELOAD")
    assert c.execute_command("DEBUG", "DIGEST") == before


def test_dump_payloads_equal_redis_and_restore_both_ways(mnemo, redis_server):
    m = mnemo.client()
    o = redis_server.client()
    m.flushall()
    o.flushall()
    fill_lists(m)
    fill_lists(o)
    for key in [b"small", b"big", b"huge-elements", b"edited"]:
        assert m.dump(key) == o.dump(key), key
    for key in [b"small", b"big", b"huge-elements", b"edited", b"built-from-head"]:
        m.restore(b"from-redis-" + key, 0, o.dump(key))
        assert m.lrange(b"from-redis-" + key, 0, -1) == o.lrange(key, 0, -1)
        o.restore(b"from-mnemo-" + key, 0, m.dump(key))
        assert o.lrange(b"from-mnemo-" + key, 0, -1) == m.lrange(key, 0, -1)
    assert m.execute_command("OBJECT", "ENCODING", "small") == b"quicklist"
