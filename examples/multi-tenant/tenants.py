#!/usr/bin/env python3
"""Multi-tenant ACLs: two tenants, each with a read-write and a read-only user limited to its
own keys (~tenantN:*) and channels (&tenantN:*). Shows allowed and refused commands, a refused
EVAL that touches the other tenant's key, and ACL LOG afterwards.

    python3 tenants.py [--port 6379] [--admin-password PASSWORD]
"""
import argparse

import redis


def setup(admin):
    for n in (1, 2):
        # Read-write service user: data commands, scripts and pub/sub, on its own keys and channels.
        admin.execute_command("ACL", "SETUSER", f"tenant{n}", "reset", "on", f">tenant{n}-secret",
                              f"~tenant{n}:*", f"&tenant{n}:*", "+@all", "-@dangerous", "-@admin")
        # Read-only user (dashboards): reads of its own keys only.
        admin.execute_command("ACL", "SETUSER", f"tenant{n}-ro", "reset", "on", f">tenant{n}-ro-secret",
                              f"%R~tenant{n}:*", "+@read", "+@connection", "-@dangerous")


def attempt(label, fn):
    try:
        result = fn()
        print(f"  allowed  {label} -> {result!r}")
        return True
    except redis.exceptions.ResponseError as e:  # NoPermissionError is one
        print(f"  REFUSED  {label} -> {type(e).__name__}: {e}")
        return False


def run(port, admin_password=None):
    admin = redis.Redis(port=port, password=admin_password, decode_responses=True)
    admin.acl_log_reset()
    setup(admin)
    outcomes = {}
    t1 = redis.Redis(port=port, username="tenant1", password="tenant1-secret", decode_responses=True)
    t1ro = redis.Redis(port=port, username="tenant1-ro", password="tenant1-ro-secret", decode_responses=True)
    t2 = redis.Redis(port=port, username="tenant2", password="tenant2-secret", decode_responses=True)

    print("tenant1 (read-write):")
    outcomes["t1 set own"] = attempt("SET tenant1:plan pro", lambda: t1.set("tenant1:plan", "pro"))
    outcomes["t1 get own"] = attempt("GET tenant1:plan", lambda: t1.get("tenant1:plan"))
    outcomes["t1 publish own"] = attempt("PUBLISH tenant1:events hi", lambda: t1.publish("tenant1:events", "hi"))
    outcomes["t1 get other"] = attempt("GET tenant2:plan", lambda: t1.get("tenant2:plan"))
    outcomes["t1 publish other"] = attempt("PUBLISH tenant2:events hi", lambda: t1.publish("tenant2:events", "hi"))
    outcomes["t1 flushall"] = attempt("FLUSHALL", lambda: t1.flushall())
    outcomes["t1 eval own"] = attempt("EVAL incr tenant1:hits", lambda: t1.eval("return redis.call('INCR', KEYS[1])", 1, "tenant1:hits"))
    outcomes["t1 eval other"] = attempt("EVAL reading tenant2:plan",
                                        lambda: t1.eval("return redis.call('GET', 'tenant2:plan')", 0))
    print("tenant2 (read-write):")
    outcomes["t2 set own"] = attempt("SET tenant2:plan free", lambda: t2.set("tenant2:plan", "free"))
    outcomes["t2 del other"] = attempt("DEL tenant1:plan", lambda: t2.delete("tenant1:plan"))
    print("tenant1-ro (read-only):")
    outcomes["ro get own"] = attempt("GET tenant1:plan", lambda: t1ro.get("tenant1:plan"))
    outcomes["ro set own"] = attempt("SET tenant1:plan free", lambda: t1ro.set("tenant1:plan", "free"))
    outcomes["ro get other"] = attempt("GET tenant2:plan", lambda: t1ro.get("tenant2:plan"))

    print("ACL LOG (newest first):")
    log = admin.acl_log()
    for e in log:
        print(f"  {e['count']}x {e['reason']:<8} {e['context']:<8} user={e['username']:<11} object={e['object']}")
    return outcomes, log


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=6379)
    ap.add_argument("--admin-password")
    a = ap.parse_args()
    run(a.port, a.admin_password)


if __name__ == "__main__":
    main()
