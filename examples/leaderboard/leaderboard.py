#!/usr/bin/env python3
"""A game leaderboard on Mnemo (or Redis 7): a function library for writes and ranked reads,
plus an EVALSHA_RO script for a read-only top 10. Run against `make run`:

    python3 examples/leaderboard/leaderboard.py [--host 127.0.0.1] [--port 6379] [--game demo]
"""

import argparse
import datetime
import os
import random

import redis

HERE = os.path.dirname(os.path.abspath(__file__))

# Read-only top 10 as a plain script (EVALSHA_RO), for clients that prefer scripts to functions.
TOP10 = """
local flat = redis.call('ZREVRANGE', KEYS[1], 0, 9, 'WITHSCORES')
local out = {}
for i = 1, #flat, 2 do out[#out + 1] = {(i + 1) / 2, flat[i], flat[i + 1]} end
return out
"""


class Leaderboard:
    def __init__(self, client, game):
        self.r = client
        self.game = game
        with open(os.path.join(HERE, "leaderboard.lua")) as f:
            self.r.function_load(f.read(), replace=True)
        self.top10_sha = self.r.script_load(TOP10)

    def keys(self, player=None, day=None):
        day = day or datetime.date.today().isoformat()
        board = f"lb:{{{self.game}}}:all"
        daily = f"lb:{{{self.game}}}:day:{day}"
        return [board, daily] + ([f"lb:{{{self.game}}}:player:{player}"] if player else [])

    def submit(self, player, score, name, day_ttl=2 * 86400):
        best, rank = self.r.fcall("lb_submit", 3, *self.keys(player), player, score, name, day_ttl)
        return float(best), rank

    def top(self, n=10, daily=False):
        board = self.keys()[1 if daily else 0]
        return [(rank, player, float(score)) for rank, player, score in self.r.fcall_ro("lb_top", 1, board, n)]

    def top10(self):
        rows = self.r.evalsha_ro(self.top10_sha, 1, self.keys()[0])
        return [(rank, player, float(score)) for rank, player, score in rows]

    def around(self, player, k=2):
        return [(rank, p, float(score)) for rank, p, score in self.r.fcall_ro("lb_around", 1, self.keys()[0], player, k)]

    def player(self, player):
        return self.r.hgetall(self.keys(player)[2])

    def reset(self):
        players = [f"lb:{{{self.game}}}:player:{p}" for p in self.r.zrange(self.keys()[0], 0, -1)]
        return self.r.fcall("lb_reset", 2 + len(players), *self.keys(), *players)


def show(title, rows):
    print(title)
    for rank, player, score in rows:
        print(f"  #{rank:<3} {player:<10} {score:>8.0f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=6379)
    ap.add_argument("--game", default="demo")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    lb = Leaderboard(redis.Redis(host=args.host, port=args.port, decode_responses=True), args.game)
    lb.reset()
    rnd = random.Random(args.seed)
    names = ["ada", "bob", "cyd", "dee", "eve", "fay", "gus", "hal", "ivy", "jon", "kim", "lou"]
    for round_ in range(3):
        for p in names:
            lb.submit(p, rnd.randint(100, 5000), p.capitalize())
    best, rank = lb.submit("ada", 9999, "Ada")
    assert (best, rank) == (9999.0, 1), (best, rank)
    best, rank = lb.submit("ada", 10, "Ada")  # a worse score keeps the best (ZADD GT)
    assert best == 9999.0 and rank == 1

    top = lb.top(5)
    show("Top 5 (all time):", top)
    assert [r for r, _, _ in top] == [1, 2, 3, 4, 5] and top[0][1] == "ada"
    assert all(a[2] >= b[2] for a, b in zip(top, top[1:]))
    assert lb.top10() == lb.top(10)
    show("Top 3 today:", lb.top(3, daily=True))

    me = top[3][1]
    near = lb.around(me, 2)
    show(f"Around {me}:", near)
    assert [p for _, p, _ in near][2] == me and [r for r, _, _ in near] == [2, 3, 4, 5, 6]

    info = lb.player("ada")
    print("Player ada:", info)
    assert info["games"] == "5" and float(info["best"]) == 9999

    ttl = lb.r.ttl(lb.keys()[1])
    assert 0 < ttl <= 2 * 86400, ttl
    removed = lb.reset()
    print(f"Reset: {removed} keys removed")
    assert removed == 2 + len(names) and lb.top(5) == []
    print("OK")


if __name__ == "__main__":
    main()
