"""Process helpers shared by the integration tests (and later crash tests).

`MnemoProcess` starts the mnemo-server binary on a free port with its own data
directory, waits until it answers PING, and stops it (SHUTDOWN NOSAVE, then
SIGTERM, then SIGKILL), always reaping the child. It can also be killed with
SIGKILL and restarted on the same directory, which is what crash tests need.
`RedisProcess` does the same for a real redis-server, used as the oracle.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

def _die_with_parent():
    """Child-side: get SIGKILL if the test runner dies, so no server outlives a killed pytest."""
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def mnemo_binary():
    path = os.environ.get("MNEMO_SERVER") or os.path.join(REPO_ROOT, ".build", "debug", "mnemo-server")
    return os.path.abspath(path)


def free_port():
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=10.0, interval=0.02, message="condition"):
    """Polls `predicate` until it returns a truthy value; returns it or raises TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def raw_command(sock, payload, timeout=5.0):
    """Sends raw bytes, returns whatever arrives until the peer pauses or closes."""
    sock.settimeout(timeout)
    if payload:
        sock.sendall(payload)
    return sock.recv(65536)


def resp_ping(host=None, port=None, unix_path=None, timeout=0.5):
    """True if a PING over plain TCP (or a unix socket) gets +PONG (or a -LOADING style error
    that proves the server is up is *not* accepted: we want a ready server)."""
    try:
        if unix_path:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            s.connect(unix_path)
        else:
            s = socket.create_connection((host, port), timeout=timeout)
        with s:
            s.settimeout(timeout)
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            data = b""
            while not data.endswith(b"\r\n"):
                chunk = s.recv(64)
                if not chunk:
                    break
                data += chunk
            return data.startswith(b"+PONG")
    except OSError:
        return False


class ServerProcess:
    """A server child process with its own directory and log file."""

    name = "server"

    def __init__(self, binary, args=(), port=None, dir=None, config_file=None, bind="127.0.0.1",
                 unix_path=None, ready_timeout=30.0, keep_dir=False):
        self.binary = binary
        self.extra_args = list(args)
        self.port = free_port() if port is None else port
        self.owns_dir = dir is None
        self.dir = dir or tempfile.mkdtemp(prefix=f"{self.name}-")
        self.keep_dir = keep_dir
        self.config_file = config_file
        self.bind = bind
        self.unix_path = unix_path
        self.ready_timeout = ready_timeout
        self.proc = None
        self.returncode = None
        self.log_path = os.path.join(self.dir, f"{self.name}.log")
        self._log = None

    # -- command line -------------------------------------------------------
    def command_line(self):
        argv = [self.binary]
        if self.config_file:
            argv.append(self.config_file)
        argv += ["--port", str(self.port), "--dir", self.dir]
        if self.bind:
            argv += ["--bind", self.bind]
        if self.unix_path:
            argv += ["--unixsocket", self.unix_path]
        argv += self.extra_args
        return argv

    @property
    def host(self):
        return "127.0.0.1"

    @property
    def url(self):
        return f"redis://{self.host}:{self.port}/0"

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    # -- lifecycle ----------------------------------------------------------
    def start(self, wait=True):
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self._log = open(self.log_path, "ab")
        self.returncode = None
        self.proc = subprocess.Popen(self.command_line(), stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.dir,
                                     preexec_fn=_die_with_parent)
        if wait:
            self.wait_ready()
        return self

    def is_ready(self):
        if self.port:
            return resp_ping(self.host, self.port)
        if self.unix_path:
            return resp_ping(unix_path=self.unix_path)
        return self.proc.poll() is None

    def wait_ready(self, timeout=None):
        deadline = time.monotonic() + (timeout or self.ready_timeout)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._reap()
                raise RuntimeError(f"{self.name} exited with {self.returncode} during start-up:\n{self.log()}")
            if self.is_ready():
                return
            time.sleep(0.02)
        self.kill()
        raise TimeoutError(f"{self.name} did not answer PING within the timeout:\n{self.log()}")

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def _reap(self, timeout=None):
        if self.proc is None:
            return self.returncode
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is not None and self._log:
                self._log.close()
                self._log = None
        return self.returncode

    def wait_exit(self, timeout=10.0):
        """Waits for the process to exit by itself; returns its exit code (raises on timeout)."""
        return self._reap(timeout=timeout)

    def _shutdown_command(self):
        """Sends SHUTDOWN NOSAVE; True if it was sent."""
        if not self.port:
            return False
        try:
            with socket.create_connection((self.host, self.port), timeout=1.0) as s:
                s.sendall(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")
                s.settimeout(2.0)
                try:
                    s.recv(64)
                except OSError:
                    pass
            return True
        except OSError:
            return False

    def stop(self, timeout=10.0):
        """SHUTDOWN NOSAVE, then SIGTERM, then SIGKILL; always reaps. Returns the exit code."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self._shutdown_command()
            try:
                return self._reap(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self._reap(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
            self.proc.kill()
        return self._reap()

    def terminate(self, timeout=10.0):
        """SIGTERM and wait; returns the exit code (SIGKILL only if it does not exit)."""
        if self.proc is None or self.proc.poll() is not None:
            return self._reap()
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self._reap(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self._reap()
            raise

    def kill(self):
        """SIGKILL (a crash): no chance to flush anything."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        return self._reap()

    def restart(self, wait=True):
        """Starts again on the same port and directory (after stop() or kill())."""
        if self.running():
            self.stop()
        return self.start(wait=wait)

    def cleanup(self):
        try:
            self.kill()
        finally:
            if self.owns_dir and not self.keep_dir:
                shutil.rmtree(self.dir, ignore_errors=True)

    def client(self, **kwargs):
        import redis
        kwargs.setdefault("socket_timeout", 10)
        return redis.Redis(host=self.host, port=self.port, **kwargs)

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        self.cleanup()


class MnemoProcess(ServerProcess):
    name = "mnemo"

    def __init__(self, args=(), binary=None, **kw):
        super().__init__(binary or mnemo_binary(), args=args, **kw)


class RedisProcess(ServerProcess):
    """A real redis-server (the oracle), without persistence."""

    name = "redis"

    def __init__(self, args=(), binary=None, **kw):
        base = ["--save", "", "--appendonly", "no"]
        super().__init__(binary or shutil.which("redis-server") or "redis-server", args=base + list(args), **kw)


def read_until(sock, done, timeout=5.0):
    """Reads until `done(data)` is true; raises if the peer closes first or on timeout."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while not done(data):
        if time.monotonic() > deadline:
            raise TimeoutError(f"incomplete reply: {data!r}")
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed after {data!r}")
        data += chunk
    return data


def recv_until_closed(sock, timeout=5.0):
    """Reads until the peer closes the connection; returns (data, closed)."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False
