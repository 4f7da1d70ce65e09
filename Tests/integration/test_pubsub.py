"""Pub/Sub: channels, patterns, shard channels, RESP2/RESP3 shapes, keyspace notifications,
ordering, PUBLISH in MULTI and Lua, and the output-buffer limit for slow subscribers."""

import os
import socket
import threading
import time

import pytest
import redis

from support import wait_until


# -- raw protocol helpers ------------------------------------------------------------------

def encode(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def read_quiet(sock, quiet=0.25, timeout=5.0):
    """Reads until nothing arrives for `quiet` seconds."""
    data = b""
    deadline = time.monotonic() + timeout
    sock.settimeout(quiet)
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    return data


def transcript(port, commands):
    """Sends each command and collects what comes back after it (byte-exact)."""
    s = socket.create_connection(("127.0.0.1", port))
    out = []
    try:
        for cmd in commands:
            s.sendall(encode(*cmd))
            out.append(read_quiet(s, quiet=0.08))
    finally:
        s.close()
    return out


def same_transcript(mnemo, redis_server, commands):
    got = transcript(mnemo.port, commands)
    want = transcript(redis_server.port, commands)
    for cmd, g, w in zip(commands, got, want):
        if cmd[0] == "HELLO":  # carries the client id
            assert g.startswith(b"%7") and w.startswith(b"%7")
            continue
        assert g == w, f"{cmd}: mnemo {g!r} != redis {w!r}"


# -- reply shapes, byte for byte against Redis ----------------------------------------------

def test_resp2_subscribed_mode_transcript(mnemo, redis_server):
    same_transcript(mnemo, redis_server, [
        ["UNSUBSCRIBE"], ["PUNSUBSCRIBE"], ["SUNSUBSCRIBE"],
        ["SUBSCRIBE", "a", "b"], ["SUBSCRIBE", "a"], ["PING"], ["PING", "x"], ["GET", "x"],
        ["CLIENT", "ID"], ["PUBSUB", "NUMPAT"],
        ["PSUBSCRIBE", "a*"], ["SSUBSCRIBE", "s1"], ["UNSUBSCRIBE", "a"], ["UNSUBSCRIBE", "b"],
        ["UNSUBSCRIBE"], ["PUNSUBSCRIBE"], ["PING"], ["SUNSUBSCRIBE"], ["PING"],
        ["SUBSCRIBE", "z"], ["RESET"], ["PING"], ["SUBSCRIBE"], ["PUBLISH", "x"],
    ])


def test_resp3_transcript_with_normal_commands_and_own_messages(mnemo, redis_server):
    same_transcript(mnemo, redis_server, [
        ["HELLO", "3", "SETNAME", "x"], ["UNSUBSCRIBE"], ["SUBSCRIBE", "a"], ["SSUBSCRIBE", "b"],
        ["GET", "nokey"], ["PING"], ["PUBLISH", "a", "hi"], ["SPUBLISH", "b", "yo"],
        ["PUBSUB", "NUMSUB", "a", "zz"], ["PUBSUB", "CHANNELS", "a"], ["PUBSUB", "NUMPAT"],
        ["PUBSUB", "SHARDNUMSUB", "b"], ["PUBSUB", "SHARDCHANNELS", "b*"],
        ["PSUBSCRIBE", "a*"], ["PUBLISH", "a", "both"], ["PUNSUBSCRIBE", "a*"],
        ["SUNSUBSCRIBE", "b"], ["UNSUBSCRIBE", "a"], ["PING"],
    ])


def test_pipelined_subscribe_publish_order_resp3(mnemo, redis_server):
    """A message to oneself comes after the SUBSCRIBE reply and before the PUBLISH reply."""
    def run(port):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(encode("HELLO", "3") + encode("SUBSCRIBE", "c") + encode("PUBLISH", "c", "m1")
                  + encode("PUBLISH", "c", "m2") + encode("PING"))
        data = read_quiet(s, quiet=0.3)
        s.close()
        return data[data.index(b">3\r\n$9\r\nsubscribe"):]
    assert run(mnemo.port) == run(redis_server.port)


def test_pubsub_introspection_errors_and_help(diff):
    diff.same("PUBSUB", "HELP")
    diff.same("PUBSUB", "FOO")
    diff.same("PUBSUB", "CHANNELS", "a", "b")
    diff.same("PUBSUB", "NUMPAT", "x")
    diff.same("PUBSUB", "NUMSUB")
    diff.same("PUBSUB", "SHARDNUMSUB", "a", "b")
    diff.same("PUBLISH", "nobody", "x")
    diff.same("SPUBLISH", "nobody", "x")
    diff.same("PUBLISH", "x")
    diff.same("COMMAND", "INFO", "publish", "subscribe", "ssubscribe", "spublish", "sunsubscribe")
    diff.same("COMMAND", "GETKEYS", "SPUBLISH", "ch", "msg")


# -- redis-py clients ---------------------------------------------------------------------

def get_message(p, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = p.get_message(timeout=0.2)
        if m is not None:
            return m
    raise TimeoutError("no message")


@pytest.mark.parametrize("proto", [2, 3])
def test_channels_patterns_and_shards_with_redis_py(mnemo, proto):
    sub = redis.Redis(host=mnemo.host, port=mnemo.port, decode_responses=True, protocol=proto)
    pub = redis.Redis(host=mnemo.host, port=mnemo.port, decode_responses=True)
    p = sub.pubsub()
    p.subscribe("news")
    p.psubscribe("n?ws.*")
    assert get_message(p)["type"] == "subscribe"
    assert get_message(p) == {"type": "psubscribe", "pattern": None, "channel": "n?ws.*", "data": 2}
    assert pub.publish("news", "one") == 1
    assert pub.publish("news.eu", "two") == 1
    assert pub.publish("other", "none") == 0
    assert get_message(p) == {"type": "message", "pattern": None, "channel": "news", "data": "one"}
    assert get_message(p) == {"type": "pmessage", "pattern": "n?ws.*", "channel": "news.eu", "data": "two"}
    assert pub.pubsub_numsub("news", "x") == [("news", 1), ("x", 0)]
    assert pub.pubsub_numpat() == 1
    assert "news" in pub.pubsub_channels()
    info = pub.info("stats")
    assert info["pubsub_channels"] >= 1 and info["pubsub_patterns"] >= 1
    me = [c for c in pub.client_list() if int(c["sub"]) == 1 and int(c["psub"]) == 1]
    assert me and "P" in me[0]["flags"]
    p.ssubscribe("orders")
    assert get_message(p)["type"] == "ssubscribe"
    assert pub.spublish("orders", "o1") == 1
    assert get_message(p) == {"type": "smessage", "pattern": None, "channel": "orders", "data": "o1"}
    assert pub.info("stats")["pubsubshard_channels"] >= 1
    p.close()
    sub.close()
    wait_until(lambda: pub.pubsub_numsub("news") == [("news", 0)], message="unsubscribed on close")
    assert pub.pubsub_numpat() == 0
    pub.close()


def test_resp3_client_runs_commands_while_subscribed(mnemo):
    s = socket.create_connection(("127.0.0.1", mnemo.port))
    s.sendall(encode("HELLO", "3"))
    read_quiet(s, quiet=0.1)
    s.sendall(encode("SUBSCRIBE", "ch") + encode("SET", "k", "v") + encode("GET", "k"))
    data = read_quiet(s, quiet=0.2)
    assert data == b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n+OK\r\n$1\r\nv\r\n"
    pub = redis.Redis(host=mnemo.host, port=mnemo.port)
    assert pub.publish("ch", "hello") == 1
    s.sendall(encode("GET", "k"))
    data = read_quiet(s, quiet=0.2)
    assert data == b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n$1\r\nv\r\n"
    s.close()
    pub.close()


def test_messages_arrive_in_publisher_order(mnemo):
    """Several publishers pipelining at once: each one's messages arrive in its order."""
    n, publishers = 3000, 3
    sub = redis.Redis(host=mnemo.host, port=mnemo.port, decode_responses=True)
    p = sub.pubsub(ignore_subscribe_messages=True)
    p.subscribe("seq")
    p.psubscribe("se*")
    get_message_any = lambda: p.get_message(timeout=1.0)

    def publish(tag):
        c = redis.Redis(host=mnemo.host, port=mnemo.port)
        for start in range(0, n, 500):
            pipe = c.pipeline(transaction=False)
            for i in range(start, start + 500):
                pipe.publish("seq", f"{tag}:{i}")
            pipe.execute()
        c.close()

    time.sleep(0.1)
    threads = [threading.Thread(target=publish, args=(t,)) for t in range(publishers)]
    for t in threads:
        t.start()
    seen = {("message", t): [] for t in range(publishers)}
    seen.update({("pmessage", t): [] for t in range(publishers)})
    total = 2 * n * publishers
    deadline = time.monotonic() + 60
    got = 0
    while got < total and time.monotonic() < deadline:
        m = get_message_any()
        if m is None:
            continue
        tag, i = m["data"].split(":")
        seen[(m["type"], int(tag))].append(int(i))
        got += 1
    for t in threads:
        t.join()
    assert got == total
    for key, values in seen.items():
        assert values == list(range(n)), key
    p.close()
    sub.close()


@pytest.mark.parametrize("proto", [2, 3])
def test_small_and_large_messages_keep_their_order_and_bytes(mnemo, proto):
    """A subscriber's small messages are coalesced into one write and large ones go out as the
    shared buffer: interleaved in one pipelined batch, every message arrives whole and in order."""
    sub = redis.Redis(host=mnemo.host, port=mnemo.port, protocol=proto)
    p = sub.pubsub(ignore_subscribe_messages=True)
    p.subscribe("mix")
    time.sleep(0.1)
    payloads = [(b"s%d" % i) if i % 3 else (b"L%d:" % i) + bytes([i % 251]) * (2000 + i) for i in range(60)]
    c = redis.Redis(host=mnemo.host, port=mnemo.port)
    pipe = c.pipeline(transaction=False)
    for m in payloads:
        pipe.publish("mix", m)
    assert pipe.execute() == [1] * len(payloads)
    got = []
    deadline = time.monotonic() + 10
    while len(got) < len(payloads) and time.monotonic() < deadline:
        m = p.get_message(timeout=1.0)
        if m:
            got.append(m["data"])
    assert got == payloads
    p.close()
    sub.close()
    c.close()


def test_publish_in_multi_is_delivered_at_exec(r, mnemo):
    sub = redis.Redis(host=mnemo.host, port=mnemo.port, decode_responses=True)
    p = sub.pubsub(ignore_subscribe_messages=True)
    p.subscribe("tx")
    time.sleep(0.05)
    r.execute_command("MULTI")
    assert r.execute_command("PUBLISH", "tx", "a") == "QUEUED"
    assert r.execute_command("INCR", "k") == "QUEUED"
    assert r.execute_command("PUBLISH", "tx", "b") == "QUEUED"
    assert p.get_message(timeout=0.3) is None
    assert r.execute_command("EXEC") == [1, 1, 1]
    assert get_message(p)["data"] == "a"
    assert get_message(p)["data"] == "b"
    p.close()
    sub.close()


def test_publish_from_lua(r, mnemo):
    sub = redis.Redis(host=mnemo.host, port=mnemo.port, decode_responses=True)
    p = sub.pubsub(ignore_subscribe_messages=True)
    p.subscribe("lua")
    time.sleep(0.05)
    try:
        n = r.eval("return redis.call('publish', KEYS[1], ARGV[1])", 1, "lua", "from-script")
    except redis.ResponseError as e:
        pytest.skip(f"scripting not available: {e}")
    assert n == 1
    assert get_message(p)["data"] == "from-script"
    with pytest.raises(redis.ResponseError, match="not allowed from script"):
        r.eval("return redis.call('subscribe', 'x')", 0)
    p.close()
    sub.close()


# -- keyspace notifications -----------------------------------------------------------------

def collect_events(server, commands, config="KEA", settle=0.3):
    """Runs `commands` with a subscriber on every keyspace channel; returns what it saw."""
    c = redis.Redis(host=server.host, port=server.port, decode_responses=True)
    c.config_set("notify-keyspace-events", config)
    c.flushall()
    sub = redis.Redis(host=server.host, port=server.port, decode_responses=True)
    p = sub.pubsub(ignore_subscribe_messages=True)
    p.psubscribe("__key*__:*")
    time.sleep(0.05)
    for cmd in commands:
        try:
            c.execute_command(*cmd)
        except redis.ResponseError:
            pass
    out = []
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline:
        m = p.get_message(timeout=0.05)
        if m:
            out.append((m["channel"], m["data"]))
            deadline = time.monotonic() + settle
    c.config_set("notify-keyspace-events", "")
    p.close()
    sub.close()
    c.close()
    return out


KEYSPACE_SCRIPT = [
    # strings
    ["SET", "s", "1"], ["SET", "s", "2", "EX", "100"], ["INCR", "s"], ["INCRBY", "s", "5"], ["DECR", "s"],
    ["INCRBYFLOAT", "s", "1.5"], ["APPEND", "s", "x"], ["APPEND", "s", ""], ["SETRANGE", "s", "1", "yy"],
    ["SETRANGE", "s", "0", ""], ["SETNX", "s", "z"], ["SETNX", "s2", "z"], ["SETEX", "s3", "100", "v"],
    ["PSETEX", "s4", "100000", "v"], ["GETSET", "s2", "w"], ["MSET", "m1", "1", "m2", "2"], ["MSETNX", "m3", "1"],
    ["GETEX", "m1", "EX", "50"], ["GETEX", "m1", "PERSIST"], ["GETDEL", "m2"], ["GET", "missing"],
    # generic
    ["EXPIRE", "s", "100"], ["PEXPIRE", "s", "100000"], ["EXPIREAT", "s", "4000000000"], ["PERSIST", "s"],
    ["EXPIRE", "s3", "0"], ["RENAME", "s4", "s5"], ["RENAMENX", "s5", "s6"], ["COPY", "s6", "s7"],
    ["COPY", "s6", "s7", "DB", "1"], ["MOVE", "s7", "2"], ["DEL", "s6", "nothere"], ["UNLINK", "s5"],
    # lists
    ["RPUSH", "l", "a", "b", "c"], ["LPUSH", "l", "z"], ["LPOP", "l"], ["RPOP", "l"], ["LSET", "l", "0", "q"],
    ["LINSERT", "l", "BEFORE", "q", "p"], ["LREM", "l", "0", "p"], ["LTRIM", "l", "0", "0"],
    ["LMOVE", "l", "l2", "LEFT", "RIGHT"], ["RPUSHX", "l2", "x"],
    # hashes
    ["HSET", "h", "f", "1", "g", "2"], ["HINCRBY", "h", "f", "1"], ["HINCRBYFLOAT", "h", "f", "0.5"],
    ["HDEL", "h", "f"], ["HDEL", "h", "g"],
    # sets
    ["SADD", "st", "a", "b", "c"], ["SREM", "st", "a"], ["SMOVE", "st", "st2", "b"], ["SINTERSTORE", "st3", "st", "st2"],
    ["SUNIONSTORE", "st3", "st", "st2"], ["SPOP", "st"],
    # sorted sets
    ["ZADD", "z", "1", "a", "2", "b"], ["ZINCRBY", "z", "1", "a"], ["ZREM", "z", "a"], ["ZPOPMIN", "z"],
    ["ZADD", "z", "1", "a", "2", "b", "3", "c"], ["ZREMRANGEBYSCORE", "z", "1", "1"], ["ZUNIONSTORE", "z2", "1", "z"],
]


def test_keyspace_notifications_match_redis(mnemo, redis_server):
    got = collect_events(mnemo, KEYSPACE_SCRIPT)
    want = collect_events(redis_server, KEYSPACE_SCRIPT)
    assert got == want


@pytest.mark.parametrize("flags", ["Kg", "E$", "Elshz", "KEm", "Ex"])
def test_keyspace_notification_classes_match_redis(mnemo, redis_server, flags):
    script = [["SET", "a", "1"], ["DEL", "a"], ["RPUSH", "l", "x"], ["HSET", "h", "f", "v"], ["GET", "nope"],
              ["SADD", "s", "m"], ["ZADD", "z", "1", "m"], ["EXPIRE", "l", "100"]]
    assert collect_events(mnemo, script, flags) == collect_events(redis_server, script, flags)


def test_notify_keyspace_events_config(diff):
    for value in ["KEA", "AKn", "Kz", "Ag$lshzxeKEtmdn", "", "gx", "KEm"]:
        diff.same("CONFIG", "SET", "notify-keyspace-events", value)
        diff.same("CONFIG", "GET", "notify-keyspace-events")
    diff.same("CONFIG", "SET", "notify-keyspace-events", "Q")
    diff.same("CONFIG", "SET", "notify-keyspace-events", "")


def test_client_output_buffer_limit_config(diff):
    try:
        diff.same("CONFIG", "GET", "client-output-buffer-limit")
        for value in ["pubsub 1mb 512kb 10", "replica 1k 2k 3 normal 1 2 3", "foo 1 2 3", "pubsub 1 2",
                      "pubsub x 2 3", "pubsub 1 2 -3", "pubsub 1gb 2kb 3"]:
            diff.same("CONFIG", "SET", "client-output-buffer-limit", value)
            diff.same("CONFIG", "GET", "client-output-buffer-limit")
    finally:
        default = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        diff.m.config_set("client-output-buffer-limit", default)
        diff.r.config_set("client-output-buffer-limit", default)


@pytest.mark.parametrize("active", [True, False], ids=["active", "lazy"])
def test_expired_event_when_key_is_removed(mnemo_factory, active):
    server = mnemo_factory(["--notify-keyspace-events", "Ex", "--appendonly", "no"])
    c = redis.Redis(host=server.host, port=server.port, decode_responses=True)
    if not active:
        c.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    sub = redis.Redis(host=server.host, port=server.port, decode_responses=True)
    p = sub.pubsub(ignore_subscribe_messages=True)
    p.subscribe("__keyevent@0__:expired")
    time.sleep(0.05)
    c.set("gone", "1", px=50)
    time.sleep(0.2)
    if active:
        m = get_message(p, timeout=3)
    else:
        assert p.get_message(timeout=0.3) is None  # still in memory: nothing yet
        assert c.get("gone") is None
        m = get_message(p)
    assert (m["channel"], m["data"]) == ("__keyevent@0__:expired", "gone")
    p.close()
    sub.close()
    c.close()


# -- slow subscribers ------------------------------------------------------------------------

def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_slow_subscriber_is_disconnected_and_memory_stays_bounded(mnemo_factory):
    server = mnemo_factory(["--appendonly", "no"])
    admin = redis.Redis(host=server.host, port=server.port, decode_responses=True)
    admin.config_set("client-output-buffer-limit", "pubsub 2mb 1mb 60")

    # A subscriber that never reads, with a small receive buffer.
    slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    slow.connect((server.host, server.port))
    slow.sendall(encode("SUBSCRIBE", "firehose"))

    n, size = 40000, 1024
    fast_count = [0]
    fast_ok = [True]
    ready = threading.Event()

    def fast_reader():
        c = redis.Redis(host=server.host, port=server.port)
        p = c.pubsub(ignore_subscribe_messages=True)
        p.subscribe("firehose")
        ready.set()
        expect = 0
        deadline = time.monotonic() + 120
        while fast_count[0] < n and time.monotonic() < deadline:
            m = p.get_message(timeout=1.0)
            if m is None:
                continue
            if int(m["data"][:8]) != expect:
                fast_ok[0] = False
            expect += 1
            fast_count[0] += 1
        p.close()
        c.close()

    t = threading.Thread(target=fast_reader)
    t.start()
    ready.wait(5)
    wait_until(lambda: admin.pubsub_numsub("firehose") == [("firehose", 2)], message="both subscribed")
    rss_before = rss_kb(server.pid)
    pub = redis.Redis(host=server.host, port=server.port)
    filler = b"x" * (size - 8)
    peak = rss_before
    for start in range(0, n, 1000):
        pipe = pub.pipeline(transaction=False)
        for i in range(start, start + 1000):
            pipe.publish("firehose", b"%08d" % i + filler)
        pipe.execute()
        peak = max(peak, rss_kb(server.pid))
    t.join(timeout=150)
    assert fast_ok[0] and fast_count[0] == n, f"fast subscriber got {fast_count[0]} of {n}"
    # The slow one was dropped at the limit (~40 MB were published to it): after what the
    # kernel buffered, its socket reaches EOF.
    assert "overcoming of output buffer limits" in server.log()
    wait_until(lambda: admin.pubsub_numsub("firehose") == [("firehose", 0)], message="subscribers gone")
    slow.settimeout(10)
    drained = 0
    while True:
        chunk = slow.recv(1 << 20)
        if not chunk:
            break
        drained += len(chunk)
    assert drained < n * size // 2, f"slow subscriber got {drained} bytes"
    assert peak - rss_before < 30 * 1024, f"RSS grew by {(peak - rss_before) // 1024} MB"
    slow.close()
    pub.close()
    admin.close()


# -- the example ------------------------------------------------------------------------------

def test_example_runs(mnemo):
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    script = os.path.join(root, "examples", "pubsub", "demo.py")
    out = subprocess.run([sys.executable, script, "--port", str(mnemo.port), "--messages", "5"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "received 5 news messages" in out.stdout
    assert "cache invalidation: user:42 (set)" in out.stdout
    assert "cache invalidation: user:42 (expire)" in out.stdout
    assert "cache invalidation: user:42 (del)" in out.stdout
