"""
Shared per-worker resources, opened once at ASGI lifespan startup and closed at shutdown.

A client that keeps connections (an ``aiohttp.ClientSession``, an async Redis client) must
not be made per request: it would open a connection pool per request and throw it away.
Name each resource in one setting, as an async context manager factory::

    # settings.py
    DRF_ASYNC_LIFESPAN = {
        "http": "myproject.resources.http_session",    # a dotted path, or the callable itself
    }

    # myproject/resources.py
    @contextlib.asynccontextmanager
    async def http_session():
        async with aiohttp.ClientSession() as session:
            yield session

`drf_async.handler.AsyncHandler` enters them when the server sends ``lifespan.startup``
(in each worker: every worker gets its own) and exits them, in reverse order, at
``lifespan.shutdown``. A view reaches one with the one accessor, `resource()`::

    from drf_async.lifespan import resource

    async def get(self, request):
        session = resource(request, "http")

It reads the ASGI lifespan ``state`` that the server copies into each request's scope
(``scope["state"]``, as `drf_async.worker.AiohttpWorker` and uvicorn do). Where no server
runs the lifespan (Django's test client, a test calling a view directly) enter the
resources yourself with ``async with Lifespan():``; `resource()` then finds them in
this process's most recent `Lifespan`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, MutableMapping
from types import TracebackType
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

__all__ = ["Lifespan", "resource", "SETTING"]

SETTING = "DRF_ASYNC_LIFESPAN"

# The resources of this process's most recent Lifespan, for requests whose server passes
# no lifespan state on (Django's test client).
_entered: list[Mapping[str, Any]] = []


def _factories() -> dict[str, Callable[[], Any]]:
    configured = getattr(settings, SETTING, None) or {}
    if not isinstance(configured, Mapping):
        raise ImproperlyConfigured(
            f"{SETTING} should be a dict of resource names to async context manager factories "
            f"(dotted paths or callables), not {type(configured).__name__}."
        )
    return {name: import_string(f) if isinstance(f, str) else f for name, f in configured.items()}


class Lifespan:
    """
    Enters the resources named in ``DRF_ASYNC_LIFESPAN`` into *state* (a new dict by
    default): ``async with Lifespan(scope["state"]) as state: ...``. A resource whose
    factory raises makes the whole startup fail, closing those already entered.
    """

    def __init__(self, state: MutableMapping[str, Any] | None = None) -> None:
        self.state: MutableMapping[str, Any] = {} if state is None else state
        self._stack = contextlib.AsyncExitStack()
        self._names: list[str] = []

    async def __aenter__(self) -> MutableMapping[str, Any]:
        try:
            for name, factory in _factories().items():
                self.state[name] = await self._stack.enter_async_context(factory())
                self._names.append(name)
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        _entered.append(self.state)
        return self.state

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        _entered[:] = [state for state in _entered if state is not self.state]
        for name in self._names:
            self.state.pop(name, None)
        self._names.clear()
        return await self._stack.__aexit__(exc_type, exc, tb)


def resource(request: Any, name: str) -> Any:
    """
    The lifespan resource *name* for *request* (a DRF `Request` or Django's ASGI request):
    from the lifespan ``state`` the server passed on in the request's scope, else from this
    process's most recent `Lifespan`.
    """
    scope = getattr(request, "scope", None) or {}
    state = scope.get("state")
    if state is not None and name in state:
        return state[name]
    for entered in reversed(_entered):
        if name in entered:
            return entered[name]
    if name not in (getattr(settings, SETTING, None) or {}):
        raise ImproperlyConfigured(f"{name!r} is not a lifespan resource: name its factory in {SETTING}.")
    raise LookupError(
        f"The lifespan resource {name!r} is not open: serve the project through an ASGI server that runs "
        "the lifespan protocol (gunicorn -k drf_async.worker.AiohttpWorker, uvicorn), or enter "
        "`async with drf_async.lifespan.Lifespan():` around the code that needs it (tests)."
    )
