"""Wire protocol over raw sockets: pipelining, inline commands, malformed input.

Each malformed-input case is checked against Mnemo *and* a real redis-server, so the
expected texts here are Redis's, not our guess of them.
"""

import socket

import pytest

from support import recv_until_closed


def connect(server):
    s = socket.create_connection((server.host, server.port), timeout=5)
    return s


def read_exactly_lines(sock, n, timeout=10):
    """Reads until `n` CRLF-terminated top-level lines of simple replies arrived."""
    sock.settimeout(timeout)
    data = b""
    while data.count(b"\r\n") < n:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    return data


def ping_works(server):
    with connect(server) as s:
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        return read_exactly_lines(s, 1) == b"+PONG\r\n"


@pytest.fixture(params=["mnemo", "redis"])
def server(request):
    """The same raw-protocol test runs against Mnemo and the real Redis (the oracle)."""
    return request.getfixturevalue("mnemo" if request.param == "mnemo" else "redis_server")


# ---------------------------------------------------------------------------- pipelining

def test_pipeline_1000_commands_in_one_write(mnemo, r):
    payload = b"".join(b"*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n" for _ in range(1000))
    with connect(mnemo) as s:
        s.sendall(payload)
        data = read_exactly_lines(s, 1000)
    replies = data.split(b"\r\n")[:-1]
    assert replies == [b":%d" % i for i in range(1, 1001)]
    assert r.get("counter") == "1000"


def test_pipeline_mixed_replies_in_order(mnemo, r):
    cmds = []
    for i in range(300):
        v = b"v%d" % i
        cmds.append(b"*3\r\n$3\r\nSET\r\n$%d\r\nk%d\r\n$%d\r\n%s\r\n" % (len(b"k%d" % i), i, len(v), v))
        cmds.append(b"*2\r\n$3\r\nGET\r\n$%d\r\nk%d\r\n" % (len(b"k%d" % i), i))
        cmds.append(b"*1\r\n$7\r\nNOSUCHC\r\n")
    with connect(mnemo) as s:
        s.sendall(b"".join(cmds))
        # +OK, $len, value, -ERR ...  → 4 lines per triple
        data = read_exactly_lines(s, 4 * 300)
    lines = data.split(b"\r\n")
    for i in range(300):
        ok, blen, val, err = lines[4 * i:4 * i + 4]
        assert ok == b"+OK"
        assert val == b"v%d" % i and blen == b"$%d" % len(val)
        assert err.startswith(b"-ERR unknown command 'NOSUCHC'")


def test_pipeline_with_redis_py(r):
    p = r.pipeline(transaction=False)
    for i in range(1000):
        p.set(f"key:{i}", i)
    for i in range(1000):
        p.get(f"key:{i}")
    res = p.execute()
    assert res[:1000] == [True] * 1000
    assert res[1000:] == [str(i) for i in range(1000)]


def test_request_split_byte_by_byte(mnemo, r):
    payload = b"*3\r\n$3\r\nSET\r\n$5\r\nsplit\r\n$11\r\nhello world\r\nPING\r\n"
    with connect(mnemo) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for b in payload:
            s.send(bytes([b]))
        data = read_exactly_lines(s, 2)
    assert data == b"+OK\r\n+PONG\r\n"
    assert r.get("split") == "hello world"


def test_large_value_round_trip(rb):
    value = bytes(range(256)) * (4 * 4096)  # 4 MiB, every byte value
    assert rb.set("big", value)
    assert rb.get("big") == value
    assert rb.strlen("big") == len(value)


def test_binary_safe_keys_and_values(rb):
    key = b"k\x00\r\n\xff"
    val = b"\x00\x01\r\n$3\r\n*1\xff"
    rb.set(key, val)
    assert rb.get(key) == val
    assert rb.exists(key) == 1
    assert key in rb.keys("k*")


# ---------------------------------------------------------------------------- inline

def test_inline_ping(server):
    with connect(server) as s:
        s.sendall(b"PING\r\n")
        assert read_exactly_lines(s, 1) == b"+PONG\r\n"


@pytest.mark.parametrize("payload,expected", [
    (b"PING\n", b"+PONG\r\n"),
    (b"  PING   \r\n", b"+PONG\r\n"),
    (b"\r\n\r\nPING\r\n", b"+PONG\r\n"),
    (b"ping hello\r\n", b"$5\r\nhello\r\n"),
    (b'echo "a b"\r\n', b"$3\r\na b\r\n"),
    (b"echo 'a b'\r\n", b"$3\r\na b\r\n"),
    (b'echo "a\\x41\\n"\r\n', b"$3\r\naA\n\r\n"),
    (b'echo "b\\"c"\r\n', b'$3\r\nb"c\r\n'),
    (b"echo 'a\\'b'\r\n", b"$3\r\na'b\r\n"),
    (b'echo ""\r\n', b"$0\r\n\r\n"),
    (b"nosuchcommand a b\r\n", b"-ERR unknown command 'nosuchcommand', with args beginning with: 'a' 'b' \r\n"),
])
def test_inline_forms(server, payload, expected):
    with connect(server) as s:
        s.sendall(payload)
        assert read_exactly_lines(s, expected.count(b"\r\n")) == expected


def test_inline_set_quoted_then_get(mnemo, r):
    with connect(mnemo) as s:
        s.sendall(b'set k "a b"\r\nget k\r\n')
        assert read_exactly_lines(s, 3) == b"+OK\r\n$3\r\na b\r\n"
    assert r.get("k") == "a b"


def test_inline_and_multibulk_mixed_in_one_write(mnemo):
    with connect(mnemo) as s:
        s.sendall(b"PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nPING x\r\n")
        assert read_exactly_lines(s, 4) == b"+PONG\r\n$2\r\nhi\r\n$1\r\nx\r\n"


# ---------------------------------------------------------------------------- malformed input

MALFORMED = [
    (b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*1x\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*+1\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*3000000000\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*1\r\n$-5\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$-1\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$abc\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$1x\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$ 4\r\nping\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$536870913\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\nfoo\r\n", b"-ERR Protocol error: expected '$', got 'f'\r\n"),
    (b"*2\r\n$3\r\nget\r\n:1\r\n", b"-ERR Protocol error: expected '$', got ':'\r\n"),
    (b'set "a\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    (b"set a 'b\r\n", b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    (b'set k "a"b\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    (b"a" * 70000, b"-ERR Protocol error: too big inline request\r\n"),
    (b"*" + b"1" * 70000, b"-ERR Protocol error: too big mbulk count string\r\n"),
    (b"*1\r\n$" + b"1" * 70000, b"-ERR Protocol error: too big bulk count string\r\n"),
    # Replies before the bad request are sent, then the error, then the connection closes.
    (b"PING\r\n*1\r\n$4\r\nPING\r\n*x\r\nPING\r\n",
     b"+PONG\r\n+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n"),
]


@pytest.mark.parametrize("payload,expected", MALFORMED, ids=[repr(p[:24]) for p, _ in MALFORMED])
def test_malformed_request_error_then_close(server, payload, expected):
    bystander = connect(server)  # another client, connected before the bad one
    try:
        with connect(server) as s:
            s.sendall(payload)
            data, closed = recv_until_closed(s, timeout=5)
        assert data == expected
        assert closed, "the server must close the connection after a protocol error"
        bystander.sendall(b"*2\r\n$4\r\nECHO\r\n$5\r\nstill\r\n")
        assert read_exactly_lines(bystander, 2) == b"$5\r\nstill\r\n"
    finally:
        bystander.close()
    assert ping_works(server)


@pytest.mark.parametrize("payload", [
    b"*1\r\n$04\r\nping\r\n",   # leading zero in a bulk length
    b"*01\r\n$4\r\nping\r\n",   # leading zero in a multibulk length
])
def test_leading_zero_lengths_rejected(server, payload, request):
    with connect(server) as s:
        s.sendall(payload)
        data, closed = recv_until_closed(s, timeout=1)
    assert data.startswith(b"-ERR Protocol error: invalid ")
    assert closed


def test_expected_dollar_error_sanitizes_crlf(server, request):
    with connect(server) as s:
        s.sendall(b"*1\r\n\r\n")
        data, closed = recv_until_closed(s, timeout=3)
    assert data == b"-ERR Protocol error: expected '$', got ' '\r\n"
    assert closed


def test_negative_and_zero_multibulk_are_ignored(server):
    with connect(server) as s:
        s.sendall(b"*-1\r\n*0\r\n*-5\r\nPING\r\n")
        assert read_exactly_lines(s, 1) == b"+PONG\r\n"


def test_incomplete_request_waits_for_more(server):
    with connect(server) as s:
        s.sendall(b"*2\r\n$4\r\nECHO\r\n$3\r\nfo")
        s.settimeout(0.3)
        with pytest.raises(socket.timeout):
            s.recv(100)
        s.sendall(b"o\r\n")
        assert read_exactly_lines(s, 2) == b"$3\r\nfoo\r\n"


def test_bulk_length_above_configured_proto_max_bulk_len(server, request):
    c = server.client(decode_responses=True)
    old = c.config_get("proto-max-bulk-len")["proto-max-bulk-len"]
    c.config_set("proto-max-bulk-len", 1024 * 1024)
    try:
        assert c.config_get("proto-max-bulk-len")["proto-max-bulk-len"] == str(1024 * 1024)
        # exactly the limit is accepted
        value = b"x" * (1024 * 1024)
        with connect(server) as s:
            s.sendall(b"*3\r\n$3\r\nSET\r\n$2\r\npm\r\n$1048576\r\n" + value + b"\r\n")
            assert read_exactly_lines(s, 1) == b"+OK\r\n"
        assert c.strlen("pm") == 1024 * 1024
        with connect(server) as s:
            s.sendall(b"*2\r\n$4\r\nECHO\r\n$1048577\r\n")
            data, closed = recv_until_closed(s, timeout=1)
        assert data == b"-ERR Protocol error: invalid bulk length\r\n"
        assert closed
    finally:
        c.config_set("proto-max-bulk-len", old)
        c.delete("pm")
        c.close()


def test_bulk_length_above_default_limit_accepted_up_to_512mb(mnemo, r):
    # 512 MB exactly is a valid length (the server waits for the data); one more is not.
    with connect(mnemo) as s:
        s.sendall(b"*2\r\n$4\r\nECHO\r\n$536870912\r\n")
        s.settimeout(0.3)
        with pytest.raises(socket.timeout):
            s.recv(100)
    assert r.ping()


def test_many_bad_clients_do_not_hurt_the_server(mnemo, r):
    r.set("survivor", "yes")
    for payload, _ in MALFORMED[:8]:
        for _ in range(5):
            with connect(mnemo) as s:
                s.sendall(payload)
                recv_until_closed(s, timeout=2)
    assert r.get("survivor") == "yes"
    assert ping_works(mnemo)


@pytest.mark.parametrize("arg,expected", [
    (b"a\r\nb", b"'a  b'"),           # CR/LF inside an error line would break the protocol
    (b"\x12\x01\x02\n\n", b"'\x12\x01\x02  '"),
    (b"\xff\xfe", b"'\xff\xfe'"),      # bytes are echoed as bytes, not as U+FFFD
])
def test_unknown_command_error_with_binary_args(server, request, arg, expected):
    if request.node.callspec.params["server"] == "mnemo" and arg == b"\xff\xfe":
        request.applymarker(pytest.mark.xfail(
            reason="known difference: error texts are strings, so non-UTF-8 bytes in an unknown "
                   "command's arguments are echoed as U+FFFD (Redis echoes the raw bytes)", strict=False))
    with connect(server) as s:
        s.sendall(b"*2\r\n$5\r\nNOSUC\r\n$%d\r\n%s\r\n*1\r\n$4\r\nPING\r\n" % (len(arg), arg))
        data = read_exactly_lines(s, 2, timeout=3)
    assert data == b"-ERR unknown command 'NOSUC', with args beginning with: " + expected + b" \r\n+PONG\r\n"
