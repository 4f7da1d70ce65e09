#!/usr/bin/env python3
"""Pub/Sub benchmark (a script, not a test): PUBLISH throughput and delivered messages/s with
1, 10 and 100 subscribers, Mnemo vs a real redis-server side by side, with ratios.

    MNEMO_SERVER=.build/release/mnemo-server python3 bench/pubsub.py [--messages 200000] [--subscribers 1,10,100]

The load tool is the same for both servers: publisher processes pipeline PUBLISH commands
(fixed-size payload) and count replies; one subscriber process multiplexes every subscriber
socket and counts delivered bytes (every message has the same size, so no parsing is needed).
Both servers run without persistence (Mnemo: --appendonly no; PUBLISH is never logged anyway).
"""
import argparse
import multiprocessing as mp
import os
import selectors
import shutil
import statistics
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import free_port, start  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHANNEL = b"bench"


def encode(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def subscriber_proc(port, n, expected_bytes, ready, done_at):
    sel = selectors.DefaultSelector()
    socks = []
    confirm = b"*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(CHANNEL), CHANNEL)
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.sendall(encode(b"SUBSCRIBE", CHANNEL))
        got = b""
        while len(got) < len(confirm):
            got += s.recv(4096)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        socks.append(s)
    ready.set()
    remaining = expected_bytes * n
    while remaining > 0:
        for key, _ in sel.select(timeout=30):
            data = key.fileobj.recv(1 << 20)
            if not data:
                sel.unregister(key.fileobj)
                continue
            remaining -= len(data)
        if not sel.get_map():
            break
    done_at.value = time.perf_counter()
    for s in socks:
        s.close()


def publisher_proc(port, count, payload, batch, reply_len, start_evt, elapsed):
    s = socket.create_connection(("127.0.0.1", port))
    cmd = encode(b"PUBLISH", CHANNEL, payload)
    chunk = cmd * batch
    start_evt.wait()
    t0 = time.perf_counter()
    sent = 0
    expected = count * reply_len
    received = 0
    window = 4  # batches in flight
    in_flight = 0
    while sent < count or received < expected:
        while sent < count and in_flight < window:
            s.sendall(chunk)
            sent += batch
            in_flight += 1
        data = s.recv(1 << 20)
        received += len(data)
        in_flight = max(0, (sent * reply_len - received + batch * reply_len - 1) // (batch * reply_len))
    elapsed.value = time.perf_counter() - t0
    s.close()


def run_case(port, subscribers, messages, payload, publishers, batch):
    msg_len = len(b"*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(CHANNEL), CHANNEL, len(payload), payload))
    per_pub = messages // publishers
    total = per_pub * publishers
    ready, start_evt = mp.Event(), mp.Event()
    done_at = mp.Value("d", 0.0)
    sub = mp.Process(target=subscriber_proc, args=(port, subscribers, msg_len * total, ready, done_at))
    sub.start()
    ready.wait(60)
    reply_len = len(b":%d\r\n" % subscribers)
    times = [mp.Value("d", 0.0) for _ in range(publishers)]
    pubs = [mp.Process(target=publisher_proc, args=(port, per_pub, payload, batch, reply_len, start_evt, times[i]))
            for i in range(publishers)]
    for p in pubs:
        p.start()
    time.sleep(0.2)
    t0 = time.perf_counter()
    start_evt.set()
    for p in pubs:
        p.join()
    sub.join(120)
    publish_rate = total / max(t.value for t in times)
    delivered_rate = total * subscribers / (done_at.value - t0) if done_at.value > t0 else 0.0
    return publish_rate, delivered_rate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=int(os.environ.get("BENCH_PUBSUB_MESSAGES", 200000)))
    ap.add_argument("--subscribers", default="1,10,100")
    ap.add_argument("--payload", type=int, default=64)
    ap.add_argument("--publishers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 3)),
                    help="runs per case, alternating which server goes first; medians are shown")
    a = ap.parse_args()
    mnemo = os.environ.get("MNEMO_SERVER", os.path.join(ROOT, ".build/release/mnemo-server"))
    redis_bin = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
    if not os.path.exists(mnemo) or not redis_bin:
        sys.exit("need MNEMO_SERVER (make release) and redis-server")
    work = tempfile.mkdtemp(prefix="mnemo-bench-pubsub-")
    payload = b"p" * a.payload
    servers = {}
    rp, mp_ = free_port(), free_port()
    servers["redis"] = (start([redis_bin, "--port", str(rp), "--save", "", "--appendonly", "no", "--dir", work], rp), rp)
    mdir = os.path.join(work, "mnemo")
    os.makedirs(mdir)
    servers["mnemo"] = (start([mnemo, "--port", str(mp_), "--appendonly", "no", "--dir", mdir], mp_), mp_)
    try:
        print(f"{a.messages} PUBLISH of {a.payload} B, {a.publishers} publishers pipelining {a.batch}; "
              f"median of {a.rounds} rounds (round range: lowest-highest ratio of one round)")
        print(f"{'subs':>5} {'redis pub/s':>12} {'mnemo pub/s':>12} {'ratio':>6}   {'redis msg/s':>12} {'mnemo msg/s':>12} {'ratio':>6}"
              f" {'round range':>12}")
        for n in [int(x) for x in a.subscribers.split(",")]:
            runs = {"redis": [], "mnemo": []}
            for r in range(a.rounds):
                # Alternate who goes first, so a slow spell of the machine does not favour one side.
                for name in (["redis", "mnemo"] if r % 2 == 0 else ["mnemo", "redis"]):
                    runs[name].append(run_case(servers[name][1], n, a.messages, payload, a.publishers, a.batch))
            med = lambda name, i: statistics.median(x[i] for x in runs[name])
            rp_, rd, mp2, md = med("redis", 0), med("redis", 1), med("mnemo", 0), med("mnemo", 1)
            ratios = [m[0] / r[0] for r, m in zip(runs["redis"], runs["mnemo"]) if r[0]]
            print(f"{n:>5} {rp_:>12,.0f} {mp2:>12,.0f} {mp2 / rp_:>6.2f}   {rd:>12,.0f} {md:>12,.0f} {md / rd if rd else 0:>6.2f}"
                  f" {min(ratios):>5.2f}-{max(ratios):.2f}", flush=True)
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
