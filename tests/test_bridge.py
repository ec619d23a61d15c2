"""
drf_async.bridge in process: aiohttp's parser fed for pipelining, the ASGI lifespan and
ASGI detection. Connections, drains and the request cycle are pinned against real gunicorn
processes in tests/server/.
"""

from __future__ import annotations

import asyncio
from unittest import mock

import pytest
from aiohttp.http_exceptions import BadHttpMessage
from aiohttp.http_parser import HttpRequestParser
from gunicorn.config import Config
from gunicorn.glogging import Logger

from drf_async.bridge import Lifespan, _PipelineParser, is_asgi
from drf_async.handler import AsyncHandler


def parser() -> _PipelineParser:
    protocol = mock.Mock(transport=None, _reading_paused=False)  # what aiohttp's parser calls on it
    loop = asyncio.new_event_loop()
    return _PipelineParser(HttpRequestParser(protocol, loop, 2**16, max_line_size=8190, max_field_size=8190))


def test_requests_before_a_malformed_one_are_parsed():
    """One read with two valid requests and a malformed one: the valid ones are returned, the
    error is raised on the next feed (aiohttp's parser alone raises and loses both)."""
    pipeline = parser()
    data = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nBAD\x01 / HTTP/1.1\r\n\r\n"
    messages, upgraded, tail = pipeline.feed_data(data)
    assert [message.path for message, _ in messages] == ["/a", "/b"]
    assert (upgraded, tail) == (False, b"")
    with pytest.raises(BadHttpMessage):
        pipeline.feed_data(b"")


def test_a_lone_malformed_request_raises_at_once():
    """Nothing valid before it: the error is raised by the feed that read it, as aiohttp does."""
    with pytest.raises(BadHttpMessage):
        parser().feed_data(b"BAD\x01 / HTTP/1.1\r\n\r\n")


def test_bodies_holding_crlfcrlf_are_kept_whole():
    """Splitting a read after each CRLFCRLF leaves bodies that contain one intact."""
    pipeline = parser()
    body = b"a\r\n\r\nb\r\n\r\n"
    request = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    messages, _, _ = pipeline.feed_data(request + request)
    assert len(messages) == 2
    for _, payload in messages:
        assert payload.is_eof()
        assert payload.read_nowait() == body


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


