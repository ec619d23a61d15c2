"""
The one place that decides "await it, run it inline, or run it in a thread".

Every hook a user may write as ``def`` or ``async def`` (authenticators, permissions,
throttles, exception handlers, handlers, queryset hooks…) is called through `acall()`,
like Django's ``adapt_method_mode`` keeps that decision out of each call site.

A sync callable is assumed to do I/O (the ORM, the cache) and runs in a thread, unless it
is known to be pure CPU: DRF's own trivial policies are registered below, and users mark
theirs with `inline`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction, sync_to_async

F = TypeVar("F", bound=Callable[..., Any])

_INLINE_FUNCTIONS: set[Callable[..., Any]] = set()


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
    return func


def _underlying(func: Callable[..., Any]) -> Callable[..., Any]:
    return getattr(func, "__func__", func)


def is_async(func: Callable[..., Any]) -> bool:
    """True when calling *func* returns an awaitable (``async def``, or marked as such)."""
    return iscoroutinefunction(func) or iscoroutinefunction(_underlying(func))


def is_inline(func: Callable[..., Any]) -> bool:
    """True when *func* is sync and known to do no I/O, so it may run on the event loop."""
    return _underlying(func) in _INLINE_FUNCTIONS


def mode_of(funcs: Iterable[Callable[..., Any]]) -> str:
    """
    The cheapest way to call every one of *funcs*: ``"inline"`` when all are pure sync,
    ``"thread"`` when all are sync and one may do I/O (one hop runs them all), else ``"async"``.
    """
    mode = "inline"
    for func in funcs:
        if is_async(func):
            return "async"
        if not is_inline(func):
            mode = "thread"
    return mode


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
    if is_async(func):
        return await func(*args, **kwargs)
    if is_inline(func):
        result = func(*args, **kwargs)
    else:
        result = await run_in_thread(func, *args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


def _register_drf_builtins() -> None:
    """DRF policies that only read attributes already on the request: no I/O, no hop."""
    from rest_framework import permissions, views
    from rest_framework.request import ForcedAuthentication

    for func in (
        permissions.BasePermission.has_permission,
        permissions.BasePermission.has_object_permission,
        permissions.AllowAny.has_permission,
        permissions.IsAuthenticated.has_permission,
        permissions.IsAdminUser.has_permission,
        permissions.IsAuthenticatedOrReadOnly.has_permission,
        ForcedAuthentication.authenticate,
        views.exception_handler,
        views.APIView.http_method_not_allowed,
    ):
        inline(func)


_register_drf_builtins()
