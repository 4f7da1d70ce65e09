#!/usr/bin/env python3
"""ACL benchmark (a script, not a test): GET/SET throughput as the unrestricted `default` user
and as a user limited by 10 key patterns (the matching one last), on Mnemo and on a real
redis-server side by side, with the cost of the checks as a ratio per server.

    MNEMO_SERVER=.build/release/mnemo-server python3 bench/acl.py [--requests 200000] [--clients 50] [--pipeline 16]

Both servers run without persistence (Mnemo: --appendonly no), so the numbers show the
command path, not the disk. redis-benchmark drives both, authenticating with --user/-a.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import redis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import free_port  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATTERNS = [f"~tenant{i}:*" for i in range(9)] + ["~key:*"]


def start(kind, port, d):
    if kind == "mnemo":
        binary = os.environ.get("MNEMO_SERVER", os.path.join(ROOT, ".build/release/mnemo-server"))
        argv = [binary, "--port", str(port), "--dir", d, "--appendonly", "no", "--save", ""]
    else:
        argv = [shutil.which("redis-server"), "--port", str(port), "--dir", d, "--save", "", "--appendonly", "no"]
    p = benchlib.start(argv, port)
    c = redis.Redis(port=port)
    c.execute_command("ACL", "SETUSER", "bench", "on", ">benchpw", "+@all", *PATTERNS)
    return p


def rps(port, test, user, a):
    argv = ["redis-benchmark", "-p", str(port), "-t", test, "-n", str(a.requests), "-c", str(a.clients),
            "-P", str(a.pipeline), "-r", "100000", "-q"]
    if user:
        argv += ["--user", "bench", "-a", "benchpw"]
    out = subprocess.run(argv, capture_output=True, text=True).stdout
    m = re.search(r"([\d.]+) requests per second", out)
    return float(m.group(1)) if m else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--pipeline", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    if not shutil.which("redis-benchmark"):
        sys.exit("redis-benchmark not found (Debian redis-tools)")
    print(f"GET/SET, {a.requests} requests, {a.clients} clients, pipeline {a.pipeline}, best of {a.rounds}; "
          f"user 'bench' has {len(PATTERNS)} key patterns (keys match the last)")
    print(f"{'server':<7} {'test':<4} {'default':>12} {'acl user':>12} {'acl/default':>12}")
    for kind in ("mnemo", "redis"):
        d = tempfile.mkdtemp(prefix=f"bench-acl-{kind}-")
        port = free_port()
        p = start(kind, port, d)
        try:
            for test in ("set", "get"):
                base = max(rps(port, test, False, a) for _ in range(a.rounds))
                acl = max(rps(port, test, True, a) for _ in range(a.rounds))
                ratio = acl / base if base else 0
                print(f"{kind:<7} {test:<4} {base:>12.0f} {acl:>12.0f} {ratio:>12.3f}")
        finally:
            try:
                redis.Redis(port=port).shutdown(nosave=True)
            except redis.RedisError:
                pass
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
