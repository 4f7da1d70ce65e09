"""Start-up configuration: a redis.conf-style file, command-line overrides, and clear fatal
errors (exit code 1, naming the file and the line) for unknown or invalid directives."""

import os
import subprocess

import pytest
import redis

from support import free_port, mnemo_binary


def run_server_expecting_failure(args, tmp_path, input=None):
    """Runs mnemo-server with arguments that must make it refuse to start."""
    proc = subprocess.run([mnemo_binary(), *args], capture_output=True, text=True, timeout=30,
                          cwd=tmp_path, input=input)
    return proc.returncode, proc.stdout + proc.stderr


def write_conf(tmp_path, text, name="mnemo.conf"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_config_file_and_command_line_overrides(mnemo_factory, tmp_path):
    conf = write_conf(tmp_path, "\n".join([
        "# a comment",
        "",
        "maxclients 123",
        "   timeout 7   ",
        "databases 4",
        "MaxMemory-Policy allkeys-lru",
        'save "900 1 300 10"',
        "hz 20",
        "proto-max-bulk-len 64mb",
        'dbfilename "my dump.rdb"',
        "appendfsync everysec",
    ]) + "\n")
    srv = mnemo_factory(["--maxclients", "456", "--hz", "15"], config_file=conf)
    c = srv.client(decode_responses=True)
    try:
        cfg = c.config_get("*")
        assert cfg["maxclients"] == "456", "the command line overrides the file"
        assert cfg["hz"] == "15"
        assert cfg["timeout"] == "7"
        assert cfg["databases"] == "4"
        assert cfg["maxmemory-policy"] == "allkeys-lru"
        assert cfg["save"] == "900 1 300 10"
        assert cfg["proto-max-bulk-len"] == str(64 * 1024 * 1024)
        assert cfg["dbfilename"] == "my dump.rdb"
        assert cfg["appendfsync"] == "everysec"
        assert cfg["port"] == str(srv.port)
        c.execute_command("SELECT", 3)
        with pytest.raises(redis.ResponseError, match="DB index is out of range"):
            c.execute_command("SELECT", 4)
        assert c.info("server")["config_file"].endswith("mnemo.conf")
    finally:
        c.close()


def test_config_from_stdin(tmp_path):
    port = free_port()
    proc = subprocess.Popen([mnemo_binary(), "-", "--port", str(port), "--bind", "127.0.0.1",
                             "--dir", str(tmp_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        proc.stdin.write(b"maxclients 77\n")
        proc.stdin.close()
        from support import wait_until, resp_ping
        wait_until(lambda: resp_ping("127.0.0.1", port) or proc.poll() is not None, timeout=30,
                   message="server from stdin config")
        assert proc.poll() is None, proc.stdout.read()
        c = redis.Redis(port=port, decode_responses=True, socket_timeout=5)
        assert c.config_get("maxclients") == {"maxclients": "77"}
        c.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def test_save_empty_and_multi_word_arguments(mnemo_factory):
    srv = mnemo_factory(["--save", "", "--bind", "127.0.0.1", "-::1"])
    c = srv.client(decode_responses=True)
    try:
        assert c.config_get("save") == {"save": ""}
        assert c.config_get("bind") == {"bind": "127.0.0.1 -::1"}
    finally:
        c.close()


def test_logfile(mnemo_factory, tmp_path):
    log = tmp_path / "server.log"
    srv = mnemo_factory(["--logfile", str(log), "--loglevel", "verbose"])
    srv.client().ping()
    assert "Ready to accept connections" in log.read_text()


@pytest.mark.parametrize("lines,bad_line,needle", [
    (["port 6379", "maxclients 10", "nosuchdirective yes"], 3, "nosuchdirective"),
    (["maxclients abc"], 1, "maxclients"),
    (["# c", "", "timeout -5"], 3, "timeout"),
    (["appendonly maybe"], 1, "appendonly"),
    (["maxmemory-policy lru-ish"], 1, "maxmemory-policy"),
    (["port 70000"], 1, "port"),
    (["maxclients"], 1, "maxclients"),
    pytest.param(['dbfilename "unbalanced'], 1, "unbalanced"),
])
def test_bad_config_file(tmp_path, lines, bad_line, needle):
    conf = write_conf(tmp_path, "\n".join(lines) + "\n")
    code, output = run_server_expecting_failure([conf, "--port", str(free_port()), "--dir", str(tmp_path)],
                                                tmp_path)
    assert code == 1, output
    assert "FATAL CONFIG FILE ERROR" in output
    assert conf in output, "the error names the file"
    assert f"line {bad_line}" in output
    assert needle in output.lower()


@pytest.mark.parametrize("args,needle", [
    (["--nosuchdirective", "1"], "nosuchdirective"),
    (["--maxclients", "lots"], "maxclients"),
    (["--tls-auth-clients", "perhaps"], "tls-auth-clients"),
    (["--databases", "0"], "databases"),
    (["notadirective"], "notadirective"),
])
def test_bad_command_line(tmp_path, args, needle):
    code, output = run_server_expecting_failure(["--port", str(free_port()), "--dir", str(tmp_path), *args],
                                                tmp_path)
    assert code == 1, output
    assert needle in output
    assert "FATAL CONFIG FILE ERROR" in output


def test_missing_config_file(tmp_path):
    code, output = run_server_expecting_failure([str(tmp_path / "nope.conf"), "--port", str(free_port())],
                                                tmp_path)
    assert code == 1
    assert "can't open config file" in output and "nope.conf" in output


def test_port_in_use(mnemo, tmp_path):
    code, output = run_server_expecting_failure(["--port", str(mnemo.port), "--bind", "127.0.0.1",
                                                 "--dir", str(tmp_path)], tmp_path)
    assert code == 1
    assert str(mnemo.port) in output


def test_version_flag():
    p = subprocess.run([mnemo_binary(), "--version"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 0
    assert "7.0.15" in p.stdout
