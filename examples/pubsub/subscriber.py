#!/usr/bin/env python3
"""Subscriber: news on channel patterns, and cache invalidation from keyspace notifications.

    python3 subscriber.py [--port 6379] [--prefix user:]

It turns on keyspace notifications for generic and string events (`notify-keyspace-events Kg$`)
and listens to `__keyspace@0__:<prefix>*`: every SET, EXPIRE, DEL or expiry of a key under the
prefix arrives as a message whose payload is the event name — what a local cache needs to drop
its copy.
"""
import argparse

import redis


def listen(port, prefix, news_pattern="news.*", on_ready=None, host="127.0.0.1"):
    r = redis.Redis(host=host, port=port, decode_responses=True)
    r.config_set("notify-keyspace-events", "Kg$x")
    p = r.pubsub()
    p.psubscribe(news_pattern, f"__keyspace@0__:{prefix}*")
    # Wait until both subscriptions are confirmed before anything is published.
    confirmed = 0
    while confirmed < 2:
        m = p.get_message(timeout=5)
        if m and m["type"] == "psubscribe":
            confirmed += 1
    if on_ready:
        on_ready()
    news = 0
    for m in p.listen():
        if m["type"] != "pmessage":
            continue
        channel = m["channel"]
        if channel.startswith("__keyspace@"):
            key = channel.split(":", 1)[1]
            print(f"cache invalidation: {key} ({m['data']})", flush=True)
            if m["data"] == "del":
                break
        else:
            news += 1
            print(f"news [{channel}]: {m['data']}", flush=True)
    p.close()
    r.close()
    return news


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=6379)
    ap.add_argument("--prefix", default="user:")
    a = ap.parse_args()
    listen(a.port, a.prefix)
