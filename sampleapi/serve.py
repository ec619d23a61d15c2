"""
``make serve``: the sample API and its stores service, as a newcomer runs them.

Migrates, seeds and collects static files, starts the stores service
(`sampleapi.stores`) and gunicorn with drf_async's worker side by side, prints where
everything is, and on Ctrl-C (or SIGTERM) stops both by PID and waits for them.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "django", *args], check=True, cwd=ROOT)


def wait_until_up(url: str, process: subprocess.Popen, name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with status {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{name} did not answer on {url} within {timeout:g} s")


def control_socket_args() -> list[str]:
    # gunicorn >= 24 opens a control socket in ~/.gunicorn, one per user: two servers would share it.
    from gunicorn.config import KNOWN_SETTINGS

    return ["--no-control-socket"] if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else []


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sampleapi.serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stores-port", type=int, default=None, help="default: PORT + 1")
    parser.add_argument("--workers", default=os.environ.get("WEB_CONCURRENCY", "1"))
    parser.add_argument("--worker-class", default="drf_async.worker.AiohttpWorker")
    parser.add_argument("gunicorn_args", nargs="*", help="more gunicorn arguments (after --)")
    args = parser.parse_args()
    stores_port = args.stores_port or args.port + 1
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sampleapi.settings")
    os.environ.setdefault("BOOKSHOP_STORES_URL", f"http://{args.host}:{stores_port}")

    manage("migrate", "--noinput", "-v0")
    manage("seed")
    manage("collectstatic", "--noinput", "-v0")

    processes: list[subprocess.Popen] = []
    # SIGINT from the terminal reaches the whole process group; the children get their own
    # sessions so that this process alone decides how they stop (SIGTERM: gunicorn drains).
    # Ctrl-C and SIGTERM both stop everything (SIGINT too when a parent shell started us with it ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        stores = subprocess.Popen(
            [sys.executable, "-m", "sampleapi.stores", "--host", args.host, "--port", str(stores_port)],
            cwd=ROOT, start_new_session=True,
        )
        processes.append(stores)
        gunicorn = subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "sampleapi.asgi:application",
             "-k", args.worker_class, "--bind", f"{args.host}:{args.port}", "--workers", str(args.workers),
             "--access-logfile", "-", *control_socket_args(), *args.gunicorn_args],
            cwd=ROOT, start_new_session=True,
        )
        processes.append(gunicorn)
        wait_until_up(f"http://{args.host}:{stores_port}/", stores, "the stores service")
        base = f"http://{args.host}:{args.port}"
        wait_until_up(f"{base}/api/health/", gunicorn, "gunicorn")
        print(
            f"\n  API root         {base}/api/\n"
            f"  Browsable API    {base}/api/books/  (log in at {base}/api/auth/login/)\n"
            f"  Swagger UI       {base}/api/docs/   (OpenAPI schema: {base}/api/schema/)\n"
            f"  Fan-out          {base}/api/books/1/availability/  (stores on http://{args.host}:{stores_port}/)\n"
            f"  Seeded logins    alice / bookshop, bob / bookshop\n"
            f"  Token            curl -d username=alice -d password=bookshop {base}/api/auth/token/\n\n"
            f"  Ctrl-C stops everything.\n",
            flush=True,
        )
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        raise SystemExit(f"a server exited: {[p.args[2] for p in processes if p.poll() is not None]}")
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    finally:
        stop(processes)


if __name__ == "__main__":
    main()
