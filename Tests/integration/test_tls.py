"""TLS listener: certificates made at test time with the openssl CLI; redis-cli --tls and
redis-py ssl=True (with a client certificate); tls-auth-clients yes|optional|no; plain
and TLS listeners side by side."""

import shutil
import socket
import ssl
import subprocess

import pytest
import redis

from support import free_port

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed")


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Mnemo Test CA",
            "-keyout", "ca.key", "-out", "ca.crt", cwd=d)
    ext = d / "server.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key",
            "-out", "server.csr", cwd=d)
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "server.ext", "-out", "server.crt", cwd=d)
    (d / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=mnemo-client", "-keyout", "client.key",
            "-out", "client.csr", cwd=d)
    openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "client.ext", "-out", "client.crt", cwd=d)
    # a client certificate from a CA the server does not trust
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=rogue",
            "-keyout", "rogue.key", "-out", "rogue.crt", cwd=d)
    # PEM keys are also offered under a .pem name (see test_pem_key_with_dot_key_extension)
    shutil.copy(d / "server.key", d / "server-key.pem")
    paths = {name: str(d / name) for name in
             ("ca.crt", "server.crt", "server.key", "client.crt", "client.key", "rogue.crt", "rogue.key")}
    paths["server-key.pem"] = str(d / "server-key.pem")
    return paths


def start_tls(mnemo_factory, certs, auth_clients="yes", key="server-key.pem"):
    tls_port = free_port()
    srv = mnemo_factory(["--tls-port", str(tls_port), "--tls-cert-file", certs["server.crt"],
                         "--tls-key-file", certs[key], "--tls-ca-cert-file", certs["ca.crt"],
                         "--tls-auth-clients", auth_clients])
    srv.tls_port = tls_port
    return srv


def tls_client(srv, certs, with_cert=True, **kw):
    args = dict(host="127.0.0.1", port=srv.tls_port, ssl=True, ssl_ca_certs=certs["ca.crt"],
                ssl_cert_reqs="required", socket_timeout=5, decode_responses=True)
    if with_cert:
        args.update(ssl_certfile=certs["client.crt"], ssl_keyfile=certs["client.key"])
    args.update(kw)
    return redis.Redis(**args)


def raw_tls_ping(srv, certs, cert=None, key=None):
    """PING over TLS with Python's ssl module; returns the reply bytes or raises."""
    ctx = ssl.create_default_context(cafile=certs["ca.crt"])
    if cert:
        ctx.load_cert_chain(cert, key)
    with socket.create_connection(("127.0.0.1", srv.tls_port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname="localhost") as t:
            t.sendall(b"PING\r\n")
            data = t.recv(100)
            if not data:
                raise ConnectionError("closed by server")
            return data


def redis_cli(srv, certs, *cmd, with_cert=True):
    argv = ["redis-cli", "-h", "127.0.0.1", "-p", str(srv.tls_port), "--tls", "--cacert", certs["ca.crt"]]
    if with_cert:
        argv += ["--cert", certs["client.crt"], "--key", certs["client.key"]]
    return subprocess.run(argv + list(cmd), capture_output=True, text=True, timeout=20)


def test_redis_cli_tls(mnemo_factory, certs):
    srv = start_tls(mnemo_factory, certs)
    out = redis_cli(srv, certs, "PING")
    assert out.returncode == 0 and out.stdout.strip() == "PONG", out.stderr
    assert redis_cli(srv, certs, "SET", "tlskey", "over tls").stdout.strip() == "OK"
    assert redis_cli(srv, certs, "GET", "tlskey").stdout.strip() == "over tls"
    # the plain listener, side by side, sees the same data
    plain = srv.client(decode_responses=True)
    assert plain.get("tlskey") == "over tls"
    plain.close()


def test_redis_py_ssl_with_client_certificate(mnemo_factory, certs):
    srv = start_tls(mnemo_factory, certs)
    c = tls_client(srv, certs)
    try:
        assert c.ping()
        p = c.pipeline(transaction=False)
        for i in range(500):
            p.set(f"k{i}", "x" * 100)
        assert all(p.execute())
        assert c.dbsize() == 500
        assert c.get("k499") == "x" * 100
        big = "y" * (1 << 20)
        c.set("big", big)
        assert c.get("big") == big
        info = c.client_info()
        assert info["laddr"] == f"127.0.0.1:{srv.tls_port}"
    finally:
        c.close()
    c3 = tls_client(srv, certs, protocol=3)
    try:
        assert c3.get("k0") == "x" * 100
        assert c3.execute_command("HELLO")["proto"] == 3
    finally:
        c3.close()


def test_auth_clients_yes_rejects_client_without_certificate(mnemo_factory, certs):
    srv = start_tls(mnemo_factory, certs, "yes")
    assert raw_tls_ping(srv, certs, certs["client.crt"], certs["client.key"]) == b"+PONG\r\n"
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        raw_tls_ping(srv, certs)
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        raw_tls_ping(srv, certs, certs["rogue.crt"], certs["rogue.key"])
    out = redis_cli(srv, certs, "PING", with_cert=False)
    assert "PONG" not in out.stdout
    # the server survives rejected handshakes
    assert raw_tls_ping(srv, certs, certs["client.crt"], certs["client.key"]) == b"+PONG\r\n"


def test_auth_clients_optional_accepts_both(mnemo_factory, certs):
    srv = start_tls(mnemo_factory, certs, "optional")
    assert raw_tls_ping(srv, certs) == b"+PONG\r\n"
    assert raw_tls_ping(srv, certs, certs["client.crt"], certs["client.key"]) == b"+PONG\r\n"
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        raw_tls_ping(srv, certs, certs["rogue.crt"], certs["rogue.key"])
    out = redis_cli(srv, certs, "PING", with_cert=False)
    assert out.stdout.strip() == "PONG", out.stderr
    c = tls_client(srv, certs, with_cert=False)
    try:
        assert c.ping()
    finally:
        c.close()


def test_auth_clients_no(mnemo_factory, certs):
    srv = start_tls(mnemo_factory, certs, "no")
    assert raw_tls_ping(srv, certs) == b"+PONG\r\n"
    assert raw_tls_ping(srv, certs, certs["client.crt"], certs["client.key"]) == b"+PONG\r\n"


def test_plaintext_on_tls_port_and_tls_on_plain_port_fail(mnemo_factory, certs):
    srv = start_tls(mnemo_factory, certs, "optional")
    with socket.create_connection(("127.0.0.1", srv.tls_port), timeout=5) as s:
        s.sendall(b"PING\r\n")
        try:
            data = s.recv(100)
        except OSError:
            data = b""
        assert b"+PONG" not in data
    ctx = ssl.create_default_context(cafile=certs["ca.crt"])
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
        with pytest.raises((ssl.SSLError, OSError)):
            with ctx.wrap_socket(s, server_hostname="localhost") as t:
                t.sendall(b"PING\r\n")
                t.recv(100)
    # both listeners still work afterwards
    assert raw_tls_ping(srv, certs) == b"+PONG\r\n"
    plain = srv.client()
    assert plain.ping()
    plain.close()


def test_tls_port_requires_cert_and_key(mnemo_factory, certs):
    srv = mnemo_factory(["--tls-port", str(free_port())], wait=False)
    srv.start(wait=False)
    code = srv.wait_exit(timeout=20)
    assert code == 1
    assert "tls-cert-file" in srv.log()


def test_pem_key_with_dot_key_extension(mnemo_factory, certs):
    srv = start_tls(mnemo_factory, certs, "optional", key="server.key")
    assert raw_tls_ping(srv, certs) == b"+PONG\r\n"
