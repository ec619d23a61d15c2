"""drf_async.lifespan: resources named in DRF_ASYNC_LIFESPAN, entered and exited with the ASGI lifespan."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from drf_async.handler import AsyncHandler
from drf_async.lifespan import Lifespan, resource

events: list[str] = []


@contextlib.asynccontextmanager
async def first():
    events.append("first opened")
    yield {"name": "first"}
    events.append("first closed")


@contextlib.asynccontextmanager
async def second():
    events.append("second opened")
    yield "second"
    events.append("second closed")


@contextlib.asynccontextmanager
async def broken():
    raise RuntimeError("cannot connect")
    yield  # pragma: no cover


class FakeRequest:
    def __init__(self, state=None):
        self.scope = {"type": "http"} if state is None else {"type": "http", "state": state}


@pytest.fixture(autouse=True)
def _clear_events():
    events.clear()


@override_settings(DRF_ASYNC_LIFESPAN={"a": "tests.test_lifespan.first", "b": second})
async def test_resources_open_in_order_and_close_in_reverse():
    """Dotted paths and callables both work; exit closes in reverse order and empties the state."""
    state: dict = {"server": "kept"}
    async with Lifespan(state) as entered:
        assert entered is state and state == {"server": "kept", "a": {"name": "first"}, "b": "second"}
        assert resource(FakeRequest(state), "b") == "second"
        assert resource(FakeRequest(), "a") == {"name": "first"}  # no state in the scope: this process's
    assert events == ["first opened", "second opened", "second closed", "first closed"]
    assert state == {"server": "kept"}


@override_settings(DRF_ASYNC_LIFESPAN={"a": first, "b": broken})
async def test_a_failing_resource_closes_those_already_open():
    with pytest.raises(RuntimeError, match="cannot connect"):
        async with Lifespan():
            pass  # pragma: no cover
    assert events == ["first opened", "first closed"]


@override_settings(DRF_ASYNC_LIFESPAN={"a": first})
async def test_resource_errors_say_how_to_fix_them():
    with pytest.raises(ImproperlyConfigured, match="'nope' is not a lifespan resource: name its factory in"):
        resource(FakeRequest(), "nope")
    with pytest.raises(LookupError, match="The lifespan resource 'a' is not open"):
        resource(FakeRequest(), "a")


@override_settings(DRF_ASYNC_LIFESPAN=["not", "a", "dict"])
async def test_the_setting_must_be_a_dict():
    with pytest.raises(ImproperlyConfigured, match="DRF_ASYNC_LIFESPAN should be a dict"):
        async with Lifespan():
            pass  # pragma: no cover


async def lifespan_exchange(messages: list[str], state: dict) -> list[dict]:
    """Drive AsyncHandler's lifespan protocol as a server does; return what it sent."""
    inbox: asyncio.Queue = asyncio.Queue()
    for message in messages:
        inbox.put_nowait({"type": message})
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    handler = AsyncHandler()
    await asyncio.wait_for(handler({"type": "lifespan", "state": state}, inbox.get, send), 5)
    return sent


@override_settings(DRF_ASYNC_LIFESPAN={"a": first})
async def test_asynchandler_enters_resources_into_the_lifespan_state():
    """The handler's lifespan startup puts each resource in the server's state; shutdown closes it."""
    state: dict = {}
    sent = await lifespan_exchange(["lifespan.startup", "lifespan.shutdown"], state)
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]
    assert events == ["first opened", "first closed"] and state == {}


@override_settings(DRF_ASYNC_LIFESPAN={"b": broken})
async def test_asynchandler_reports_a_failed_startup():
    """A resource that fails to open fails the startup (gunicorn's worker then stops with boot error)."""
    sent = await lifespan_exchange(["lifespan.startup"], {})
    assert sent == [{"type": "lifespan.startup.failed", "message": "RuntimeError: cannot connect"}]
