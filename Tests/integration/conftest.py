"""Fixtures for the integration suite.

* `mnemo`: one mnemo-server for the whole session (tests use FLUSHALL via `r`).
* `r`, `r3`: redis-py clients (RESP2 / RESP3) on it, database flushed before each test.
* `redis_server`, `oracle`: a real redis-server and a client on it (flushed per test).
* `diff`: runs the same command on both and asserts identical replies / errors.
* `mnemo_factory`: starts dedicated servers with extra arguments for tests that need their
  own configuration or kill the server; all are stopped and reaped after the test.
"""

import os
import shutil

import pytest
import redis

from support import MnemoProcess, RedisProcess, mnemo_binary


def pytest_configure(config):
    binary = mnemo_binary()
    if not os.path.exists(binary):
        raise pytest.UsageError(f"mnemo-server binary not found at {binary}: build it (swift build) "
                                f"or set MNEMO_SERVER")


@pytest.fixture(scope="session")
def mnemo():
    server = MnemoProcess()
    server.start()
    yield server
    server.stop()
    server.cleanup()


def _client(server, **kw):
    return redis.Redis(host=server.host, port=server.port, socket_timeout=10, **kw)


@pytest.fixture
def r(mnemo):
    c = _client(mnemo, decode_responses=True)
    c.flushall()
    yield c
    c.close()


@pytest.fixture
def rb(mnemo):
    """Bytes client (no decoding)."""
    c = _client(mnemo)
    c.flushall()
    yield c
    c.close()


@pytest.fixture
def r3(mnemo):
    c = _client(mnemo, decode_responses=True, protocol=3)
    c.flushall()
    yield c
    c.close()


@pytest.fixture(scope="session")
def redis_server():
    if not shutil.which("redis-server"):
        pytest.skip("redis-server (the oracle) is not installed")
    server = RedisProcess()
    server.start()
    yield server
    server.stop()
    server.cleanup()


@pytest.fixture
def oracle(redis_server):
    c = _client(redis_server, decode_responses=True)
    c.flushall()
    yield c
    c.close()


class Differential:
    """Runs each command on Mnemo and on the real Redis and compares the outcomes."""

    def __init__(self, mnemo_client, redis_client):
        self.m = mnemo_client
        self.r = redis_client

    @staticmethod
    def _run(client, args):
        try:
            return ("ok", client.execute_command(*args))
        except redis.ResponseError as e:
            return ("err", type(e).__name__, str(e))

    def same(self, *args, normalize=None):
        got = self._run(self.m, args)
        want = self._run(self.r, args)
        if normalize:
            got, want = normalize(got), normalize(want)
        assert got == want, f"{args!r}: mnemo {got!r} != redis {want!r}"
        return got

    def script(self, commands):
        for cmd in commands:
            self.same(*cmd)


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def diff(request, mnemo, redis_server):
    proto = request.param
    m = _client(mnemo, decode_responses=True, protocol=proto)
    o = _client(redis_server, decode_responses=True, protocol=proto)
    m.flushall()
    o.flushall()
    yield Differential(m, o)
    m.close()
    o.close()


@pytest.fixture
def mnemo_factory(tmp_path):
    started = []

    def start(args=(), wait=True, **kw):
        kw.setdefault("dir", str(tmp_path / f"srv{len(started)}"))
        os.makedirs(kw["dir"], exist_ok=True)
        server = MnemoProcess(args=args, **kw)
        started.append(server)
        if wait:
            server.start()
        return server

    yield start
    for s in started:
        try:
            s.stop(timeout=5)
        finally:
            s.cleanup()


@pytest.fixture
def redis_factory(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server (the oracle) is not installed")
    started = []

    def start(args=(), **kw):
        kw.setdefault("dir", str(tmp_path / f"redis{len(started)}"))
        os.makedirs(kw["dir"], exist_ok=True)
        server = RedisProcess(args=args, **kw)
        started.append(server)
        server.start()
        return server

    yield start
    for s in started:
        try:
            s.stop(timeout=5)
        finally:
            s.cleanup()
