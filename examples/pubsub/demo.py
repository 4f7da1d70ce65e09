#!/usr/bin/env python3
"""Runs the subscriber and the publisher together against a running server.

    python3 demo.py [--port 6379] [--messages 5]
"""
import argparse
import contextlib
import io
import sys
import threading

from publisher import publish
from subscriber import listen


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=6379)
    ap.add_argument("--messages", type=int, default=5)
    a = ap.parse_args()
    ready = threading.Event()
    result = {}

    def run():
        result["news"] = listen(a.port, "user:", on_ready=ready.set)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    if not ready.wait(10):
        sys.exit("subscriber did not start")
    publish(a.port, a.messages)
    t.join(10)
    if t.is_alive():
        sys.exit("subscriber did not see the key's deletion")
    print(f"received {result['news']} news messages")


if __name__ == "__main__":
    sys.path.insert(0, __import__("os").path.dirname(__file__))
    main()
