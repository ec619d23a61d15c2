"""
drf_async.throttling: DRF's rate throttles with an atomic check. Parity with DRF's own
classes on the same requests (status, data, Retry-After), on local memory and, when
REDIS_URL is set, on Redis; exactly the rate admitted under concurrency; the fallback on
other caches; NUM_PROXIES and X-Forwarded-For.
"""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from asgiref.sync import async_to_sync
from django.core.cache import cache
from django.test import override_settings
from rest_framework import permissions, throttling
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from drf_async.throttling import AsyncAnonRateThrottle, AsyncScopedRateThrottle, AsyncUserRateThrottle
from drf_async.views import AsyncAPIView
from tests.twins import Twins, route

factory = APIRequestFactory()

REDIS_URL = os.environ.get("REDIS_URL")
LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


def redis_cache() -> dict:
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"drf-async-throttle-{uuid.uuid4().hex}",
    }


needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL")


@pytest.fixture(params=["locmem", pytest.param("redis", marks=needs_redis)])
def backend(request):
    """The default cache, as each backend with an exact check."""
    config = LOCMEM if request.param == "locmem" else redis_cache()
    with override_settings(CACHES={"default": config}):
        yield request.param
        cache.clear()


class SyncAnon(APIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [throttling.AnonRateThrottle]

    def get(self, request):
        return Response({"ok": True})


class AsyncAnon(AsyncAPIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [AsyncAnonRateThrottle]

    async def get(self, request):
        return Response({"ok": True})


class SyncScoped(SyncAnon):
    throttle_classes = [throttling.ScopedRateThrottle]
    throttle_scope = "burst"


class AsyncScoped(AsyncAnon):
    throttle_classes = [AsyncScopedRateThrottle]
    throttle_scope = "burst"


class AsyncUnscoped(AsyncAnon):
    throttle_classes = [AsyncScopedRateThrottle]


route("throttle-anon", SyncAnon.as_view(), AsyncAnon.as_view())
route("throttle-scoped", SyncScoped.as_view(), AsyncScoped.as_view())
route("throttle-unscoped", None, AsyncUnscoped.as_view())


def answers(send, count: int) -> list[tuple]:
    return [(r.status_code, r.get("Retry-After"), r.data) for r in (send() for _ in range(count))]


@pytest.mark.parametrize("name", ["throttle-anon", "throttle-scoped"])
def test_parity_with_drf(backend, name):
    """Rates from DEFAULT_THROTTLE_RATES ("anon", the view's throttle_scope "burst": 2/min):
    two requests pass, the third is DRF's 429 with its data and Retry-After, as DRF's own class."""
    client = Twins()
    sync = answers(lambda: client.sync_client.get(f"/sync/{name}/"), 3)
    cache.clear()
    async_ = answers(lambda: async_to_sync(client.async_client.get)(f"/async/{name}/"), 3)
    assert async_ == sync
    assert [status for status, *_ in sync] == [200, 200, 429]
    assert int(sync[2][1]) == 60


def test_a_view_without_throttle_scope_is_not_throttled(backend):
    """AsyncScopedRateThrottle, as DRF's, lets every request of a view without throttle_scope through."""
    client = Twins()
    statuses = [async_to_sync(client.async_client.get)("/async/throttle-unscoped/").status_code for _ in range(5)]
    assert statuses == [200] * 5


class TenPerMinute(AsyncAnonRateThrottle):
    rate = "10/min"


async def test_concurrent_checks_admit_exactly_the_rate(backend):
    """40 checks at once for one client at 10/min: exactly 10 pass (DRF's read-then-write lets more through)."""
    request = factory.get("/", REMOTE_ADDR="10.0.0.1")
    request.user = None
    throttles = [TenPerMinute() for _ in range(40)]
    results = await asyncio.gather(*(throttle.allow_request(request, None) for throttle in throttles))
    assert results.count(True) == 10
    waits = [await throttle.wait() for throttle, allowed in zip(throttles, results, strict=True) if not allowed]
    assert all(0 < wait <= 60 for wait in waits)


async def test_wait_is_drfs_from_the_history_read(backend):
    """After a refusal, wait() is DRF's formula on the history the check saw."""
    request = factory.get("/", REMOTE_ADDR="10.0.0.2")
    request.user = None
    clock = [1000.0]

    class Clocked(AsyncAnonRateThrottle):
        rate = "2/min"
        timer = staticmethod(lambda: clock[0])

    for step in (0.0, 10.0):
        clock[0] += step
        assert await Clocked().allow_request(request, None)
    clock[0] += 5.0
    refused = Clocked()
    assert not await refused.allow_request(request, None)
    assert refused.history == [1010.0, 1000.0]
    # DRF: (duration - (now - oldest)) / (num_requests - len(history) + 1) = (60 - 15) / 1
    assert await refused.wait() == pytest.approx(45.0)
    clock[0] += 46.0  # the oldest request has left the window
    assert await Clocked().allow_request(request, None)


async def test_user_throttle_counts_per_user(backend, django_user_model):
    """AsyncUserRateThrottle keys authenticated requests by user (rate "user": 3/min)."""

    class User:
        is_authenticated = True

        def __init__(self, pk):
            self.pk = pk

    def request_of(pk):
        request = factory.get("/", REMOTE_ADDR="10.0.0.3")
        request.user = User(pk)
        return request

    first = [await AsyncUserRateThrottle().allow_request(request_of(1), None) for _ in range(4)]
    second = await AsyncUserRateThrottle().allow_request(request_of(2), None)
    assert first == [True, True, True, False]
    assert second


async def test_success_and_failure_hooks_are_called_once(backend):
    """A subclass's throttle_success()/throttle_failure() run once per request, as in DRF."""
    calls = []

    class Hooked(AsyncAnonRateThrottle):
        rate = "1/min"

        def throttle_success(self):
            calls.append("success")
            return super().throttle_success()

        def throttle_failure(self):
            calls.append("failure")
            return super().throttle_failure()

    request = factory.get("/", REMOTE_ADDR="10.0.0.4")
    request.user = None
    assert [await Hooked().allow_request(request, None) for _ in range(2)] == [True, False]
    assert calls == ["success", "failure"]


@needs_redis
async def test_redis_history_is_under_the_caches_key_prefix():
    """The Redis history sits at the cache's key for DRF's key (KEY_PREFIX applies), with the period as TTL."""
    config = redis_cache()
    with override_settings(CACHES={"default": config}):
        request = factory.get("/", REMOTE_ADDR="10.0.0.5")
        request.user = None
        throttle = TenPerMinute()
        assert await throttle.allow_request(request, None)
        key = throttle.redis_key()
        assert key.startswith(config["KEY_PREFIX"]) and key.endswith("throttle_anon_10.0.0.5:history")
        redis = throttle.get_redis()
        assert await redis.llen(key) == 1
        assert 0 < await redis.ttl(key) <= 60
        await redis.delete(key)


def test_other_caches_fall_back_to_drfs_check(tmp_path):
    """On a cache that is neither Redis nor local memory (here the file cache), DRF's own
    check runs in a thread: same statuses and Retry-After as DRF."""
    config = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}
    with override_settings(CACHES={"default": config}):
        client = Twins()
        sync = answers(lambda: client.sync_client.get("/sync/throttle-anon/"), 3)
        cache.clear()
        async_ = answers(lambda: async_to_sync(client.async_client.get)("/async/throttle-anon/"), 3)
        assert async_ == sync
        assert [status for status, *_ in sync] == [200, 200, 429]


@pytest.mark.parametrize(
    ("num_proxies", "forwarded_for", "throttled"),
    [
        (None, "10.9.9.{i}", False),  # DRF's default: the made-up header is the identity
        (0, "10.9.9.{i}", True),  # clients connect directly: the header is ignored
        (1, "10.9.9.{i}, 203.0.113.7", True),  # one proxy, which appends the address it saw
    ],
)
def test_num_proxies_decides_whether_x_forwarded_for_can_bypass(backend, num_proxies, forwarded_for, throttled):
    """A client that makes up X-Forwarded-For gets a fresh allowance per request under DRF's
    default NUM_PROXIES=None; NUM_PROXIES set to the number of proxies in front stops it."""
    client = Twins()
    settings = {**api_settings.user_settings, "NUM_PROXIES": num_proxies}
    with override_settings(REST_FRAMEWORK=settings):
        statuses = [
            async_to_sync(client.async_client.get)(
                "/async/throttle-anon/", HTTP_X_FORWARDED_FOR=forwarded_for.format(i=i)
            ).status_code
            for i in range(3)
        ]
    assert (statuses[2] == 429) is throttled


async def test_the_check_makes_no_thread_hop(backend, hops):
    """On Redis and on local memory the check runs on the event loop: no sync_to_async call."""
    request = factory.get("/", REMOTE_ADDR="10.0.0.6")
    request.user = None
    throttle = TenPerMinute()
    assert await throttle.allow_request(request, None)
    await throttle.wait()
    assert hops == []
