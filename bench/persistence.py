#!/usr/bin/env python3
"""Persistence measurements (a script, not a test):

1. Durable SET: redis-benchmark -t set -c 50 -P 1 and -c 1 against Mnemo's default
   (appendfsync always, replies held until durable) and a real redis-server with
   --appendonly yes --appendfsync always; ops/s, p50 and p99 for both and the ratios.
2. Snapshot stall: the engine time BGSAVE of 1M keys takes (Mnemo's capture, Redis's fork,
   both from INFO), and the PING round trips of a client pinging in a loop meanwhile (longest,
   and how many over 1/2/5 ms), against the same loop with no snapshot running; Mnemo and Redis.
   Target: no engine stall over 5 ms.
3. Restart time with 1M keys: Mnemo (snapshot + log) and Redis (RDB).

Usage: MNEMO_SERVER=.build/release/mnemo-server python3 bench/persistence.py [--keys N] [--requests N]
"""

import argparse
import multiprocessing as mp
import csv
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Tests", "integration"))
from support import MnemoProcess, RedisProcess, free_port  # noqa: E402


def bench(port, args):
    out = subprocess.run(["redis-benchmark", "-p", str(port), "--csv"] + args, capture_output=True, text=True).stdout
    rows = list(csv.reader(io.StringIO(out)))
    header, data = rows[0], rows[1]
    d = dict(zip(header, data))
    return float(d["rps"]), float(d["p50_latency_ms"]), float(d["p99_latency_ms"])


def load_keys(port, n):
    subprocess.run(["redis-benchmark", "-p", str(port), "-t", "set", "-n", str(n), "-r", str(n * 10), "-d", "32",
                    "-P", "64", "-c", "8", "-q"], capture_output=True)
    # -r draws random keys; top up with a deterministic pipeline so the count is exact.
    import redis
    r = redis.Redis(port=port)
    have = r.dbsize()
    pipe = r.pipeline(transaction=False)
    i = 0
    while have + i < n:
        pipe.set(f"fill:{i}", "x" * 32)
        i += 1
        if i % 10000 == 0:
            pipe.execute()
    pipe.execute()
    return r.dbsize()


def _pinger(port, stop, started, measuring, result):
    """In its own process, at real-time priority where allowed (root), so the worst round trip
    is the server's and not this client being descheduled on a busy machine. Reports the worst
    round trip, the PING count and how many took over 1, 2 and 5 ms."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
        rt = True
    except (PermissionError, AttributeError, OSError):
        rt = False
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    started.set()
    worst, count, over = 0.0, 0, [0, 0, 0]
    while not stop.is_set():
        t = time.perf_counter()
        s.sendall(b"PING\r\n")
        s.recv(64)
        dt = (time.perf_counter() - t) * 1000
        if measuring.is_set():
            count += 1
            worst = max(worst, dt)
            for i, limit in enumerate((1, 2, 5)):
                if dt > limit:
                    over[i] += 1
    s.close()
    result.put((worst, count, over, rt))


def pings_during(port, action, until):
    """PINGs in a loop while `action()` runs until `until()`: (worst ms, count, [>1, >2, >5 ms], rt, seconds)."""
    stop, started, measuring, result = mp.Event(), mp.Event(), mp.Event(), mp.Queue()
    proc = mp.Process(target=_pinger, args=(port, stop, started, measuring, result))
    proc.start()
    started.wait(10)
    time.sleep(0.3)
    measuring.set()
    t0 = time.perf_counter()
    action()
    while not until():
        time.sleep(0.005)
    elapsed = time.perf_counter() - t0
    stop.set()
    worst, count, over, rt = result.get(30)
    proc.join()
    return worst, count, over, rt, elapsed


def stall_report(name, port, engine_us_field):
    """BGSAVE with a PING loop, then the same loop as long (at most 20 s) with nothing running:
    the difference is what the snapshot costs clients; the rest is the machine."""
    import redis
    c = redis.Redis(port=port)
    n = c.dbsize()
    worst, count, over, rt, elapsed = pings_during(
        port, lambda: c.bgsave(), lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0)
    info = c.info()
    engine_us = info.get(engine_us_field, -1)
    end = time.perf_counter() + min(elapsed, 20)
    bworst, bcount, bover, _, belapsed = pings_during(port, lambda: None, lambda: time.perf_counter() > end)
    print(f"{name}: BGSAVE of {n} keys took {elapsed:.2f}s; engine stalled {engine_us} us ({engine_us_field}); "
          f"{count} PINGs meanwhile, longest {worst:.2f} ms, over 1/2/5 ms: {over[0]}/{over[1]}/{over[2]}"
          f"{' (pinger at real-time priority)' if rt else ''}")
    print(f"{name}: no snapshot, {belapsed:.1f}s: {bcount} PINGs, longest {bworst:.2f} ms, "
          f"over 1/2/5 ms: {bover[0]}/{bover[1]}/{bover[2]}")


def restart_time(server, ready_check):
    server.stop()
    t0 = time.perf_counter()
    server.start(wait=False)
    ready_check()
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 3)))
    a = ap.parse_args()
    import redis

    print("== Durable SET (Mnemo appendfsync always vs Redis appendonly yes appendfsync always) ==")
    m = MnemoProcess()
    rd = RedisProcess(args=["--appendonly", "yes", "--appendfsync", "always"])
    m.start()
    rd.start()
    try:
        print(f"median of {a.rounds} rounds")
        print(f"{'test':<28}{'redis ops/s':>12}{'mnemo ops/s':>12}{'ratio':>7}{'redis p50/p99':>16}{'mnemo p50/p99':>16}{'round range':>13}")
        for label, args in [("SET -c 50 -P 1", ["-c", "50"]), ("SET -c 1 -P 1", ["-c", "1"])]:
            n = a.requests if "50" in label else a.requests // 10
            common = ["-t", "set", "-n", str(n), "-r", "100000"] + args
            # As the other benches: alternating rounds (who goes first changes), medians shown,
            # with the lowest and highest ratio of one round (this machine's noise).
            runs = {"redis": [], "mnemo": []}
            for r in range(a.rounds):
                for who in (["redis", "mnemo"] if r % 2 == 0 else ["mnemo", "redis"]):
                    runs[who].append(bench(rd.port if who == "redis" else m.port, common))
            rr = [statistics.median(x[i] for x in runs["redis"]) for i in range(3)]
            mm = [statistics.median(x[i] for x in runs["mnemo"]) for i in range(3)]
            ratios = [mx[0] / rx[0] for rx, mx in zip(runs["redis"], runs["mnemo"])]
            print(f"{label:<28}{rr[0]:>12.0f}{mm[0]:>12.0f}{mm[0] / rr[0]:>7.2f}{f'{rr[1]:.2f}/{rr[2]:.2f}':>16}{f'{mm[1]:.2f}/{mm[2]:.2f}':>16}"
                  f"{f'{min(ratios):.2f}-{max(ratios):.2f}':>13}")
    finally:
        m.stop(); m.cleanup(); rd.stop(); rd.cleanup()

    print(f"\n== Snapshot stall and restart with {a.keys} keys ==")
    m = MnemoProcess(args=["--save", ""])
    m.start()
    try:
        n = load_keys(m.port, a.keys)
        c = redis.Redis(port=m.port)
        stall_report("mnemo", m.port, "mnemo_snapshot_capture_usec")
        c.set("after-snapshot", 1)

        def mnemo_ready():
            while True:
                try:
                    if redis.Redis(port=m.port).ping():
                        return
                except redis.exceptions.BusyLoadingError:
                    time.sleep(0.01)
                except redis.ConnectionError:
                    time.sleep(0.01)

        t = restart_time(m, mnemo_ready)
        print(f"mnemo: restart with {redis.Redis(port=m.port).dbsize()} keys (snapshot + log) took {t:.2f}s")
    finally:
        m.stop(); m.cleanup()

    rd = RedisProcess(args=["--appendonly", "no", "--save", ""])
    rd.start()
    try:
        n = load_keys(rd.port, a.keys)
        stall_report("redis", rd.port, "latest_fork_usec")
        redis.Redis(port=rd.port).save()

        def redis_ready():
            while True:
                try:
                    if redis.Redis(port=rd.port).ping():
                        return
                except (redis.exceptions.BusyLoadingError, redis.ConnectionError):
                    time.sleep(0.01)

        rd.extra_args += ["--dbfilename", "dump.rdb"]
        t = restart_time(rd, redis_ready)
        print(f"redis: restart with {redis.Redis(port=rd.port).dbsize()} keys (RDB) took {t:.2f}s")
    finally:
        rd.stop(); rd.cleanup()


if __name__ == "__main__":
    main()
