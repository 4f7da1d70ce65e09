"""Modules blocking clients on keys (RedisModule_BlockClientOnKeys, SignalKeyAsReady, …) through
the project's test module Tests/integration/modules/blocking.c. Each behaviour runs on Mnemo and
on a real redis-server 7.0 with the same module loaded: the expectations hold for both."""

import os
import shutil
import subprocess
import time

import pytest
import redis

from support import MnemoProcess, RedisProcess, wait_until

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


@pytest.fixture(scope="module")
def blocking_so(tmp_path_factory):
    out = tmp_path_factory.mktemp("modules") / "blocking.so"
    subprocess.run(["gcc", "-Wall", "-shared", "-fPIC", "-I", os.path.join(ROOT, "include"), "-o", str(out),
                    os.path.join(ROOT, "Tests/integration/modules/blocking.c")], check=True)
    return str(out)


@pytest.fixture(scope="module", params=["mnemo", "redis"])
def server(request, blocking_so, tmp_path_factory):
    if request.param == "redis" and not shutil.which("redis-server"):
        pytest.skip("redis-server (the oracle) is not installed")
    kind = MnemoProcess if request.param == "mnemo" else RedisProcess
    s = kind(args=["--loadmodule", blocking_so, "--enable-module-command", "yes"],
             dir=str(tmp_path_factory.mktemp(request.param)))
    s.start()
    yield s
    s.stop()
    s.cleanup()


@pytest.fixture
def r(server):
    c = server.client(decode_responses=True, protocol=2)
    c.flushall()
    yield c
    c.close()


class Waiter:
    """A connection that sends a (blocking) command now and reads its reply later."""

    def __init__(self, r, *args):
        self.client = redis.Redis(**{k: r.connection_pool.connection_kwargs[k] for k in ("host", "port")},
                                  decode_responses=True, protocol=2)
        self.id = self.client.client_id()
        self.conn = self.client.connection_pool.get_connection()
        self.conn.send_command(*args)

    def pending(self, wait=0.1):
        return not self.conn.can_read(timeout=wait)

    def reply(self):
        try:
            return self.conn.read_response()
        except redis.ResponseError as e:
            return f"error: {e}"

    def close(self):
        self.conn.disconnect()


def blocked(r):
    return int(r.info("clients")["blocked_clients"])


def wait_blocked(r, n):
    wait_until(lambda: blocked(r) == n, timeout=5, message=f"{n} blocked clients")


def freed(r):
    return r.execute_command("bk.freed")


def test_served_at_once_when_ready(r):
    r.rpush("l", "a", "b")
    assert r.execute_command("bk.popn", 1, 0, "l") == ["l", ["a"]]
    assert blocked(r) == 0


def test_woken_by_lpush_creating_the_key(r):
    before = freed(r)
    w = Waiter(r, "bk.popn", 1, 0, "nokey", "k")
    wait_blocked(r, 1)
    r.lpush("k", "x")
    assert w.reply() == ["k", ["x"]]  # GetBlockedClientReadyKey names the key that woke it
    assert blocked(r) == 0
    assert freed(r) == [before[0] + 1, before[1]]  # free_privdata once, client still there


def test_declining_reply_callback_keeps_waiting(r):
    r.rpush("k", "aa")
    w = Waiter(r, "bk.popn", 3, 0, "k")
    wait_blocked(r, 1)
    r.rpush("k", "bb")  # an existing list changing does not signal module waiters (Redis 7.0)
    r.execute_command("bk.signal", "k")  # signalled with 2 elements: declines
    assert w.pending() and blocked(r) == 1
    r.rpush("k", "cc", "dd")
    assert w.pending()
    r.execute_command("bk.signal", "k")
    assert w.reply() == ["k", ["aa", "bb", "cc"]]
    assert r.lrange("k", 0, -1) == ["dd"]


def test_only_creation_of_list_zset_or_signal_of_existing_key_wakes(r):
    w = Waiter(r, "bk.popn", 1, 0, "k")
    wait_blocked(r, 1)
    r.execute_command("bk.signal", "k")  # the key does not exist: nobody is served
    r.set("k", "str")
    assert w.pending() and blocked(r) == 1
    r.delete("k")
    r.zadd("k", {"m": 1})  # created as a sorted set: woken, declines (not a list)
    assert w.pending() and blocked(r) == 1
    r.delete("k")
    assert r.execute_command("bk.pushsignal", "k", "v") == 1
    assert w.reply() == ["k", ["v"]]


def test_timeout_callback(r):
    before = freed(r)
    w = Waiter(r, "bk.popn", 2, 100, "k")
    assert w.reply() == "error: TIMEDOUT waited for 2"
    assert blocked(r) == 0
    # Redis 7.0 reports a wait the server ended as BlockedClientDisconnected to free_privdata.
    assert freed(r) == [before[0] + 1, before[1] + 1]


def test_fifo_per_key(r):
    first = Waiter(r, "bk.popn", 1, 0, "k")
    wait_blocked(r, 1)
    second = Waiter(r, "bk.popn", 1, 0, "k")
    wait_blocked(r, 2)
    r.rpush("k", "one")
    assert first.reply() == ["k", ["one"]]
    assert second.pending() and blocked(r) == 1
    r.execute_command("bk.pushsignal", "k", "two")
    assert second.reply() == ["k", ["two"]]


def test_blpop_and_module_waiters_share_the_key(r):
    pop = Waiter(r, "blpop", "k", 0)
    wait_blocked(r, 1)
    mod = Waiter(r, "bk.popn", 1, 0, "k")
    wait_blocked(r, 2)
    r.rpush("k", "a", "b")
    assert pop.reply() == ["k", "a"]
    assert mod.reply() == ["k", ["b"]]
    assert r.exists("k") == 0


def test_client_unblock(r):
    w = Waiter(r, "bk.popn", 5, 0, "k")
    wait_blocked(r, 1)
    assert r.client_unblock(w.id) == 1
    assert w.reply() == "error: TIMEDOUT waited for 5"  # the timeout callback replies
    w = Waiter(r, "bk.popn", 5, 0, "k")
    wait_blocked(r, 1)
    assert r.client_unblock(w.id, error=True) == 1
    assert w.reply() == "error: UNBLOCKED client unblocked via CLIENT UNBLOCK"
    w = Waiter(r, "bk.notimeout", "k")
    wait_blocked(r, 1)
    assert r.client_unblock(w.id) == 0  # no timeout callback: cannot be unblocked
    r.rpush("k", "z")
    assert w.reply() == ["k", ["z"]]


def test_module_unblock_and_abort(r):
    for cmd in ("bk.unblock", "bk.abort"):
        before = freed(r)
        w = Waiter(r, "bk.popn", 5, 0, "k")
        wait_blocked(r, 1)
        assert r.execute_command(cmd) == 0  # REDISMODULE_OK
        assert w.reply() == "error: TIMEDOUT waited for 5"
        assert blocked(r) == 0
        assert freed(r) == [before[0] + 1, before[1]]


def test_refused_inside_multi_and_scripts(r):
    p = r.pipeline(transaction=True)
    p.execute_command("bk.popn", 1, 0, "k")
    with pytest.raises(redis.ResponseError, match="Blocking module command called from transaction"):
        p.execute()
    with pytest.raises(redis.ResponseError, match="Blocking module command called from Lua script"):
        r.eval("return redis.call('bk.popn', 1, 0, 'k')", 0)
    assert blocked(r) == 0
    r.rpush("k", "x")  # served at once inside MULTI when ready
    p = r.pipeline(transaction=True)
    p.execute_command("bk.popn", 1, 0, "k")
    assert p.execute() == [["k", ["x"]]]


def test_unload_refused_while_clients_are_blocked(r):
    w = Waiter(r, "bk.popn", 1, 0, "k")
    wait_blocked(r, 1)
    with pytest.raises(redis.ResponseError, match="the module has blocked clients"):
        r.execute_command("MODULE", "UNLOAD", "blocking")
    r.rpush("k", "v")
    assert w.reply() == ["k", ["v"]]


def test_disconnect_while_blocked(r):
    before = freed(r)
    w = Waiter(r, "bk.popn", 1, 0, "k")
    wait_blocked(r, 1)
    w.close()
    wait_blocked(r, 0)
    wait_until(lambda: freed(r) == [before[0] + 1, before[1] + 1], timeout=5, message="free_privdata")
    r.rpush("k", "kept")  # nobody serves it any more
    assert r.lrange("k", 0, -1) == ["kept"]


def test_reply_callback_effects_survive_sigkill(blocking_so, tmp_path):
    s = MnemoProcess(args=["--loadmodule", blocking_so], dir=str(tmp_path))
    s.start()
    try:
        c = s.client(decode_responses=True)
        w = Waiter(c, "bk.popn", 2, 0, "q")
        wait_blocked(c, 1)
        c.rpush("q", "a", "b", "c")
        assert w.reply() == ["q", ["a", "b"]]
        # Call "!" (LPOP, INCR) and Replicate (RPUSH bk:log) are logged; the Call without "!"
        # (the RPUSH bk:log it also runs) is not: after the restart the log holds one entry.
        assert c.lrange("bk:log", 0, -1) == ["q"]
        s.kill()
        s.restart()
        c = s.client(decode_responses=True)
        assert c.lrange("q", 0, -1) == ["c"]
        assert c.get("bk:served") == "1"
        assert c.lrange("bk:log", 0, -1) == ["q"]
    finally:
        s.stop()
        s.cleanup()
