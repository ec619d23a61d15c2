"""
CPU time per request through the whole Django handler, in one process: `AsyncHandler` with
an `AsyncAPIView` (a fake ASGI server: scope, receive and send as a server passes them)
against Django's `WSGIHandler` with the same sync DRF `APIView` (a WSGI environ and
start_response), and Django's stock `ASGIHandler` with the async view for reference.

    .venv/bin/python bench/handler.py [--requests 20000] [--rounds 5] [--middleware] [--profile]

The figure covers URL resolving, middleware (none, or Django's default stack with
--middleware), the view, rendering and the response's way out, not the network server.
Rounds interleave the contenders; the best round of each is reported and ratios are taken
against WSGIHandler. --profile prints the top of a cProfile of AsyncHandler's requests.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import pstats
import sys
import time
from typing import Any

import django
from django.conf import settings
from serve_settings_middleware import MIDDLEWARE as DEFAULT_MIDDLEWARE  # bench/ is on sys.path


def configure(middleware: bool) -> None:
    settings.configure(
        SECRET_KEY="bench",
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=[
            "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
            "django.contrib.messages", "rest_framework",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        ROOT_URLCONF=__name__,
        MIDDLEWARE=DEFAULT_MIDDLEWARE if middleware else [],
        REST_FRAMEWORK={
            "UNAUTHENTICATED_USER": None,
            "DEFAULT_AUTHENTICATION_CLASSES": [],
            "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
            "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        },
    )
    django.setup()


PAYLOAD = {"id": 1, "name": "trivial", "tags": ["a", "b"], "active": True}
urlpatterns: list[Any] = []


def build_urls() -> None:
    from django.urls import path
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from drf_async.views import AsyncAPIView

    class SyncView(APIView):
        def get(self, request):
            return Response(PAYLOAD)

    class AsyncView(AsyncAPIView):
        async def get(self, request):
            return Response(PAYLOAD)

    urlpatterns[:] = [path("sync/", SyncView.as_view()), path("async/", AsyncView.as_view())]


def environ(path: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000", "HTTP_ACCEPT": "*/*", "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(b""), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }


async def respond(status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    pass


def scope(path: str) -> dict[str, Any]:
    # As AiohttpWorker passes it: with the drf_async.disconnect and drf_async.response
    # extensions (drf_async.bridge). Django's stock handler ignores them.
    return {
        "extensions": {"drf_async.disconnect": {"callback": None}, "drf_async.response": {"respond": respond}},
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
        "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"127.0.0.1:8000"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }


def run_wsgi(n: int) -> float:
    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()

    def start_response(status: str, headers: list[Any]) -> None:
        pass

    gc.collect()
    started = time.process_time()
    for _ in range(n):
        response = handler(environ("/sync/"), start_response)
        b"".join(response)
        response.close()
    return (time.process_time() - started) / n


def run_asgi(handler: Any, n: int, profile: cProfile.Profile | None = None) -> float:
    request = {"type": "http.request", "body": b"", "more_body": False}

    def cycle() -> Any:
        taken = False

        async def receive() -> dict[str, Any]:
            nonlocal taken
            if not taken:
                taken = True
                return request
            await asyncio.get_running_loop().create_future()  # the client never leaves
            return {"type": "http.disconnect"}

        return receive

    async def send(message: dict[str, Any]) -> None:
        pass

    async def serve() -> float:
        await handler(scope("/async/"), cycle(), send)  # warm up
        if profile is not None:
            profile.enable()
        started = time.process_time()
        for _ in range(n):
            await handler(scope("/async/"), cycle(), send)
        cost = (time.process_time() - started) / n
        if profile is not None:
            profile.disable()
        return cost

    gc.collect()
    return asyncio.run(serve())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--middleware", action="store_true", help="Django's default middleware stack")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    configure(args.middleware)
    build_urls()

    from django.core.handlers.asgi import ASGIHandler

    from drf_async.handler import AsyncHandler

    ours = AsyncHandler()
    contenders = {
        "WSGIHandler + APIView": lambda: run_wsgi(args.requests),
        "AsyncHandler + AsyncAPIView": lambda: run_asgi(ours, args.requests),
        "ASGIHandler + AsyncAPIView": lambda: run_asgi(ASGIHandler(), args.requests),
    }
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        for name, run in contenders.items():
            cost = run()
            best[name] = min(best.get(name, cost), cost)
    stack = "Django's default middleware" if args.middleware else "no middleware"
    print(f"CPU µs per request ({stack}), best of {args.rounds} rounds of {args.requests} requests")
    for name, cost in best.items():
        print(f"{name:<30} {cost * 1e6:>8.1f} µs {cost / best['WSGIHandler + APIView']:>6.2f}x")
    if args.profile:
        profile = cProfile.Profile()
        run_asgi(ours, args.requests, profile)
        stats = pstats.Stats(profile)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats("drf_async", 30)


if __name__ == "__main__":
    main()
