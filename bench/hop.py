"""
Cost of one thread-sensitive ``sync_to_async()`` call inside an `AsyncHandler` request:
drf_async's fast hop (`drf_async.hop`) against asgiref's own ``SyncToAsync.__call__``.

    .venv/bin/python bench/hop.py [--calls 200] [--requests 50] [--rounds 5]

In one process, on SQLite in memory: an `AsyncHandler` serves a view that makes N calls,
either ``await sync_to_async(noop)()`` (the hop alone) or ``await User.objects.acount()``
(the hop plus the query), driven by a fake ASGI receive/send. The cost per call is the
time of a request making N calls less that of a request making none, over N. Rounds
interleave the two paths; the best round of each is reported (the least disturbed by
other load on a shared machine), with the ratio fast / asgiref.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from typing import Any

import django
from django.conf import settings

settings.configure(
    SECRET_KEY="bench",
    ALLOWED_HOSTS=["*"],
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "rest_framework", "drf_async"],
    # Shared-cache memory database: every pooled thread's connection sees the same tables.
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "file:hopbench?mode=memory&cache=shared"}},
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    DRF_ASYNC_FAST_HOP=False,  # installed and removed per round below
)
django.setup()

from asgiref.sync import sync_to_async  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402

from drf_async import hop  # noqa: E402
from drf_async.handler import AsyncHandler  # noqa: E402


def noop() -> None:
    pass


async def noop_view(request: Any) -> HttpResponse:
    for _ in range(int(request.GET["n"])):
        await sync_to_async(noop)()
    return HttpResponse(b"ok")


async def count_view(request: Any) -> HttpResponse:
    for _ in range(int(request.GET["n"])):
        await User.objects.acount()
    return HttpResponse(b"ok")


urlpatterns = [path("noop/", noop_view), path("count/", count_view)]


def scope(kind: str, calls: int) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": f"/{kind}/",
        "raw_path": f"/{kind}/".encode(),
        "query_string": f"n={calls}".encode(),
        "root_path": "",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 50000),
        "server": ("bench", 80),
    }


async def serve(app: AsyncHandler, request_scope: dict[str, Any], requests: int) -> tuple[float, float]:
    """Wall and CPU seconds per request (the process's, all threads), *requests* served one after another."""
    sent: list[int] = []
    body = {"type": "http.request", "body": b"", "more_body": False}
    forever = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if len(read) == len(sent):  # the request's body, once
            read.append(1)
            return body
        await forever.wait()  # no disconnect: the handler cancels this once it responded
        raise AssertionError

    read: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent.append(message["status"])

    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(requests):
        await app(request_scope, receive, send)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert sent == [200] * requests, sent[:3]
    return elapsed / requests, cpu / requests


async def per_call(app: AsyncHandler, kind: str, calls: int, requests: int) -> tuple[float, float]:
    """Wall and CPU microseconds per call: (a request with *calls* calls - one with none) / *calls*."""
    wall, cpu = await serve(app, scope(kind, calls), requests)
    wall_without, cpu_without = await serve(app, scope(kind, 0), requests)
    return (wall - wall_without) / calls * 1e6, (cpu - cpu_without) / calls * 1e6


async def main(calls: int, requests: int, rounds: int) -> None:
    app = AsyncHandler(max_threads=4)
    for use_fast in (True, False):  # warm up both paths
        hop.install() if use_fast else hop.uninstall()
        for kind in ("noop", "count"):
            await per_call(app, kind, calls, 5)
    best: dict[tuple[str, str, int], float] = {}
    for _ in range(rounds):
        for kind in ("noop", "count"):
            for path_name in ("fast", "asgiref"):
                hop.install() if path_name == "fast" else hop.uninstall()
                gc.collect()
                figures = await per_call(app, kind, calls, requests)
                for i, figure in enumerate(figures):
                    key = (kind, path_name, i)
                    best[key] = min(best.get(key, figure), figure)
    hop.uninstall()
    await app.aclose()
    print(f"µs per thread-sensitive call, best of {rounds} rounds ({requests} requests x {calls} calls)")
    print(f"{'call':<30} {'':<4} {'asgiref':>9} {'fast hop':>9} {'ratio':>7}")
    labels = {"noop": "await sync_to_async(noop)()", "count": "await User.objects.acount()"}
    for kind in ("noop", "count"):
        for i, measure in enumerate(("wall", "CPU")):
            slow, fast = best[(kind, "asgiref", i)], best[(kind, "fast", i)]
            print(f"{labels[kind]:<30} {measure:<4} {slow:>9.1f} {fast:>9.1f} {fast / slow:>7.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    connection.ensure_connection()  # keeps the shared memory database alive
    call_command("migrate", verbosity=0, interactive=False)
    asyncio.run(main(options.calls, options.requests, options.rounds))
