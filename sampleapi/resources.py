"""
The sample API's shared per-worker resources (`drf_async.lifespan`), named in the
``DRF_ASYNC_LIFESPAN`` setting: opened at ASGI lifespan startup, closed at shutdown.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp


@contextlib.asynccontextmanager
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    """One `aiohttp.ClientSession` per worker: its connection pool is reused by every request."""
    connector = aiohttp.TCPConnector(limit=200, limit_per_host=100)
    async with aiohttp.ClientSession(connector=connector, raise_for_status=False) as session:
        yield session
