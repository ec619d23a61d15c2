"""
`drf_async.threads` through `AsyncHandler`: a request holds a pooled thread only while it
runs sync code or keeps a transaction or a chunked cursor open on it, so views that query
the database and then await scale like await-only views, on a bounded number of threads
and connections.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group, User
from django.db import connection, connections, transaction
from django.db.backends.signals import connection_created
from django.http import HttpResponse, JsonResponse
from django.test import override_settings
from django.urls import path
from django.utils.deprecation import MiddlewareMixin
from rest_framework import permissions
from rest_framework.response import Response

from drf_async.handler import AsyncHandler, default_threads
from drf_async.views import AsyncAPIView
from tests import urls
from tests.test_handler import Exchange

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs DATABASE_URL (PostgreSQL)")


class Seen:
    """What the views saw: threads their sync calls ran on, per request."""

    threads: dict[str, list[int]] = {}
    rows: dict[str, list[int]] = {}
    busy_after: list[int] = []
    pool: Any = None
    others_done: asyncio.Event | None = None

    @classmethod
    def reset(cls, pool: Any = None) -> None:
        cls.threads, cls.rows, cls.busy_after, cls.pool, cls.others_done = {}, {}, [], pool, None


def _ident() -> int:
    return threading.get_ident()


# Views, served under /threads/


async def query_then_wait(request):
    """The common async view: a little database work, then a wait on something else."""
    count = await User.objects.acount()
    await asyncio.sleep(float(request.GET.get("wait", 0.5)))
    return HttpResponse(str(count))


async def query(request):
    return HttpResponse(str(await Group.objects.acount()))


async def rows_with_awaits(request):
    """Iterates a query with aiterator() in small chunks, awaiting (and calling sync code) between rows."""
    key = request.GET["key"]
    Seen.rows[key], Seen.threads[key] = [], []
    chunk_size = int(request.GET.get("chunk", 3))
    async for group in Group.objects.order_by("pk").aiterator(chunk_size=chunk_size):
        Seen.rows[key].append(group.pk)
        Seen.threads[key].append(await sync_to_async(_ident)())
        await asyncio.sleep(0.002)
        if "stop" in request.GET and len(Seen.rows[key]) == int(request.GET["stop"]):
            break
    # After the iteration (exhausted or left): the request holds no thread while it waits.
    await asyncio.sleep(0.02)
    if Seen.others_done is not None:
        await Seen.others_done.wait()
    Seen.busy_after.append(Seen.pool.busy)
    return JsonResponse({"rows": len(Seen.rows[key])})


def enter_atomic_and_create(username: str) -> None:
    """A sync step that leaves a transaction open when it returns."""
    transaction.atomic().__enter__()
    User.objects.create(username=username)


async def leaves_atomic_open(request):
    await sync_to_async(enter_atomic_and_create)(request.GET["name"])
    await Gates.wait(request.GET["name"], 10)
    return HttpResponse(b"late")


class WritesAwaitsWrites(AsyncAPIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    async def post(self, request):
        name = request.query_params["name"]
        await User.objects.acreate(username=f"{name}-1")
        await Gates.wait(name, float(request.query_params.get("wait", 0.3)))
        await User.objects.acreate(username=f"{name}-2")
        if request.query_params.get("then") == "fail":
            raise ZeroDivisionError
        return Response({"created": 2}, status=201)


_local = threading.local()


class ThreadLocalUserMiddleware(MiddlewareMixin):
    """Third-party style: the current user kept in threading.local by process_request()."""

    def process_request(self, request):
        _local.user = request.headers.get("X-User")


def local_user() -> str | None:
    return getattr(_local, "user", None)


async def reads_thread_local(request):
    await Gates.wait(request.headers["X-User"])
    return HttpResponse(str(await sync_to_async(local_user)()))


async def query_then_gate(request):
    count = await User.objects.acount()
    await Gates.wait("query")
    return HttpResponse(str(count))


class Gates:
    """Events views wait on, by key, so that a test decides when a request goes on (no timing)."""

    events: dict[str, asyncio.Event] = {}
    arrived: list[str] = []

    @classmethod
    def reset(cls, *keys: str) -> None:
        cls.events, cls.arrived = {key: asyncio.Event() for key in keys}, []

    @classmethod
    async def wait(cls, key: str, otherwise: float = 0) -> None:
        """Wait for the test to open gate *key*; with no such gate, sleep *otherwise* seconds."""
        event = cls.events.get(key)
        if event is None:
            await asyncio.sleep(otherwise)
            return
        cls.arrived.append(key)
        await event.wait()

    @classmethod
    async def until_arrived(cls, *keys: str) -> None:
        while cls.arrived != list(keys):
            await asyncio.sleep(0.005)


async def pooled_query_then_wait(request):
    count = await Group.objects.using("pooled").acount()
    await asyncio.sleep(0.1)
    return HttpResponse(str(count))


urls.urlpatterns += [
    path("threads/pooled/", pooled_query_then_wait),
    path("threads/query-then-wait/", query_then_wait),
    path("threads/query/", query),
    path("threads/query-then-gate/", query_then_gate),
    path("threads/rows/", rows_with_awaits),
    path("threads/leaves-atomic-open/", leaves_atomic_open),
    path("threads/writes/", WritesAwaitsWrites.as_view()),
    path("threads/local/", reads_thread_local),
]


@pytest.fixture
def handler():
    with override_settings(MIDDLEWARE=[]):
        app = AsyncHandler(max_threads=4)
    Seen.reset(app.thread_pool)
    Gates.reset()
    yield app
    for future in app.thread_pool.shutdown():
        future.result(timeout=5)


@pytest.fixture(params=[0, 60], ids=["CONN_MAX_AGE=0", "CONN_MAX_AGE=60"])
def conn_max_age(request, monkeypatch):
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", request.param)
    return request.param


class Opened:
    """The DB-API connections Django opens on pooled threads meanwhile, and their PostgreSQL backends."""

    def __init__(self) -> None:
        self.raw: weakref.WeakSet[Any] = weakref.WeakSet()
        self.backends: set[int] = set()

    def record(self, connection: Any, **kwargs: Any) -> None:
        if connection.vendor == "postgresql" and threading.current_thread().name.startswith(AsyncHandler.__name__):
            self.raw.add(connection.connection)
            self.backends.add(connection.connection.info.backend_pid)

    def open(self) -> int:
        return sum(not raw.closed for raw in list(self.raw))

    def listed(self) -> int:
        """How many of their backends PostgreSQL lists (a backend lingers a moment after its client closed it)."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [list(self.backends)])
            return cursor.fetchone()[0]


@pytest.fixture
def opened():
    recorder = Opened()
    connection_created.connect(recorder.record)
    yield recorder
    connection_created.disconnect(recorder.record)


async def watch_connections(done: asyncio.Event, opened: Opened, peaks: dict[str, list[int]]) -> None:
    """Every 10 ms until *done*: connections open on the client side, and listed on the server's."""
    listed = sync_to_async(opened.listed)
    while not done.is_set():
        peaks["open"].append(opened.open())
        peaks["server"].append(await listed())
        await asyncio.sleep(0.01)


async def backends_gone(opened: Opened, timeout: float = 5) -> bool:
    """True once PostgreSQL lists none of the pooled threads' backends (closed ones exit soon after)."""
    deadline = time.monotonic() + timeout
    while await sync_to_async(opened.listed)():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


# Giving threads back


@pytest.mark.django_db(transaction=True)
async def test_views_that_query_then_await_scale_like_await_only_views(handler, conn_max_age, opened):
    """
    200 concurrent requests that each make an ORM query and then await 0.5 s finish in well
    under 2 s on 4 threads (holding a thread across the wait would take 25 s); the pool
    never starts more than 4 threads, and PostgreSQL never sees more than 4 connections
    from them, none left once the handler shuts down.
    """
    await User.objects.acreate(username="alice")
    done, peaks = asyncio.Event(), {"open": [], "server": []}
    postgresql = connection.vendor == "postgresql"
    watcher = asyncio.ensure_future(watch_connections(done, opened, peaks)) if postgresql else None
    exchanges = [Exchange(path="/threads/query-then-wait/") for _ in range(200)]
    started = time.monotonic()
    await asyncio.gather(*(e.run(handler, timeout=30) for e in exchanges))
    elapsed = time.monotonic() - started
    done.set()
    assert [(e.status, e.content) for e in exchanges] == [(200, b"1")] * 200
    assert elapsed < 3, elapsed  # ~0.7 s on a quiet machine; held threads would need >= 25 s
    assert handler.thread_pool.threads <= 4
    assert handler.thread_pool.busy == 0
    if watcher is not None:
        await watcher
        assert max(peaks["open"]) <= 4, peaks["open"]
        if conn_max_age:  # reused: no backend comes and goes, so the server's count is exact
            assert max(peaks["server"]) <= 4, peaks["server"]
        await handler.aclose()
        assert opened.open() == 0
        assert await backends_gone(opened)


@pytest.mark.django_db(transaction=True)
async def test_a_query_costs_one_hop_and_no_thread_after_it(handler, hops):
    """
    A request that makes one query pays one thread hop in all (Django's request_started
    bookkeeping runs inside it, request_finished on the loop), and holds no thread once
    the query returned.
    """
    Gates.reset("query")
    exchange = Exchange(path="/threads/query-then-gate/")
    task = asyncio.ensure_future(exchange.run(handler))
    await Gates.until_arrived("query")
    assert handler.thread_pool.busy == 0
    Gates.events["query"].set()
    await task
    assert exchange.status == 200
    assert len(hops) == 1


@pytest.mark.django_db(transaction=True)
async def test_persistent_connections_are_reused_across_threads_given_back(handler, monkeypatch):
    """With CONN_MAX_AGE > 0 a thread keeps its connection between requests' calls: no connection per call."""
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 60)
    seen: list[Any] = []

    def raw_connection() -> Any:
        User.objects.count()
        return id(connection.connection)

    for _ in range(5):
        await Exchange(path="/threads/query/").run(handler)
    # The one pooled thread (LIFO reuse) kept one DB-API connection open through all five.
    for _ in range(3):
        seen.append(await asyncio.wrap_future(handler.thread_pool.lane().submit(raw_connection)))
    assert len(set(seen)) == 1
    assert handler.thread_pool.threads == 1


@pytest.mark.django_db(transaction=True)
async def test_connections_are_closed_on_each_thread_given_back_with_conn_max_age_0(handler):
    """CONN_MAX_AGE=0: the connection a request's call opened is closed when the thread is given back."""
    wrappers: list[Any] = []

    def query_and_keep_wrapper() -> None:
        User.objects.count()
        wrappers.append(connection)

    lane = handler.thread_pool.lane()
    await asyncio.wrap_future(lane.submit(query_and_keep_wrapper))
    lane.close()
    assert wrappers[0].connection is None


@pytest.mark.parametrize(
    "pool, threads, expected",
    [
        (None, None, 32),
        (True, None, 4),  # psycopg_pool's default size
        ({"min_size": 2, "max_size": 6}, None, 6),
        ({"min_size": 2, "max_size": 64}, None, 32),
        ({"min_size": 2, "max_size": 6}, 10, 10),  # DRF_ASYNC_THREADS wins when set
    ],
)
def test_default_threads_follow_the_connection_pool(monkeypatch, pool, threads, expected):
    """By default the pool never starts more threads than Django's connection pool has connections."""
    if pool is not None:
        options = {**connections.settings["default"].get("OPTIONS", {}), "pool": pool}
        monkeypatch.setitem(connections.settings["default"], "OPTIONS", options)
    with override_settings(DRF_ASYNC_THREADS=threads) if threads else override_settings():
        assert default_threads() == expected
        assert AsyncHandler().thread_pool.max_threads == expected


@postgresql_only
async def test_djangos_postgresql_connection_pool_serves_the_threads(django_db_setup, django_db_blocker, monkeypatch):
    """
    With Django's PostgreSQL pool (OPTIONS["pool"], psycopg_pool) each thread takes a pooled
    connection for a call and returns it when the request gives the thread back: 4 threads
    share a pool of 2 connections, 100 requests that query then await all succeed, and the
    pool never opens more than its 2 connections.
    """
    default = connections.settings["default"]
    pooled = {
        **default,
        "CONN_MAX_AGE": 0,
        "OPTIONS": {**default.get("OPTIONS", {}), "pool": {"min_size": 1, "max_size": 2, "timeout": 20}},
    }
    monkeypatch.setitem(connections.settings, "pooled", pooled)
    with override_settings(MIDDLEWARE=[]):
        app = AsyncHandler(max_threads=4)
    # Outside a test transaction: Django's test case refuses an alias it was not told of.
    with django_db_blocker.unblock():
        try:
            exchanges = [Exchange(path="/threads/pooled/") for _ in range(100)]
            await asyncio.gather(*(e.run(app, timeout=30) for e in exchanges))
            assert [e.status for e in exchanges] == [200] * 100
            stats = connections["pooled"].pool.get_stats()
            assert stats["pool_max"] == 2
            assert stats["connections_num"] <= 2, stats
            assert app.thread_pool.threads == 4
        finally:
            for future in app.thread_pool.shutdown():
                future.result(timeout=5)
            connections["pooled"].close_pool()
            del connections["pooled"]


# What keeps a thread: transactions and chunked cursors


@pytest.fixture
def atomic_requests(monkeypatch):
    monkeypatch.setitem(connections.settings["default"], "ATOMIC_REQUESTS", True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("then, status, kept", [("ok", 201, 2), ("fail", 500, 0)])
async def test_atomic_request_keeps_its_thread_while_others_run(handler, atomic_requests, then, status, kept):
    """
    ATOMIC_REQUESTS: a view that writes, awaits, writes and then fails leaves neither row;
    without the failure both commit. The transaction holds one thread throughout, and other
    requests run on the other threads meanwhile.
    """
    Gates.reset(f"w-{then}")
    writer = Exchange(path="/threads/writes/", method="POST", query_string=f"name=w-{then}&then={then}".encode())
    task = asyncio.ensure_future(writer.run(handler))
    await Gates.until_arrived(f"w-{then}")  # between its two writes
    assert handler.thread_pool.busy == 1
    others = [Exchange(path="/threads/query/") for _ in range(20)]
    await asyncio.gather(*(e.run(handler) for e in others))
    assert [e.status for e in others] == [200] * 20
    Gates.events[f"w-{then}"].set()
    await task
    assert writer.status == status
    assert await User.objects.filter(username__startswith=f"w-{then}-").acount() == kept
    assert handler.thread_pool.busy == 0


async def create_groups(count: int) -> None:
    await Group.objects.abulk_create([Group(name=f"g{i:03}") for i in range(count)])


@pytest.mark.django_db(transaction=True)
async def test_aiterator_keeps_its_cursors_thread_while_other_requests_query(handler):
    """
    aiterator() over more rows than one chunk, awaiting between rows while 50 other requests
    query: every row arrives, in order, with no cursor error (on PostgreSQL a named cursor on
    one connection), every sync call between rows runs on the cursor's thread, and the
    request gives the thread back once the iteration is over.
    """
    await create_groups(21)  # 7 chunks of 3: the cursor stays open until every row has been yielded
    expected = [pk async for pk in Group.objects.order_by("pk").values_list("pk", flat=True)]
    iterating = Exchange(path="/threads/rows/", query_string=b"key=all&chunk=3")
    others = [Exchange(path="/threads/query/") for _ in range(50)]
    Seen.others_done = asyncio.Event()

    async def run_others() -> None:
        await asyncio.gather(*(e.run(handler) for e in others))
        Seen.others_done.set()

    await asyncio.gather(iterating.run(handler), run_others())
    assert iterating.status == 200, iterating.content
    assert Seen.rows["all"] == expected
    assert len(set(Seen.threads["all"])) == 1
    assert [e.status for e in others] == [200] * 50
    assert Seen.busy_after == [0]


@pytest.mark.django_db(transaction=True)
async def test_aiterator_left_early_gives_the_thread_back_once_closed(handler):
    """Breaking out of an aiterator() loop (its generators closed) lets the request give its thread back."""
    await create_groups(20)
    exchange = Exchange(path="/threads/rows/", query_string=b"key=early&chunk=3&stop=4")
    await exchange.run(handler)
    assert exchange.status == 200
    assert Seen.rows["early"] == [pk async for pk in Group.objects.order_by("pk").values_list("pk", flat=True)][:4]
    assert Seen.busy_after == [0]


# Cancellation


@pytest.mark.django_db(transaction=True)
async def test_disconnect_rolls_back_an_atomic_request_and_the_thread_is_reused_clean(atomic_requests):
    """A client that leaves while its ATOMIC_REQUESTS view awaits: both writes so far are rolled back."""
    with override_settings(MIDDLEWARE=[]):
        app = AsyncHandler(max_threads=1)
    Gates.reset("gone")
    exchange = Exchange(path="/threads/writes/", method="POST", query_string=b"name=gone")
    task = asyncio.ensure_future(exchange.run(app))
    await Gates.until_arrived("gone")  # after its first write
    exchange.disconnected.set()
    await task
    assert exchange.sent == []
    # The one thread serves the next request, in autocommit mode, with no transaction left.
    assert (await Exchange(path="/threads/query/").run(app)).status == 200
    assert not await User.objects.filter(username__startswith="gone").aexists()
    assert app.thread_pool.busy == 0
    app.thread_pool.shutdown()


@pytest.mark.django_db(transaction=True)
async def test_disconnect_rolls_back_an_atomic_block_a_sync_step_left_open():
    """
    A sync step that returns inside atomic() keeps the thread; when the client leaves, the
    block is rolled back (Django's own atomic exit) before the thread serves anyone else.
    """
    with override_settings(MIDDLEWARE=[]):
        app = AsyncHandler(max_threads=1)
    Gates.reset("ghost")
    exchange = Exchange(path="/threads/leaves-atomic-open/", query_string=b"name=ghost")
    task = asyncio.ensure_future(exchange.run(app))
    await Gates.until_arrived("ghost")
    assert app.thread_pool.busy == 1
    exchange.disconnected.set()
    await task

    def thread_state() -> tuple[bool, bool]:
        return connection.in_atomic_block, connection.get_autocommit()

    lane = app.thread_pool.lane()
    assert await asyncio.wrap_future(lane.submit(thread_state)) == (False, True)
    lane.close()
    assert not await User.objects.filter(username="ghost").aexists()
    app.thread_pool.shutdown()


# DRF_ASYNC_PIN_THREAD


async def _two_users_interleaved(app: AsyncHandler) -> dict[str, bytes]:
    """Request "a" runs its middleware, then waits while request "b" runs its own; then both read the local."""
    Gates.reset("a", "b")
    a = Exchange(path="/threads/local/", headers=[(b"x-user", b"a")])
    b = Exchange(path="/threads/local/", headers=[(b"x-user", b"b")])
    task_a = asyncio.ensure_future(a.run(app))
    await Gates.until_arrived("a")
    task_b = asyncio.ensure_future(b.run(app))
    await Gates.until_arrived("a", "b")
    Gates.events["a"].set()
    await task_a
    Gates.events["b"].set()
    await task_b
    return {"a": a.content, "b": b.content}


@pytest.mark.parametrize(
    "pin, seen",
    [
        (True, {"a": b"a", "b": b"b"}),
        # What the setting is for: without it, request "a" reads the value "b" left on the
        # thread they shared in turn.
        (False, {"a": b"b", "b": b"b"}),
    ],
)
async def test_pin_thread_keeps_threading_local_state_across_the_request(pin, seen):
    """DRF_ASYNC_PIN_THREAD = True keeps a request on its first thread: a threading.local set by middleware holds."""
    with override_settings(MIDDLEWARE=["tests.test_threads.ThreadLocalUserMiddleware"], DRF_ASYNC_PIN_THREAD=pin):
        app = AsyncHandler(max_threads=2)
    assert await _two_users_interleaved(app) == seen
    app.thread_pool.shutdown()
