"""Scripting benchmark (a script, not a test): EVALSHA of the leaderboard's submit script and of
a read-only top-10 script, 50 clients, Mnemo vs a real redis-server in the same run, once both
durable (Mnemo's default vs Redis appendonly + appendfsync always) and once both without a log.
Prints requests/s and Mnemo/Redis.

    MNEMO_SERVER=.build/release/mnemo-server python3 bench/scripting.py [requests] [clients]
"""

import os
import shutil
import sys
import tempfile

from benchlib import cli, free_port, rps, start, stop

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
CLIENTS = sys.argv[2] if len(sys.argv) > 2 else "50"
PLAYERS = 10000

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
    print(f"EVALSHA, {N} requests, {CLIENTS} clients ({PLAYERS} players)")
    print(f"{'config':8} {'script':8} {'redis rps':>11} {'mnemo rps':>11} {'ratio':>6}")
    for name, (margs, rargs) in CONFIGS.items():
        tmp = tempfile.mkdtemp()
        mp, rp = free_port(), free_port()
        m = measure([mnemo, "--port", str(mp), "--bind", "127.0.0.1", "--dir", tmp + "/m", *margs], mp)
        os.makedirs(tmp + "/r", exist_ok=True)
        r = measure(["redis-server", "--port", str(rp), "--bind", "127.0.0.1", "--dir", tmp + "/r", "--save", "", *rargs], rp)
        shutil.rmtree(tmp, ignore_errors=True)
        for label, rv, mv in (("submit", r[0], m[0]), ("top-10", r[1], m[1])):
            print(f"{name:8} {label:8} {rv:11.0f} {mv:11.0f} {mv / rv if rv else 0:6.2f}")


if __name__ == "__main__":
    main()
