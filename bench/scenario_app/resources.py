"""
The clients each framework shares per worker process.

drf_async opens its async ones at ASGI lifespan startup (``DRF_ASYNC_LIFESPAN`` in
scenario_settings). Django's stock ASGI handler runs no lifespan, so the ninja endpoints make
theirs on first use in the worker's loop (`ninja_clients()`), as a ninja project does; the sync
views share thread-safe sync clients made on first use (`sync_clients()`). Connection pools are
sized alike (200) so that no client queues where another does not.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
import redis
import redis.asyncio
import requests
from django.conf import settings

POOL_SIZE = 200


def new_httpx_client() -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE)
    return httpx.AsyncClient(base_url=settings.BENCH_UPSTREAM_URL, limits=limits, timeout=5.0)


def new_async_redis() -> redis.asyncio.Redis:
    return redis.asyncio.Redis.from_url(settings.BENCH_REDIS_URL, max_connections=POOL_SIZE)


# drf_async: lifespan resources


@contextlib.asynccontextmanager
async def redis_client() -> AsyncIterator[redis.asyncio.Redis]:
    client = new_async_redis()
    try:
        yield client
    finally:
        await client.aclose()


@contextlib.asynccontextmanager
async def httpx_client() -> AsyncIterator[httpx.AsyncClient]:
    async with new_httpx_client() as client:
        yield client


@contextlib.asynccontextmanager
async def aiohttp_session() -> AsyncIterator[aiohttp.ClientSession]:
    connector = aiohttp.TCPConnector(limit=POOL_SIZE)
    timeout = aiohttp.ClientTimeout(total=5.0)
    async with aiohttp.ClientSession(settings.BENCH_UPSTREAM_URL, connector=connector, timeout=timeout) as session:
        yield session


# django-ninja on Django's stock ASGI handler: made in the worker's loop on first use

_ninja: dict[str, Any] = {}


def ninja_clients() -> dict[str, Any]:
    if not _ninja:
        _ninja.update(redis=new_async_redis(), httpx=new_httpx_client())
    return _ninja


# Sync DRF: thread-safe clients shared by the worker's threads

_sync: dict[str, Any] = {}
_sync_lock = threading.Lock()


def sync_clients() -> dict[str, Any]:
    with _sync_lock:
        if not _sync:
            session = requests.Session()
            # One pooled connection per thread (requests keeps 10 by default and discards the rest).
            session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=POOL_SIZE))
            pool = redis.ConnectionPool.from_url(settings.BENCH_REDIS_URL, max_connections=POOL_SIZE)
            _sync.update(redis=redis.Redis(connection_pool=pool), http=session)
    return _sync
