"""
`drf_async.hop` through `AsyncHandler`: a thread-sensitive ``sync_to_async()`` call on a
request's lane takes the fast hop and behaves as asgiref's own ``SyncToAsync.__call__``
does (each test runs on both paths and expects the same); any other call runs asgiref's.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import inspect
import json
import sys
import threading
import traceback
from typing import Any

import asgiref
import asgiref.sync
import pytest
from asgiref.local import Local
from asgiref.sync import SyncToAsync, async_to_sync, sync_to_async
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.test import override_settings
from django.urls import path

from drf_async import hop
from drf_async.handler import AsyncHandler, _thread_sensitive_context
from drf_async.threads import ThreadPool
from tests import urls
from tests.test_handler import Exchange

var: contextvars.ContextVar[str] = contextvars.ContextVar("test_hop_var", default="unset")
local = Local()


class Seen:
    """What the views and their sync functions saw."""

    values: dict[str, Any] = {}
    started = threading.Event()
    release = threading.Event()

    @classmethod
    def reset(cls) -> None:
        cls.values, cls.started, cls.release = {}, threading.Event(), threading.Event()


# Sync functions the views call


def sets_context() -> str:
    seen = var.get()
    var.set("from the thread")
    local.user = "set in the thread"
    return seen


def raises() -> None:
    raise ValueError("raised in the thread")


def handled_exception() -> BaseException | None:
    return sys.exc_info()[1]


async def nested_async(outer_thread: int) -> dict[str, Any]:
    await asyncio.sleep(0)
    inner_thread = await sync_to_async(threading.get_ident)()
    return {"on_loop": threading.get_ident() != outer_thread, "same_thread": inner_thread == outer_thread}


def calls_async_to_sync() -> dict[str, Any]:
    return async_to_sync(nested_async)(threading.get_ident())


def blocks_until_released(name: str) -> str:
    """Opens a transaction and writes, then blocks until the test releases it."""
    transaction.atomic().__enter__()
    User.objects.create(username=name)
    Seen.started.set()
    Seen.release.wait(10)
    Seen.values["finished"] = True
    return "done"


async def _waits_forever() -> None:
    Seen.started.set()
    await asyncio.Event().wait()


def catches_cancellation_inside_async_to_sync() -> str:
    try:
        async_to_sync(_waits_forever)()
    except asyncio.CancelledError:
        Seen.values["caught"] = True
        return "caught"
    return "not cancelled"


def thread_state() -> tuple[bool, bool]:
    return connection.in_atomic_block, connection.get_autocommit()


# Views, served under /hop/


async def context_view(request):
    var.set("from the view")
    seen = await sync_to_async(sets_context)()
    return JsonResponse({"thread_saw": seen, "after": var.get(), "local": getattr(local, "user", None)})


async def exception_view(request):
    try:
        await sync_to_async(raises)()
    except ValueError as exc:
        frames = [frame.name for frame in traceback.extract_tb(exc.__traceback__)]
        return JsonResponse({"type": type(exc).__name__, "message": str(exc), "raised_in": frames[-1]})
    return HttpResponse(b"no exception")


async def exc_info_view(request):
    try:
        raise KeyError("being handled")
    except KeyError as exc:
        seen = await sync_to_async(handled_exception)()
        return JsonResponse({"same": seen is exc})


async def async_to_sync_view(request):
    return JsonResponse(await sync_to_async(calls_async_to_sync)())


async def blocking_view(request):
    try:
        await sync_to_async(blocks_until_released)(request.GET["name"])
    except asyncio.CancelledError:
        Seen.values["cancelled_before_finished"] = "finished" not in Seen.values
        raise
    return HttpResponse(b"late")


async def cancelled_inside_async_to_sync_view(request):
    Seen.values["result"] = await sync_to_async(catches_cancellation_inside_async_to_sync)()
    return HttpResponse(Seen.values["result"])


async def atomic_view(request):
    block = transaction.atomic()
    await sync_to_async(block.__enter__)()
    Seen.values["busy_in_atomic"] = Seen.values["pool"].busy
    Seen.values["in_atomic"] = await sync_to_async(thread_state)()
    await sync_to_async(block.__exit__)(None, None, None)
    Seen.values["busy_after"] = Seen.values["pool"].busy
    return HttpResponse(b"ok")


async def not_thread_sensitive_view(request):
    ident = await sync_to_async(threading.get_ident, thread_sensitive=False)()
    return JsonResponse({"thread": ident})


urls.urlpatterns += [
    path("hop/context/", context_view),
    path("hop/exception/", exception_view),
    path("hop/exc-info/", exc_info_view),
    path("hop/async-to-sync/", async_to_sync_view),
    path("hop/blocking/", blocking_view),
    path("hop/cancelled-inside/", cancelled_inside_async_to_sync_view),
    path("hop/atomic/", atomic_view),
    path("hop/not-thread-sensitive/", not_thread_sensitive_view),
]


def body(exchange: Exchange) -> Any:
    return json.loads(exchange.content)


class FastCalls:
    """Counts the calls that took the fast hop."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        counted = self

        class CountedCall(hop._Call):
            __slots__ = ()

            def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
                counted.count += 1
                super().__init__(loop)

        monkeypatch.setattr(hop, "_Call", CountedCall)


@pytest.fixture(params=["fast", "asgiref"])
def hop_path(request, monkeypatch):
    """Runs the test with the fast hop installed, then with asgiref's own SyncToAsync.__call__."""
    if request.param == "fast":
        hop.install()
    else:
        hop.uninstall()
    calls = FastCalls(monkeypatch)
    yield request.param, calls
    hop.install()  # as drf_async.apps leaves it
    if request.param == "fast":
        assert calls.count > 0, "the fast hop was never taken"
    else:
        assert calls.count == 0


@pytest.fixture
def handler():
    with override_settings(MIDDLEWARE=[]):
        app = AsyncHandler(max_threads=2)
    Seen.reset()
    Seen.values["pool"] = app.thread_pool
    yield app
    for future in app.thread_pool.shutdown():
        future.result(timeout=5)


async def test_context_changes_flow_to_the_thread_and_back(handler, hop_path):
    """
    The thread sees the caller's contextvars; those it sets (a ContextVar, an asgiref
    Local) are seen by the caller after the await.
    """
    exchange = await Exchange(path="/hop/context/").run(handler)
    assert exchange.status == 200
    assert body(exchange) == {"thread_saw": "from the view", "after": "from the thread", "local": "set in the thread"}


async def test_an_exception_keeps_its_type_and_traceback(handler, hop_path):
    """An exception raised on the thread reaches the view as raised, its traceback ending in the sync function."""
    exchange = await Exchange(path="/hop/exception/").run(handler)
    assert body(exchange) == {"type": "ValueError", "message": "raised in the thread", "raised_in": "raises"}


async def test_the_exception_being_handled_is_handled_on_the_thread_too(handler, hop_path):
    """As asgiref does: a call made in an except block runs with sys.exc_info() set to the caller's exception."""
    assert body(await Exchange(path="/hop/exc-info/").run(handler)) == {"same": True}


async def test_async_to_sync_inside_the_call_runs_on_the_requests_loop(handler, hop_path):
    """
    A sync function that calls async_to_sync() runs the coroutine on the request's loop,
    and that coroutine's own sync_to_async() comes back to the same thread.
    """
    exchange = await Exchange(path="/hop/async-to-sync/").run(handler)
    assert body(exchange) == {"on_loop": True, "same_thread": True}


@pytest.mark.django_db(transaction=True)
async def test_a_cancelled_call_finishes_on_its_thread_and_the_transaction_is_rolled_back(hop_path):
    """
    A client that leaves while a sync call runs: the view gets CancelledError at once (as in
    asgiref), the call runs to its end on its thread (the request's last hop waits behind
    it), then the transaction it left open is rolled back and the thread given back.
    """
    with override_settings(MIDDLEWARE=[]):
        app = AsyncHandler(max_threads=1)
    Seen.reset()
    exchange = Exchange(path="/hop/blocking/", query_string=b"name=cancelled")
    task = asyncio.ensure_future(exchange.run(app))
    assert await asyncio.to_thread(Seen.started.wait, 5)
    exchange.disconnected.set()
    while "cancelled_before_finished" not in Seen.values:
        await asyncio.sleep(0.005)
    assert Seen.values == {"cancelled_before_finished": True}
    # The request's request_finished hop queues behind the call, on its thread.
    assert not task.done()
    Seen.release.set()
    await task
    assert exchange.sent == []
    assert Seen.values["finished"]
    # The pool's one thread, clean: no transaction left, autocommit back on.
    lane = app.thread_pool.lane()
    assert await asyncio.wrap_future(lane.submit(thread_state)) == (False, True)
    lane.close()
    assert not await User.objects.filter(username="cancelled").aexists()
    assert app.thread_pool.busy == 0
    app.thread_pool.shutdown()


async def test_a_cancellation_swallowed_inside_async_to_sync_lets_the_call_finish(handler, hop_path):
    """
    asgiref cancels the task async_to_sync() runs on the loop; when the sync function
    catches that and returns, the awaiting view gets its result instead of CancelledError.
    """
    exchange = Exchange(path="/hop/cancelled-inside/")
    task = asyncio.ensure_future(exchange.run(handler))
    assert await asyncio.to_thread(Seen.started.wait, 5)
    await asyncio.sleep(0.05)
    exchange.disconnected.set()
    await task
    assert Seen.values["caught"] is True
    assert Seen.values["result"] == "caught"
    assert handler.thread_pool.busy == 0


@pytest.mark.django_db(transaction=True)
async def test_atomic_opened_through_sync_to_async_keeps_the_thread(handler, hop_path):
    """transaction.atomic() entered in one call keeps the request on its thread until a later call leaves it."""
    assert (await Exchange(path="/hop/atomic/").run(handler)).status == 200
    assert Seen.values["busy_in_atomic"] == 1
    assert Seen.values["in_atomic"] == (True, False)
    assert Seen.values["busy_after"] == 0


async def test_calls_off_the_lane_run_asgirefs_path(handler, monkeypatch):
    """thread_sensitive=False in a request, and any call outside one, never take the fast hop."""
    calls = FastCalls(monkeypatch)
    exchange = await Exchange(path="/hop/not-thread-sensitive/").run(handler)
    assert exchange.status == 200
    assert body(exchange)["thread"] not in {t.ident for t in handler.thread_pool._threads}
    # This test runs inside async_to_sync (tests/conftest.py): asgiref's CurrentThreadExecutor.
    assert await sync_to_async(threading.get_ident)() == threading.main_thread().ident
    assert calls.count == 0


def test_installed_by_the_app_and_reversible():
    """drf_async.apps installs the fast hop (DRF_ASYNC_FAST_HOP defaults to True); uninstall() puts asgiref's back."""
    assert hop.installed()
    hop.uninstall()
    try:
        assert SyncToAsync.__call__ is hop._asgiref_call
        assert not hop.installed()
    finally:
        hop.install()
    assert hop.installed()


# asgiref's code that the fast hop mirrors (SyncToAsync.__call__ and thread_handler),
# per reviewed asgiref version: a new body must be reviewed against drf_async.hop.
MIRRORED_DIGESTS = {
    "3.8.1": "960fbde5138c4cf6bc177c4381dd53bb2fea3b6f24aff9c0db5204862955ffba",
    "3.12.1": "4e7c7f6ccea259402de3af48a646b52fbd94304125f4907d80cc6564866b4886",
    "3.13.0": "456b9d8ffab3ceada32b8291c763bcc9599d103debc52f5c4fa463853e3fd332",
}


def test_the_mirrored_asgiref_code_is_a_reviewed_version():
    """The source of SyncToAsync.__call__ and thread_handler is one that drf_async.hop was checked against."""
    source = inspect.getsource(hop._asgiref_call) + inspect.getsource(SyncToAsync.thread_handler)
    digest = hashlib.sha256(source.encode()).hexdigest()
    assert digest in MIRRORED_DIGESTS.values(), (asgiref.__version__, digest)


async def test_a_call_still_queued_when_its_lane_closes_never_runs(hop_path):
    """
    A call waiting for a thread when its request's lane closes (a task that outlived its
    request) is cancelled: its awaiter gets CancelledError, and the function never runs.
    """
    Seen.reset()
    pool = ThreadPool(1)
    busy, other = pool.lane(), pool.lane()
    holder = asyncio.wrap_future(busy.submit(Seen.release.wait, 10))
    ran: list[bool] = []
    async with _thread_sensitive_context(other):
        queued = asyncio.ensure_future(sync_to_async(ran.append)(True))
        await asyncio.sleep(0.01)
        assert not queued.done()
    other.close()
    with pytest.raises(asyncio.CancelledError):
        await queued
    Seen.release.set()
    await holder
    busy.close()
    assert ran == []
    assert pool.busy == 0
    pool.shutdown()
