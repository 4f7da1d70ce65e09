"""Scripting benchmark (a script, not a test): EVALSHA of the leaderboard's submit script and of
a read-only top-10 script, 50 clients, Mnemo vs a real redis-server in the same run, once both
durable (Mnemo's default vs Redis appendonly + appendfsync always) and once both without a log.
Prints requests/s and Mnemo/Redis: the median of BENCH_ROUNDS rounds (default 3).

    MNEMO_SERVER=.build/release/mnemo-server python3 bench/scripting.py [requests] [clients]
"""

import os
import shutil
import statistics
import sys
import tempfile

from benchlib import cli, free_port, rps, start, stop

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
CLIENTS = sys.argv[2] if len(sys.argv) > 2 else "50"
PLAYERS = 10000
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))

# The leaderboard example's submit function (examples/leaderboard/leaderboard.lua), run as an
# EVAL script: KEYS board, day board, player hash; ARGV player, score, name, day-board TTL.
def submit_script():
    with open(os.path.join(ROOT, "examples/leaderboard/leaderboard.lua")) as f:
        lua = f.read()
    begin = lua.index("local function submit(keys, args)\n") + len("local function submit(keys, args)\n")
    body = lua[begin:lua.index("\nend\n", begin)]
    return "local keys, args = KEYS, ARGV\n" + body + "\n"


SUBMIT = submit_script()

TOP10 = """#!lua flags=no-writes
local flat = redis.call('ZREVRANGE', KEYS[1], 0, 9, 'WITHSCORES')
local out = {}
for i = 1, #flat, 2 do out[#out + 1] = {(i + 1) / 2, flat[i], flat[i + 1]} end
return out
"""

CONFIGS = {
    "durable": (["--appendfsync", "always"], ["--appendonly", "yes", "--appendfsync", "always"]),
    "no log": (["--appendonly", "no"], ["--appendonly", "no"]),
}


def measure(cmd, port):
    p = start(cmd, port)
    try:
        submit = cli(port, "SCRIPT", "LOAD", SUBMIT)
        top = cli(port, "SCRIPT", "LOAD", TOP10)
        s = rps(port, N, CLIENTS, "EVALSHA", submit, "3", "lb", "lb:today", "player:__rand_int__",
                "p:__rand_int__", "__rand_int__", "name", "86400", keyspace=PLAYERS)
        t = rps(port, N, CLIENTS, "EVALSHA_RO", top, "1", "lb")
        return s, t
    finally:
        stop(p)


def main():
    mnemo = os.environ.get("MNEMO_SERVER", os.path.join(ROOT, ".build/release/mnemo-server"))
    print(f"EVALSHA, {N} requests, {CLIENTS} clients ({PLAYERS} players); median of {ROUNDS} rounds, "
          "round range = lowest-highest ratio of one round")
    print(f"{'config':8} {'script':8} {'redis rps':>11} {'mnemo rps':>11} {'ratio':>6} {'round range':>12}")
    for name, (margs, rargs) in CONFIGS.items():
        runs = {"redis": [], "mnemo": []}
        for r in range(ROUNDS):
            # Alternate who goes first, so a slow spell of the machine does not favour one side.
            for who in (["redis", "mnemo"] if r % 2 == 0 else ["mnemo", "redis"]):
                tmp = tempfile.mkdtemp()
                port = free_port()
                if who == "mnemo":
                    cmd = [mnemo, "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp + "/m", *margs]
                else:
                    os.makedirs(tmp + "/r", exist_ok=True)
                    cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp + "/r", "--save", "",
                           *rargs]
                runs[who].append(measure(cmd, port))
                shutil.rmtree(tmp, ignore_errors=True)
        for i, label in enumerate(("submit", "top-10")):
            rv = statistics.median(x[i] for x in runs["redis"])
            mv = statistics.median(x[i] for x in runs["mnemo"])
            ratios = [m[i] / r[i] for r, m in zip(runs["redis"], runs["mnemo"]) if r[i]]
            print(f"{name:8} {label:8} {rv:11.0f} {mv:11.0f} {mv / rv if rv else 0:6.2f} "
                  f"{min(ratios):>6.2f}-{max(ratios):.2f}", flush=True)


if __name__ == "__main__":
    main()
