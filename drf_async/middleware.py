"""
Django's own middleware on the event loop, when it has no I/O to do.

Under an async handler, each `MiddlewareMixin` middleware calls its `process_request()` and
`process_response()` through ``sync_to_async()``, and Django wraps each sync `process_view()`
the same way: with the default stack (Session, Common, Csrf, Authentication) that is eight
thread hops for a request that never touches the database. Most of those calls only read
headers and cookies or set lazy objects. `AsyncHandler` asks this module, per call, whether
the call is pure for the request at hand, and then makes it inline:

- `SessionMiddleware`: the request side always (the session loads lazily); the response side
  unless it is about to save the session (modified, or ``SESSION_SAVE_EVERY_REQUEST``);
- `CsrfViewMiddleware`: unless ``CSRF_USE_SESSIONS`` (the token then lives in the session);
  `process_view()` only for safe methods and ``csrf_exempt`` views (no form to parse);
- `MessageMiddleware`: unless the request used or added messages (they may go to the session);
- `AuthenticationMiddleware` (a lazy ``request.user``), `CommonMiddleware`,
  `SecurityMiddleware`, `XFrameOptionsMiddleware`: always.

Anything else, including a subclass that overrides one of these methods, hops as in Django.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.apps import apps
from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils.deprecation import MiddlewareMixin

__all__ = ["adapt_pure_method", "inline_pure_middleware", "may_read_body_on_loop"]

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


def _always(middleware: Any, *args: Any) -> bool:
    return True


def _session_not_saved(middleware: Any, request: Any, response: Any) -> bool:
    session = getattr(request, "session", None)
    if session is None:
        return True
    return not ((session.modified or settings.SESSION_SAVE_EVERY_REQUEST) and not session.is_empty())


def _messages_not_stored(middleware: Any, request: Any, response: Any) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is None or not (storage.used or storage.added_new)


def _csrf_not_in_session(middleware: Any, *args: Any) -> bool:
    return not settings.CSRF_USE_SESSIONS


def _csrf_view_reads_no_form(middleware: Any, request: Any, callback: Any, *args: Any) -> bool:
    return _csrf_not_in_session(middleware) and (
        getattr(callback, "csrf_exempt", False) or request.method in SAFE_METHODS
    )


@cache
def pure_when() -> dict[Callable[..., Any], Callable[..., bool]]:
    """Django's middleware methods, and when a call of each does no I/O."""
    registry: dict[Callable[..., Any], Callable[..., bool]] = {
        CsrfViewMiddleware.process_request: _csrf_not_in_session,
        CsrfViewMiddleware.process_view: _csrf_view_reads_no_form,
        CsrfViewMiddleware.process_response: _csrf_not_in_session,
        CommonMiddleware.process_request: _always,
        CommonMiddleware.process_response: _always,
        SecurityMiddleware.process_request: _always,
        SecurityMiddleware.process_response: _always,
        XFrameOptionsMiddleware.process_response: _always,
    }
    # These import their app's models: only when the app is installed.
    if apps.is_installed("django.contrib.sessions"):
        from django.contrib.sessions.middleware import SessionMiddleware

        registry[SessionMiddleware.process_request] = _always
        registry[SessionMiddleware.process_response] = _session_not_saved
    if apps.is_installed("django.contrib.auth"):
        from django.contrib.auth.middleware import AuthenticationMiddleware

        registry[AuthenticationMiddleware.process_request] = _always
    if apps.is_installed("django.contrib.messages"):
        from django.contrib.messages.middleware import MessageMiddleware

        registry[MessageMiddleware.process_request] = _always
        registry[MessageMiddleware.process_response] = _messages_not_stored
    return registry


def _predicate(method: Any) -> Callable[..., bool] | None:
    return pure_when().get(getattr(method, "__func__", None))  # type: ignore[arg-type]


async def _call(method: Any, *args: Any) -> Any:
    """Call a middleware method inline when it is pure for these arguments, else in a thread hop."""
    predicate = _predicate(method)
    if predicate is not None and predicate(method.__self__, *args):
        return method(*args)
    return await sync_to_async(method, thread_sensitive=True)(*args)


async def _acall(middleware: MiddlewareMixin, request: Any) -> Any:
    # `MiddlewareMixin.__acall__()` of Django 5.2-6.1, with each hook called through `_call()`
    # instead of always through sync_to_async(); tests/test_handler.py pins the responses
    # against Django's handler.
    response = None
    if hasattr(middleware, "process_request"):
        response = await _call(middleware.process_request, request)
    response = response or await middleware.get_response(request)
    if hasattr(middleware, "process_response"):
        response = await _call(middleware.process_response, request, response)
    return response


def inline_pure_middleware(chain: Any) -> None:
    """
    Walk the middleware chain `load_middleware(is_async=True)` built (each middleware wrapped
    by `convert_exception_to_response()`, whose ``__wrapped__`` is the middleware) and let
    every middleware with a registered method call its hooks through `_call()`.
    """
    node = chain
    while (middleware := getattr(node, "__wrapped__", None)) is not None:
        if isinstance(middleware, MiddlewareMixin) and middleware.async_mode and any(
            _predicate(getattr(middleware, name, None)) for name in ("process_request", "process_response")
        ):
            # MiddlewareMixin.__call__ looks `__acall__` up on the instance in async mode.
            middleware.__acall__ = _bound_acall(middleware)  # type: ignore[method-assign]
        node = getattr(middleware, "get_response", None)


def _bound_acall(middleware: MiddlewareMixin) -> Callable[[Any], Any]:
    async def acall(request: Any) -> Any:
        return await _acall(middleware, request)

    return acall


def adapt_pure_method(method: Any, adapted: Callable[..., Any]) -> Callable[..., Any]:
    """
    For a sync middleware *method* (`process_view`) that Django adapted to async mode as
    *adapted* (its sync_to_async wrapper): call it inline when it is pure for the call.
    """
    predicate = _predicate(method)
    if predicate is None:
        return adapted

    @wraps(method)
    async def maybe_inline(*args: Any, **kwargs: Any) -> Any:
        if predicate(method.__self__, *args):
            return method(*args, **kwargs)
        return await adapted(*args, **kwargs)

    return maybe_inline


# Async middleware known to read headers only, never the body.
_BODY_FREE_ASYNC = frozenset({"corsheaders.middleware.CorsMiddleware"})


def may_read_body_on_loop(chain: Any) -> bool:
    """
    Whether the async middleware chain may read the request body on the event loop before
    the view: a coroutine middleware of unknown kind. Django's `MiddlewareMixin` hooks run in
    a thread hop, or inline when registered here as pure (none of those reads the body), and
    sync middleware runs in a thread. A chain that cannot be walked to its end counts as yes.
    """
    node = chain
    while (middleware := getattr(node, "__wrapped__", None)) is not None:
        if getattr(middleware, "__func__", None) is BaseHandler._get_response_async:
            return False  # the end: the view's part
        kind = type(middleware)
        is_async = iscoroutinefunction(middleware) or iscoroutinefunction(kind.__call__)
        if not isinstance(middleware, MiddlewareMixin) and is_async:
            if f"{kind.__module__}.{kind.__qualname__}" not in _BODY_FREE_ASYNC:
                return True
        node = getattr(middleware, "get_response", None)
    return True
