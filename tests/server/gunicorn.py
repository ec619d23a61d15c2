"""Start and stop real gunicorn processes for the server tests."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _control_socket_args() -> list[str]:
    # gunicorn >= 24 opens a control socket in ~/.gunicorn; concurrent test servers would share it.
    from gunicorn.config import KNOWN_SETTINGS

    return ["--no-control-socket"] if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else []


class Gunicorn:
    """A gunicorn master serving *app* on 127.0.0.1 (or a unix socket), stopped by PID."""

    def __init__(self, *args: str, app: str = "tests.server.asgi:application", unix: bool = False,
                 worker: str = "drf_async.worker.AiohttpWorker", env: dict[str, str] | None = None) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="drf-async-gunicorn-")
        self.port = free_port()
        self.unix_path = os.path.join(self.tmp.name, "g.sock") if unix else None
        self.bind = f"unix:{self.unix_path}" if unix else f"127.0.0.1:{self.port}"
        self.errorlog = os.path.join(self.tmp.name, "error.log")
        self.command = [
            GUNICORN, "-k", worker, "--bind", self.bind, "--error-logfile", self.errorlog,
            "--graceful-timeout", "5", *_control_socket_args(), *args, app,
        ]
        environ = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "tests.server.settings"}
        environ.update(env or {})
        self.process = subprocess.Popen(self.command, cwd=self.tmp.name, env=environ, start_new_session=True)
        self.wait_ready()

    def connection(self, timeout: float = 10) -> http.client.HTTPConnection:
        if self.unix_path:
            return UnixHTTPConnection(self.unix_path, timeout=timeout)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def connect(self) -> socket.socket:
        if self.unix_path:
            sock = socket.socket(socket.AF_UNIX)
            sock.connect(self.unix_path)
        else:
            sock = socket.create_connection(("127.0.0.1", self.port))
        sock.settimeout(10)
        return sock

    def wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                conn = self.connection(timeout=2)
                conn.request("GET", "/hello/")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not start:\n{self.log()}")

    def log(self) -> str:
        try:
            return Path(self.errorlog).read_text()
        except FileNotFoundError:
            return ""

    def signal(self, signum: int) -> None:
        os.kill(self.process.pid, signum)

    def stop(self, timeout: float = 10) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.tmp.cleanup()
        return self.process.returncode


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 10) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def raw_request(sock: socket.socket, data: bytes) -> bytes:
    """Send *data* and read until the server closes the connection or 10 s pass."""
    sock.sendall(data)
    return read_all(sock)


def read_all(sock: socket.socket) -> bytes:
    """Read until the server closes the connection or the socket's timeout passes."""
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except TimeoutError:
        pass
    return b"".join(chunks)
