"""
Throttles that are exact under concurrency and across worker processes.

DRF's `SimpleRateThrottle` reads the request history from the cache, then writes it back:
requests that arrive together all read the same history, and all pass. With 2 workers, a
Redis cache and 40 concurrent requests at ``10/min``, up to 27 get through. These classes
keep DRF's names, rates, cache keys, ``wait()`` and ``Retry-After``, and make the check one
atomic step:

- **Redis** (Django's ``django.core.cache.backends.redis.RedisCache``, or django-redis):
  one Lua script per request drops the timestamps older than the period, admits the request
  if fewer than the rate remain and records it, through ``redis.asyncio`` awaited on the event
  loop (no thread hop). Exactly the rate is admitted, however many requests and workers race.
  The history lives beside the cache's own keys, at ``<the cache's key>:history``.
- **Local memory** (``LocMemCache``): DRF's own check, run on the event loop without a
  pause between read and write, so it is exact in the process (which is all a local-memory
  cache is shared by).
- **Any other cache** (Memcached, database, file): DRF's own check in one thread hop; as exact
  as DRF itself is on that cache, i.e. not under concurrency. Use Redis for exact limits.

Use them as DRF's::

    REST_FRAMEWORK = {
        "DEFAULT_THROTTLE_CLASSES": ["drf_async.throttling.AsyncAnonRateThrottle"],
        "DEFAULT_THROTTLE_RATES": {"anon": "100/min", "user": "1000/min"},
        # The number of proxies in front of the server; 0 when clients connect directly.
        "NUM_PROXIES": 1,
    }

**Set NUM_PROXIES.** Anonymous requests are counted per client address (DRF's
`get_ident()`). With DRF's default ``NUM_PROXIES = None`` the whole ``X-Forwarded-For``
header is the address, and a client that sends a new made-up header with each request gets
a new allowance each time. Set ``NUM_PROXIES`` to the number of proxies that append to
``X-Forwarded-For`` in front of the server (1 behind one nginx or load balancer), so the
address is the one your last proxy saw; set it to 0 when clients connect to gunicorn
directly, so ``X-Forwarded-For`` is ignored.

The Redis client is made once per event loop from the cache's ``LOCATION`` (its first
server) and the connection options in ``OPTIONS``; override `get_redis()` to return a client
of your own (one opened in the ASGI lifespan, say). A throttle whose ``cache`` is not the
default cache names its alias in ``cache_alias``.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, SimpleRateThrottle, UserRateThrottle

from drf_async.utils import stand_in

__all__ = ["AsyncSimpleRateThrottle", "AsyncAnonRateThrottle", "AsyncUserRateThrottle", "AsyncScopedRateThrottle"]

_REDIS_BACKENDS = frozenset({"django.core.cache.backends.redis.RedisCache", "django_redis.cache.RedisCache"})
_LOCMEM_BACKENDS = frozenset({"django.core.cache.backends.locmem.LocMemCache"})
# Django's RedisCache OPTIONS that are not connection arguments.
_DJANGO_REDIS_OPTIONS = frozenset({"serializer", "pool_class", "parser_class"})

# DRF's check (SimpleRateThrottle.allow_request and throttle_success), done in Redis in one
# step: the history is a list, newest first; timestamps at or before now - duration go.
_ALLOW = """
local key, stamp, duration, limit = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now = tonumber(stamp)
-- Workers' clocks are read before their scripts run: never record a time before the newest,
-- so the history stays ordered and wait() stays within the period.
local newest = redis.call('LINDEX', key, 0)
if newest and tonumber(newest) > now then stamp, now = newest, tonumber(newest) end
while true do
    local oldest = redis.call('LINDEX', key, -1)
    if not oldest or tonumber(oldest) > now - duration then break end
    redis.call('RPOP', key)
end
local allowed = 0
if redis.call('LLEN', key) < limit then
    redis.call('LPUSH', key, stamp)
    redis.call('EXPIRE', key, math.ceil(duration))
    allowed = 1
end
return {allowed, stamp, redis.call('LRANGE', key, 0, -1)}
"""
# One client per event loop and server: redis.asyncio connections belong to the loop
# that opened them. The check's script, per client.
_clients: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], Any]] = weakref.WeakKeyDictionary()
_scripts: weakref.WeakKeyDictionary[Any, dict[int, tuple[Any, Any]]] = weakref.WeakKeyDictionary()


class _NoHistory:
    """A cache with nothing in it that keeps nothing: DRF's check runs against it to work out
    the request's scope, rate and key, and the atomic check does the counting."""

    def get(self, key: str, default: Any = None) -> Any:
        return default

    def set(self, *args: Any, **kwargs: Any) -> None:
        pass


class AsyncSimpleRateThrottle(SimpleRateThrottle):
    """
    `SimpleRateThrottle` with an atomic check: subclass it as DRF's, with ``scope`` or ``rate``
    and `get_cache_key()`.
    """

    cache_alias = DEFAULT_CACHE_ALIAS

    async def allow_request(self, request: Any, view: Any) -> bool:
        """Async counterpart of `allow_request()`: atomic in Redis, as DRF's otherwise."""
        backend = self.cache_backend()
        if backend in _LOCMEM_BACKENDS:
            return super().allow_request(request, view)  # no await between DRF's read and write
        if backend not in _REDIS_BACKENDS:
            return await sync_to_async(super().allow_request)(request, view)
        # DRF's own check works out the scope (ScopedRateThrottle's comes from the view), the
        # rate, the key and the time, with nothing read or written and its hooks held back.
        self.key = None
        with stand_in(self, cache=_NoHistory(), throttle_success=lambda: True, throttle_failure=lambda: False):
            exempt = super().allow_request(request, view)
        if getattr(self, "rate", None) is None or self.key is None:
            return exempt  # DRF's answer for a request it does not throttle
        allowed, now, history = await self.get_redis_script()(
            keys=[self.redis_key()], args=[repr(self.now), self.duration, self.num_requests]
        )
        self.now = float(now)
        self.history = [float(stamp) for stamp in history]
        if not allowed:
            return self.throttle_failure()
        self._recorded = True
        return self.throttle_success()

    def throttle_success(self) -> bool:
        if getattr(self, "_recorded", False):
            return True  # the script has recorded the request already
        return super().throttle_success()

    async def wait(self) -> float | None:
        """DRF's `wait()` (from the history the check read), awaitable as the check is."""
        return super().wait()

    # Where the history is kept

    def cache_backend(self) -> str:
        return settings.CACHES[self.cache_alias]["BACKEND"]

    def redis_key(self) -> str:
        """The history's key: the cache's key for DRF's, so KEY_PREFIX and VERSION apply."""
        return f"{self.cache.make_key(self.key)}:history"

    def get_redis(self) -> Any:
        """The ``redis.asyncio`` client for this throttle's cache, one per event loop."""
        from redis import asyncio as aioredis

        config = settings.CACHES[self.cache_alias]
        location = config["LOCATION"]
        url = (location if isinstance(location, str) else location[0]).replace(";", ",").split(",")[0].strip()
        clients = _clients.setdefault(asyncio.get_running_loop(), {})
        try:
            return clients[(self.cache_alias, url)]
        except KeyError:
            options = {
                name: value
                for name, value in config.get("OPTIONS", {}).items()
                if name not in _DJANGO_REDIS_OPTIONS and name.islower()  # django-redis's are upper case
            }
            client = clients[(self.cache_alias, url)] = aioredis.Redis.from_url(url, **options)
            return client

    def get_redis_script(self) -> Any:
        """The check, registered with `get_redis()`'s client (run by EVALSHA)."""
        client = self.get_redis()
        scripts = _scripts.setdefault(asyncio.get_running_loop(), {})
        try:
            return scripts[id(client)][1]
        except KeyError:
            script = client.register_script(_ALLOW)
            scripts[id(client)] = (client, script)  # the client is kept, so its id stays its own
            return script


class AsyncAnonRateThrottle(AsyncSimpleRateThrottle, AnonRateThrottle):
    """`AnonRateThrottle` (scope ``anon``, per client address), exact across workers."""


class AsyncUserRateThrottle(AsyncSimpleRateThrottle, UserRateThrottle):
    """`UserRateThrottle` (scope ``user``, per user, or address when anonymous), exact across workers."""


class AsyncScopedRateThrottle(AsyncSimpleRateThrottle, ScopedRateThrottle):
    """`ScopedRateThrottle` (the view's ``throttle_scope``), exact across workers."""
