"""
The one place that decides "await it, run it inline, or run it in a thread".

Every hook a user may write as ``def`` or ``async def`` (authenticators, permissions,
throttles, exception handlers, handlers, queryset hooks…) is called through `acall()`,
like Django's ``adapt_method_mode`` keeps that decision out of each call site.

A sync callable is assumed to do I/O (the ORM, the cache) and runs in a thread, unless it
is known to be pure CPU: DRF's own trivial policies are registered by `drf_async.views`,
and users mark theirs with `inline`. This module imports neither Django's settings nor DRF,
so `drf_async.handler` can be imported at the top of an asgi.py, before
``DJANGO_SETTINGS_MODULE`` is set.
"""

from __future__ import annotations

import inspect
from asyncio import _get_running_loop
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from functools import wraps
from typing import Any, TypeVar

from asgiref.sync import async_to_sync, iscoroutinefunction, markcoroutinefunction, sync_to_async

F = TypeVar("F", bound=Callable[..., Any])

_INLINE_FUNCTIONS: set[Callable[..., Any]] = set()
# How to call each function, decided once: hooks are called on every request and
# inspect.iscoroutinefunction() costs more than the lookup that replaces it. The mode is kept
# on the function itself, so a callable made per request (a wrapper, a stand-in) dies with
# it; this dict only holds callables that take no attributes (builtins), which never die.
_MODE_ATTRIBUTE = "_drf_async_call_mode"
_MODES: dict[Callable[..., Any], str] = {}
# drf_async's own a-twins that only call their sync counterpart the cheapest way: a class
# that does not override them runs the sync hook. An override is an async hook.
_DELEGATING: set[Callable[..., Any]] = set()


def inline(func: F) -> F:
    """
    Mark a sync hook as pure CPU (no database, cache or network access), so that
    drf_async calls it on the event loop instead of paying a thread hop.

        class IsOwnerHeader(BasePermission):
            @inline
            def has_permission(self, request, view):
                return request.headers.get("X-Owner") == "me"
    """
    _INLINE_FUNCTIONS.add(func)
    _MODES.pop(func, None)
    getattr(func, "__dict__", {}).pop(_MODE_ATTRIBUTE, None)
    return func


def delegating(func: F) -> F:
    """
    Mark an async twin (`aget_queryset`, `apaginate_queryset`…) whose only job is to call its
    sync counterpart: it does not make its class need the async path (`is_delegating()`).
    """
    _DELEGATING.add(func)
    return func


def is_delegating(func: Callable[..., Any]) -> bool:
    """True for drf_async's own delegating a-twins (see `delegating`), bound or not."""
    return getattr(func, "__func__", func) in _DELEGATING


def call_mode(func: Callable[..., Any]) -> str:
    """``"async"`` for coroutine functions, ``"inline"`` for pure sync ones, else ``"thread"``."""
    underlying = getattr(func, "__func__", func)
    # (mode, id of the function it was decided for): functools.wraps() copies a function's
    # attributes to its wrapper, which must be decided on its own.
    cached = getattr(underlying, _MODE_ATTRIBUTE, None)
    if cached is not None and cached[1] == id(underlying):
        return cached[0]  # type: ignore[no-any-return]
    try:
        return _MODES[underlying]
    except (KeyError, TypeError):  # not seen yet, or unhashable
        pass
    mode = _decide(func, underlying)
    try:
        setattr(underlying, _MODE_ATTRIBUTE, (mode, id(underlying)))
    except (AttributeError, TypeError):  # a builtin: no attributes
        with suppress(TypeError):
            _MODES[underlying] = mode
    return mode


def _decide(func: Callable[..., Any], underlying: Callable[..., Any]) -> str:
    if iscoroutinefunction(func) or iscoroutinefunction(underlying):
        return "async"
    return "inline" if underlying in _INLINE_FUNCTIONS else "thread"


def is_async(func: Callable[..., Any]) -> bool:
    """True when calling *func* returns an awaitable (``async def``, or marked as such)."""
    return call_mode(func) == "async"


def is_inline(func: Callable[..., Any]) -> bool:
    """True when *func* is sync and known to do no I/O, so it may run on the event loop."""
    return call_mode(func) == "inline"


def mode_of(funcs: Iterable[Callable[..., Any]]) -> str:
    """
    The cheapest way to call every one of *funcs*: ``"inline"`` when all are pure sync,
    ``"thread"`` when all are sync and one may do I/O (one hop runs them all), else ``"async"``.
    """
    mode = "inline"
    for func in funcs:
        func_mode = call_mode(func)
        if func_mode == "async":
            return "async"
        if func_mode == "thread":
            mode = "thread"
    return mode


@contextmanager
def stand_in(obj: Any, **attributes: Any) -> Iterator[None]:
    """
    Shadow *obj*'s methods with instance attributes while DRF's sync code runs, so that it
    uses what async code already produced (a resolved queryset, an awaited exception handler,
    an ``async def`` hook bridged back to the loop); the methods (or the instance attributes
    that shadowed them before) return afterwards.
    """
    shadowed = {name: vars(obj)[name] for name in attributes if name in vars(obj)}
    for name, value in attributes.items():
        setattr(obj, name, value)
    try:
        yield
    finally:
        for name in attributes:
            if name in shadowed:
                setattr(obj, name, shadowed[name])
            else:
                delattr(obj, name)


async def run_in_thread(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run sync *func* on the request's thread-sensitive executor and return its result."""
    return await sync_to_async(func)(*args, **kwargs)


async def acall(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """
    Call a hook that may be sync or async and return its result: coroutine functions are
    awaited on the loop, pure sync functions run inline, other sync functions run in a thread.
    A sync function that returns an awaitable (Django's ``View.options`` on async views) is
    awaited too.
    """
    mode = call_mode(func)
    if mode == "async":
        return await func(*args, **kwargs)
    if mode == "inline":
        result = func(*args, **kwargs)
    else:
        result = await run_in_thread(func, *args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


def callable_from_sync(sync_func: Callable[..., Any] | None) -> Callable[[F], F]:
    """
    Let sync code call an ``async def`` method too. Called from a coroutine (on the event
    loop), the method returns its coroutine as usual; called from sync code in a thread — a
    ``def list()`` override's ``super().list()``, as in a DRF project — it runs *sync_func*
    with the same arguments and returns its result (an awaitable result is awaited on the
    loop, from that thread). With no *sync_func*, the method itself runs to completion that
    way. The method stays a coroutine function for `is_async()`.
    """

    def decorator(async_func: F) -> F:
        @wraps(async_func)
        def method(*args: Any, **kwargs: Any) -> Any:
            # Asked on every call: asyncio's C accessor answers with None off the loop, where
            # get_running_loop() raises (an exception raised and caught per sync call).
            if _get_running_loop() is not None:
                return async_func(*args, **kwargs)
            result = (sync_func or async_func)(*args, **kwargs)
            if inspect.isawaitable(result):
                result = async_to_sync(_await)(result)
            return result

        return markcoroutinefunction(method)  # type: ignore[return-value]

    return decorator


def bridged(async_func: F) -> F:
    """
    *async_func* (a bound ``async def`` hook) made callable from sync code as well: DRF's sync
    code calling it in a thread gets its result, awaited on the loop (`callable_from_sync`).
    """
    return callable_from_sync(async_func)(async_func)


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable
