#!/usr/bin/env python3
"""Publisher: news messages on a few channels, then changes to a cached key.

    python3 publisher.py [--port 6379] [--messages 5]
"""
import argparse
import time

import redis


def publish(port, messages=5, host="127.0.0.1"):
    r = redis.Redis(host=host, port=port, decode_responses=True)
    for i in range(messages):
        channel = ["news.sport", "news.tech", "news.world"][i % 3]
        receivers = r.publish(channel, f"headline {i}")
        print(f"published to {channel} ({receivers} receiver(s))", flush=True)
    # Changes to a cached object: subscribers learn about each through keyspace notifications.
    r.set("user:42", '{"name": "Ada"}')
    r.expire("user:42", 60)
    r.set("session:1", "not under the prefix")
    r.delete("user:42")
    time.sleep(0.05)
    r.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=6379)
    ap.add_argument("--messages", type=int, default=5)
    a = ap.parse_args()
    publish(a.port, a.messages)
