"""
CPU time per request of a trivial GET, in one process: drf_async's AsyncAPIView awaited on
one event loop, against the same sync DRF APIView called directly, and adrf's APIView.

    .venv/bin/python bench/dispatch.py [--requests 20000] [--rounds 5]

Each view is called through its `as_view()` function with a pre-built request and the
response is rendered, so the figure covers dispatch, the policy checks and rendering, not
the server. Rounds interleave the contenders; the best round of each is reported (the least
disturbed by other load on a shared machine) and ratios are taken against sync DRF.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from collections.abc import Callable

import django
from django.conf import settings

settings.configure(
    SECRET_KEY="bench",
    ALLOWED_HOSTS=["*"],
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "rest_framework"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    ROOT_URLCONF=[],
    REST_FRAMEWORK={"UNAUTHENTICATED_USER": None},
)
django.setup()

from django.test import AsyncRequestFactory, RequestFactory  # noqa: E402
from rest_framework.authentication import BasicAuthentication, SessionAuthentication  # noqa: E402
from rest_framework.permissions import AllowAny  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from drf_async.views import AsyncAPIView  # noqa: E402

try:
    from adrf.views import APIView as AdrfAPIView
except ImportError:  # adrf is optional
    AdrfAPIView = None

PAYLOAD = {"id": 1, "name": "trivial", "tags": ["a", "b"], "active": True}


def policies(authentication: list) -> dict:
    return {"authentication_classes": authentication, "permission_classes": [AllowAny], "throttle_classes": []}


def build_views(authentication: list) -> dict[str, tuple[Callable, bool]]:
    class SyncView(APIView):
        def get(self, request):
            return Response(PAYLOAD)

    class AsyncView(AsyncAPIView):
        async def get(self, request):
            return Response(PAYLOAD)

    views = {"sync DRF": (SyncView, False), "drf_async": (AsyncView, True)}
    if AdrfAPIView is not None:
        class AdrfView(AdrfAPIView):
            async def get(self, request):
                return Response(PAYLOAD)

        views["adrf"] = (AdrfView, True)
    return {name: (cls.as_view(**policies(authentication)), is_async) for name, (cls, is_async) in views.items()}


def run_sync(view: Callable, n: int) -> float:
    requests = [RequestFactory().get("/bench/") for _ in range(n)]
    gc.collect()
    started = time.process_time()
    for request in requests:
        view(request).render()
    return (time.process_time() - started) / n


def run_async(view: Callable, n: int) -> float:
    requests = [AsyncRequestFactory().get("/bench/") for _ in range(n)]

    async def serve() -> float:
        await view(requests[0])  # warm the loop's executor outside the timed part
        started = time.process_time()
        for request in requests:
            (await view(request)).render()
        return (time.process_time() - started) / n

    gc.collect()
    return asyncio.run(serve())


def measure(views: dict[str, tuple[Callable, bool]], n: int, rounds: int) -> dict[str, float]:
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, (view, is_async) in views.items():
            cost = run_async(view, n) if is_async else run_sync(view, n)
            best[name] = min(best.get(name, cost), cost)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    scenarios = {
        "AllowAny, no authenticators": [],
        "DRF default auth (Session+Basic), anonymous": [SessionAuthentication, BasicAuthentication],
    }
    print(f"CPU µs per request, best of {args.rounds} rounds of {args.requests} requests")
    print(f"{'scenario':<46} {'contender':<10} {'µs/req':>8} {'vs sync DRF':>12}")
    for scenario, authentication in scenarios.items():
        best = measure(build_views(authentication), args.requests, args.rounds)
        for name, cost in best.items():
            print(f"{scenario:<46} {name:<10} {cost * 1e6:>8.1f} {cost / best['sync DRF']:>11.2f}x")


if __name__ == "__main__":
    main()
