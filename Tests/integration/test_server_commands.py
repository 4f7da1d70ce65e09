"""SLOWLOG, LATENCY, MEMORY, ROLE, REPLICAOF, LOLWUT, CLIENT PAUSE / UNPAUSE and CLIENT TRACKING
options, compared with Redis 7.0 where the reply is deterministic."""

import threading
import time

import pytest
import redis


def test_slowlog_records_commands_with_client_and_truncation(mnemo_factory):
    srv = mnemo_factory(["--slowlog-log-slower-than", "0", "--slowlog-max-len", "3"])
    c = srv.client()
    c.client_setname("watcher")
    c.slowlog_reset()
    c.execute_command("SET", "k", "v" * 200)
    c.execute_command("RPUSH", "l", *[str(i) for i in range(40)])
    raw = c.execute_command("SLOWLOG", "GET", "-1")
    assert len(raw) == 3  # slowlog-max-len
    newest = raw[0]
    assert newest[3][0] == b"RPUSH" and len(newest[3]) == 32
    assert newest[3][-1] == b"... (11 more arguments)"
    assert newest[4].startswith(b"127.0.0.1:") and newest[5] == b"watcher"
    assert raw[1][3] == [b"SET", b"k", b"v" * 128 + b"... (72 more bytes)"]
    assert isinstance(newest[1], int) and isinstance(newest[2], int)
    assert [e[0] for e in raw] == sorted((e[0] for e in raw), reverse=True)
    assert c.slowlog_len() == 3
    assert len(c.execute_command("SLOWLOG", "GET", "1")) == 1
    with pytest.raises(redis.ResponseError, match="count should be greater than or equal to -1"):
        c.execute_command("SLOWLOG", "GET", "-2")
    assert c.slowlog_reset()
    assert c.slowlog_len() == 1  # the RESET itself comes after it ran
    c.config_set("slowlog-log-slower-than", "-1")
    c.get("x")
    assert c.slowlog_len() == 2  # RESET and LEN; CONFIG SET already ran under the new setting


def test_slowlog_redacts_secrets(mnemo_factory):
    srv = mnemo_factory(["--slowlog-log-slower-than", "0"])
    c = srv.client()
    c.execute_command("ACL", "SETUSER", "u1", "on", ">pw1", "~*", "+@all")
    with pytest.raises((redis.ResponseError, redis.AuthenticationError)):
        c.execute_command("AUTH", "u1", "wrong")
    args = [e[3] for e in c.execute_command("SLOWLOG", "GET", "-1")]
    assert [b"ACL", b"SETUSER", b"(redacted)", b"(redacted)", b"(redacted)", b"(redacted)", b"(redacted)"] in args
    assert [b"AUTH", b"(redacted)", b"(redacted)"] in args


def test_latency_monitor(mnemo_factory):
    srv = mnemo_factory()
    c = srv.client()
    assert c.latency_latest() == []
    assert c.latency_history("command") == []
    assert c.latency_reset() == 0
    assert b"Latency monitoring is disabled" in c.execute_command("LATENCY", "DOCTOR")
    c.config_set("latency-monitor-threshold", "1")
    c.execute_command("DEBUG", "SLEEP", "0.02")
    latest = c.latency_latest()
    assert [e[0] for e in latest] == [b"command"]
    assert latest[0][2] >= 20 and latest[0][3] >= 20
    assert len(c.latency_history("command")) == 1
    assert b"command" in c.execute_command("LATENCY", "GRAPH", "command")
    with pytest.raises(redis.ResponseError, match="No samples available for event 'nope'"):
        c.execute_command("LATENCY", "GRAPH", "nope")
    assert c.execute_command("LATENCY", "RESET", "command", "nope") == 1
    assert c.latency_latest() == []


def test_memory_commands(r, oracle):
    for c in (r, oracle):
        c.set("s", "x" * 100)
        c.rpush("l", *range(100))
        assert isinstance(c.memory_usage("s"), int) and c.memory_usage("s") >= 100
        assert c.memory_usage("l", samples=0) > c.memory_usage("s") - 100
        assert c.memory_usage("missing") is None
        with pytest.raises(redis.ResponseError, match="syntax error"):
            c.execute_command("MEMORY", "USAGE", "s", "FOO")
        with pytest.raises(redis.ResponseError, match="syntax error"):
            c.execute_command("MEMORY", "USAGE", "s", "SAMPLES", "-1")
        stats = c.memory_stats()
        for field in ("peak.allocated", "total.allocated", "keys.count", "dataset.bytes", "fragmentation"):
            assert field in stats
        assert stats["keys.count"] == 2
        assert "overhead.hashtable.main" in stats["db.0"]
        assert c.execute_command("MEMORY", "PURGE")
        report = c.execute_command("MEMORY", "MALLOC-STATS")
        assert b"jemalloc statistics" in (report if isinstance(report, bytes) else report.encode())
        memory = c.info("memory")
        assert 0 < memory["used_memory"] <= memory["used_memory_rss"]
        assert c.execute_command("MEMORY", "DOCTOR")


def test_role_replicaof_lolwut(diff):
    diff.script([
        ("ROLE",), ("REPLICAOF", "NO", "ONE"), ("SLAVEOF", "no", "one"), ("REPLICAOF", "NO ONE"),
        ("REPLICAOF", "host", "notaport"), ("REPLICAOF", "host", "70000"), ("LOLWUT", "VERSION", "x"),
    ])
    with pytest.raises(redis.ResponseError, match="does not support replication"):
        diff.m.execute_command("REPLICAOF", "127.0.0.1", "6379")
    assert "Redis ver. 7.0.15" in diff.m.lolwut()


def test_cluster_commands_without_cluster_mode(diff):
    # Declared as in Redis 7.0 (so ACL rules like +cluster work), refused as a non-cluster
    # Redis refuses them.
    diff.script([
        ("CLUSTER", "INFO"), ("CLUSTER", "KEYSLOT", "foo"), ("CLUSTER", "HELP"), ("CLUSTER",),
        ("CLUSTER", "bogus"), ("CLUSTER", "INFO", "extra"), ("ACL", "SETUSER", "clusterfan", "+cluster"),
        ("ACL", "DELUSER", "clusterfan"), ("READONLY",),
    ])
    assert len(diff.m.command_list()) > 300


def test_client_pause_waits_instead_of_failing(r, mnemo):
    other = redis.Redis(host=mnemo.host, port=mnemo.port)
    try:
        assert r.client_pause(400, all=False)
        t = time.time()
        assert other.get("nothing") is None  # reads go on in WRITE mode
        assert time.time() - t < 0.3
        assert other.set("k", "v")  # writes wait for the pause to end
        assert time.time() - t >= 0.35
        assert r.client_pause(300)
        t = time.time()
        assert other.get("k") == b"v"  # ALL mode holds reads too
        assert time.time() - t >= 0.25
        # UNPAUSE releases waiting clients at once, in order.
        assert r.client_pause(100000, all=False)
        threading.Timer(0.2, lambda: redis.Redis(host=mnemo.host, port=mnemo.port).client_unpause()).start()
        t = time.time()
        p = other.pipeline(transaction=False)
        p.incr("n").incr("n").get("n")
        assert p.execute() == [1, 2, b"2"]
        assert 0.15 <= time.time() - t < 5
        assert r.client_unpause() == "OK"
    finally:
        r.client_unpause()
        other.close()


def test_client_pause_errors(diff):
    diff.script([
        ("CLIENT", "PAUSE", "x"), ("CLIENT", "PAUSE", "-1"), ("CLIENT", "PAUSE", "10", "FOO"),
        ("CLIENT", "PAUSE", "10", "WRITE", "x"), ("CLIENT", "UNPAUSE"),
    ])


def test_client_tracking_options(diff):
    diff.script([
        ("CLIENT", "GETREDIR"), ("CLIENT", "TRACKINGINFO"),
        ("CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"), ("CLIENT", "TRACKING", "ON", "PREFIX", "a"),
        ("CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"), ("CLIENT", "TRACKING", "ON", "REDIRECT", "999999"),
        ("CLIENT", "TRACKING", "ON", "REDIRECT", "x"), ("CLIENT", "TRACKING", "MAYBE"), ("CLIENT", "CACHING", "YES"),
        ("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "b", "NOLOOP"), ("CLIENT", "TRACKINGINFO"),
        ("CLIENT", "GETREDIR"), ("CLIENT", "CACHING", "YES"), ("CLIENT", "TRACKING", "ON", "OPTIN"),
        ("CLIENT", "TRACKING", "OFF"), ("CLIENT", "TRACKING", "ON", "OPTIN"), ("CLIENT", "CACHING", "YES"),
        ("CLIENT", "TRACKINGINFO"), ("CLIENT", "CACHING", "NO"), ("CLIENT", "CACHING", "maybe"),
        ("CLIENT", "TRACKING", "ON", "OPTOUT"), ("CLIENT", "TRACKING", "OFF"), ("CLIENT", "GETREDIR"),
    ])


def test_config_encoding_parameters(r, oracle):
    got = r.config_get("*max-*-entries*")
    assert set(got) == {"hash-max-listpack-entries", "set-max-intset-entries", "zset-max-listpack-entries"}
    assert set(got) <= set(oracle.config_get("*max-*-entries*"))
    with pytest.raises(redis.ResponseError, match="can't set immutable config"):
        r.config_set("hash-max-listpack-entries", "10")
