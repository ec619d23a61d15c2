"""
`AiohttpWorker` (drf_async.worker) in process: its gunicorn-settings mapping and lifespan,
with a real gunicorn `Config` and logger. The HTTP behaviour is pinned against real
gunicorn processes in tests/server/test_gunicorn.py.
"""

from __future__ import annotations

import asyncio
import os

import pytest
from aiohttp.http_exceptions import LineTooLong
from gunicorn.config import Config
from gunicorn.glogging import Logger

from drf_async.bridge import Lifespan, is_asgi
from drf_async.handler import AsyncHandler
from drf_async.worker import AiohttpWorker


def make_worker(**settings) -> AiohttpWorker:
    cfg = Config()
    for name, value in settings.items():
        cfg.set(name, value)
    return AiohttpWorker(0, os.getpid(), [], None, 30, cfg, Logger(cfg))


def test_forwarded_allow_ips_networks_and_wildcard():
    """forwarded_allow_ips accepts addresses and networks; "*" trusts every peer; unix peers are trusted."""
    worker = make_worker(forwarded_allow_ips="127.0.0.1,10.0.0.0/8")
    assert worker.trusts(("127.0.0.1", 1))
    assert worker.trusts(("10.1.2.3", 1))
    assert not worker.trusts(("192.168.0.1", 1))
    assert worker.trusts("")  # unix socket peer
    assert make_worker(forwarded_allow_ips="*").trusts(("192.168.0.1", 1))


def test_request_line_and_header_limits_are_told_apart():
    """An over-long request target maps to 414, an over-long header to 431, even with equal limits."""
    worker = make_worker(limit_request_line=100, limit_request_field_size=200)
    assert worker.is_request_line_error(LineTooLong(b"/aaa...", 100))
    assert not worker.is_request_line_error(LineTooLong(b"bbb...", 200))
    same = make_worker(limit_request_line=100, limit_request_field_size=100)
    assert same.is_request_line_error(LineTooLong(b"/aaa...", 100))
    assert not same.is_request_line_error(LineTooLong(b"bbb...", 100))


def test_asgi_detection():
    """ASGI apps (coroutine functions, objects with async __call__) are told from WSGI callables."""

    async def asgi_app(scope, receive, send):
        pass

    def wsgi_app(environ, start_response):
        pass

    assert is_asgi(asgi_app)
    assert is_asgi(AsyncHandler())
    assert not is_asgi(wsgi_app)


async def test_lifespan_of_an_app_without_support_is_skipped():
    """An app that raises on the lifespan scope (Django's own handler) is served without lifespan."""

    async def no_lifespan(scope, receive, send):
        raise ValueError("Django can only handle ASGI/HTTP connections, not lifespan.")

    lifespan = Lifespan(no_lifespan, Logger(Config()), {})
    assert await lifespan.startup()
    assert not lifespan.supported
    await asyncio.wait_for(lifespan.shutdown(), 1)


async def test_lifespan_startup_failure_stops_the_worker():
    """lifespan.startup.failed makes startup() report failure (the worker exits with a boot error)."""

    async def failing(scope, receive, send):
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database"})

    lifespan = Lifespan(failing, Logger(Config()), {})
    assert not await lifespan.startup()
    assert lifespan.supported


async def test_lifespan_state_and_shutdown():
    """A lifespan app's state is shared, and shutdown waits for lifespan.shutdown.complete."""
    events = []

    async def app(scope, receive, send):
        while True:
            message = await receive()
            events.append(message["type"])
            if message["type"] == "lifespan.startup":
                scope["state"]["ready"] = True
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return

    state: dict = {}
    lifespan = Lifespan(app, Logger(Config()), state)
    assert await lifespan.startup()
    assert state == {"ready": True}
    await asyncio.wait_for(lifespan.shutdown(), 1)
    assert events == ["lifespan.startup", "lifespan.shutdown"]


@pytest.mark.parametrize("value", [0, 50])
async def test_limits_zero_means_unlimited(value):
    """gunicorn's 0 for limit_request_line/field_size means no limit; other values pass through."""
    worker = make_worker(limit_request_line=value, limit_request_field_size=value, limit_request_fields=value or 100)
    worker.asgi = AsyncHandler()
    server = worker.make_server()
    expected = value or 2**31 - 1
    assert server._kwargs["max_line_size"] == expected
    assert server._kwargs["max_field_size"] == expected
    assert server._kwargs["keepalive_timeout"] == worker.cfg.keepalive
