#!/usr/bin/env python3
"""Generates acl_matrix_fixture.json: for every command (and subcommand) with key specs in
Mnemo's command table, an invocation built from its own COMMAND DOCS arguments, run against a
real redis-server 7.0 as users allowed only to read, only to write, or nothing on the keys —
directly, queued in MULTI (queue-time reply) and through EVAL — recording Redis's outcome.

Usage: gen_acl_matrix.py MNEMO_PORT REDIS_PORT  (both servers already running, disposable)
"""
import json
import os
import sys

import redis

PREFIX = "acl:"
USERS = {
    "read": ["%R~acl:*"],
    "write": ["%W~acl:*"],
    "none": ["~zzz:*"],
}


def has_key(a):
    return a["type"] == "key" or any(has_key(x) for x in a.get("arguments", []) or [])


def synth(args, out, counter, force_key=None):
    force_key = force_key if force_key is not None else [False]
    for a in args or []:
        flags = a.get("flags", [])
        if "optional" in flags and not (force_key[0] and has_key(a)):
            continue
        if a.get("token"):
            out.append(a["token"])
        t = a["type"]
        name = a.get("name", "")
        if t == "key":
            counter[0] += 1
            out.append(f"{PREFIX}{counter[0]}")
            force_key[0] = False
        elif t == "pure-token":
            pass
        elif t == "oneof":
            synth(a["arguments"][:1], out, counter, force_key)
        elif t == "block":
            synth(a["arguments"], out, counter, force_key)
        elif name == "numkeys":
            # keys after a count may be optional in the docs (EVAL): give the count one key.
            out.append("1")
            force_key[0] = True
        elif "timeout" in name:
            out.append("0.01")
        elif name == "host":
            out.append("127.0.0.1")
        elif t in ("integer", "unix-time"):
            out.append("1")
        elif t == "double":
            out.append("1")
        elif t == "pattern":
            out.append(PREFIX + "*")
        else:
            out.append("v")


def docs_map(reply):
    """COMMAND DOCS reply (RESP2 flat lists) → {name: {field: value}} recursively."""
    out = {}
    for i in range(0, len(reply), 2):
        out[reply[i]] = to_dict(reply[i + 1])
    return out


def to_dict(x):
    if isinstance(x, list) and len(x) % 2 == 0 and all(isinstance(x[i], str) for i in range(0, len(x), 2)):
        d = {x[i]: x[i + 1] for i in range(0, len(x), 2)}
        if "arguments" in d:
            d["arguments"] = [to_dict(a) for a in d["arguments"]]
        if "flags" in d and isinstance(d["flags"], list):
            pass
        if "subcommands" in d:
            d["subcommands"] = docs_map(d["subcommands"])
        return d
    return x


def decode(x):
    if isinstance(x, bytes):
        return x.decode()
    if isinstance(x, list):
        return [decode(i) for i in x]
    return x


def commands_with_keys(port):
    """(fullname, container, flags, argument docs) for every spec with key specs, from Mnemo."""
    c = Raw(port)
    info = decode(c.call("COMMAND", "INFO"))
    docs = docs_map(decode(c.call("COMMAND", "DOCS")))
    c.close()
    found = []

    def visit(entry, container=None):
        name, flags, keyspecs, subs = entry[0], entry[2], entry[8], entry[9]
        if keyspecs:
            top = container or name
            d = docs[top]
            if container:
                d = d.get("subcommands", {}).get(name, {})
            found.append((name, container, flags, d.get("arguments", [])))
        for s in subs or []:
            visit(s, name)

    for e in info:
        if e:
            visit(e)
    return found


def outcome(reply_or_error):
    if isinstance(reply_or_error, Exception):
        text = str(reply_or_error)
        if text.startswith("NOPERM") or "user executing the script" in text or text.startswith("ERR The user"):
            return text
        return "ok"
    return "ok"


def run(conn, argv):
    try:
        return conn.execute_command(*argv)
    except redis.exceptions.ResponseError as e:
        return e
    except redis.exceptions.NoPermissionError as e:
        return e


class Raw:
    """Minimal RESP connection so errors keep their prefix exactly (redis-py strips NOPERM)."""

    def __init__(self, port, user=None):
        import socket

        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")
        if user:
            r = self.call("AUTH", user, "pw")
            assert r == "OK", r

    def call(self, *argv):
        out = b"*%d\r\n" % len(argv)
        for a in argv:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)
        return self.read()

    def read(self):
        line = self.f.readline()
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return Error(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return data
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError(line)

    def close(self):
        self.s.close()


class Error(Exception):
    pass


def classify(r):
    if isinstance(r, Error):
        t = str(r)
        if t.startswith("NOPERM") or "user executing the script" in t:
            return t
    return "ok"


def eval_reply(r):
    # redis.pcall returns the error as a reply: surface it as an error for classify().
    return r


SCRIPT = "return redis.pcall(unpack(ARGV))"


def probe(port, user, argv, flags):
    c = Raw(port, user)
    try:
        result = {}
        c.call("FLUSHALL") if False else None
        result["direct"] = classify(c.call(*argv))
        if "no_multi" not in flags:
            c.call("MULTI")
            result["multi"] = classify(c.call(*argv))
            c.call("DISCARD")
        if "noscript" not in flags:
            result["eval"] = classify(c.call("EVAL", SCRIPT, 0, *argv))
        return result
    finally:
        c.close()


def setup_users(admin):
    for u, keys in USERS.items():
        admin.execute_command("ACL", "SETUSER", u, "reset", "on", ">pw", "+@all", "allchannels", *keys)


def main():
    mnemo_port, redis_port = int(sys.argv[1]), int(sys.argv[2])
    real = redis.Redis(port=redis_port, decode_responses=True, protocol=2)
    setup_users(real)
    cases = []
    for name, container, flags, args in commands_with_keys(mnemo_port):
        name = name.split("|")[-1]
        argv = [container, name] if container else [name]
        counter = [0]
        synth(args, argv, counter)
        if name in ("shutdown", "monitor", "sync", "psync", "debug"):
            continue
        case = {"command": f"{container}|{name}" if container else name, "argv": argv, "flags": flags, "expect": {}}
        for user in USERS:
            real.execute_command("FLUSHALL")
            case["expect"][user] = probe(redis_port, user, argv, flags)
        cases.append(case)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "acl_matrix_fixture.json")
    with open(path, "w") as f:
        json.dump({"generated_from": "redis-server " + real.info("server")["redis_version"], "users": USERS,
                   "script": SCRIPT, "cases": cases}, f, indent=1)
    print(f"{len(cases)} commands written to {path}")


if __name__ == "__main__":
    main()
