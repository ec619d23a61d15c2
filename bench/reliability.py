"""
Reliability benchmark: faults injected during load, bad input (large, slow and deeply nested
request bodies among it), the connection bound, RSS over many requests and a fuzzer on the
sample API, on the drf_async stack (AiohttpWorker + AsyncHandler) and on sync DRF under
gunicorn gthread (the trusted baseline), same endpoints (bench/serve_urls.py,
bench/reliability_urls.py).

    .venv/bin/python bench/reliability.py                  # every scenario, both servers (~11 min)
    .venv/bin/python bench/reliability.py --write          # the same, and writes bench/RELIABILITY.md
    .venv/bin/python bench/reliability.py sighup --server drf_async --duration 10

Load: an asyncio HTTP/1.1 client on 127.0.0.1 with keep-alive connections, bounded in time
and count. It behaves as HTTP clients do (Go's net/http, urllib3, aiohttp): a response with
``Connection: close`` ends its connection, and an idempotent request sent on a reused
connection that the server had closed, before any byte of a response came back, is sent
again on a new connection (RFC 9112 §9.3.1) and counted as "retried". Failed means no
response, a response cut short, a timeout (10 s) or a status other than 200.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
REPORT = HERE / "RELIABILITY.md"

# name: (worker class, app, extra gunicorn args, the load's path: a view that awaits 50 ms of I/O)
SERVERS = {
    "drf_async": ("drf_async.worker.AiohttpWorker", "serve_apps:asgi", [], "/async-io/"),
    "gthread": ("gthread", "serve_apps:wsgi", ["--threads", "32"], "/sync-io/"),
}
LABELS = {"drf_async": "drf_async stack", "gthread": "sync DRF on gthread"}


# The servers


def _no_control_socket() -> list[str]:
    # gunicorn >= 24 opens a control socket in ~/.gunicorn, which concurrent servers would share.
    from gunicorn.config import KNOWN_SETTINGS

    return ["--no-control-socket"] if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else []


class Server:
    """A gunicorn master on 127.0.0.1 serving bench/serve_apps.py, stopped by PID."""

    def __init__(self, name: str, *args: str, workers: int = 2, env: dict[str, str] | None = None,
                 app: str | None = None, probe: str = "/plain/", stderr: IO[bytes] | None = None) -> None:
        worker, default_app, extra, self.path = SERVERS[name]
        app = app or default_app
        self.name = name
        self.probe = probe
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        command = [
            GUNICORN, "-k", worker, "-w", str(workers), "--bind", f"127.0.0.1:{self.port}", "--keep-alive", "30",
            "--graceful-timeout", "30", "--log-level", "warning", *_no_control_socket(), *extra, *args, app,
        ]
        environ = {**os.environ, "PYTHONPATH": f"{HERE}{os.pathsep}{ROOT}"}
        environ.update({"DJANGO_SETTINGS_MODULE": "reliability_settings", **(env or {})})
        self.process = subprocess.Popen(command, env=environ, cwd=HERE, start_new_session=True, stderr=stderr)
        self.wait_workers(workers)

    def wait_workers(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            if len(self.worker_pids()) == count and self.answers():
                self._settle(deadline)
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start {count} workers")

    def _settle(self, deadline: float) -> None:
        """Wait until every worker has booted (its memory no longer grows), so that load
        starts on all of them."""
        previous: dict[int, int] = {}
        steady = 0
        while steady < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
            try:
                current = {pid: rss_kb(pid) for pid in self.worker_pids()}
            except FileNotFoundError:
                current = {}
            steady = steady + 1 if current == previous else 0
            previous = current

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
                sock.sendall(f"GET {self.probe} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
                return sock.recv(100).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def sockets_of(pid: int) -> int:
    """How many sockets process *pid* has open."""
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            count += os.readlink(fd).startswith("socket:")
        except OSError:
            pass
    return count


def rss_kb(pid: int) -> int:
    match = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
    assert match
    return int(match.group(1))


# The load


@dataclass
class Load:
    ok: int = 0
    failed: int = 0
    retried: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    def fail(self, why: str) -> None:
        self.failed += 1
        self.errors[why] += 1

    @property
    def total(self) -> int:
        return self.ok + self.failed


class _NoResponse(Exception):
    """The connection ended before any byte of a response."""


async def _response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise _NoResponse from exc
        raise
    except ConnectionResetError as exc:
        raise _NoResponse from exc
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")  # no trailers
    else:
        await reader.readexactly(int(headers.get("content-length", 0)))
    return status, headers.get("connection", "").lower() == "close"


async def _client(port: int, path: str, deadline: float, budget: list[int], load: Load) -> None:
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    writer: asyncio.StreamWriter | None = None
    reader: asyncio.StreamReader | None = None
    reused = False
    while time.monotonic() < deadline and budget[0] > 0:
        if writer is None:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
            except (OSError, asyncio.TimeoutError) as exc:
                load.fail(f"connect: {type(exc).__name__}")
                await asyncio.sleep(0.05)
                continue
            reused = False
        assert reader is not None
        budget[0] -= 1
        try:
            writer.write(request)
            status, close = await asyncio.wait_for(_response(reader), 10)
        except (_NoResponse, BrokenPipeError) as exc:
            writer.close()
            writer = None
            if reused:
                load.retried += 1  # sent again on a new connection
                budget[0] += 1
            else:
                load.fail(f"no response: {type(exc.__cause__ or exc).__name__}")
            continue
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError, IndexError) as exc:
            writer.close()
            writer = None
            load.fail(type(exc).__name__)
            continue
        reused = True
        if status == 200:
            load.ok += 1
        else:
            load.fail(f"status {status}")
        if close:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def run_load(
    port: int, path: str, duration: float, concurrency: int = 50, limit: int = 10**9,
    faults: list[tuple[float, Callable[[], None]]] | None = None,
) -> Load:
    """*concurrency* keep-alive clients for *duration* seconds or *limit* requests; each fault
    callable runs at its time (seconds from the start)."""
    load = Load()
    loop = asyncio.get_running_loop()
    handles = [loop.call_later(at, fault) for at, fault in faults or ()]
    deadline = time.monotonic() + duration
    budget = [limit]
    await asyncio.gather(*(_client(port, path, deadline, budget, load) for _ in range(concurrency)))
    for handle in handles:
        handle.cancel()
    return load


# The scenarios: each returns the cell's text and whether it meets the goal.


@dataclass
class Cell:
    text: str
    good: bool
    measured: Any = None  # what the text is made from, for the tests


def _faulted(load: Load) -> Cell:
    retried = f", {load.retried} retried" if load.retried else ""
    text = f"{load.failed} failed / {load.total:,}{retried}"
    if load.errors:
        text += " (" + ", ".join(f"{why}: {n}" for why, n in load.errors.most_common(3)) + ")"
    return Cell(text, load.failed == 0)


def sighup(name: str, duration: float) -> Cell:
    """SIGHUP to the master twice during load: every worker is replaced, twice."""
    with Server(name) as server:
        hup = lambda: server.process.send_signal(signal.SIGHUP)  # noqa: E731
        load = asyncio.run(run_load(server.port, server.path, duration, faults=[(duration * 0.3, hup),
                                                                               (duration * 0.6, hup)]))
    return _faulted(load)


def max_requests(name: str, duration: float) -> Cell:
    """--max-requests 200 during load: workers recycle every 200 requests."""
    with Server(name, "--max-requests", "200") as server:
        load = asyncio.run(run_load(server.port, server.path, duration))
    return _faulted(load)


def sigterm(name: str, duration: float) -> Cell:
    """SIGTERM to one worker, then to another, during load (the master replaces each)."""
    with Server(name) as server:

        def term() -> None:
            os.kill(server.worker_pids()[0], signal.SIGTERM)

        load = asyncio.run(run_load(server.port, server.path, duration, faults=[(duration * 0.3, term),
                                                                               (duration * 0.6, term)]))
    return _faulted(load)


def kill9(name: str, duration: float) -> Cell:
    """kill -9 of one of 2 workers at mid-load: the failures are at most its share (the
    requests in flight on the connections it held)."""
    held: dict[str, int] = {}
    with Server(name) as server:
        baseline = {pid: sockets_of(pid) for pid in server.worker_pids()}

        def kill() -> None:
            pid = server.worker_pids()[0]
            held["killed"] = sockets_of(pid) - baseline[pid]
            held["all"] = sum(sockets_of(p) - baseline[p] for p in baseline)
            os.kill(pid, signal.SIGKILL)

        load = asyncio.run(run_load(server.port, server.path, duration, faults=[(duration * 0.5, kill)]))
    cell = _faulted(load)
    cell.text += f"; the killed worker held {held.get('killed')} of {held.get('all')} connections"
    cell.good = load.failed <= held.get("killed", 0)
    return cell


def _keep_alive(port: int, path: str) -> socket.socket:
    """A connection that made one request and is left open (keep-alive)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    return sock


def _gone_after(pid: int, limit: float = 40) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.01)
    return time.monotonic() - started


def idle_keepalive(name: str, duration: float) -> Cell:
    """One idle keep-alive connection open (1 worker, --graceful-timeout 30): how long the old
    worker takes to exit on max_requests, SIGHUP and SIGTERM, and whether the next request,
    on a new connection, is answered."""
    times = {}
    answered = True
    for fault in ("max_requests", "SIGHUP", "SIGTERM"):
        args = ("--max-requests", "3") if fault == "max_requests" else ()
        with Server(name, *args, workers=1) as server:  # readiness probe: request 1
            pid = server.worker_pids()[0]
            idle = _keep_alive(server.port, server.path)  # request 2
            if fault == "max_requests":
                _exchange(server.port, f"GET {server.path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            elif fault == "SIGHUP":
                server.process.send_signal(signal.SIGHUP)
            else:
                os.kill(pid, signal.SIGTERM)
            times[fault] = _gone_after(pid)
            request = f"GET {server.path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
            answered = answered and _statuses(_exchange(server.port, request)) == ["200"]
            idle.close()
    text = ", ".join(f"{fault} {seconds:.1f} s" for fault, seconds in times.items())
    text = f"old worker exits after: {text}; next request {'answered' if answered else 'NOT answered'}"
    return Cell(text, answered and max(times.values()) < 2)


def _exchange(port: int, data: bytes, half_close: bool = False) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


def _statuses(reply: bytes) -> list[str]:
    return [s.decode() for s in re.findall(rb"HTTP/1\.[01] (\d{3}) ", reply) if s != b"100"]


def half_close(name: str, duration: float) -> Cell:
    """A client that sends a complete request, then shuts down its sending side."""
    with Server(name, workers=1) as server:
        reply = _exchange(server.port, f"GET {server.path} HTTP/1.1\r\nHost: x\r\n\r\n".encode(), half_close=True)
    statuses = _statuses(reply)
    return Cell(", ".join(statuses) or "no response", statuses == ["200"])


def pipelined(name: str, duration: float) -> Cell:
    """A valid request pipelined before a malformed one."""
    with Server(name, workers=1) as server:
        valid = f"GET {server.path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        reply = _exchange(server.port, valid + b"BAD\x01 / HTTP/1.1\r\n\r\n")
    statuses = _statuses(reply)
    return Cell(" then ".join(statuses) or "no response", statuses == ["200", "400"])


def server_header(name: str, duration: float) -> Cell:
    """The Server header of a response, and whether a 400's body echoes the request."""
    with Server(name, workers=1) as server:
        ok = _exchange(server.port, f"GET {server.path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        bad = _exchange(server.port, b"GET /<marker> HTTP/1.1\r\nHost: x\r\nBroken header\r\n\r\n")
    match = re.search(rb"\r\nServer: ([^\r]*)", ok, re.IGNORECASE)
    value = match.group(1).decode() if match else "(none)"
    echo = b"marker" in bad or b"Broken" in bad
    return Cell(f"`{value}`; 400 body {'echoes the request' if echo else 'does not echo the request'}",
                not re.search(r"\d", value) and not echo)


def connection_bound(name: str, duration: float, held: int = 1000, bound: int = 200) -> Cell:
    """--worker-connections *bound*, 1 worker, *held* connections opened and held open."""
    with Server(name, "--worker-connections", str(bound), workers=1) as server:
        pid = server.worker_pids()[0]
        baseline = sockets_of(pid)
        socks = []
        try:
            for _ in range(held):
                sock = socket.socket()
                sock.setblocking(False)
                sock.connect_ex(("127.0.0.1", server.port))
                socks.append(sock)
            time.sleep(1.5)
            holding = sockets_of(pid) - baseline
        finally:
            for sock in socks:
                sock.close()
    return Cell(f"holds {holding} of {held} (bound {bound})", holding <= bound)


def rss(name: str, duration: float, requests: int = 100_000) -> Cell:
    """RSS of the one worker after the first tenth of *requests* and after all of them."""
    with Server(name, workers=1) as server:
        pid = server.worker_pids()[0]
        warm = asyncio.run(run_load(server.port, "/sync/" if name == "gthread" else "/async/", 600, 16,
                                    requests // 10))
        before = rss_kb(pid)
        load = asyncio.run(run_load(server.port, "/sync/" if name == "gthread" else "/async/", 600, 16,
                                    requests - requests // 10))
        after = rss_kb(pid)
    growth = (after - before) / before * 100
    failed = warm.failed + load.failed
    return Cell(f"{before / 1024:.1f} → {after / 1024:.1f} MiB over {warm.total + load.total:,} requests "
                f"({growth:+.1f}%), {failed} failed", growth < 10 and failed == 0)


def db_connections(name: str, duration: float, concurrency: int = 256) -> Cell:
    """PostgreSQL connections while *concurrency* clients request a view that queries (20 ms),
    2 workers of 32 threads each (drf_async's DRF_ASYNC_THREADS default, gthread's --threads)."""
    given = os.environ.get("DATABASE_URL")
    if not given or not given.startswith("postgres"):
        return Cell("skipped: needs DATABASE_URL=postgres://…", True)

    import psycopg

    # A database of its own on that server (the view needs no tables), so that nothing else
    # connected to it is counted.
    server_url, _, given_database = given.rpartition("/")
    database = f"{given_database.split('?')[0]}_reliability"
    url = f"{server_url}/{database}"
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
            admin.execute(f'CREATE DATABASE "{database}"')
    counts: list[int] = []
    done = threading.Event()

    def sample() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            while not done.wait(0.1):
                query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
                counts.append(conn.execute(query, (database,)).fetchone()[0])  # type: ignore[index]

    with Server(name, env={"DATABASE_URL": url}) as server:
        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            path = "/async-db/" if name == "drf_async" else "/sync-db/"
            load = asyncio.run(run_load(server.port, path, duration, concurrency))
            time.sleep(1.0)
            left = counts[-1] if counts else -1
        finally:
            done.set()
            sampler.join()
    peak = max(counts, default=-1)
    return Cell(f"at most {peak} connections (bound 64), {left} left 1 s after; {load.failed} failed / {load.total:,}",
                peak <= 64 and left == 0 and load.failed == 0)


async def _burst(port: int, path: str, count: int) -> list[int]:
    """*count* connections opened first, then one request on each, all at once: the statuses."""
    conns = [await asyncio.open_connection("127.0.0.1", port) for _ in range(count)]
    request = f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    for _, writer in conns:
        writer.write(request)
    statuses = [status for status, _ in await asyncio.gather(*(_response(reader) for reader, _ in conns))]
    for _, writer in conns:
        writer.close()
    return statuses


def throttle(name: str, duration: float, trials: int = 3) -> Cell:
    """An anonymous throttle at 10/min (drf_async: AsyncAnonRateThrottle; gthread: DRF's
    AnonRateThrottle), Redis cache, 2 workers, 40 concurrent requests from one client."""
    if not os.environ.get("REDIS_URL"):
        return Cell("skipped: needs REDIS_URL", True)
    allowed = []
    for trial in range(trials):
        prefix = f"drf-async-bench-{os.getpid()}-{trial}-{time.time_ns()}"
        with Server(name, env={"BENCH_CACHE_PREFIX": prefix}) as server:
            path = "/async-throttled/" if name == "drf_async" else "/sync-throttled/"
            allowed.append(asyncio.run(_burst(server.port, path, 40)).count(200))
    return Cell(f"{', '.join(map(str, allowed))} allowed ({trials} runs; the rate is 10)", set(allowed) == {10})


# Request bodies: refused, over the limit, dribbled, nested


MiB = 1024 * 1024
BIG_BODY = 200 * MiB
BODY_READ_GOAL = 8 * MiB  # a refused body may cost what the socket buffers and one read hold, no more
TMP_GROWTH_GOAL = 8 * MiB


def _view(name: str, kind: str) -> str:
    """The path of the *kind* view (auth, parse) for server *name*: DRF's on gthread, drf_async's on drf_async."""
    return f"/{'async' if name == 'drf_async' else 'sync'}-{kind}/"


def _tmp_usage(tmpdir: str, pids: list[int]) -> int:
    """Bytes in *tmpdir*: its files, and the unlinked files *pids* hold open there
    (`tempfile.TemporaryFile`, which Django's spooled body rolls over to, has no name on Linux: O_TMPFILE)."""
    total = 0
    for root, _, files in os.walk(tmpdir):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                pass
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
                if target.startswith(tmpdir + os.sep) and target.endswith(" (deleted)"):
                    total += os.stat(fd).st_size
            except OSError:
                pass
    return total


class TmpWatch:
    """The peak size of *tmpdir* (see `_tmp_usage`), sampled every 10 ms by a thread while in the block."""

    def __init__(self, tmpdir: str, pids: list[int]) -> None:
        self.tmpdir, self.pids, self.peak = tmpdir, pids, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while True:
            self.peak = max(self.peak, _tmp_usage(self.tmpdir, self.pids))
            if self._done.wait(0.01):
                return

    def __enter__(self) -> TmpWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


@dataclass
class BodyResult:
    status: int | None  # None: no response
    sent: int  # body bytes that sock.send accepted before the response (or the close, or the cap)
    ended: str  # "response", "closed", "reset" or "timeout"
    seconds: float
    tmp_peak: int = 0


def _json_piece(offset: int, size: int, filler: memoryview) -> memoryview | bytes:
    """The bytes at *offset* of a *size*-byte JSON document ``{"data": "xxx…"}``, up to len(filler) of them."""
    prefix, suffix = b'{"data": "', b'"}'
    if offset < len(prefix):
        return prefix[offset:]
    if offset >= size - len(suffix):
        return suffix[offset - (size - len(suffix)):]
    return filler[: size - len(suffix) - offset]


def send_body(port: int, path: str, size: int, wait: float = 15) -> BodyResult:
    """POST a *size*-byte JSON body as fast as the server takes it (non-blocking sends), stopping
    at the first byte of a response, at the server's close or reset, or after *wait* seconds."""
    import selectors

    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\n\r\n").encode()
    filler = memoryview(b"x" * 256 * 1024)
    sent, reply, ended = 0, b"", "timeout"
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock, selectors.DefaultSelector() as sel:
        sock.sendall(head)
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
        while ended == "timeout" and time.monotonic() - started < wait:
            for _, events in sel.select(timeout=0.1):
                try:
                    if events & selectors.EVENT_READ:
                        data = sock.recv(65536)
                        reply += data
                        if not data or b"\r\n" in reply:
                            ended = "response" if reply else "closed"
                            break
                    if events & selectors.EVENT_WRITE and sent < size:
                        sent += sock.send(_json_piece(sent, size, filler))
                        if sent == size:
                            sel.modify(sock, selectors.EVENT_READ)
                except BlockingIOError:
                    pass
                except (BrokenPipeError, ConnectionResetError):
                    ended = "reset"
                    break
        seconds = time.monotonic() - started
        if ended == "reset":  # a response sent before the reset may still be readable
            try:
                reply += sock.recv(65536)
            except OSError:
                pass
    match = re.match(rb"HTTP/1\.[01] (\d{3})", reply)
    return BodyResult(int(match.group(1)) if match else None, sent, ended, seconds)


def big_body(name: str, path: str, size: int = BIG_BODY, wait: float = 15) -> BodyResult:
    """`send_body` to a fresh 1-worker server whose TMPDIR is a fresh directory, watched meanwhile."""
    tmpdir = tempfile.mkdtemp(prefix="drf-async-reliability-tmp-")
    try:
        with Server(name, workers=1, env={"TMPDIR": tmpdir}) as server:
            with TmpWatch(tmpdir, server.worker_pids()) as watch:
                result = send_body(server.port, path, size, wait)
                time.sleep(0.05)  # a last sample after the response
            result.tmp_peak = watch.peak
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return result


def _body_cell(result: BodyResult, refused: set[int]) -> Cell:
    status = result.status or f"no response ({result.ended})"
    text = (f"{status} after {result.sent / MiB:.1f} MiB sent ({result.seconds:.1f} s); "
            f"temp dir peak {result.tmp_peak / MiB:.1f} MiB")
    good = result.status in refused and result.sent <= BODY_READ_GOAL and result.tmp_peak < TMP_GROWTH_GOAL
    return Cell(text, good, result)


def big_body_auth(name: str, duration: float, size: int = BIG_BODY) -> Cell:
    """A *size*-byte JSON body, no credentials, to a view with IsAuthenticated: refused before it is read?"""
    return _body_cell(big_body(name, _view(name, "auth"), size), {401, 403})


def big_body_limit(name: str, duration: float, size: int = BIG_BODY) -> Cell:
    """A *size*-byte JSON body to a view that parses it: refused past DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)?"""
    return _body_cell(big_body(name, _view(name, "parse"), size), {400, 413})


@dataclass
class DribbleResult:
    closed_after: float | None  # None: still open after the wait
    status: int | None
    sent: int
    wait: float


def dribble_body(port: int, path: str, wait: float = 40, length: int = 1000) -> DribbleResult:
    """A POST announcing *length* bytes of body, then one byte a second: how long until the server closes."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    reply, sent, closed_after = b"", 0, None
    try:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {length}\r\n\r\n".encode())
        started = time.monotonic()
        next_byte = started
        while closed_after is None and (now := time.monotonic()) - started < wait:
            if now >= next_byte and sent < length - 1:  # never the last byte: the body stays incomplete
                try:
                    sock.sendall(b" ")
                    sent += 1
                except OSError:
                    closed_after = now - started
                    break
                next_byte += 1
            sock.settimeout(max(0.01, min(next_byte, started + wait) - time.monotonic()))
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                data = b""
            reply += data
            if not data:
                closed_after = time.monotonic() - started
    finally:
        sock.close()
    match = re.match(rb"HTTP/1\.[01] (\d{3})", reply)
    return DribbleResult(closed_after, int(match.group(1)) if match else None, sent, wait)


def dribble(name: str, duration: float, timeout: int = 10, wait: float = 40) -> Cell:
    """An incomplete body dribbled at 1 byte/s to the parsing view, `--timeout` *timeout*, 1 worker."""
    with Server(name, "--timeout", str(timeout), workers=1) as server:
        result = dribble_body(server.port, _view(name, "parse"), wait)
    if result.closed_after is None:
        text = f"not closed after {wait:.0f} s ({result.sent} bytes sent)"
    else:
        answer = result.status or "no response"
        text = f"closed after {result.closed_after:.1f} s ({answer}; {result.sent} bytes sent)"
    good = result.closed_after is not None and result.closed_after <= timeout + 5
    return Cell(text, good, result)


@dataclass
class NestedResult:
    status: int
    drf_error: bool  # the body is DRF's error body: JSON with "detail"
    traceback: bool  # in the response or in the server's output
    next_status: int | None  # a valid request on a new connection afterwards


def _post(port: int, path: str, body: bytes) -> tuple[int, bytes]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json", "Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def nested_json(name: str, duration: float, depth: int = 100_000) -> Cell:
    """JSON nested *depth* deep POSTed to the parsing view, then `[]` on a new connection (1 worker)."""
    import json

    path = _view(name, "parse")
    with tempfile.TemporaryFile() as log:
        with Server(name, workers=1, stderr=log) as server:
            status, body = _post(server.port, path, b"[" * depth + b"]" * depth)
            try:
                next_status: int | None = _post(server.port, path, b"[]")[0]
            except OSError:
                next_status = None
            time.sleep(0.2)  # what the worker logs about the first request
        log.seek(0)
        output = log.read()
    try:
        drf_error = "detail" in json.loads(body)
    except (ValueError, TypeError):
        drf_error = False
    traceback = b"Traceback" in body or b"Traceback" in output
    result = NestedResult(status, drf_error, traceback, next_status)
    text = (f"{status}, {'DRF error body' if drf_error else 'not DRF’s error body'}, "
            f"{'a traceback logged' if traceback else 'no traceback'}; next request {next_status or 'not answered'}")
    return Cell(text, status == 400 and drf_error and not traceback and next_status == 200, result)


# Fuzzing: schemathesis against the sample API's OpenAPI schema

SAMPLE_STORES = ["north", "south"]  # sampleapi.stores, no latency


def _sample_api_database(tmpdir: str) -> str:
    """The sample API migrated and seeded into a SQLite file in *tmpdir*, the template the fuzzed copy comes from."""
    template = os.path.join(tmpdir, "template.sqlite3")
    if not os.path.exists(template):
        script = ("import django; django.setup(); from django.core.management import call_command as c; "
                  "c('migrate', interactive=False, verbosity=0); c('seed')")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "sampleapi.settings",
               "DATABASE_URL": f"sqlite:///{template}"}
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, timeout=300,
                       stdout=subprocess.DEVNULL)
    return template


def _wait_for_port(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _token(port: int) -> str:
    import json

    status, body = _post(port, "/api/auth/token/", b'{"username": "alice", "password": "bookshop"}')
    assert status == 200, body
    return json.loads(body)["token"]


@dataclass
class FuzzResult:
    cases: int  # test cases schemathesis ran (one request each)
    server_errors: Counter[str]  # 5xx responses by "METHOD path → status"
    operations: int  # the schema's operations those cases reached
    refused: int = 0  # operations that answered only 401/403 (schemathesis' "Authentication failed" warning)


def _fuzz_report(ndjson: Path) -> FuzzResult:
    """The cases and 5xx responses in schemathesis' NDJSON events: each finished scenario
    records its requests and responses (``recorder.interactions``)."""
    import json

    cases, errors, operations = 0, Counter[str](), set()
    for line in ndjson.read_text().splitlines():
        recorder = json.loads(line).get("ScenarioFinished", {}).get("recorder", {})
        if recorder.get("interactions") and recorder.get("label") != "Stateful tests":
            operations.add(recorder["label"])  # "GET /api/books/": the schema's operation
        for case_id, interaction in recorder.get("interactions", {}).items():
            case = recorder.get("cases", {}).get(case_id, {}).get("value", {})
            operation = f"{case.get('method', '?')} {case.get('path', '?')}"
            cases += 1
            status = (interaction.get("response") or {}).get("status_code") or 0
            if status >= 500:
                errors[f"{operation} → {status}"] += 1
    return FuzzResult(cases, errors, len(operations))


def schemathesis(name: str, duration: float, max_time: int = 100, workers: int = 1,
                 max_examples: int | None = None) -> Cell:
    """schemathesis' `not_a_server_error` check against the sample API (drf_async's classes) on
    server *name*, as alice (a token), for *max_time* seconds (or, given *max_examples*, that many
    fuzzed cases per operation and no other phase, within *max_time* + 120 s), on a copy of a
    seeded SQLite database.
    One schemathesis worker: concurrent writes to SQLite fail with "database is locked" (500) on
    either stack, which says nothing about the stack."""
    if importlib.util.find_spec("schemathesis") is None:
        return Cell("skipped: needs schemathesis (requirements-dev.txt)", True)
    tmpdir = tempfile.mkdtemp(prefix="drf-async-reliability-fuzz-")
    stores = None
    try:
        database = os.path.join(tmpdir, f"{name}.sqlite3")
        shutil.copy(_sample_api_database(tmpdir), database)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            stores_port = sock.getsockname()[1]
        stores = subprocess.Popen([sys.executable, "-m", "sampleapi.stores", "--port", str(stores_port),
                                   "--latency", "0", *SAMPLE_STORES], cwd=ROOT, start_new_session=True,
                                  stdout=subprocess.DEVNULL)
        _wait_for_port(stores_port)  # else the first availability requests answer 504
        app = "sampleapi.asgi:application" if name == "drf_async" else "sampleapi.wsgi:application"
        env = {"DJANGO_SETTINGS_MODULE": "sampleapi.settings", "DATABASE_URL": f"sqlite:///{database}",
               "BOOKSHOP_STORES_URL": f"http://127.0.0.1:{stores_port}", "BOOKSHOP_STORES": ",".join(SAMPLE_STORES),
               "THROTTLE_ANON": "100000/min", "THROTTLE_USER": "100000/min"}
        with Server(name, workers=1, app=app, probe="/api/health/", env=env) as server:
            ndjson = Path(tmpdir) / "events.ndjson"
            command = [str(Path(sys.executable).with_name("schemathesis")), "run",
                       f"http://127.0.0.1:{server.port}/api/schema/", "--checks", "not_a_server_error",
                       "--workers", str(workers), "--seed", "1",
                       "-H", f"Authorization: Token {_token(server.port)}",
                       "--report", "ndjson", "--report-ndjson-path", str(ndjson)]
            # A time budget makes fuzzing repeat until it is spent: with max_examples, none.
            if max_examples:
                command += ["--phases", "fuzzing", "--max-examples", str(max_examples)]
            else:
                command += ["--max-time", str(max_time)]
            done = subprocess.run(command, cwd=tmpdir, capture_output=True, text=True, timeout=max_time + 120)
            result = _fuzz_report(ndjson) if ndjson.exists() else FuzzResult(0, Counter(), 0)
            if refused := re.search(r"Authentication failed: (\d+) operations", done.stdout):
                result.refused = int(refused.group(1))
    finally:
        if stores is not None:
            stores.terminate()
            stores.wait(10)
        shutil.rmtree(tmpdir, ignore_errors=True)
    if not result.cases:
        return Cell(f"no cases run (schemathesis exited {done.returncode}: {done.stdout[-200:]!r})", False, result)
    errors = sum(result.server_errors.values())
    text = f"{errors} 5xx / {result.cases:,} cases ({result.operations} operations"
    text += f", {result.refused} of them only 401/403)" if result.refused else ")"
    if errors:
        text += " (" + ", ".join(f"{what}: {n}" for what, n in result.server_errors.most_common(3)) + ")"
    return Cell(text, errors == 0, result)


SCENARIOS: dict[str, tuple[str, Callable[[str, float], Cell]]] = {
    "idle_keepalive": ("one idle keep-alive connection during `--max-requests` recycling, SIGHUP or SIGTERM "
                       "(1 worker)", idle_keepalive),
    "sighup": ("SIGHUP ×2 during load (2 workers, c=50)", sighup),
    "max_requests": ("`--max-requests 200` during load (2 workers, c=50)", max_requests),
    "sigterm": ("SIGTERM to a worker ×2 during load (2 workers, c=50)", sigterm),
    "kill9": ("kill -9 of one worker during load (2 workers, c=50)", kill9),
    "half_close": ("client half-closes after a complete request", half_close),
    "pipelined": ("valid request pipelined before a malformed one", pipelined),
    "server_header": ("`Server:` header / 400 bodies", server_header),
    "connection_bound": ("`--worker-connections 200`, 1,000 connections held", connection_bound),
    "db_connections": ("PostgreSQL connections at c=256 (2 workers × 32 threads)", db_connections),
    "throttle": ("anon throttle 10/min, 2 workers, Redis cache, 40 concurrent", throttle),
    "rss": ("worker RSS over 100k requests (c=16)", rss),
    "big_body_auth": ("200 MB JSON body, no credentials, to a view with `IsAuthenticated` (1 worker): status, "
                      "body bytes sent before the answer, peak of the server's TMPDIR", big_body_auth),
    "big_body_limit": ("200 MB JSON body to a view that parses it (`DATA_UPLOAD_MAX_MEMORY_SIZE` 2.5 MB, 1 worker)",
                       big_body_limit),
    "dribble": ("incomplete body at 1 byte/s (`Content-Length: 1000`) to the parsing view, `--timeout 10` "
                "(1 worker): when the server closes", dribble),
    "nested_json": ("JSON nested 100,000 deep to the parsing view, then a request on a new connection (1 worker)",
                    nested_json),
    "schemathesis": ("schemathesis `not_a_server_error` on the sample API's schema (its drf_async classes; "
                     "gthread: under WSGI), as alice, 100 s, seed 1, one request at a time, 1 worker: 5xx / cases",
                     schemathesis),
}


def command(scenario: str, duration: float) -> str:
    timed = SCENARIOS[scenario][1] in (sighup, max_requests, sigterm, kill9, db_connections)
    extra = f" --duration {duration:g}" if timed else ""
    env = {"db_connections": "DATABASE_URL=postgres://… ", "throttle": "REDIS_URL=redis://… "}.get(scenario, "")
    return f"`{env}.venv/bin/python bench/reliability.py {scenario}{extra}`"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", metavar="scenario", help=f"of {', '.join(SCENARIOS)}; default: all")
    parser.add_argument("--server", choices=list(SERVERS), action="append", help="default: both")
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per fault run")
    parser.add_argument("--write", action="store_true", help=f"write the table to {REPORT.relative_to(ROOT)}")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the servers on the way out
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    servers = args.server or list(SERVERS)
    rows = []
    for scenario in args.scenarios or list(SCENARIOS):
        label, run = SCENARIOS[scenario]
        cells = {}
        for name in servers:
            cells[name] = run(name, args.duration)
            mark = "" if cells[name].good else "  (goal missed)"
            print(f"{scenario:<17} {name:<10} {cells[name].text}{mark}", flush=True)
        rows.append((label, cells, command(scenario, args.duration)))
    if args.write:
        write(rows, servers)


def write(rows: list[tuple[str, dict[str, Cell], str]], servers: list[str]) -> None:
    lines = [
        "## Reliability",
        "",
        "Faults injected during load, bad input, request bodies, the connection bound, memory and a",
        "fuzzer, on the drf_async stack and on sync DRF under gunicorn gthread (32 threads), same",
        "endpoints (a view awaiting 50 ms of I/O for the fault rows), on one 2-core machine over",
        "127.0.0.1. Regenerate with `make bench-reliability`; each row's own command is in its last",
        "column. How the load counts failures is in bench/reliability.py's docstring.",
        "",
        "| fault / input | " + " | ".join(LABELS[name] for name in servers) + " | command |",
        "|---|" + "---|" * len(servers) + "---|",
    ]
    for label, cells, cmd in rows:
        lines.append(f"| {label} | " + " | ".join(cells[name].text for name in servers) + f" | {cmd} |")
    lines += [
        "",
        "- *retried*: requests whose reused keep-alive connection the server closed (or a killed",
        "  worker reset) before any byte of a response, sent again on a new connection as HTTP",
        "  clients do; a client that never retries would count them as failed. For kill -9 they are",
        "  the requests in flight on the killed worker: at most its share of the connections.",
        "- The drf_async stack drains on `max_requests`, SIGHUP and SIGTERM: it stops accepting,",
        "  closes idle keep-alive connections at once, answers what it has received (with",
        "  `Connection: close`) and exits when that is done (`graceful_timeout` at the latest).",
        "- Workers share connections: each accepts one at a time and defers to a worker holding",
        "  fewer; `worker_connections` bounds what one worker holds (the rest wait in the backlog).",
        "- The throttle row uses `drf_async.throttling.AsyncAnonRateThrottle` on the drf_async stack",
        "  (one atomic Redis script per check) and DRF's `AnonRateThrottle` on gthread (read, then",
        "  write). Set DRF's `NUM_PROXIES` (0 without a proxy) or a made-up `X-Forwarded-For`",
        "  gets a new allowance per request, with either class.",
        "- Body rows: *sent* counts what the client's `sock.send` accepted before the first byte of the",
        "  answer (or the server's close), so it includes what the kernel buffers hold (a few MB on",
        "  127.0.0.1); the temp dir is the server's `TMPDIR`, a fresh directory, sampled every 10 ms",
        "  (its files and the unlinked ones the worker holds open there, where Django spools a body",
        "  past `FILE_UPLOAD_MAX_MEMORY_SIZE`). The goal: refused after at most 8 MiB, under 8 MiB",
        "  spooled; a dribbled body closed within `--timeout` + 5 s; nested JSON a 400 with DRF's",
        "  error body and no traceback.",
        "- The schemathesis row runs `schemathesis run http://127.0.0.1:PORT/api/schema/ --checks",
        "  not_a_server_error --max-time 100 --workers 1 --seed 1 -H 'Authorization: Token …'`",
        "  (alice's token: bob's objects answer 403 to its writes) against the sample API, its",
        "  drf_async classes on both stacks (under WSGI on gthread), on a copy of a freshly seeded",
        "  SQLite database, with `sampleapi.stores` running for the availability fan-out; one",
        "  request at a time, as concurrent writes to SQLite fail with \"database is locked\" (a 500)",
        "  on either stack. Under WSGI (gthread) the availability fan-out has no lifespan, so no",
        "  shared HTTP session: its 500s are `LookupError: The lifespan resource 'http' is not open`.",
    ]
    REPORT.write_text("\n".join(lines) + "\n")
    print(f"wrote {REPORT}")


if __name__ == "__main__":
    main()
