#!/usr/bin/env python3
"""Summarizes redis-py's tests/test_commands.py results (pytest junit XML) per command family.

usage: summarize.py mnemo.xml redis.xml [--details FAMILY,...]

Prints passed/failed/skipped for each server, overall and per family, then the tests that
pass on Redis but not on Mnemo (for the families given with --details, default strings,
keys/generic and connection/server).
"""

import re
import sys
import xml.etree.ElementTree as ET

FAMILIES = [
    ("acl", r"acl_"),
    ("scripting", r"(eval|evalsha|script_|fcall|function_)"),
    ("pubsub", r"(pubsub|publish|spublish|subscribe)"),
    ("hashes", r"(h(set|get|del|exists|incrby|incrbyfloat|keys|len|mget|mset|scan|strlen|vals|randfield|setnx|"
               r"expire|pexpire|ttl|pttl|persist|getall|getdel|getex|setex|expiretime|pexpiretime)"
               r"|hget_and_hset)"),
    ("lists", r"(l(push|pushx|pop|range|index|insert|len|move|movem|mpop|pos|rem|set|trim)|r(pop|push|pushx|poplpush)"
              r"|bl(pop|move|movem|mpop)|br(pop|poplpush)|binary_lists|lists_with)"),
    ("sets", r"(s(add|card|diff|diffcard|diffstore|inter|intercard|interstore|ismember|members|mismember|move|pop|"
             r"randmember|rem|scan|scan_iter|union|unioncard|unionstore))"),
    ("sorted sets", r"(z[a-z]+|bz(pop|mpop)[a-z]*)"),
    ("strings", r"(append|decr|decrby|get|getdel|getex|getrange|getset|incr|incrby|incrbyfloat|lcs|mget|mset|"
                r"msetnx|psetex|set|setex|setnx|setrange|strlen|substr|stralgo|binary_get_set|get_and_set|"
                r"getitem|delitem|floating_point_encoding|large_responses|increx|msetex|delex|digest)"),
    ("keys/generic", r"(del|delete|exists|exists_contains|expire|expireat|expiretime|pexpire|pexpireat|pexpiretime|"
                     r"ttl|pttl|persist|keys|scan|scan_iter|scan_type|rename|renamenx|copy|copy_and_replace|"
                     r"copy_to_another_database|move|randomkey|touch|type|unlink|dump_and_restore|restore|object|"
                     r"sort|wait|empty_response_option|never_decode_option|response_callbacks|"
                     r"case_insensitive_command_names|command_on_invalid_key_type)"),
    ("connection/server", r"(client_|ping|echo|hello|select|quit|reset|auth|config_|info|22_info|dbsize|time|"
                          r"flushall|flushdb|swapdb|lastsave|save|bgsave|slowlog|memory_|debug|command|lolwut|"
                          r"shutdown|role|module|replicaof|latency|failover|readonly|readwrite|psync|sync|"
                          r"interrupted_command|hotkeys)"),
]
# An alternative ending in "_" is a prefix (acl_, client_); others must end at "_", "[" or the end.
COMPILED = [(name, re.compile(r"^(?:%s)(?:(?<=_)|_|$|\[)" % rx)) for name, rx in FAMILIES]
ORDER = [name for name, _ in FAMILIES] + ["other"]
DISPLAY = ["strings", "keys/generic", "connection/server", "hashes", "lists", "sets", "sorted sets",
           "scripting", "pubsub", "acl", "other"]


def family(test_name):
    base = test_name[5:] if test_name.startswith("test_") else test_name
    for name, rx in COMPILED:
        if rx.match(base):
            return name
    return "other"


def load(path):
    """{test id: outcome} with outcome in passed/failed/skipped."""
    results = {}
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        tid = f"{case.get('classname', '').split('.')[-1]}::{case.get('name')}"
        if case.find("skipped") is not None:
            outcome = "skipped"
        elif case.find("failure") is not None or case.find("error") is not None:
            outcome = "failed"
        else:
            outcome = "passed"
        # a test that passes but whose teardown errors appears twice; keep the worst
        if results.get(tid) == "failed":
            continue
        results[tid] = outcome
    return results


def tally(results):
    per = {f: {"passed": 0, "failed": 0, "skipped": 0} for f in ORDER}
    for tid, outcome in results.items():
        per[family(tid.split("::", 1)[1])][outcome] += 1
    total = {k: sum(per[f][k] for f in ORDER) for k in ("passed", "failed", "skipped")}
    return total, per


def main(argv):
    details = {"strings", "keys/generic", "connection/server"}
    args = list(argv)
    if "--details" in args:
        i = args.index("--details")
        details = set(args[i + 1].split(","))
        del args[i:i + 2]
    mnemo, redis_ = load(args[0]), load(args[1])
    (mt, mp), (rt, rp) = tally(mnemo), tally(redis_)
    row = "{:<20} {:>7} {:>7} {:>7}   {:>7} {:>7} {:>7}"
    print(row.format("", "mnemo", "", "", "redis", "", ""))
    print(row.format("family", "passed", "failed", "skipped", "passed", "failed", "skipped"))
    print("-" * 72)
    for f in DISPLAY:
        m, r = mp[f], rp[f]
        print(row.format(f, m["passed"], m["failed"], m["skipped"], r["passed"], r["failed"], r["skipped"]))
    print("-" * 72)
    print(row.format("TOTAL", mt["passed"], mt["failed"], mt["skipped"], rt["passed"], rt["failed"], rt["skipped"]))
    print()
    regressions = sorted(t for t, o in redis_.items() if o == "passed" and mnemo.get(t) != "passed")
    by_family = {}
    for t in regressions:
        by_family.setdefault(family(t.split("::", 1)[1]), []).append(t)
    print(f"Tests passing on Redis but not on Mnemo: {len(regressions)}")
    for f in DISPLAY:
        tests = by_family.get(f, [])
        if not tests:
            continue
        print(f"  {f}: {len(tests)}")
        if f in details:
            for t in tests:
                print(f"    {t} ({mnemo.get(t, 'missing')})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
