"""
Serving-stack benchmark: drf_async (AiohttpWorker + AsyncHandler) against sync DRF on
gunicorn gthread, adrf on uvicorn-worker, and Django's stock ASGI handler on both workers.

Each server is one gunicorn worker pinned to CPU 0 (taskset); wrk runs pinned to CPU 1.
Prints req/s, p50, p99 and the worker's peak RSS per run, then the ratios of issue 4.

    .venv/bin/python bench/serve.py            # ~3 minutes
    .venv/bin/python bench/serve.py --duration 10 --server-cpu 0 --client-cpu 1

Needs wrk (apt-get install wrk) and taskset (util-linux).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))

# name: (worker class, app, extra gunicorn args, settings module)
SERVERS = {
    "drf_async": ("drf_async.worker.AiohttpWorker", "serve_apps:asgi", [], "serve_settings"),
    "gthread": ("gthread", "serve_apps:wsgi", ["--threads", "32"], "serve_settings"),
    "uvicorn": ("uvicorn_worker.UvicornWorker", "serve_apps:django_asgi", [], "serve_settings"),
    "aiohttp+django": ("drf_async.worker.AiohttpWorker", "serve_apps:django_asgi", [], "serve_settings"),
    # The same with Django's default middleware stack (Security, Session, Common, Csrf, Auth…).
    "drf_async+mw": ("drf_async.worker.AiohttpWorker", "serve_apps:asgi", [], "serve_settings_middleware"),
    "gthread+mw": ("gthread", "serve_apps:wsgi", ["--threads", "32"], "serve_settings_middleware"),
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
]

# (description, numerator run, denominator run, goal, higher is better)
RATIOS = [
    ("drf_async vs sync DRF gthread-32, trivial GET c=64", 0, 1, 1.0, True),
    ("drf_async vs adrf on uvicorn-worker, trivial GET c=64", 0, 2, 2.5, True),
    ("drf_async vs gthread-32, 50 ms I/O c=512", 3, 4, 5.0, True),
    ("AiohttpWorker vs uvicorn-worker, Django stock ASGI", 5, 6, 1.0, True),
    ("drf_async vs gthread-32, trivial GET, default middleware", 7, 8, None, True),
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


class Server:
    def __init__(self, name: str, cpu: int) -> None:
        worker, app, extra, settings_module = SERVERS[name]
        self.name = name
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        command = [
            "taskset", "-c", str(cpu), GUNICORN, "-k", worker, "-w", "1", "--bind", f"127.0.0.1:{self.port}",
            "--keep-alive", "60", "--backlog", "4096", "--log-level", "warning", *extra, app,
        ]
        env = {**os.environ, "PYTHONPATH": f"{HERE}{os.pathsep}{ROOT}", "DJANGO_SETTINGS_MODULE": settings_module}
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


def wrk(url: str, connections: int, duration: float, cpu: int) -> tuple[float, str, str, str]:
    seconds = max(1, round(duration))
    command = ["taskset", "-c", str(cpu), "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
               "--timeout", "10s", url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE).group(1)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE).group(1)
    errors = re.search(r"Socket errors:.*|Non-2xx or 3xx responses: \d+", out)
    return rps, p50, p99, errors.group(0) if errors else ""


def idle_connections_rss(name: str, count: int, cpu: int, client_cpu: int) -> tuple[int, int]:
    """The worker's RSS (kB) before and with *count* idle keep-alive connections open."""
    server = Server(name, cpu)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--idle-connections", type=int, default=1000)
    args = parser.parse_args()
    for tool in ("wrk", "taskset", "pgrep"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is required")

    results: list[Result] = []
    for name in dict.fromkeys(server for _, server, _, _ in RUNS):
        server = Server(name, args.server_cpu)
        try:
            for label, run_server, path, connections in RUNS:
                if run_server != name:
                    continue
                wrk(server.url(path), connections, args.warmup, args.client_cpu)
                rps, p50, p99, errors = wrk(server.url(path), connections, args.duration, args.client_cpu)
                results.append(Result(label, name, path, connections, rps, p50, p99, errors, server.memory_kb()))
        finally:
            server.stop()
    ordered = [next(r for r in results if (r.label, r.server, r.path) == (lbl, s, p)) for lbl, s, p, _ in RUNS]

    print(f"\n{'workload':<18} {'server':<16} {'path':<11} {'c':>4} {'req/s':>9} {'p50':>9} {'p99':>9} "
          f"{'peak RSS':>9}  errors")
    for r in ordered:
        print(f"{r.label:<18} {r.server:<16} {r.path:<11} {r.connections:>4} {r.rps:>9.0f} {r.p50:>9} {r.p99:>9} "
              f"{r.peak_rss_kb / 1024:>7.1f}MB  {r.errors}")

    print(f"\nworker RSS with {args.idle_connections} idle keep-alive connections:")
    rss = {}
    for name in ("drf_async", "uvicorn"):
        before, during = idle_connections_rss(name, args.idle_connections, args.server_cpu, args.client_cpu)
        rss[name] = during
        print(f"  {name:<10} {before / 1024:7.1f}MB idle -> {during / 1024:7.1f}MB with connections")

    print(f"\n{'ratio':<58} {'reached':>8} {'goal':>7}")
    for description, num, den, goal, _ in RATIOS:
        ratio = ordered[num].rps / ordered[den].rps
        if goal is None:
            print(f"{description:<58} {ratio:>7.2f}x  (no goal)")
        else:
            print(f"{description:<58} {ratio:>7.2f}x {'>=':>3}{goal:.1f}x  {'met' if ratio >= goal else 'MISSED'}")
    ratio = rss["drf_async"] / rss["uvicorn"]
    print(f"{'RSS, 1000 idle keep-alive connections, vs uvicorn-worker':<58} {ratio:>7.2f}x {'<=':>3}1.5x  "
          f"{'met' if ratio <= 1.5 else 'MISSED'}")


if __name__ == "__main__":
    main()
