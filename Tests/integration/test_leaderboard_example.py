"""Runs examples/leaderboard against Mnemo, as a user would."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_leaderboard_example_runs(mnemo, r):
    r.function_flush()
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", "leaderboard", "leaderboard.py"),
         "--host", mnemo.host, "--port", str(mnemo.port), "--game", "pytest"],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Top 5 (all time):" in out.stdout and out.stdout.strip().endswith("OK")
    assert r.exists("lb:{pytest}:all") == 0  # the demo resets what it created
    r.function_flush()
