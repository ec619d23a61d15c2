"""The benchmark's endpoints: one per pairing in bench/serve.py."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from adrf.views import APIView as ADRFAPIView
from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from drf_async.views import AsyncAPIView


class SyncHello(APIView):
    def get(self, request):
        return Response({"hello": "world"})


class SyncIO(APIView):
    def get(self, request):
        time.sleep(0.05)
        return Response({"hello": "world"})


class AsyncHello(AsyncAPIView):
    async def get(self, request):
        return Response({"hello": "world"})


class AsyncIO(AsyncAPIView):
    async def get(self, request):
        await asyncio.sleep(0.05)
        return Response({"hello": "world"})


class SyncDBWait(APIView):
    """One ORM query, then 200 ms waiting on another service (here: a sleep)."""

    def get(self, request):
        count = User.objects.count()
        time.sleep(0.2)
        return Response({"count": count})


class AsyncDBWait(AsyncAPIView):
    async def get(self, request):
        count = await User.objects.acount()
        await asyncio.sleep(0.2)
        return Response({"count": count})


class AsyncWait(AsyncAPIView):
    """The same wait with no query: what the thread pool cannot be blamed for."""

    async def get(self, request):
        await asyncio.sleep(0.2)
        return Response({"count": 0})


FANOUT_ISBN = "9780441172719"
_requests_session: Any = None
_fanout_pool: Any = None


class SyncFanout(APIView):
    """
    The availability fan-out written sync, as a DRF project would: one `requests.Session`,
    the three store calls in a thread pool, the same answers and the same 504 as the sample's.
    """

    def get(self, request):
        from sampleapi.books.availability import StoresUnavailable

        answers = list(_pool().map(_ask_store_sync, settings.BOOKSHOP_STORES.items()))
        if not any(answer["available"] for answer in answers):
            raise StoresUnavailable()
        return Response(answers)


def _pool() -> Any:
    global _requests_session, _fanout_pool
    if _fanout_pool is None:
        import concurrent.futures

        import requests

        _requests_session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=3, pool_maxsize=128)
        _requests_session.mount("http://", adapter)
        _fanout_pool = concurrent.futures.ThreadPoolExecutor(max_workers=96)
    return _fanout_pool


def _ask_store_sync(store: tuple[str, str]) -> dict[str, Any]:
    import requests

    name, base_url = store
    answer: dict[str, Any] = {"store": name, "available": False, "in_stock": None, "price": None, "error": None}
    timeout = settings.BOOKSHOP_STORE_TIMEOUT
    try:
        reply = _requests_session.get(f"{base_url}/books/{FANOUT_ISBN}", timeout=timeout)
        if reply.status_code != 200:
            answer["error"] = f"HTTP {reply.status_code}"
            return answer
        data = reply.json()
        answer.update(available=True, in_stock=int(data["in_stock"]), price=str(Decimal(str(data["price"]))))
    except (requests.RequestException, KeyError, TypeError, ValueError, InvalidOperation) as exc:
        answer["error"] = type(exc).__name__
    return answer


class AsyncFanout(AsyncAPIView):
    """The sample API's own fan-out (sampleapi.books.availability) through the worker's shared session."""

    async def get(self, request):
        from drf_async.lifespan import resource
        from sampleapi.books.availability import availability

        return Response(await availability(resource(request, "http"), FANOUT_ISBN))


class ADRFHello(ADRFAPIView):
    async def get(self, request):
        return Response({"hello": "world"})


async def plain(request):
    return HttpResponse(b'{"hello":"world"}', content_type="application/json")


urlpatterns = [
    path("sync/", SyncHello.as_view()),
    path("sync-io/", SyncIO.as_view()),
    path("async/", AsyncHello.as_view()),
    path("async-io/", AsyncIO.as_view()),
    path("adrf/", ADRFHello.as_view()),
    path("sync-db-wait/", SyncDBWait.as_view()),
    path("async-db-wait/", AsyncDBWait.as_view()),
    path("async-wait/", AsyncWait.as_view()),
    path("sync-fanout/", SyncFanout.as_view()),
    path("async-fanout/", AsyncFanout.as_view()),
    path("plain/", plain),
]
