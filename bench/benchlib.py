"""Shared pieces of the Python benchmarks: free ports, starting servers, redis-benchmark runs."""

import re
import socket
import subprocess
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(cmd, port):
    """Starts a server (mnemo-server or redis-server command line) and waits for PONG."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() == b"PONG":
            return p
        if p.poll() is not None:
            break
        time.sleep(0.1)
    p.kill()
    raise RuntimeError(f"{cmd[0]} did not start")


def stop(p):
    p.kill()
    p.wait()


def rps(port, requests, clients, *command, keyspace=None):
    """requests/s of one redis-benchmark run of `command` (with __rand_int__ when keyspace is set)."""
    argv = ["redis-benchmark", "-p", str(port), "-n", str(requests), "-c", str(clients), "-q"]
    if keyspace:
        argv += ["-r", str(keyspace)]
    out = subprocess.run(argv + list(command), capture_output=True, text=True).stdout
    m = re.findall(r"([\d.]+) requests per second", out)
    return float(m[-1]) if m else 0.0


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, check=True).stdout.strip()
