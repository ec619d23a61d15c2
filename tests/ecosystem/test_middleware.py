"""
django-cors-headers and WhiteNoise in the middleware stack (tests/ecosystem/settings.py), in
front of a drf_async view served by `drf_async.handler.AsyncHandler` itself, the ASGI app the
gunicorn worker runs: the same requests as to the DRF view under Django's WSGI handler, and
the same status, headers and body, for CORS answers, preflights and static files.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from drf_async.handler import AsyncHandler
from drf_async.views import AsyncAPIView
from tests.ecosystem.harness import HEADERS, mount
from tests.twins import Seen


class Ping(APIView):
    authentication_classes: list[Any] = []

    def get(self, request):
        return Response({"pong": True})

    def post(self, request):
        return Response(request.data, status=201)


class AsyncPing(AsyncAPIView):
    authentication_classes: list[Any] = []

    async def get(self, request):
        return Response({"pong": True})

    async def post(self, request):
        return Response(request.data, status=201)


mount("sync", "mw", [path("ping/", Ping.as_view())])
mount("async", "mw", [path("ping/", AsyncPing.as_view())])

ORIGIN = "https://app.example.com"


@pytest.fixture
def app():
    handler = AsyncHandler(max_threads=2)
    yield handler
    for future in handler.thread_pool.shutdown():
        future.result(timeout=5)


async def asgi(app: Any, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Seen:
    """One request through the ASGI *app*, as a server would send it; what the client saw."""
    if body:
        headers = {**headers, "Content-Length": str(len(body))}
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver"), *((k.lower().encode(), v.encode()) for k, v in headers.items())],
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict[str, Any]] = []

    done = asyncio.Event()

    async def receive():
        if incoming:
            return incoming.pop(0)
        await done.wait()  # the client stays connected until the response is complete
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            done.set()

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    got = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Seen(start["status"], content, {h: got[h.lower()] for h in HEADERS if h.lower() in got})


def wsgi(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Seen:
    """The same request through Django's WSGI handler (the test Client, as a DRF project's tests run)."""
    response = getattr(Client(), method.lower())(path, data=body, content_type="application/json", headers=headers)
    content = b"".join(response.streaming_content) if response.streaming else response.content  # bytes, as ASGI's
    return Seen(response.status_code, content, {h: response[h] for h in HEADERS if response.has_header(h)})


REQUESTS = [
    ("GET", "mw/ping/", {"Origin": ORIGIN}, b""),
    ("GET", "mw/ping/", {"Origin": "https://evil.example.com"}, b""),
    ("GET", "mw/ping/", {}, b""),
    ("OPTIONS", "mw/ping/", {"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                             "Access-Control-Request-Headers": "content-type, authorization"}, b""),
    ("POST", "mw/ping/", {"Origin": ORIGIN, "Content-Type": "application/json"}, b'{"a": 1}'),
]


@pytest.mark.parametrize(("method", "suffix", "headers", "body"), REQUESTS)
async def test_cors_answers_alike(app, method, suffix, headers, body):
    """CORS headers, preflight answers and the view's own answer are the same under AsyncHandler as under WSGI."""
    expected = await sync_to_async(wsgi)(method, f"/sync/{suffix}", headers, body)
    got = await asgi(app, method, f"/async/{suffix}", headers, body)
    assert got == expected
    if headers.get("Origin") == ORIGIN:
        assert got.headers["Access-Control-Allow-Origin"] == ORIGIN
    else:
        assert "Access-Control-Allow-Origin" not in got.headers


@pytest.mark.parametrize("headers", [{}, {"Accept-Encoding": "gzip"}, {"Origin": ORIGIN}])
async def test_whitenoise_serves_static_files_alike(app, headers):
    """
    WhiteNoise answers a static file (body, type, caching headers) under AsyncHandler as under
    WSGI. Its file response iterates synchronously, so Django's ASGI side reads the file whole
    and warns (WhiteNoise has no ASGI mode: evansd/whitenoise#179): the caveat in the README's
    table, pinned here so that the row is revisited when WhiteNoise changes.
    """
    expected = await sync_to_async(wsgi)("GET", "/static/ecosystem.css", headers)
    with pytest.warns(Warning, match="must consume synchronous iterators"):
        got = await asgi(app, "GET", "/static/ecosystem.css", headers)
    assert got == expected
    assert got.status == 200 and got.data == b"body { color: teal; }\n"
    assert got.headers["Content-Type"].startswith("text/css")


async def test_whitenoise_not_modified_alike(app):
    """A conditional request with WhiteNoise's ETag gets the same 304 under AsyncHandler as under WSGI."""
    with pytest.warns(Warning, match="must consume synchronous iterators"):
        etag = (await asgi(app, "GET", "/static/ecosystem.css", {})).headers["ETag"]
    expected = await sync_to_async(wsgi)("GET", "/static/ecosystem.css", {"If-None-Match": etag})
    with pytest.warns(Warning, match="must consume synchronous iterators"):  # WhiteNoise's 304 is a file response too
        got = await asgi(app, "GET", "/static/ecosystem.css", {"If-None-Match": etag})
    assert got == expected
    assert got.status == 304
