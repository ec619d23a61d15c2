"""
`AsyncAPIView`: DRF's `APIView` with an async dispatch.

Write ``async def get(self, request)`` and keep everything DRF does around it: content
negotiation, parsers, versioning, authentication, permissions, throttling and the exception
handler. Each policy member may be ``def`` or ``async def``; sync members that may do I/O run
in one thread hop per step, pure ones (``AllowAny``, no authenticators) run on the loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from asgiref.sync import async_to_sync
from django.db import connections
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.functional import classproperty
from rest_framework import exceptions, permissions, renderers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import ForcedAuthentication, Request, wrap_attributeerrors
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from .authentication import authentication_mode
from .body import pending_body
from .permissions import ahas_object_permission, ahas_permission, permissions_mode
from .utils import acall, callable_from_sync, inline, is_async, is_inline, mode_of, run_in_thread, stand_in

__all__ = ["AsyncAPIView"]


class AsyncAPIView(APIView):
    # An `APIView` whose `dispatch()` is a coroutine: handlers are awaited before the
    # response is finalized, and the view function returned by `as_view()` is a coroutine
    # function, so Django's ASGI handler awaits it on the event loop.
    #
    # A comment, not a docstring: drf-spectacular describes an undocumented user view by
    # the first docstring in its MRO before DRF's own classes, which would be this one.

    # DRF's initial() calls the sync check hooks; while it runs, a check that needs a thread
    # hop or an await queues its async twin here instead (and so does every check after it),
    # and initial() awaits them in order once DRF's part is done. A pure check that nothing
    # before it deferred runs in place, as in DRF (`_may_run_in_place`).
    _deferred_checks: list[Any] | None = None

    @classproperty
    def view_is_async(cls) -> bool:
        # The dispatch is always a coroutine, whatever the handlers are, and it calls each
        # one through acall(): a class may mix `def` and `async def` handlers (a sync one
        # runs in one thread hop). Django's "must either be all sync or all async" rule is
        # for its own views, whose dispatch calls the handler directly; it does not apply.
        return True

    # Dispatch methods

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        """DRF's `Request`, whose parsing answers a too deeply nested body with a 400 (`_DepthCheckedRequest`)."""
        drf_request = super().initialize_request(request, *args, **kwargs)
        drf_request.__class__ = _DepthCheckedRequest
        return drf_request

    @callable_from_sync(None)
    async def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """
        Run DRF's `initial()` (format suffix, content negotiation, versioning, and the checks
        that are pure), then await the other checks (authentication, permissions, throttles),
        in DRF's order. Sync code may call it too (a test's ``view.initial(request)``): it then
        runs to completion.
        """
        self._deferred_checks = []
        try:
            super().initial(request, *args, **kwargs)
            checks = self._deferred_checks
        finally:
            self._deferred_checks = None
        for check in checks:
            await check(request)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """
        A DRF-style sync `dispatch()` override (dj-rest-auth decorates one with
        ``sensitive_post_parameters``, others with ``never_cache``) runs in one thread hop, where
        its ``super().dispatch()`` returns the response, as on DRF (`utils.callable_from_sync`).
        """
        super().__init_subclass__(**kwargs)
        dispatch = cls.__dict__.get("dispatch")
        if dispatch is not None and not is_async(dispatch):
            cls.dispatch = _in_a_thread(dispatch)  # type: ignore[method-assign, assignment]

    @callable_from_sync(None)
    async def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:  # type: ignore[override]
        """
        `APIView.dispatch()` with the initial checks, the handler and the exception handler
        awaited. Mirrors DRF 3.16-3.18's dispatch step for step; tests/test_views.py pins its
        behaviour against the sync `APIView` on the same requests. Sync code (a sync override's
        ``super().dispatch()``, in a thread) gets the response.
        """
        self.args = args
        self.kwargs = kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers

        try:
            await self.initial(request, *args, **kwargs)

            handler: Any
            if request.method.lower() in self.http_method_names:
                handler = getattr(self, request.method.lower(), self.http_method_not_allowed)
            else:
                handler = self.http_method_not_allowed

            body = pending_body(request)
            if body is not None and handler != self.http_method_not_allowed:
                await body.aread()  # the checks passed: now the rest of a large body (drf_async.body)
            response = await self._acall_action(handler, request, *args, **kwargs)

        except Exception as exc:
            response = await self.ahandle_exception(exc)

        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    def _acall_action(self, action: Any, /, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        """
        Call a handler or viewset action, ``def`` or ``async def``, through `acall()`. A plain
        method returning the awaitable: an ``async def`` action's own coroutine, with no
        coroutine frame of acall()'s or its own around it per request.
        """
        if is_async(action):
            return action(*args, **kwargs)  # type: ignore[no-any-return]
        return acall(action, *args, **kwargs)

    async def ahandle_exception(self, exc: Exception) -> Response:
        """
        Async counterpart of `handle_exception()`: the configured exception handler (or an
        override of `handle_exception`) may be sync or async.
        """
        if type(self).handle_exception is not APIView.handle_exception:
            return await acall(self.handle_exception, exc)
        exception_handler = self.get_exception_handler()
        if is_inline(exception_handler) and not _atomic_requests():
            return self.handle_exception(exc)
        if not is_async(exception_handler):
            return await run_in_thread(self.handle_exception, exc)

        # DRF's handle_exception() prepares the exception (WWW-Authenticate header, or 401
        # coerced to 403) before calling the handler; let it do so with a stand-in handler
        # that records the call, then await the real handler with the same arguments.
        calls: list[tuple[Exception, dict[str, Any]]] = []

        def record(exc: Exception, context: dict[str, Any]) -> Response:
            calls.append((exc, context))
            return Response()

        with stand_in(self, get_exception_handler=lambda: record):
            self.handle_exception(exc)
        response = await exception_handler(*calls[0])
        if response is None:
            self.raise_uncaught_exception(exc)
        response.exception = True
        return response

    # API policy implementation methods

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[Any, str]:
        """
        DRF's, with its answer for a repeated ``Accept`` header remembered: DRF's unmodified
        `DefaultContentNegotiation`, given no ``.json`` suffix and no ``?format=``, picks from
        that header and the renderers' media types alone (`_NEGOTIATED`).
        """
        if force or not self._negotiates_by_accept_only(request):
            return super().perform_content_negotiation(request, force)
        renderers = self.get_renderers()
        key = (_accept_header(request), *(renderer.media_type for renderer in renderers))
        try:
            index, media_type = _NEGOTIATED[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable media type: nothing to remember
            return super().perform_content_negotiation(request, force)
        else:
            return renderers[index], media_type
        with stand_in(self, get_renderers=lambda: renderers):  # DRF picks among these renderers
            renderer, media_type = super().perform_content_negotiation(request, force)
        _remember_negotiation(key, renderers, renderer, media_type)
        return renderer, media_type

    def _negotiates_by_accept_only(self, request: Request) -> bool:
        """True when DRF's negotiation depends on the ``Accept`` header and the renderers only."""
        if type(self.get_content_negotiator()) is not DefaultContentNegotiation or _negotiation_is_patched():
            return False
        if getattr(self, "format_kwarg", True):  # a format suffix (or initial() not run: DRF's error)
            return False
        django_request = request._request
        if "GET" not in vars(django_request) and not django_request.META.get("QUERY_STRING"):
            return True  # no query string: no ?format= (and no QueryDict built to find none)
        return not request.query_params.get(api_settings.URL_FORMAT_OVERRIDE)

    # Async policy implementation methods

    async def aperform_authentication(self, request: Request) -> None:
        """
        Async counterpart of `perform_authentication()`. Async authenticators are awaited on
        the loop; sync ones (Session, Basic, Token query the database) run in one thread hop,
        or inline when the request carries nothing they would look up.
        """
        mode = authentication_mode(request)
        if mode == "inline":
            super().perform_authentication(request)
        elif mode == "thread":
            await run_in_thread(super().perform_authentication, request)
        else:
            await _aauthenticate(request)

    async def acheck_permissions(self, request: Request) -> None:
        """Async counterpart of `check_permissions()`; members may be sync or async."""
        permissions = self.get_permissions()
        mode = self._permissions_mode(request, permissions)
        if mode == "inline":
            super().check_permissions(request)
        elif mode == "thread":
            await run_in_thread(super().check_permissions, request)
        else:
            for permission in permissions:
                if not await ahas_permission(permission, request, self):
                    self._deny(request, permission)

    async def acheck_object_permissions(self, request: Request, obj: Any) -> None:
        """Async counterpart of `check_object_permissions()`; members may be sync or async."""
        permissions = self.get_permissions()
        mode = self._permissions_mode(request, permissions, obj=True)
        if mode == "inline":
            super().check_object_permissions(request, obj)
        elif mode == "thread":
            await run_in_thread(super().check_object_permissions, request, obj)
        else:
            for permission in permissions:
                if not await ahas_object_permission(permission, request, self, obj):
                    self._deny(request, permission)

    async def acheck_throttles(self, request: Request) -> None:
        """
        Async counterpart of `check_throttles()`: `allow_request()` and `wait()` may be sync
        or async; a throttled request raises `Throttled` with the longest wait, as in DRF.
        """
        throttles = self.get_throttles()
        if not throttles:
            return
        mode = _throttles_mode(throttles)
        if mode == "inline":
            super().check_throttles(request)
        elif mode == "thread":
            await run_in_thread(super().check_throttles, request)
        else:
            durations = []
            for throttle in throttles:
                if not await acall(throttle.allow_request, request, self):
                    durations.append(await acall(throttle.wait))
            if durations:
                self.throttled(request, max((d for d in durations if d is not None), default=None))

    def _permissions_mode(self, request: Request, permissions: list[Any], obj: bool = False) -> str:
        mode = permissions_mode(permissions, obj=obj)
        # Pure permissions read request.user; that is only free once authentication ran
        # (a view that overrides perform_authentication() to authenticate lazily).
        if mode == "inline" and not hasattr(request, "_user"):
            return "thread"
        return mode

    def _may_run_in_place(self, twin: str) -> bool:
        """
        Inside initial(): True when the check whose async twin is *twin* may run in place if it
        is pure: no check before it was deferred (DRF's order), and *twin* is drf_async's own
        (an override is awaited).
        """
        return not self._deferred_checks and getattr(type(self), twin) is getattr(AsyncAPIView, twin)

    def _deny(self, request: Request, permission: Any) -> None:
        self.permission_denied(
            request, message=getattr(permission, "message", None), code=getattr(permission, "code", None)
        )

    # The sync policy hooks DRF calls. Inside initial() they run DRF's check in place when it
    # is pure (no hop, no await: `_may_run_in_place`) and defer to their async twins otherwise;
    # called from sync code in a worker thread (DRF's metadata, a sync get_object()), they
    # still honour async members.

    def perform_authentication(self, request: Request) -> None:
        if self._deferred_checks is not None:
            if self._may_run_in_place("aperform_authentication") and authentication_mode(request) == "inline":
                super().perform_authentication(request)
            else:
                self._deferred_checks.append(self.aperform_authentication)
        elif mode_of(a.authenticate for a in request.authenticators) == "async":
            async_to_sync(self.aperform_authentication)(request)
        else:
            super().perform_authentication(request)

    def check_permissions(self, request: Request) -> None:
        if self._deferred_checks is not None:
            if (
                self._may_run_in_place("acheck_permissions")
                and self._permissions_mode(request, self.get_permissions()) == "inline"
            ):
                super().check_permissions(request)
            else:
                self._deferred_checks.append(self.acheck_permissions)
        elif permissions_mode(self.get_permissions()) == "async":
            async_to_sync(self.acheck_permissions)(request)
        else:
            super().check_permissions(request)

    def check_object_permissions(self, request: Request, obj: Any) -> None:
        if permissions_mode(self.get_permissions(), obj=True) == "async":
            async_to_sync(self.acheck_object_permissions)(request, obj)
        else:
            super().check_object_permissions(request, obj)

    def check_throttles(self, request: Request) -> None:
        if self._deferred_checks is not None:
            if self._may_run_in_place("acheck_throttles") and _throttles_mode(self.get_throttles()) == "inline":
                super().check_throttles(request)
            else:
                self._deferred_checks.append(self.acheck_throttles)
        elif _throttles_mode(self.get_throttles()) == "async":
            async_to_sync(self.acheck_throttles)(request)
        else:
            super().check_throttles(request)


class _DepthCheckedRequest(Request):
    """
    DRF's `Request`, except that a body nested deeper than Python's recursion limit (DRF's
    JSONParser raises `RecursionError`, which DRF lets through as a 500) is a `ParseError`:
    a 400 with DRF's error body, the worker serving on. Nothing else differs.
    """

    def _parse(self) -> Any:
        try:
            return super()._parse()
        except RecursionError:
            raise exceptions.ParseError("Malformed request: the body is nested too deeply.") from None


def _in_a_thread(dispatch: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """*dispatch*, a sync override, as a coroutine function that runs it in one thread hop."""

    @wraps(dispatch)  # keeps what decorators set on it (``csrf_exempt``…), which as_view() copies
    async def run_in_a_thread(self: AsyncAPIView, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return await run_in_thread(dispatch, self, request, *args, **kwargs)

    return run_in_a_thread


# DRF's content negotiation answers, as (renderer index, media type), keyed by the Accept header
# and the renderers' media types. Bounded: the header is client input.
_NEGOTIATED: dict[tuple[str, ...], tuple[int, str]] = {}
_NEGOTIATED_MAX_ENTRIES = 256
_NEGOTIATED_MAX_HEADER = 1024
_DRF_NEGOTIATION = tuple(
    (name, vars(DefaultContentNegotiation)[name])
    for name in ("select_renderer", "filter_renderers", "get_accept_list", "_get_parsed_accept_list")
    if name in vars(DefaultContentNegotiation)  # the last one since DRF 3.17
)


def _negotiation_is_patched() -> bool:
    """True when a `DefaultContentNegotiation` method is not the one DRF shipped (a monkeypatch)."""
    attributes = vars(DefaultContentNegotiation)
    for name, func in _DRF_NEGOTIATION:  # a loop, not any(): this runs on every request
        if attributes.get(name) is not func:
            return True
    return False


def _accept_header(request: Request) -> str:
    """
    The ``Accept`` header DRF's `get_accept_list()` reads from ``request.headers``, taken from
    ``META`` (what `HttpHeaders` is built from) while Django has not built the headers yet.
    """
    django_request = request._request
    headers = vars(django_request).get("headers")
    if headers is None and type(django_request).headers is HttpRequest.headers:
        return django_request.META.get("HTTP_ACCEPT", "*/*")  # type: ignore[no-any-return]
    return django_request.headers.get("accept", "*/*")  # type: ignore[no-any-return]


def _remember_negotiation(key: tuple[str, ...], renderers: list[Any], renderer: Any, media_type: str) -> None:
    if len(key[0]) > _NEGOTIATED_MAX_HEADER:
        return
    for index, candidate in enumerate(renderers):
        if candidate is renderer:
            if len(_NEGOTIATED) >= _NEGOTIATED_MAX_ENTRIES:
                _NEGOTIATED.clear()
            _NEGOTIATED[key] = (index, media_type)
            return


def _throttles_mode(throttles: list[Any]) -> str:
    """`utils.mode_of()` for the throttles' `allow_request()` and `wait()`."""
    return mode_of(func for throttle in throttles for func in (throttle.allow_request, throttle.wait))


def _atomic_requests() -> bool:
    # DRF's handler marks ATOMIC_REQUESTS transactions for rollback (set_rollback()); the
    # connection is per thread, so the handler must run where the request's queries ran.
    return any(db["ATOMIC_REQUESTS"] for db in connections.settings.values())


async def _aauthenticate(request: Request) -> None:
    """
    `Request._authenticate()` with each authenticator awaited (DRF 3.16-3.18): the first
    one to return a ``(user, auth)`` tuple wins; an `APIException` leaves the request
    unauthenticated and propagates.
    """
    with wrap_attributeerrors():
        for authenticator in request.authenticators:
            try:
                user_auth_tuple = await acall(authenticator.authenticate, request)
            except exceptions.APIException:
                request._not_authenticated()
                raise
            if user_auth_tuple is not None:
                request._authenticator = authenticator
                request.user, request.auth = user_auth_tuple
                return
        request._not_authenticated()


def _register_drf_builtins() -> None:
    """DRF hooks that only read what is already in memory: no I/O, no hop (see `utils.inline`)."""
    for func in (
        permissions.BasePermission.has_permission,
        permissions.BasePermission.has_object_permission,
        permissions.AllowAny.has_permission,
        permissions.IsAuthenticated.has_permission,
        permissions.IsAdminUser.has_permission,
        permissions.IsAuthenticatedOrReadOnly.has_permission,
        ForcedAuthentication.authenticate,
        drf_exception_handler,
        APIView.http_method_not_allowed,
        # A QuerySet left in the data would query: that raises SynchronousOnlyOperation on
        # the loop, and the handler then renders the response in a thread.
        renderers.JSONRenderer.render,
    ):
        inline(func)


_register_drf_builtins()
