"""
Serving-stack benchmark: drf_async (AiohttpWorker + AsyncHandler) against sync DRF on
gunicorn gthread, adrf on uvicorn-worker, and Django's stock ASGI handler on uvicorn-worker,
on AiohttpWorker and on granian.

Each server is one worker process pinned to CPU 0 (taskset); wrk runs pinned to CPU 1. Per
workload, --rounds rounds (3) each run every server of the workload in turn, so that the shared
machine's drift falls on all alike; each server's median round is reported. Prints req/s, p50,
p99, the worker's CPU per request (all its threads) and peak RSS per run, then the ratios and
their goals (of req/s; the CPU column: the other server's CPU per request ÷ this one's).

    .venv/bin/python bench/serve.py                    # everything, ~16 minutes
    .venv/bin/python bench/serve.py --only "DB + 200"  # the runs whose workload contains the text
    .venv/bin/python bench/serve.py --only "DB + 200" --threads 8 \
        --database-url postgres://postgres@127.0.0.1:5432/drf_async_bench   # on PostgreSQL (created if missing)

The "DB + 200 ms" pairing (a view that makes one ORM query, then awaits 200 ms) uses a
SQLite file, or PostgreSQL with --database-url, where the peak number of the server's
connections (pg_stat_activity) is reported too. Persistent connections (CONN_MAX_AGE=60)
where the server bounds its threads (drf_async, gthread); CONN_MAX_AGE=0 for Django's stock
ASGI handler, whose thread per request would otherwise leave a connection per thread, as
Django's docs say.

Needs wrk (apt-get install wrk) and taskset (util-linux).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))

GRANIAN = str(Path(sys.executable).with_name("granian"))
PERSISTENT = {"CONN_MAX_AGE": "60"}

# name: (worker class, or "granian"; app; extra server args; settings module; environment)
SERVERS = {
    "drf_async": ("drf_async.worker.AiohttpWorker", "serve_apps:asgi", [], "serve_settings", {}),
    "gthread": ("gthread", "serve_apps:wsgi", ["--threads", "32"], "serve_settings", {}),
    "uvicorn": ("uvicorn_worker.UvicornWorker", "serve_apps:django_asgi", [], "serve_settings", {}),
    "aiohttp+django": ("drf_async.worker.AiohttpWorker", "serve_apps:django_asgi", [], "serve_settings", {}),
    # The same with Django's default middleware stack (Security, Session, Common, Csrf, Auth…).
    "drf_async+mw": ("drf_async.worker.AiohttpWorker", "serve_apps:asgi", [], "serve_settings_middleware", {}),
    "gthread+mw": ("gthread", "serve_apps:wsgi", ["--threads", "32"], "serve_settings_middleware", {}),
    # The fastest sync server: sync DRF on granian's WSGI interface (Rust), 32 blocking threads;
    # and drf_async's AsyncHandler on other ASGI servers (granian, gunicorn's own asgi worker).
    "granian-wsgi": ("granian:wsgi", "serve_apps:wsgi", ["--blocking-threads", "32"], "serve_settings", {}),
    "granian-asgi": ("granian", "serve_apps:asgi", [], "serve_settings", {}),
    "gunicorn-asgi": ("asgi", "serve_apps:asgi", [], "serve_settings", {}),
    # With a database (serve_settings_db).
    "drf_async+db": ("drf_async.worker.AiohttpWorker", "serve_apps:asgi", [], "serve_settings_db", PERSISTENT),
    "gthread+db": ("gthread", "serve_apps:wsgi", ["--threads", "32"], "serve_settings_db", PERSISTENT),
    "granian+django+db": ("granian", "serve_apps:django_asgi", [], "serve_settings_db", {}),
    "uvicorn+django+db": ("uvicorn_worker.UvicornWorker", "serve_apps:django_asgi", [], "serve_settings_db", {}),
    # The sample API's fan-out to three stores (serve_settings_fanout; the stores service runs beside).
    "drf_async+fanout": ("drf_async.worker.AiohttpWorker", "serve_apps:asgi", [], "serve_settings_fanout", {}),
    "gthread+fanout": ("gthread", "serve_apps:wsgi", ["--threads", "32"], "serve_settings_fanout", {}),
}

# (label, server, path, connections)
RUNS = [
    ("trivial GET", "drf_async", "/async/", 64),
    ("trivial GET", "gthread", "/sync/", 64),
    ("trivial GET", "uvicorn", "/adrf/", 64),
    ("50 ms I/O", "drf_async", "/async-io/", 512),
    ("50 ms I/O", "gthread", "/sync-io/", 512),
    ("plain async view", "aiohttp+django", "/plain/", 64),
    ("plain async view", "uvicorn", "/plain/", 64),
    ("GET + middleware", "drf_async+mw", "/async/", 64),
    ("GET + middleware", "gthread+mw", "/sync/", 64),
    ("DB + 200 ms await", "drf_async+db", "/async-db-wait/", 512),
    ("DB + 200 ms await", "gthread+db", "/sync-db-wait/", 512),
    ("DB + 200 ms await", "granian+django+db", "/async-db-wait/", 512),
    ("DB + 200 ms await", "uvicorn+django+db", "/async-db-wait/", 512),
    ("200 ms await only", "drf_async+db", "/async-wait/", 512),
    ("fan-out 3 x 50 ms", "drf_async+fanout", "/async-fanout/", 256),
    ("fan-out 3 x 50 ms", "gthread+fanout", "/sync-fanout/", 256),
    ("trivial GET", "granian-wsgi", "/sync/", 64),
    ("trivial GET", "granian-asgi", "/async/", 64),
    ("trivial GET", "gunicorn-asgi", "/async/", 64),
]

# (description, numerator run, denominator run, goal, higher is better)
RATIOS = [
    ("drf_async vs sync DRF gthread-32, trivial GET c=64", 0, 1, 1.0, True),
    ("drf_async vs adrf on uvicorn-worker, trivial GET c=64", 0, 2, 2.5, True),
    ("drf_async vs gthread-32, 50 ms I/O c=512", 3, 4, 5.0, True),
    ("AiohttpWorker vs uvicorn-worker, Django stock ASGI", 5, 6, 1.0, True),
    ("drf_async vs gthread-32, trivial GET, default middleware", 7, 8, None, True),
    ("drf_async vs gthread-32, DB + 200 ms c=512", 9, 10, 8.0, True),
    ("drf_async vs stock Django ASGI on granian, DB + 200 ms", 9, 11, 3.0, True),
    ("drf_async vs stock Django ASGI on uvicorn, DB + 200 ms", 9, 12, None, True),
    ("drf_async DB + 200 ms vs its 200 ms await only", 9, 13, 0.7, True),
    ("drf_async vs gthread-32 (requests + threads), fan-out c=256", 14, 15, 5.0, True),
    ("drf_async vs sync DRF on granian WSGI (32 threads), trivial GET c=64", 0, 16, 1.0, True),
    ("AsyncHandler on granian ASGI vs sync DRF on granian WSGI, trivial GET", 17, 16, None, True),
    ("AsyncHandler on gunicorn -k asgi vs drf_async's AiohttpWorker, trivial GET", 18, 0, None, True),
]


@dataclass
class Result:
    label: str
    server: str
    path: str
    connections: int
    rps: float
    p50: str
    p99: str
    errors: str
    peak_rss_kb: int
    peak_db_connections: int | None = None
    cpu_ms: float | None = None


class Server:
    """
    One gunicorn (or granian) worker of *spec* (a `SERVERS` entry; by default ``SERVERS[name]``),
    pinned to *cpu*, on an ephemeral port; ready once ``GET /plain/`` answers 200.
    """

    def __init__(self, name: str, cpu: int, env: dict[str, str] | None = None, extra: list[str] | None = None,
                 spec: tuple[str, str, list[str], str, dict[str, str]] | None = None) -> None:
        worker, app, server_extra, settings_module, server_env = spec or SERVERS[name]
        extra = [*server_extra, *(extra or [])]
        self.name = name
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        if worker.startswith("granian"):
            interface = worker.partition(":")[2] or "asgi"  # "granian" or "granian:wsgi"
            command = [
                "taskset", "-c", str(cpu), GRANIAN, "--interface", interface, "--workers", "1", "--host", "127.0.0.1",
                "--port", str(self.port), "--backlog", "4096", "--no-ws", "--log-level", "warning", *extra, app,
            ]
        else:
            command = [
                "taskset", "-c", str(cpu), GUNICORN, "-k", worker, "-w", "1", "--bind", f"127.0.0.1:{self.port}",
                "--keep-alive", "60", "--backlog", "4096", "--log-level", "warning", *extra, app,
            ]
        env = {
            **os.environ, **(env or {}), **server_env,
            "PYTHONPATH": f"{HERE}{os.pathsep}{ROOT}", "DJANGO_SETTINGS_MODULE": settings_module,
        }
        self.process = subprocess.Popen(command, env=env, cwd=HERE, start_new_session=True)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"GET /plain/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if sock.recv(100).startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start")

    @property
    def worker_pid(self) -> int:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout.split()
        return int(out[0])

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the worker process has used so far, all its threads."""
        total = 0
        task_dir = Path(f"/proc/{self.worker_pid}/task")
        for task in task_dir.iterdir():
            try:
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):  # a thread that just ended
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def memory_kb(self, field: str = "VmHWM") -> int:
        status = Path(f"/proc/{self.worker_pid}/status").read_text()
        return int(re.search(rf"{field}:\s+(\d+)", status).group(1))

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@dataclass
class Measured:
    """One measured wrk run: req/s, latency percentiles, errors, and the worker's CPU per request."""

    rps: float
    p50: str
    p99: str
    errors: str
    requests: int
    cpu_ms: float | None = None  # worker CPU (all its threads) per request, ms


def wrk_run(url: str, connections: int, duration: float, cpu: int, extra: list[str] | None = None) -> Measured:
    """wrk on *url* (pinned to *cpu*); *extra*: -H, -s…"""
    seconds = max(1, round(duration))
    command = ["taskset", "-c", str(cpu), "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
               "--timeout", "10s", *(extra or []), url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE).group(1)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE).group(1)
    errors = re.findall(r"Socket errors:.*|Non-2xx or 3xx responses: \d+", out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return Measured(rps, p50, p99, "; ".join(errors), requests)


def wrk(url: str, connections: int, duration: float, cpu: int, extra: list[str] | None = None,
        ) -> tuple[float, str, str, str]:
    """req/s, p50, p99 and the errors wrk reports (socket errors, non-2xx) for *url*; *extra*: -H, -s…"""
    run = wrk_run(url, connections, duration, cpu, extra)
    return run.rps, run.p50, run.p99, run.errors


def settle(server: Server, timeout: float = 20.0) -> None:
    """
    Wait until *server*'s worker is idle (under 5% of a core over 0.5 s): requests a previous
    run left in flight (wrk stops; a slow server's queue does not) would bill their CPU to the
    next run.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = server.cpu_seconds()
        time.sleep(0.5)
        if server.cpu_seconds() - before < 0.025:
            return


def measure(server: Server, path: str, connections: int, duration: float, cpu: int,
            extra: list[str] | None = None) -> Measured:
    """
    A wrk run against *server*, with the CPU time its worker spent per request: on this shared
    machine, steadier than req/s from run to run (it leaves out the database's and other
    services' CPU, which the req/s figure pays for when they share the worker's core).
    """
    before = server.cpu_seconds()
    run = wrk_run(server.url(path), connections, duration, cpu, extra)
    if run.requests:
        run.cpu_ms = (server.cpu_seconds() - before) / run.requests * 1000
    return run


def idle_connections_rss(name: str, count: int, cpu: int, client_cpu: int) -> tuple[int, int]:
    """The worker's RSS (kB) before and with *count* idle keep-alive connections open."""
    # gunicorn's worker_connections (1000 by default) bounds what a worker holds: raise it above *count*.
    server = Server(name, cpu, extra=["--worker-connections", str(count + 100)])
    try:
        os.sched_setaffinity(0, {client_cpu})
        before = server.memory_kb("VmRSS")
        sockets = []
        request = b"GET /plain/ HTTP/1.1\r\nHost: x\r\n\r\n"
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(request)
            sockets.append(sock)
        for sock in sockets:
            sock.settimeout(10)
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        time.sleep(1)
        with_connections = server.memory_kb("VmRSS")
        for sock in sockets:
            sock.close()
        return before, with_connections
    finally:
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
        server.stop()


def create_postgresql_database(url: str) -> None:
    """CREATE DATABASE for *url* unless it exists (connected to the server's ``postgres`` database)."""
    from urllib.parse import urlsplit

    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(url.replace(f"/{name}", "/postgres", 1), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare_database(env: dict[str, str]) -> None:
    """Create serve_settings_db's tables and ten users (what the DB views count)."""
    if env.get("BENCH_DATABASE_URL"):
        create_postgresql_database(env["BENCH_DATABASE_URL"])
    env = {**os.environ, **env, "PYTHONPATH": f"{HERE}{os.pathsep}{ROOT}"}
    env["DJANGO_SETTINGS_MODULE"] = "serve_settings_db"
    python = [sys.executable, "-c"]
    subprocess.run([*python, "import django.core.management as m; m.execute_from_command_line(['', 'migrate', "
                    "'-v0', '--noinput'])"], env=env, cwd=HERE, check=True)
    subprocess.run([*python, "import django; django.setup(); from django.contrib.auth.models import User; "
                    "User.objects.all().delete(); User.objects.bulk_create([User(username=f'u{i}') for i in "
                    "range(10)])"], env=env, cwd=HERE, check=True)


class ConnectionWatch:
    """The peak number of the bench server's PostgreSQL connections, sampled every 20 ms."""

    _conns: dict[str, Any] = {}

    def __init__(self, database_url: str) -> None:
        import psycopg

        self.peak = 0
        self._done = threading.Event()
        # One connection for every run, opened before any server: a server with a thread per
        # request (Django's stock handler) may leave PostgreSQL no connection to spare.
        if database_url not in self._conns:
            self._conns[database_url] = psycopg.connect(database_url, autocommit=True)
        self._conn = self._conns[database_url]
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(0.02):
            count = self._conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'drf_async_bench'"
            ).fetchone()[0]
            self.peak = max(self.peak, count)

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return self.peak


def run_servers(runs: list[tuple[str, str, str, int]], args: argparse.Namespace, env: dict[str, str],
                results: list[Result]) -> None:
    """
    Per workload, ``--rounds`` rounds that each run every server of that workload in turn (a
    fresh server, a warm-up run, a measured one): the servers' runs interleave, so the shared
    machine's drift falls on all of them alike. Each server's result is its median round.
    """
    for label in dict.fromkeys(run_label for run_label, _, _, _ in runs):
        group = [run for run in runs if run[0] == label]
        rounds: dict[tuple[str, str], list[Result]] = {}
        for round_number in range(args.rounds):
            for _, name, path, connections in group:
                uses_db = SERVERS[name][3] == "serve_settings_db"
                server = Server(name, args.server_cpu, env)
                try:
                    wrk(server.url(path), connections, args.warmup, args.client_cpu)
                    watch = ConnectionWatch(args.database_url) if uses_db and args.database_url else None
                    run = measure(server, path, connections, args.duration, args.client_cpu)
                    peak = watch.stop() if watch else None
                    result = Result(label, name, path, connections, run.rps, run.p50, run.p99, run.errors,
                                    server.memory_kb(), peak, run.cpu_ms)
                finally:
                    server.stop()
                rounds.setdefault((name, path), []).append(result)
                print(f"  {label:<18} {name:<18} round {round_number + 1}  {run.rps:>8.0f} req/s  "
                      f"CPU {run.cpu_ms * 1000 if run.cpu_ms else 0:>6.0f}µs/req", flush=True)
        results.extend(median_round(measured) for measured in rounds.values())


def median_of(runs: list[Any]) -> Any:
    """
    Of one server's rounds (results with ``rps``, ``cpu_ms`` and ``errors``): the round with the
    median req/s, its CPU per request the median of the rounds', the errors of all of them.
    """
    middle = sorted(runs, key=lambda r: r.rps)[len(runs) // 2]
    cpus = sorted(r.cpu_ms for r in runs if r.cpu_ms is not None)
    return dataclasses.replace(
        middle,
        cpu_ms=cpus[len(cpus) // 2] if cpus else None,
        errors="; ".join(r.errors for r in runs if r.errors),
    )


def median_round(runs: list[Result]) -> Result:
    """`median_of()` the rounds, with their peak RSS and DB connections."""
    peaks = [r.peak_db_connections for r in runs if r.peak_db_connections is not None]
    return dataclasses.replace(
        median_of(runs),
        peak_rss_kb=max(r.peak_rss_kb for r in runs),
        peak_db_connections=max(peaks) if peaks else None,
    )


def start_service(what: str, cpu: int, command: list[str], cwd: Path = ROOT) -> tuple[subprocess.Popen[bytes], str]:
    """*command* (``{port}`` in it: an ephemeral port) pinned to *cpu*, once it accepts; its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = ["taskset", "-c", str(cpu), *(part.format(port=port) for part in command)]
    process = subprocess.Popen(command, cwd=cwd, start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{what} did not start")


def start_stores(cpu: int) -> tuple[subprocess.Popen[bytes], str]:
    """The sample's stores service (three stores, 50 ms each), pinned beside wrk; its base URL."""
    return start_service("the stores service", cpu, [
        sys.executable, "-m", "sampleapi.stores", "--port", "{port}", "--latency", "50", "north", "south", "east",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=6)
    parser.add_argument("--warmup", type=float, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per workload (median reported)")
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--idle-connections", type=int, default=1000)
    parser.add_argument("--only", help="run only the workloads whose label contains this text")
    parser.add_argument("--database-url", help="PostgreSQL for the DB pairing (default: a SQLite file)")
    parser.add_argument("--threads", type=int, default=32, help="DRF_ASYNC_THREADS for the DB pairing")
    args = parser.parse_args()
    for tool in ("wrk", "taskset", "pgrep"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is required")
    runs = [run for run in RUNS if not args.only or args.only in run[0]]
    env = {"DRF_ASYNC_THREADS": str(args.threads)}
    if args.database_url:
        env["BENCH_DATABASE_URL"] = args.database_url
    if any(SERVERS[server][3] == "serve_settings_db" for _, server, _, _ in runs):
        prepare_database(env)
        if args.database_url:
            ConnectionWatch(args.database_url).stop()  # its connection, before any server

    stores = None
    if any(SERVERS[server][3] == "serve_settings_fanout" for _, server, _, _ in runs):
        stores = start_stores(args.client_cpu)
        env["BENCH_STORES_URL"] = stores[1]

    results: list[Result] = []
    try:
        run_servers(runs, args, env, results)
    finally:
        if stores is not None:
            stores[0].terminate()
            stores[0].wait(10)
    ordered = {
        i: r for i, (lbl, s, p, _) in enumerate(RUNS) for r in results if (r.label, r.server, r.path) == (lbl, s, p)
    }

    print(f"\n{'workload':<18} {'server':<18} {'path':<15} {'c':>4} {'req/s':>9} {'p50':>9} {'p99':>9} "
          f"{'CPU/req':>9} {'peak RSS':>9} {'DB conns':>8}  errors")
    for r in ordered.values():
        conns = "" if r.peak_db_connections is None else str(r.peak_db_connections)
        cpu = f"{r.cpu_ms * 1000:>7.0f}µs" if r.cpu_ms is not None else f"{'-':>9}"
        print(f"{r.label:<18} {r.server:<18} {r.path:<15} {r.connections:>4} {r.rps:>9.0f} {r.p50:>9} {r.p99:>9} "
              f"{cpu} {r.peak_rss_kb / 1024:>7.1f}MB {conns:>8}  {r.errors}")

    rss = {}
    if not args.only:
        print(f"\nworker RSS with {args.idle_connections} idle keep-alive connections:")
        for name in ("drf_async", "uvicorn"):
            before, during = idle_connections_rss(name, args.idle_connections, args.server_cpu, args.client_cpu)
            rss[name] = during
            print(f"  {name:<10} {before / 1024:7.1f}MB idle -> {during / 1024:7.1f}MB with connections")

    print(f"\n{'ratio (req/s; CPU: the other worker CPU per request ÷ this one)':<72} {'reached':>8} {'CPU':>6} "
          f"{'goal':>7}")
    for description, num, den, goal, _ in RATIOS:
        if num not in ordered or den not in ordered:
            continue
        ratio = ordered[num].rps / ordered[den].rps
        ours_cpu, their_cpu = ordered[num].cpu_ms, ordered[den].cpu_ms
        cpu = f"{their_cpu / ours_cpu:>5.2f}x" if ours_cpu and their_cpu else f"{'-':>6}"
        if goal is None:
            print(f"{description:<72} {ratio:>7.2f}x {cpu}  (no goal)")
        else:
            verdict = "met" if ratio >= goal else "MISSED"
            print(f"{description:<72} {ratio:>7.2f}x {cpu} {'>=':>3}{goal:.1f}x  {verdict}")
    if rss:
        ratio = rss["drf_async"] / rss["uvicorn"]
        print(f"{'RSS, 1000 idle keep-alive connections, vs uvicorn-worker':<58} {ratio:>7.2f}x {'<=':>3}1.5x  "
              f"{'met' if ratio <= 1.5 else 'MISSED'}")


if __name__ == "__main__":
    main()
