"""Module call overhead: a module command doing one RedisModule_Call to INCR vs plain INCR,
on Mnemo and on a real redis-server loading the same module (built with Mnemo's header).
Prints requests/s and the ratios. Not a test.

    MNEMO_SERVER=.build/release/mnemo-server python3 bench/modules.py [requests] [clients]
"""

import os
import shutil
import subprocess
import sys
import tempfile

from benchlib import free_port, rps, start, stop

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
CLIENTS = sys.argv[2] if len(sys.argv) > 2 else "50"


def main():
    tmp = tempfile.mkdtemp()
    so = os.path.join(tmp, "apitest.so")
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-I", os.path.join(ROOT, "include"), "-o", so,
                    os.path.join(ROOT, "Tests/integration/modules/apitest.c")], check=True)
    mnemo = os.environ.get("MNEMO_SERVER", os.path.join(ROOT, ".build/release/mnemo-server"))
    mp, rp = free_port(), free_port()
    servers = [
        ("mnemo", [mnemo, "--port", str(mp), "--dir", tmp, "--loadmodule", so], mp),
        ("redis", ["redis-server", "--port", str(rp), "--dir", tmp, "--save", "", "--appendonly", "yes",
                   "--appendfsync", "always", "--loadmodule", so], rp),
    ]
    results = {}
    for name, cmd, port in servers:
        p = start(cmd, port)
        try:
            results[name] = (rps(port, N, CLIENTS, "INCR", "k"), rps(port, N, CLIENTS, "api.incr", "k"))
        finally:
            stop(p)
    shutil.rmtree(tmp, ignore_errors=True)
    for name, (plain, module) in results.items():
        print(f"{name:6} INCR {plain:10.0f} rps   api.incr (Call INCR) {module:10.0f} rps   "
              f"module/plain {module / plain if plain else 0:.2f}")
    if results["redis"][1]:
        print(f"mnemo/redis: INCR {results['mnemo'][0] / results['redis'][0]:.2f}, "
              f"api.incr {results['mnemo'][1] / results['redis'][1]:.2f}")


if __name__ == "__main__":
    main()
