"""redis-cli scripted invocations against Mnemo; where the output is deterministic the same
invocation runs against the real Redis and the outputs must be identical."""

import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(shutil.which("redis-cli") is None, reason="redis-cli not installed")


def cli(server, *args, input=None, timeout=60):
    proc = subprocess.run(["redis-cli", "-h", server.host, "-p", str(server.port), *map(str, args)],
                          input=input, capture_output=True, timeout=timeout,
                          text=not isinstance(input, bytes))
    return proc


def out(server, *args, **kw):
    p = cli(server, *args, **kw)
    assert p.returncode == 0, (args, p.stdout, p.stderr)
    return p.stdout


def test_set_get(mnemo, r):
    assert out(mnemo, "set", "a", "b").strip() == "OK"
    assert out(mnemo, "get", "a").strip() == "b"
    assert r.get("a") == "b"
    assert out(mnemo, "-n", "3", "set", "indb3", "x").strip() == "OK"
    assert r.exists("indb3") == 0
    assert out(mnemo, "-n", "3", "dbsize").strip() == "1"
    out(mnemo, "-n", "3", "flushdb")


@pytest.mark.parametrize("script", [
    [("set", "a", "b"), ("get", "a"), ("get", "nope"), ("incr", "c"), ("incr", "a"), ("nosuchcmd", "x"),
     ("mget", "a", "c", "nope"), ("set", "a"), ("ttl", "a"), ("expire", "a", "100"), ("persist", "a"),
     ("lcs", "a", "a", "idx"), ("incrbyfloat", "f", "1.5"), ("hello", "3"), ("ping", "hi")],
])
@pytest.mark.parametrize("mode", [[], ["-3"], ["--csv"], ["--no-raw"]], ids=["raw", "resp3", "csv", "noraw"])
def test_outputs_match_redis(mnemo, redis_server, r, oracle, script, mode):
    for cmd in script:
        if cmd[0] == "hello" and mode:
            continue  # id differs between servers
        got = cli(mnemo, *mode, *cmd)
        want = cli(redis_server, *mode, *cmd)
        if cmd[0] == "hello":
            # map fields print as "name value" lines; the client id differs between servers
            def fields(text):
                return [l for l in text.splitlines() if not l.startswith("id ")]
            assert fields(got.stdout) == fields(want.stdout)
            assert "proto 3" in got.stdout
            continue
        assert (got.returncode, got.stdout) == (want.returncode, want.stdout), cmd


def test_pipe_mass_insert(mnemo, r):
    n = 10000
    chunks = []
    for i in range(n):
        k, v = b"pipe:%d" % i, b"value-%d" % i
        chunks.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
    p = cli(mnemo, "--pipe", input=b"".join(chunks), timeout=120)
    assert p.returncode == 0, p.stderr
    text = p.stdout.decode()
    assert f"errors: 0, replies: {n}" in text
    assert r.dbsize() == n
    assert r.get("pipe:9999") == "value-9999"


def test_pipe_reports_errors(mnemo, r):
    payload = b"SET ok 1\r\nINCR ok\r\nNOSUCHCOMMAND\r\nSET k\r\n"
    p = cli(mnemo, "--pipe", input=payload)
    text = p.stdout.decode() + p.stderr.decode()
    assert "errors: 2, replies: 4" in text
    assert r.get("ok") == "2"


def test_resp3_mode(mnemo, r):
    assert out(mnemo, "-3", "set", "k", "v").strip() == "OK"
    assert out(mnemo, "-3", "get", "k").strip() == "v"
    hello = out(mnemo, "-3", "hello", "3").splitlines()
    assert "proto 3" in hello and "server redis" in hello
    idx = out(mnemo, "-3", "--no-raw", "lcs", "k", "k", "idx")
    assert '1# "matches"' in idx and '2# "len"' in idx  # a RESP3 map
    assert out(mnemo, "-3", "--no-raw", "get", "missing").strip() == "(nil)"


def test_scan_pattern(mnemo, r):
    want = set()
    for i in range(300):
        r.set(f"user:{i}", i)
        want.add(f"user:{i}")
        r.set(f"item:{i}", i)
    found = out(mnemo, "--scan", "--pattern", "user:*").split()
    assert set(found) == want
    assert len(out(mnemo, "--scan").split()) >= 600
    assert out(mnemo, "--scan", "--pattern", "nothing*").strip() == ""


def test_repeat_and_stdin_arg(mnemo, r):
    assert out(mnemo, "-r", "5", "incr", "counter").split() == ["1", "2", "3", "4", "5"]
    assert out(mnemo, "-x", "set", "fromstdin", input="line one\nline two").strip() == "OK"
    assert r.get("fromstdin") == "line one\nline two"


def test_bigkeys(mnemo, redis_server, r, oracle):
    for c in (r, oracle):
        c.set("small", "x")
        c.set("large", "y" * 1000)
    got = out(mnemo, "--bigkeys")
    want = out(redis_server, "--bigkeys")
    assert "Biggest string found '\"large\"' has 1000 bytes" in got
    strip = lambda s: [l for l in s.splitlines() if "%" not in l or "strings" in l][-6:]
    assert strip(got) == strip(want)


def test_info_and_error_exit_codes(mnemo):
    info = out(mnemo, "info", "server")
    assert "redis_version:7.0.15" in info
    p = cli(mnemo, "nosuch")
    assert "unknown command" in p.stdout + p.stderr
