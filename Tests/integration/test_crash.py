"""Crash test: clients write while the server is SIGKILLed at random moments; after every
restart each acknowledged write must be there with its acknowledged value (or a later write
that was in flight), and counters never go backwards.

`make test` runs MNEMO_CRASH_CYCLES (default 20) cycles; `make crash-test` runs 200.
"""

import os
import random
import threading
import time

import pytest
import redis

from support import MnemoProcess

CYCLES = int(os.environ.get("MNEMO_CRASH_CYCLES", "20"))
WRITERS = 6


class Model:
    """What the clients know: per key, the values the server may legitimately hold."""

    def __init__(self):
        self.lock = threading.Lock()
        self.strings = {}   # key -> set of allowed values (acked + in-flight)
        self.counters = {}  # key -> (min acked, max possible)
        self.appends = {}   # key -> (acked prefix, full possible)
        self.lists = {}     # key -> (acked length, max possible length) of an RPUSH-only list
        self.hashes = {}    # (key, field) -> set of allowed values
        self.zsets = {}     # (key, member) -> set of allowed scores
        self.acked = 0

    def allow(self, key, value):
        with self.lock:
            # A key never acknowledged may legitimately be missing (its first write in flight).
            self.strings.setdefault(key, {None}).add(value)

    def ack(self, key, value):
        with self.lock:
            self.strings[key] = {value}
            self.acked += 1


def writer(port, model, ident, stop, seed):
    rng = random.Random(seed)
    r = redis.Redis(port=port, socket_timeout=5)
    n = 0
    try:
        while not stop.is_set():
            n += 1
            OPS[rng.randrange(len(OPS))](r, model, ident, rng, n)
    except (redis.ConnectionError, redis.TimeoutError, ConnectionResetError, OSError):
        pass  # the server died under us: whatever was in flight is unknown


def op_set(r, model, ident, rng, n):
    key, value = f"s:{ident}:{rng.randrange(50)}", f"v{n}"
    model.allow(key, value)
    r.set(key, value)
    model.ack(key, value)


def op_incr(r, model, ident, rng, n):
    key = f"c:{ident}"
    with model.lock:
        lo, hi = model.counters.get(key, (0, 0))
        model.counters[key] = (lo, hi + 1)
    got = r.incr(key)
    with model.lock:
        lo, hi = model.counters[key]
        model.counters[key] = (max(lo, got), hi)
        model.acked += 1


def op_append(r, model, ident, rng, n):
    key, piece = f"a:{ident}", f"<{n}>"
    with model.lock:
        acked, full = model.appends.get(key, ("", ""))
        model.appends[key] = (acked, full + piece)
    length = r.append(key, piece)
    with model.lock:
        acked, full = model.appends[key]
        model.appends[key] = (full[:length], full)
        model.acked += 1


def op_mset(r, model, ident, rng, n):
    pairs = {f"m:{ident}:{rng.randrange(50)}": f"mv{n}:{i}" for i in range(5)}
    for k, v in pairs.items():
        model.allow(k, v)
    r.mset(pairs)
    for k, v in pairs.items():
        model.ack(k, v)


def op_pipelined_set_ex(r, model, ident, rng, n):
    pipe = r.pipeline(transaction=False)
    keys = [(f"p:{ident}:{rng.randrange(50)}", f"pv{n}:{i}") for i in range(10)]
    for k, v in keys:
        model.allow(k, v)
        pipe.set(k, v, ex=100000)
    pipe.execute()
    for k, v in keys:
        model.ack(k, v)


def op_rpush(r, model, ident, rng, n):
    key = f"l:{ident}"
    with model.lock:
        lo, hi = model.lists.get(key, (0, 0))
        model.lists[key] = (lo, hi + 2)
    length = r.rpush(key, f"e{n}a", f"e{n}b")
    with model.lock:
        lo, hi = model.lists[key]
        model.lists[key] = (max(lo, length), hi)
        model.acked += 1


def op_hset(r, model, ident, rng, n):
    key, field, value = f"h:{ident}", f"f{rng.randrange(20)}", f"hv{n}"
    with model.lock:
        model.hashes.setdefault((key, field), {None}).add(value)
    r.hset(key, field, value)
    with model.lock:
        model.hashes[(key, field)] = {value}
        model.acked += 1


def op_zadd(r, model, ident, rng, n):
    key, member, score = f"z:{ident}", f"m{rng.randrange(20)}", float(n)
    with model.lock:
        model.zsets.setdefault((key, member), {None}).add(score)
    r.zadd(key, {member: score})
    with model.lock:
        model.zsets[(key, member)] = {score}
        model.acked += 1


def op_transaction(r, model, ident, rng, n):
    """Two keys set in one EXEC: after a crash both or neither, never half."""
    a, b = f"tx:{ident}:a", f"tx:{ident}:b"
    model.allow(a, str(n))
    model.allow(b, str(n))
    r.pipeline(transaction=True).set(a, n).set(b, n).execute()
    model.ack(a, str(n))
    model.ack(b, str(n))


OPS = [op_set, op_incr, op_append, op_mset, op_pipelined_set_ex, op_transaction]
# Collection families join the mix once the server has their commands.
COLLECTION_OPS = {"rpush": op_rpush, "hset": op_hset, "zadd": op_zadd}


def verify(port, model):
    r = redis.Redis(port=port, socket_timeout=10)
    lost = []
    with model.lock:
        for key, allowed in model.strings.items():
            got = r.get(key)
            got = got.decode() if got is not None else None
            if got not in allowed:
                lost.append((key, set(allowed), got))
            model.strings[key] = {got}
        for key, (lo, hi) in model.counters.items():
            got = int(r.get(key) or 0)
            if not (lo <= got <= hi):
                lost.append((key, (lo, hi), got))
            model.counters[key] = (got, got)
        for key, (lo, hi) in model.lists.items():
            got = r.llen(key)
            if not (lo <= got <= hi):
                lost.append((key, (lo, hi), got))
            model.lists[key] = (got, got)
        for (key, field), allowed in model.hashes.items():
            got = r.hget(key, field)
            got = got.decode() if got is not None else None
            if got not in allowed:
                lost.append((key, field, set(allowed), got))
            model.hashes[(key, field)] = {got}
        for (key, member), allowed in model.zsets.items():
            got = r.zscore(key, member)
            if got not in allowed:
                lost.append((key, member, set(allowed), got))
            model.zsets[(key, member)] = {got}
        for ident in range(WRITERS):
            a, b = r.get(f"tx:{ident}:a"), r.get(f"tx:{ident}:b")
            if a != b:
                lost.append((f"tx:{ident}", "half-applied transaction", a, b))
        for key, (acked, full) in model.appends.items():
            got = (r.get(key) or b"").decode()
            if not (got.startswith(acked) and full.startswith(got)):
                lost.append((key, acked, got))
            model.appends[key] = (got, got)
    return lost


def test_acknowledged_writes_survive_sigkill():
    model = Model()
    rng = random.Random(1234)
    total_lost = []
    # A small snapshot threshold makes crashes land before, during and after snapshots too.
    with MnemoProcess(args=["--snapshot-log-size", "1mb"], keep_dir=bool(os.environ.get("MNEMO_KEEP_DIR"))) as server:
        print("data dir:", server.dir)
        known = {c.decode() if isinstance(c, bytes) else c for c in server.client().command_list()}
        for name, op in COLLECTION_OPS.items():
            if name in known and op not in OPS:
                OPS.append(op)
        for cycle in range(CYCLES):
            stop = threading.Event()
            threads = [threading.Thread(target=writer, args=(server.port, model, i, stop, rng.random()))
                       for i in range(WRITERS)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.2, 0.8))
            server.kill()
            stop.set()
            for t in threads:
                t.join(timeout=30)
            server.start()
            lost = verify(server.port, model)
            total_lost += [(cycle, *l) for l in lost]
        print(f"\ncrash test: {CYCLES} cycles, {model.acked} writes acknowledged, {len(total_lost)} lost")
    assert model.acked > CYCLES * 10, "the writers did not get going"
    assert total_lost == [], f"acknowledged writes lost: {total_lost[:10]}"
