"""
`AsyncHandler` (drf_async.handler): Django's ASGI handler behaviours, kept; its threads,
pooled and bounded; its request bookkeeping, cheap. Every request goes through the real
handler (real middleware, URL resolver, ORM) driven by a minimal in-process ASGI server.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.core import signals
from django.core.handlers.asgi import ASGIHandler
from django.db import connection, transaction
from django.http import FileResponse, HttpResponse, JsonResponse, StreamingHttpResponse
from django.test import override_settings
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import permissions
from rest_framework.response import Response

from drf_async import handler as handler_module
from drf_async.body import RequestBody
from drf_async.handler import AsyncHandler, ThreadPool, get_asgi_application
from drf_async.views import AsyncAPIView
from tests import urls


@dataclass
class Exchange:
    """One request/response cycle through an ASGI application."""

    path: str = "/"
    method: str = "GET"
    body: bytes | list[bytes] = b""
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    query_string: bytes = b""
    root_path: str = ""
    # Offer the ``drf_async.response`` extension (AiohttpWorker's), as a server that turns
    # each whole response back into the ASGI messages it stands for.
    whole: bool = False
    sent: list[dict[str, Any]] = field(default_factory=list)
    wholes: int = 0

    def __post_init__(self) -> None:
        self.disconnected = asyncio.Event()
        self.started = asyncio.Event()
        chunks = self.body if isinstance(self.body, list) else [self.body]
        self._incoming = [
            {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1} for i, chunk in enumerate(chunks)
        ]

    @property
    def scope(self) -> dict[str, Any]:
        extensions = {"drf_async.response": {"respond": self.respond}} if self.whole else {}
        return {
            "extensions": extensions,
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": self.method,
            "scheme": "http",
            "path": self.root_path + self.path,
            "raw_path": (self.root_path + self.path).encode(),
            "query_string": self.query_string,
            "root_path": self.root_path,
            "headers": [(b"host", b"testserver"), *self.headers],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }

    async def receive(self) -> dict[str, Any]:
        if self._incoming:
            return self._incoming.pop(0)
        await self.disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        if message["type"] == "http.response.start":
            self.started.set()
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            self.disconnected.set()

    async def respond(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.wholes += 1
        encoded = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]
        await self.send({"type": "http.response.start", "status": status, "headers": encoded})
        await self.send({"type": "http.response.body", "body": body, "more_body": False})

    async def run(self, app: Any, timeout: float = 10) -> Exchange:
        await asyncio.wait_for(app(self.scope, self.receive, self.send), timeout)
        return self

    # What the client saw

    @property
    def status(self) -> int | None:
        starts = [m for m in self.sent if m["type"] == "http.response.start"]
        return starts[0]["status"] if starts else None

    @property
    def response_headers(self) -> list[tuple[bytes, bytes]]:
        starts = [m for m in self.sent if m["type"] == "http.response.start"]
        return list(starts[0]["headers"]) if starts else []

    @property
    def content(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")


# Views, served under /handler/


async def hello(request):
    return HttpResponse(b"hello", headers={"X-Path": request.path, "X-Path-Info": request.path_info})


def sync_hello(request):
    return HttpResponse(threading.current_thread().name)


async def headers_view(request):
    response = JsonResponse(
        {
            "accept": request.META.get("HTTP_ACCEPT"),
            "query": request.GET.dict(),
            "remote": request.META.get("REMOTE_ADDR"),
            "server": [request.META.get("SERVER_NAME"), request.META.get("SERVER_PORT")],
            "scheme": request.scheme,
            "reverse": reverse("handler-hello"),
        }
    )
    response.set_cookie("a", "1")
    response.set_cookie("b", "2")
    return response


@csrf_exempt
async def echo(request):
    # Before reading: request.body replaces the stream. AsyncHandler's RequestBody wraps
    # Django's spooled temporary file.
    stream = request._stream
    rolled = getattr(stream._file if isinstance(stream, RequestBody) else stream, "_rolled", False)
    return HttpResponse(request.body, headers={"X-Rolled": str(rolled)})


async def big(request):
    return HttpResponse(b"x" * int(request.GET["size"]))


async def stream(request):
    async def parts():
        for i in range(3):
            yield f"part{i};".encode()

    return StreamingHttpResponse(parts())


def file_view(request):
    return FileResponse(open(__file__, "rb"))


class Seen:
    """Thread and connection each ORM request used, and what the view saw."""

    threads: set[int] = set()
    wrappers: list[Any] = []
    cancelled: list[str] = []
    lock = threading.Lock()

    @classmethod
    def reset(cls) -> None:
        cls.threads, cls.wrappers, cls.cancelled = set(), [], []


def orm_work(delay: float = 0.0) -> int:
    count = User.objects.count()
    if delay:
        time.sleep(delay)
    with Seen.lock:
        Seen.threads.add(threading.get_ident())
        Seen.wrappers.append(connection)
    return count


async def orm(request):
    delay = float(request.GET.get("delay", 0))
    count = await sync_to_async(orm_work)(delay)
    return HttpResponse(str(count))


async def slow(request):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        Seen.cancelled.append(request.path)
        raise
    return HttpResponse(b"late")


def begin_and_insert(username: str) -> None:
    transaction.set_autocommit(False)
    User.objects.create(username=username)


async def uncommitted(request):
    await sync_to_async(begin_and_insert)(request.GET["name"])
    return await slow(request)


class DRFHello(AsyncAPIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    async def get(self, request):
        return Response({"hello": "world"})


class DRFQuerySet(AsyncAPIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    async def get(self, request):
        # Lazy: JSONRenderer evaluates it, which must happen in a thread, not on the loop.
        return Response(User.objects.values_list("username", flat=True))


urls.urlpatterns += [
    path("handler/hello/", hello, name="handler-hello"),
    path("handler/sync/", sync_hello),
    path("handler/headers/", headers_view),
    path("handler/echo/", echo),
    path("handler/big/", big),
    path("handler/stream/", stream),
    path("handler/file/", file_view),
    path("handler/orm/", orm),
    path("handler/slow/", slow),
    path("handler/uncommitted/", uncommitted),
    path("handler/drf/", DRFHello.as_view()),
    path("handler/drf-queryset/", DRFQuerySet.as_view()),
]


@pytest.fixture
def handler():
    app = AsyncHandler(max_threads=8)
    Seen.reset()
    yield app
    for future in app.thread_pool.shutdown():
        future.result(timeout=5)


@pytest.fixture
def receivers():
    """Record request_started/request_finished deliveries (and the thread each ran on)."""
    calls: list[tuple[str, int]] = []

    def started(**kwargs):
        calls.append(("started", threading.get_ident()))

    def finished(**kwargs):
        calls.append(("finished", threading.get_ident()))

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    yield calls
    signals.request_started.disconnect(started)
    signals.request_finished.disconnect(finished)


def seen(exchange: Exchange) -> tuple[Any, ...]:
    headers = [(k.lower(), v) for k, v in exchange.response_headers]
    return exchange.status, sorted(headers), exchange.content


# Django's handler behaviours, kept


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"path": "/handler/hello/"},
        {"path": "/handler/drf/", "headers": [(b"accept", b"application/json")]},
        {
            "path": "/handler/headers/",
            "query_string": b"a=1&b=%C3%A9",
            "headers": [(b"accept", b"a"), (b"accept", b"b")],
        },
        {"path": "/handler/echo/", "method": "POST", "body": [b"abc", b"def"]},
        {"path": "/handler/stream/"},
        {"path": "/handler/file/"},
        {"path": "/handler/missing/"},
        {"path": "/handler/hello/", "query_string": b"%FF=\\xff"},
        {"path": "/handler/hello/", "root_path": "/prefix"},
        {"path": "/handler/headers/", "root_path": "/prefix"},
        {"path": "/handler/big/", "query_string": b"size=65536"},
        {"path": "/handler/drf/", "method": "HEAD"},
    ],
)
@pytest.mark.parametrize("whole", [False, True], ids=["asgi-messages", "drf_async.response"])
@pytest.mark.django_db
async def test_same_response_as_djangos_handler(handler, request_kwargs, whole):
    """
    Status, headers (both Set-Cookie kept) and body equal Django's ASGIHandler's on the same
    request, in ASGI messages or, offered the ``drf_async.response`` extension, through it
    for every response Django sends in one body message.
    """
    ours = await Exchange(**request_kwargs, whole=whole).run(handler)
    djangos = await Exchange(**request_kwargs).run(ASGIHandler())
    assert seen(ours) == seen(djangos)
    assert ours.status is not None
    one_message = len([m for m in djangos.sent if m["type"] == "http.response.body"]) == 1
    assert ours.wholes == (1 if whole and one_message else 0)


@pytest.mark.django_db
async def test_response_past_chunk_size_is_sent_in_asgi_messages(handler):
    """A body Django sends in several messages (past ``chunk_size``) is sent as Django sends it."""
    size = str(handler.chunk_size + 1).encode()
    ours = await Exchange(path="/handler/big/", query_string=b"size=" + size, whole=True).run(handler)
    djangos = await Exchange(path="/handler/big/", query_string=b"size=" + size).run(ASGIHandler())
    assert ours.wholes == 0
    assert len(djangos.sent) == 3 and ours.sent == djangos.sent


async def test_overridden_send_response_is_always_called():
    """A handler subclass's own send_response() sends every response, the extension offered or not."""

    class Tagging(AsyncHandler):
        async def send_response(self, response, send):
            response["X-Sent-By"] = "subclass"
            await super().send_response(response, send)

    app = Tagging(max_threads=2)
    try:
        exchange = await Exchange(path="/handler/hello/", whole=True).run(app)
    finally:
        app.thread_pool.shutdown()
    assert exchange.wholes == 0
    assert (b"X-Sent-By", b"subclass") in exchange.response_headers


async def test_repeated_request_headers_and_cookies(handler):
    """Repeated request headers are joined with "," and two cookies give two Set-Cookie headers."""
    exchange = await Exchange(path="/handler/headers/", headers=[(b"accept", b"a"), (b"accept", b"b")]).run(handler)
    assert exchange.status == 200
    assert b'"accept": "a,b"' in exchange.content
    cookies = [v for k, v in exchange.response_headers if k.lower() == b"set-cookie"]
    assert [c.split(b";")[0] for c in cookies] == [b"a=1", b"b=2"]


async def test_root_path_sets_script_prefix(handler):
    """root_path becomes SCRIPT_NAME: request.path keeps it, path_info drops it, reverse() adds it."""
    exchange = await Exchange(path="/handler/headers/", root_path="/api").run(handler)
    assert b'"reverse": "/api/handler/hello/"' in exchange.content
    exchange = await Exchange(path="/handler/hello/", root_path="/api").run(handler)
    assert (b"X-Path", b"/api/handler/hello/") in exchange.response_headers
    assert (b"X-Path-Info", b"/handler/hello/") in exchange.response_headers


@override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=10)
async def test_body_spools_to_disk_past_file_upload_max_memory_size(handler):
    """A body larger than FILE_UPLOAD_MAX_MEMORY_SIZE is spooled to a temporary file; a small one is not."""
    big = await Exchange(path="/handler/echo/", method="POST", body=[b"x" * 8, b"y" * 8]).run(handler)
    assert big.content == b"x" * 8 + b"y" * 8
    assert (b"X-Rolled", b"True") in big.response_headers
    small = await Exchange(path="/handler/echo/", method="POST", body=b"tiny").run(handler)
    assert (b"X-Rolled", b"False") in small.response_headers


async def test_streaming_response_is_sent_in_parts(handler):
    """A streaming response is sent as several more_body messages and an empty final one."""
    exchange = await Exchange(path="/handler/stream/").run(handler)
    bodies = [m for m in exchange.sent if m["type"] == "http.response.body"]
    assert [m.get("body", b"") for m in bodies] == [b"part0;", b"part1;", b"part2;", b""]
    assert [m.get("more_body", False) for m in bodies] == [True, True, True, False]


async def test_disconnect_while_reading_body_sends_nothing(handler, receivers):
    """A client that leaves before the body is complete gets no response and no signal fires."""
    exchange = Exchange(path="/handler/echo/", method="POST", body=[b"a", b"b"])
    exchange._incoming = exchange._incoming[:1]
    exchange.disconnected.set()
    await exchange.run(handler)
    assert exchange.sent == []
    assert receivers == []


async def test_websocket_scope_is_refused(handler):
    """Like Django's handler, AsyncHandler refuses non-HTTP connections with ValueError."""
    with pytest.raises(ValueError, match="Django can only handle ASGI/HTTP connections, not websocket"):
        await handler({"type": "websocket"}, None, None)


async def test_assertion_in_listen_for_disconnect_propagates(handler):
    """An ASGI message other than http.disconnect after the body raises AssertionError, as in Django."""

    class Confused(Exchange):
        async def receive(self):
            if self._incoming:
                return self._incoming.pop(0)
            return {"type": "http.request"}

    with pytest.raises(AssertionError, match="Invalid ASGI message after request body: http.request"):
        await Confused(path="/handler/slow/").run(handler)


async def test_get_asgi_application_returns_async_handler():
    """get_asgi_application() is the drop-in for django.core.asgi's and returns an AsyncHandler."""
    app = get_asgi_application()
    assert isinstance(app, AsyncHandler)
    assert (await Exchange(path="/handler/hello/").run(app)).content == b"hello"


# Request bookkeeping


async def test_request_without_sync_work_takes_no_thread():
    """
    An async view behind async middleware, with only Django's own signal receivers
    connected, never takes a thread (Django's MiddlewareMixin middleware, in async mode,
    hops to one for each process_request/process_response).
    """
    with override_settings(MIDDLEWARE=[]):
        app = AsyncHandler()
    for _ in range(20):
        assert (await Exchange(path="/handler/hello/").run(app)).status == 200
    # The pool's own count: the process's (threading.active_count()) includes other tests' threads still ending.
    assert app.thread_pool.threads == 0


async def test_drf_json_response_is_rendered_on_the_loop():
    """A DRF Response with JSONRenderer is rendered inline: an AsyncAPIView request takes no thread."""
    with override_settings(MIDDLEWARE=[]):
        app = AsyncHandler()
    for _ in range(5):
        exchange = await Exchange(path="/handler/drf/", headers=[(b"accept", b"application/json")]).run(app)
        assert (exchange.status, exchange.content) == (200, b'{"hello":"world"}')
    assert app.thread_pool.threads == 0


@pytest.mark.django_db(transaction=True)
async def test_lazy_queryset_in_response_data_is_rendered_in_a_thread():
    """Response data that queries the database when rendered falls back to rendering in a thread."""
    await User.objects.acreate(username="alice")
    with override_settings(MIDDLEWARE=[]):
        app = AsyncHandler()
    exchange = await Exchange(path="/handler/drf-queryset/", headers=[(b"accept", b"application/json")]).run(app)
    assert (exchange.status, exchange.content) == (200, b'["alice"]')
    assert app.thread_pool.threads == 1


async def test_one_sync_receiver_costs_one_hop_each(receivers):
    """A user's sync receivers on the request signals run on the request's (one) thread."""
    with override_settings(MIDDLEWARE=[]):
        app = AsyncHandler()
    await Exchange(path="/handler/hello/").run(app)
    assert [name for name, _ in receivers] == ["started", "finished"]
    assert app.thread_pool.threads == 1
    assert receivers[0][1] == receivers[1][1] != threading.get_ident()


async def test_signals_fire_once_per_request(handler, receivers):
    """request_started and request_finished each fire once per request, completed or not."""
    await Exchange(path="/handler/hello/").run(handler)
    assert [name for name, _ in receivers] == ["started", "finished"]
    receivers.clear()
    exchange = Exchange(path="/handler/slow/")
    task = asyncio.ensure_future(exchange.run(handler))
    await asyncio.sleep(0.05)
    exchange.disconnected.set()
    await task
    assert [name for name, _ in receivers] == ["started", "finished"]


@pytest.mark.django_db(transaction=True)
async def test_sync_receivers_run_on_the_requests_thread(handler, receivers):
    """Sync receivers of both signals run on the thread that ran the request's ORM work."""
    exchange = await Exchange(path="/handler/orm/").run(handler)
    assert exchange.status == 200
    assert [name for name, _ in receivers] == ["started", "finished"]
    assert {ident for _, ident in receivers} == Seen.threads


@pytest.mark.django_db(transaction=True)
async def test_threads_are_reused_across_requests(handler):
    """Sequential requests doing ORM work reuse one pooled thread: no thread per request."""
    for _ in range(20):
        assert (await Exchange(path="/handler/orm/").run(handler)).status == 200
    assert len(Seen.threads) == 1
    assert handler.thread_pool.threads == 1


@pytest.mark.django_db(transaction=True)
async def test_connection_is_closed_at_request_end(handler):
    """With CONN_MAX_AGE=0, request_finished closes the connection the request's thread used."""
    await Exchange(path="/handler/orm/").run(handler)
    assert len(Seen.wrappers) == 1
    assert Seen.wrappers[0].connection is None


@pytest.mark.django_db(transaction=True)
async def test_thread_count_stays_bounded_under_200_concurrent_requests(handler):
    """200 concurrent requests doing sync ORM work run on at most max_threads threads and connections."""
    exchanges = [Exchange(path="/handler/orm/", query_string=b"delay=0.01") for _ in range(200)]
    await asyncio.wait_for(asyncio.gather(*(e.run(handler, timeout=30) for e in exchanges)), 60)
    assert [e.status for e in exchanges] == [200] * 200
    assert len(Seen.threads) <= 8
    assert handler.thread_pool.threads <= 8
    # PostgreSQL's count of the pool's connections: tests/test_threads.py (client and server side).


@pytest.mark.django_db(transaction=True)
async def test_exhausted_pool_queues_requests():
    """With one thread, concurrent requests wait for it in turn and all complete."""
    app = AsyncHandler(max_threads=1)
    Seen.reset()
    exchanges = [Exchange(path="/handler/orm/", query_string=b"delay=0.02") for _ in range(5)]
    await asyncio.gather(*(e.run(app) for e in exchanges))
    assert [e.status for e in exchanges] == [200] * 5
    assert len(Seen.threads) == 1
    app.thread_pool.shutdown()


# Client disconnect


async def test_disconnect_cancels_the_view(handler):
    """A client disconnect cancels the view (it sees CancelledError) and nothing is sent."""
    exchange = Exchange(path="/handler/slow/")
    task = asyncio.ensure_future(exchange.run(handler))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    exchange.disconnected.set()
    await task
    assert time.monotonic() - started < 1
    assert Seen.cancelled == ["/handler/slow/"]
    assert exchange.sent == []


@pytest.mark.django_db(transaction=True)
async def test_disconnect_rolls_back_the_views_transaction(handler):
    """A view cancelled inside an uncommitted transaction leaves no row, and its thread is clean for reuse."""
    exchange = Exchange(path="/handler/uncommitted/", query_string=b"name=ghost")
    task = asyncio.ensure_future(exchange.run(handler))
    for _ in range(100):
        if handler.thread_pool.threads:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)
    exchange.disconnected.set()
    await task
    assert Seen.cancelled == ["/handler/uncommitted/"]
    # The same (only) pooled thread serves the next request, in autocommit mode again.
    assert (await Exchange(path="/handler/orm/").run(handler)).content == b"0"
    assert not await User.objects.filter(username="ghost").aexists()


# Threads and lifespan


async def test_lifespan_shutdown_closes_thread_connections(transactional_db):
    """lifespan.shutdown closes the pooled threads' database connections and stops them."""
    app = AsyncHandler(max_threads=2)
    Seen.reset()
    messages = [{"type": "lifespan.startup"}]
    sent: list[dict[str, Any]] = []
    shutdown = asyncio.Event()

    async def receive():
        if messages:
            return messages.pop(0)
        await shutdown.wait()
        return {"type": "lifespan.shutdown"}

    async def send(message):
        sent.append(message)

    lifespan = asyncio.ensure_future(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    await asyncio.sleep(0)
    await Exchange(path="/handler/orm/").run(app)
    threads = list(app.thread_pool._threads)
    shutdown.set()
    await asyncio.wait_for(lifespan, 5)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    for thread in threads:
        thread.join(timeout=5)
        assert not thread.is_alive()
    assert app.thread_pool.threads == 0


@pytest.mark.django_db(transaction=True)
async def test_legacy_asgiref_context_uses_the_pool(handler, monkeypatch):
    """On asgiref without ThreadSensitiveContext(executor=), requests still run on the bounded pool."""
    monkeypatch.setattr(handler_module, "_CONTEXT_TAKES_EXECUTOR", False)
    # Outside a test runner's async_to_sync, as under a server: run in a fresh event loop thread.
    results: list[int | None] = []

    def serve() -> None:
        async def main():
            for _ in range(5):
                results.append((await Exchange(path="/handler/orm/").run(handler)).status)

        asyncio.run(main())

    thread = threading.Thread(target=serve)
    thread.start()
    thread.join(timeout=20)
    assert results == [200] * 5
    assert len(Seen.threads) == 1
    assert handler.thread_pool.threads == 1


def test_thread_pool_rejects_zero_threads():
    """A pool needs at least one thread."""
    with pytest.raises(ValueError):
        ThreadPool(0)


# ATOMIC_REQUESTS


class CreatesUser(AsyncAPIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    async def post(self, request):
        await User.objects.acreate(username=request.query_params["name"])
        outcome = request.query_params.get("then")
        if outcome == "invalid":
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"name": ["Changed my mind."]})
        if outcome == "crash":
            raise ZeroDivisionError
        return Response({"created": True}, status=201)


urls.urlpatterns += [path("handler/atomic/", CreatesUser.as_view())]


@pytest.fixture
def atomic_requests(monkeypatch):
    from django.db import connections

    monkeypatch.setitem(connections.settings["default"], "ATOMIC_REQUESTS", True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("then, status, kept", [("ok", 201, True), ("invalid", 400, False), ("crash", 500, False)])
async def test_atomic_requests_wrap_async_views_in_one_transaction(handler, atomic_requests, then, status, kept):
    """
    With ATOMIC_REQUESTS (which Django's ASGI handler refuses for async views) the view's
    writes commit with a success, and roll back on an API error (DRF's set_rollback) or a crash.
    """
    exchange = Exchange(path="/handler/atomic/", method="POST", query_string=f"name=u-{then}&then={then}".encode())
    await exchange.run(handler)
    assert exchange.status == status
    assert await User.objects.filter(username=f"u-{then}").aexists() is kept
    # The thread is clean for the next request: autocommit, no transaction left open.
    assert (await Exchange(path="/handler/orm/").run(handler)).status == 200


def test_handler_imports_before_settings_are_configured(tmp_path):
    """Django's asgi.py template imports get_asgi_application before setting DJANGO_SETTINGS_MODULE."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "asgi_first.py").write_text(
        "import os\n"
        "from drf_async.handler import get_asgi_application\n"
        "import drf_async.worker\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'sampleapi.settings')\n"
        "application = get_asgi_application()\n"
        "print(type(application).__name__)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    result = subprocess.run([sys.executable, str(tmp_path / "asgi_first.py")], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "AsyncHandler"


# Django's own middleware, inline when it has no I/O to do


@csrf_exempt
async def session_counter(request):
    count = await request.session.aget("count", 0)
    if request.method == "POST":
        await request.session.aset("count", count + 1)
    return HttpResponse(str(count))


async def csrf_protected(request):
    return HttpResponse(b"passed csrf")


@csrf_exempt
async def flash(request):
    from django.contrib import messages

    if request.method == "POST":
        messages.info(request, "saved")
        return HttpResponse(b"queued")
    return HttpResponse(",".join(str(m) for m in messages.get_messages(request)).encode())


urls.urlpatterns += [
    path("handler/flash/", flash),
    path("handler/session/", session_counter),
    path("handler/csrf/", csrf_protected),
]


def _cookies(exchange: Exchange) -> dict[str, bytes]:
    return {
        value.split(b"=", 1)[0].decode(): value.split(b";", 1)[0].split(b"=", 1)[1]
        for name, value in exchange.response_headers
        if name.lower() == b"set-cookie"
    }


async def test_default_middleware_stack_takes_no_thread_for_a_pure_request(hops):
    """Session, Common, Csrf, Authentication and Message middleware (tests' MIDDLEWARE): no hop on a plain GET."""
    app = AsyncHandler()
    for path_ in ("/handler/drf/", "/handler/hello/", "/handler/csrf/"):
        exchange = await Exchange(path=path_, headers=[(b"accept", b"application/json")]).run(app)
        assert exchange.status == 200
    assert hops == [] and app.thread_pool.threads == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("csrf_use_sessions", [False, True])
async def test_middleware_that_must_do_io_still_does(csrf_use_sessions):
    """
    A modified session is saved and its cookie set; a POST without a CSRF token is refused; a
    message added is stored and shown next time; each as under Django's ASGIHandler (also with
    CSRF_USE_SESSIONS, where Csrf needs the session).
    """
    with override_settings(CSRF_USE_SESSIONS=csrf_use_sessions):
        for app in (AsyncHandler(), ASGIHandler()):
            first = await Exchange(path="/handler/session/", method="POST").run(app)
            assert (first.status, first.content) == (200, b"0")
            cookie = b"sessionid=" + _cookies(first)["sessionid"]
            second = await Exchange(path="/handler/session/", method="POST", headers=[(b"cookie", cookie)]).run(app)
            assert second.content == b"1"
            third = await Exchange(path="/handler/session/", headers=[(b"cookie", cookie)]).run(app)
            assert third.content == b"2"
            refused = await Exchange(path="/handler/csrf/", method="POST", body=b"x=1",
                                     headers=[(b"content-type", b"application/x-www-form-urlencoded")]).run(app)
            assert refused.status == 403
            assert (await Exchange(path="/handler/csrf/").run(app)).content == b"passed csrf"
            queued = await Exchange(path="/handler/flash/", method="POST").run(app)
            cookie = b"messages=" + _cookies(queued)["messages"]
            shown = await Exchange(path="/handler/flash/", headers=[(b"cookie", cookie)]).run(app)
            assert shown.content == b"saved"


@pytest.mark.parametrize("request_kwargs", [
    {"path": "/handler/csrf/"},
    {"path": "/handler/hello"},  # CommonMiddleware's APPEND_SLASH redirect
    {"path": "/handler/csrf/", "method": "POST"},
    {"path": "/handler/drf/", "headers": [(b"cookie", b"sessionid=nonexistent12345678")]},
])
@pytest.mark.django_db
async def test_inline_middleware_answers_as_djangos_handler(handler, request_kwargs):
    """Same status, headers (Vary, cookies, redirects) and body as Django's handler with its hops."""
    ours = await Exchange(**request_kwargs).run(handler)
    djangos = await Exchange(**request_kwargs).run(ASGIHandler())
    assert seen(ours) == seen(djangos)
