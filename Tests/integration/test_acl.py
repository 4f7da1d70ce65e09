"""ACL: the command-table matrix against Redis 7.0's recorded outcomes, rules and their
descriptions, AUTH/HELLO/NOAUTH/requirepass, ACL LOG, DRYRUN, channels, user changes taking
effect at once, durability, and brute force not slowing other clients."""

import json
import os
import socket
import threading
import time

import pytest
import redis

import gen_acl_matrix as matrix
from support import MnemoProcess, wait_until

FIXTURE = json.load(open(os.path.join(os.path.dirname(__file__), "acl_matrix_fixture.json")))


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = MnemoProcess(dir=str(tmp_path_factory.mktemp("acl")))
    s.start()
    admin = redis.Redis(port=s.port, decode_responses=True)
    matrix.setup_users(admin)
    admin.close()
    yield s
    s.stop()


@pytest.fixture
def m(srv):
    c = redis.Redis(port=srv.port, decode_responses=True, protocol=2)
    yield c
    for u in c.acl_users():
        if u not in ("default", *matrix.USERS):
            c.acl_deluser(u)
    c.acl_log_reset()
    c.close()


@pytest.fixture
def o(redis_server):
    c = redis.Redis(port=redis_server.port, decode_responses=True, protocol=2)
    c.flushall()
    yield c
    for u in c.acl_users():
        if u != "default":
            c.acl_deluser(u)
    c.acl_log_reset()
    c.close()


def user_client(server, user, password="pw", **kw):
    return redis.Redis(port=server.port, username=user, password=password, decode_responses=True, **kw)


# -- the matrix -----------------------------------------------------------------------------

@pytest.mark.parametrize("case", FIXTURE["cases"], ids=[c["command"] for c in FIXTURE["cases"]])
def test_matrix_matches_redis(srv, case):
    for user, want in case["expect"].items():
        got = matrix.probe(srv.port, user, case["argv"], case["flags"])
        assert got == want, f"{case['command']} as {user}: {got} != {want}"


def test_every_command_with_keys_is_in_the_matrix(srv):
    """A command added to the table with key specs must get a fixture entry (regenerate it with
    gen_acl_matrix.py against a real redis-server)."""
    have = {c["command"] for c in FIXTURE["cases"]}
    missing = []
    for name, container, _, _ in matrix.commands_with_keys(srv.port):
        full = f"{container}|{name.split('|')[-1]}" if container else name
        if full not in have and name.split("|")[-1] not in ("shutdown", "monitor", "sync", "psync", "debug"):
            missing.append(full)
    assert not missing, f"commands without ACL coverage: {missing}"


def test_every_command_has_acl_categories(srv, m):
    """Every command is in some category (Redis implies @slow or @fast), so +@cat rules reach it."""
    covered = set()
    for cat in m.acl_cat():
        covered.update(m.acl_cat(cat))
    c = matrix.Raw(srv.port)
    names = {n.decode() for n in c.call("COMMAND", "LIST")}
    c.close()
    assert names <= covered


# -- rules, descriptions, errors ------------------------------------------------------------

RULESETS = [
    ["on", ">p1", "~foo:*", "%R~r:*", "&ch:*", "+get", "+set", "+client|id", "(~sel:* +hget)"],
    ["on", "nopass", "allkeys", "allchannels", "allcommands"],
    ["%R~x", "%W~x"], ["%W~y", "%WR~z"], ["~a", "allkeys"], ["allkeys", "resetkeys", "~b"],
    ["allchannels", "resetchannels", "&a", "&a"], [">a", ">b", "<a"], [">a", "nopass"], ["nopass", ">a"],
    [">a", "resetpass"], ["on", "off"], ["reset"], ["~a", "&b", "+get", "on", ">x", "reset"],
    ["skip-sanitize-payload"], ["sanitize-payload"], ["(~a +get)", "(~b)", "clearselectors", "(&c)"], ["()"],
    ["ON", "NOPASS", "ALLKEYS"], ["+get", "-get"], ["+client|id", "+client"], ["+client|id", "-client"],
    ["+select|0", "+select|1"], ["+select|0", "+select"], ["allcommands", "-get", "nocommands", "+get"],
    ["+@all", "-@all"], ["+get", "+@all"], ["-@all", "-get"], ["+GET"], ["+@all", "-@dangerous"],
    ["+@all", "-get", "-set"], ["#" + "a" * 64], [">x", "!" + "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"],
    ["+@read"],
]


def normalize_commands(s):
    parts = s.split()
    return parts[:1] + sorted(parts[1:])


def describe(c, name):
    u = c.execute_command("ACL", "GETUSER", name)
    d = dict(zip(u[::2], u[1::2]))
    d["commands"] = normalize_commands(d["commands"])
    d["selectors"] = [dict(zip(s[::2], s[1::2])) for s in d["selectors"]]
    for s in d["selectors"]:
        s["commands"] = normalize_commands(s["commands"])
    line = [l for l in c.acl_list() if l.startswith(f"user {name} ")][0]
    return d, sorted(line.split())


@pytest.mark.parametrize("rules", RULESETS, ids=[" ".join(r)[:40] for r in RULESETS])
def test_setuser_getuser_list_match_redis(m, o, rules):
    for c in (m, o):
        c.execute_command("ACL", "SETUSER", "z", *rules)
    dm, lm = describe(m, "z")
    do, lo = describe(o, "z")
    if rules == ["+@read"]:
        # Category fit depends on the table's contents; both must start from the category.
        assert dm["commands"][:2] == do["commands"][:2]
        return
    assert dm == do
    assert lm == lo


def test_getuser_round_trip(m):
    m.execute_command("ACL", "SETUSER", "rt", "on", ">p", "~a:*", "%R~b:*", "&c:*", "+@hash", "-hdel", "+get",
                      "(~s:* +set)")
    line = [l for l in m.acl_list() if l.startswith("user rt ")][0]
    rules = line.split()[2:]
    m.execute_command("ACL", "SETUSER", "rt2", *rules)
    line2 = [l for l in m.acl_list() if l.startswith("user rt2 ")][0]
    assert line2.split()[2:] == rules


BAD_RULES = [["bogus"], ["+nosuch"], ["+@nosuch"], ["%X~a"], ["(~a"], ["#abc"], ["%~x"], ["%RR~x"],
             ["~*", "~a"], ["&*", "&a"], ["<zz"], ["!x"], ["(on)"], ["(nopass)"], ["(~a", "b)"],
             ["-select|0"], ["+client|nosuch"], ["+@read|x"], ["allkeys", "%RW~x"]]


@pytest.mark.parametrize("rules", BAD_RULES, ids=[" ".join(r) for r in BAD_RULES])
def test_bad_rule_errors_match_redis(m, o, rules):
    errs = []
    for c in (m, o):
        with pytest.raises(redis.ResponseError) as e:
            c.execute_command("ACL", "SETUSER", "bad", *rules)
        errs.append(str(e.value))
        assert "bad" not in c.acl_users()
    assert errs[0] == errs[1]


@pytest.mark.parametrize("cmd", [["ACL", "CAT"], ["ACL", "CAT", "nosuch"], ["ACL", "GETUSER", "nouser"],
                                 ["ACL", "DELUSER", "default"], ["ACL", "GENPASS", "0"], ["ACL", "GENPASS", "5000"],
                                 ["ACL", "LOG", "x"], ["ACL", "WHOAMI"], ["ACL", "HELP"], ["ACL", "LOAD"],
                                 ["ACL", "SAVE"], ["ACL", "SETUSER", "a b"], ["AUTH", "x"], ["AUTH", "a", "b", "c"],
                                 ["ACL", "CAT", "a", "b"], ["ACL", "USERS", "x"], ["ACL", "DRYRUN", "nouser", "get", "a"]])
def test_acl_command_replies_match_redis(m, o, cmd):
    def run(c):
        try:
            return c.execute_command(*cmd)
        except redis.RedisError as e:
            return "ERR:" + str(e)
    assert run(m) == run(o)


def test_genpass_lengths(m):
    assert len(m.acl_genpass()) == 64
    assert len(m.execute_command("ACL", "GENPASS", "5")) == 2
    assert len(m.execute_command("ACL", "GENPASS", "9")) == 3


def test_dryrun_matches_redis(m, o):
    for c in (m, o):
        c.execute_command("ACL", "SETUSER", "t", "on", "nopass", "~a:*", "&c:*", "+@all", "-@dangerous")
    for cmd in (["get", "b"], ["get", "a:1"], ["flushall"], ["publish", "x", "y"], ["publish", "c:1", "y"],
                ["nocmd"], ["get"], ["set", "a:1", "v"], ["client", "id"], ["client", "kill", "x"]):
        def run(c):
            try:
                return c.execute_command("ACL", "DRYRUN", "t", *cmd)
            except redis.ResponseError as e:
                return "ERR:" + str(e)
        assert run(m) == run(o), cmd


# -- authentication ---------------------------------------------------------------------------

def test_auth_and_whoami(srv, m):
    m.execute_command("ACL", "SETUSER", "alice", "on", ">secret", "+@all", "~*")
    c = user_client(srv, "alice", "secret")
    assert c.acl_whoami() == "alice"
    with pytest.raises(redis.AuthenticationError, match="invalid username-password pair or user is disabled."):
        user_client(srv, "alice", "nope").ping()
    m.execute_command("ACL", "SETUSER", "alice", "off")
    with pytest.raises(redis.AuthenticationError):
        user_client(srv, "alice", "secret").ping()
    entry = m.acl_log()[0]
    assert entry["reason"] == "auth" and entry["username"] == "alice" and entry["object"].lower() in ("auth", "hello")
    assert "secret" not in json.dumps(m.acl_log()) and "nope" not in json.dumps(m.acl_log())


def test_hello_auth(srv, m):
    m.execute_command("ACL", "SETUSER", "bob", "on", ">pw2", "+@all", "~*")
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"HELLO 3 AUTH bob pw2\r\nACL WHOAMI\r\nHELLO 3 AUTH bob bad\r\n")
    data = b""
    while b"WRONGPASS" not in data:
        chunk = s.recv(65536)
        assert chunk
        data += chunk
    assert b"bob" in data
    s.close()


def test_requirepass_noauth_and_reset(mnemo_factory):
    s = mnemo_factory()
    redis.Redis(port=s.port).config_set("requirepass", "topsecret")
    c = redis.Redis(port=s.port, decode_responses=True)
    with pytest.raises(redis.AuthenticationError, match="Authentication required"):
        c.get("x")
    raw = socket.create_connection(("127.0.0.1", s.port))
    raw.sendall(b"GET x\r\nAUTH wrong\r\nAUTH topsecret\r\nGET x\r\nRESET\r\nGET x\r\n")
    time.sleep(0.3)
    out = raw.recv(65536)
    assert out == (b"-NOAUTH Authentication required.\r\n-WRONGPASS invalid username-password pair or user is "
                   b"disabled.\r\n+OK\r\n$-1\r\n+RESET\r\n-NOAUTH Authentication required.\r\n")
    # Unauthenticated clients get Redis's small request limits.
    raw2 = socket.create_connection(("127.0.0.1", s.port))
    raw2.sendall(b"*20\r\n")
    assert b"unauthenticated multibulk length" in raw2.recv(1000)
    ok = redis.Redis(port=s.port, password="topsecret", decode_responses=True)
    assert ok.set("k", "v")
    ok.config_set("requirepass", "")
    assert redis.Redis(port=s.port).ping()
    assert "topsecret" not in s.log()


# -- ACL LOG ----------------------------------------------------------------------------------

def test_acl_log_fields_grouping_and_max_len(srv, m):
    m.execute_command("ACL", "SETUSER", "lg", "on", ">pw", "~a:*", "+get", "+multi", "+discard")
    c = user_client(srv, "lg", single_connection_client=True)
    for _ in range(3):
        with pytest.raises(redis.exceptions.NoPermissionError):
            c.get("b")
    with pytest.raises(redis.exceptions.NoPermissionError):
        c.set("a:1", "x")
    # (redis-py's CLIENT SETINFO at connect is refused too: not part of this check)
    log = [e for e in m.acl_log() if e["object"] != "client|setinfo"]
    assert [e["reason"] for e in log] == ["command", "key"]
    key = log[1]
    assert set(key) == {"count", "reason", "context", "object", "username", "age-seconds", "client-info",
                        "entry-id", "timestamp-created", "timestamp-last-updated"}
    assert key["count"] == 3 and key["object"] == "b" and key["username"] == "lg" and key["context"] == "toplevel"
    # Grouped entries keep their id and first time; the newer entry has the next id.
    assert log[0]["entry-id"] == key["entry-id"] + 1
    assert key["timestamp-created"] <= key["timestamp-last-updated"] <= log[0]["timestamp-created"]
    info = key["client-info"]  # redis-py parses it into a dict
    assert info["cmd"] == "get" and info["user"] == "lg"
    assert log[0]["object"] == "set"
    assert len(m.acl_log(1)) == 1
    m.config_set("acllog-max-len", 2)
    assert len(m.acl_log()) == 2
    m.config_set("acllog-max-len", 1)
    assert len(m.acl_log()) == 1
    m.config_set("acllog-max-len", 128)
    c.execute_command("MULTI")
    with pytest.raises(redis.exceptions.NoPermissionError):
        c.execute_command("GET", "zz")
    c.execute_command("DISCARD")
    assert m.acl_log()[0]["context"] == "multi"
    with pytest.raises(redis.ResponseError):
        c.eval("return redis.call('get', 'other')", 0)
    m.execute_command("ACL", "SETUSER", "lg", "+eval")
    with pytest.raises(redis.ResponseError, match="can't access at least one of the keys"):
        c.eval("return redis.call('get', 'other')", 0)
    assert m.acl_log()[0]["context"] == "lua"
    assert m.acl_log_reset()
    assert m.acl_log() == []


def test_exec_rechecks_acl(srv, m, o, redis_server):
    outs = []
    for server, admin in ((srv, m), (redis_server, o)):
        admin.execute_command("ACL", "SETUSER", "tx", "on", ">pw", "~a:*", "+@all")
        c = user_client(server, "tx", single_connection_client=True)
        c.execute_command("MULTI")
        c.execute_command("SET", "a:1", "1")
        admin.execute_command("ACL", "SETUSER", "tx", "resetkeys", "~c:*")
        try:
            res = c.execute_command("EXEC")
        except redis.ResponseError as e:
            res = str(e)
        outs.append(str(res))
        outs.append((admin.acl_log()[0]["context"], admin.acl_log()[0]["reason"]))
        c.close()
    assert outs[0] == outs[2] and outs[1] == outs[3]


def test_sort_by_get_need_full_key_access(srv, m, o, redis_server):
    for admin in (m, o):
        admin.execute_command("ACL", "SETUSER", "so", "on", ">pw", "~a:*", "+@all")
        admin.execute_command("ACL", "SETUSER", "so2", "on", ">pw", "%R~*", "+@all")
    cases = [["sort", "a:1", "by", "x:*"], ["sort", "a:1", "by", "nosort"], ["sort", "a:1", "get", "#"],
             ["sort_ro", "a:1", "by", "x:*"], ["sort", "a:1", "store", "b:1"], ["sort", "a:1", "store", "a:2"],
             ["sort", "a:1", "store", "b:1", "store", "a:3"], ["sort", "a:1", "store", "a:3", "store", "b:1"]]
    for user in ("so", "so2"):
        for cmd in cases:
            res = []
            for server in (srv, redis_server):
                c = user_client(server, user)
                try:
                    res.append(str(c.execute_command(*cmd)))
                except redis.ResponseError as e:
                    res.append(type(e).__name__ + str(e))
                c.close()
            assert res[0] == res[1], (user, cmd)


# -- channels ------------------------------------------------------------------------------------

CHANNEL_CASES = [["publish", "c:1", "m"], ["publish", "d", "m"], ["spublish", "c:1", "m"], ["spublish", "d", "m"],
                 ["subscribe", "c:1"], ["subscribe", "c:1", "d"], ["ssubscribe", "c:1"], ["ssubscribe", "d"],
                 ["psubscribe", "c:*"], ["psubscribe", "c:1*"], ["psubscribe", "d*"]]


@pytest.mark.parametrize("cmd", CHANNEL_CASES, ids=[" ".join(c) for c in CHANNEL_CASES])
def test_channel_permissions_match_redis(srv, m, o, redis_server, cmd):
    res = []
    for server, admin in ((srv, m), (redis_server, o)):
        admin.execute_command("ACL", "SETUSER", "ch", "on", ">pw", "&c:*", "+@all", "allkeys")
        s = socket.create_connection(("127.0.0.1", server.port))
        line = b"AUTH ch pw\r\n" + b"*%d\r\n" % len(cmd) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in cmd)
        s.sendall(line)
        time.sleep(0.15)
        res.append(s.recv(65536))
        s.close()
        dry = admin.execute_command("ACL", "DRYRUN", "ch", *cmd)
        res.append(dry)
    assert res[0] == res[2] and res[1] == res[3]


def test_changed_user_loses_forbidden_subscriptions(srv, m):
    m.execute_command("ACL", "SETUSER", "sub", "on", ">pw", "allchannels", "+@all")
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"AUTH sub pw\r\nSUBSCRIBE news\r\n")
    time.sleep(0.2)
    s.recv(65536)
    m.execute_command("ACL", "SETUSER", "sub", "resetchannels", "&other")
    s.settimeout(3)
    assert s.recv(65536) == b""  # closed, as Redis 7.0 does


def test_deleted_user_connections_are_closed(srv, m):
    m.execute_command("ACL", "SETUSER", "gone", "on", ">pw", "+@all", "~*")
    c = user_client(srv, "gone", single_connection_client=True, retry_on_timeout=False)
    assert c.ping()
    m.acl_deluser("gone")
    time.sleep(0.2)
    with pytest.raises((redis.ConnectionError, redis.AuthenticationError, redis.ResponseError)):
        c.ping()


# -- durability, brute force -----------------------------------------------------------------------

def test_users_survive_restart(mnemo_factory):
    s = mnemo_factory(args=["--appendonly", "yes"])
    c = redis.Redis(port=s.port, decode_responses=True)
    c.execute_command("ACL", "SETUSER", "dur", "on", ">pw", "~d:*", "+get", "(~x:* +set)")
    c.execute_command("ACL", "SETUSER", "tmp", "on")
    c.acl_deluser("tmp")
    before = c.acl_list()
    c.execute_command("BGREWRITEAOF")
    time.sleep(0.5)
    c.execute_command("ACL", "SETUSER", "after", "on", "nopass")
    before = c.acl_list()
    s.kill() if hasattr(s, "kill") else s.stop()
    s.start()
    c = redis.Redis(port=s.port, decode_responses=True)
    wait_until(lambda: c.acl_list() == before, message="users restored")
    assert user_client(s, "dur", "pw").get("d:1") is None


def test_auth_brute_force_does_not_slow_others(srv, m):
    stop = threading.Event()

    def hammer():
        s = socket.create_connection(("127.0.0.1", srv.port))
        batch = b"AUTH nobody wrongpass\r\n" * 200
        while not stop.is_set():
            s.sendall(batch)
            got = 0
            while got < 200:
                got += s.recv(1 << 20).count(b"WRONGPASS")
        s.close()

    t = threading.Thread(target=hammer)
    t.start()
    try:
        time.sleep(0.2)
        c = redis.Redis(port=srv.port)
        worst = 0
        for _ in range(200):
            t0 = time.perf_counter()
            c.ping()
            worst = max(worst, time.perf_counter() - t0)
        assert worst < 0.25
    finally:
        stop.set()
        t.join()
    assert "wrongpass" not in srv.log()


def _external_ipv4():
    """An address of this machine that is not loopback, or None."""
    import socket as _s
    try:
        with _s.socket(_s.AF_INET, _s.SOCK_DGRAM) as u:
            u.connect(("192.0.2.254", 9))  # no packet is sent for a UDP connect
            ip = u.getsockname()[0]
        return None if ip.startswith("127.") else ip
    except OSError:
        return None


@pytest.mark.parametrize("extra,denied", [([], True), (["--protected-mode", "no"], False), (["--requirepass", "pw"], False)])
def test_protected_mode_refuses_external_clients_without_password(mnemo_factory, extra, denied):
    ip = _external_ipv4()
    if ip is None:
        pytest.skip("no non-loopback IPv4 address on this machine")
    import socket as _s
    import time as _t
    srv = mnemo_factory(["--bind", f"127.0.0.1 {ip}"] + extra, wait=False)
    srv.start(wait=False)
    deadline = _t.monotonic() + 30
    while True:  # with a password PING answers NOAUTH, which the usual readiness check refuses
        try:
            with _s.create_connection(("127.0.0.1", srv.port), timeout=1) as probe:
                probe.sendall(b"*1\r\n$4\r\nPING\r\n")
                if probe.recv(64).startswith((b"+PONG", b"-NOAUTH")):
                    break
        except OSError:
            pass
        assert _t.monotonic() < deadline, srv.log()
        _t.sleep(0.05)
    with _s.create_connection((ip, srv.port), timeout=5) as s:
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        s.settimeout(5)
        data = s.recv(4096)
    if denied:
        assert data.startswith(b"-DENIED Redis is running in protected mode")
    else:
        assert data.startswith(b"+PONG") or data.startswith(b"-NOAUTH")
    # Loopback clients are never refused.
    with _s.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        assert s.recv(64).startswith((b"+PONG", b"-NOAUTH"))
