"""
`AsyncHandler`: Django's ASGI handler without a thread per request.

Django's `ASGIHandler` wraps each request in a fresh `ThreadSensitiveContext`, so the first
thread-sensitive `sync_to_async()` call of every request starts a new thread (and, on
asgiref 3.13, exiting the context starts another to join it). It also hops to a thread to
send ``request_started`` and again to call ``response.close()``, even when every receiver is
Django's own connection bookkeeping and the view never touched a thread.

`AsyncHandler` is a drop-in replacement (an ASGI 3 application, ``get_asgi_application()``
as in `django.core.asgi`) that changes only where sync work runs:

- thread-sensitive sync work (the ORM, sync middleware, sync views and signal receivers)
  runs on a `ThreadPool` of at most ``DRF_ASYNC_THREADS`` reused threads (default 32, or
  the size of Django's PostgreSQL connection pool when that is smaller), so
  a process holds at most that many database connections, opened and closed per
  ``CONN_MAX_AGE``/``CONN_HEALTH_CHECKS``. A request holds a thread only while it runs
  sync code or keeps a transaction or a chunked cursor open on it (`drf_async.threads`);
  while it awaits anything else the thread serves other requests.
  ``DRF_ASYNC_PIN_THREAD = True`` keeps each request on its first thread until it ends;
- Django's bookkeeping receivers of ``request_started`` (``reset_queries``,
  ``close_old_connections``) run on the request's first thread when it takes one, before
  its first sync call; ``close_old_connections`` runs on each thread the request gives
  back, and on each thread it takes later; ``response.close()`` (which sends
  ``request_finished``) runs on the loop when the request holds no thread, its response
  holds no resources and no other receiver is connected, else in one hop: a request that
  does no sync work costs no thread hop at all, one that makes one query costs one;
- a client disconnect cancels the view, as in Django; a thread a cancelled request held
  has its connections checked (an open transaction is rolled back) before it is reused.

The body is read when the view asks for it (`drf_async.body`): a request refused before its
view reads the body (authentication, permissions, ``DATA_UPLOAD_MAX_MEMORY_SIZE``) costs no
more than ``FILE_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB) of reading.

Under `AiohttpWorker`, a response Django would send in one ASGI body message goes out in one
call of the worker's ``drf_async.response`` extension (`send_whole()`), without ASGI messages.

Everything else is Django's own code: middleware loading, `ASGIRequest`, body spooling past
``FILE_UPLOAD_MAX_MEMORY_SIZE``, ``root_path``/``FORCE_SCRIPT_NAME``, `send_response()` for
streaming and file responses (and for every response under other servers). `AsyncHandler`
also answers the ASGI ``lifespan`` protocol: at shutdown it closes its threads' database
connections.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import closing
from typing import Any

import django
from asgiref.sync import AsyncToSync, SyncToAsync, ThreadSensitiveContext, iscoroutinefunction, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.cache import close_caches
from django.core.exceptions import RequestAborted, SynchronousOnlyOperation
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import reset_urlconf
from django.db import close_old_connections, connections, reset_queries, transaction
from django.http.response import HttpResponseBase
from django.urls import set_script_prefix

from .body import RequestBody, pending_body, request_body
from .middleware import adapt_pure_method, inline_pure_middleware, may_read_body_on_loop
from .threads import Lane, ThreadPool
from .utils import is_inline

__all__ = ["AsyncHandler", "ThreadPool", "default_threads", "get_asgi_application"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# The ``drf_async.response`` extension's ``respond(status, headers, body)``.
Respond = Callable[[int, list[tuple[str, str]], bytes], Awaitable[None]]

DEFAULT_THREADS = 32

# Receivers Django connects to the request signals that only look after the calling
# thread's database connections and queries log, or the request context's caches and
# urlconf: they have nothing to do on a thread the request never used.
_STARTED_BOOKKEEPING = frozenset({reset_queries, close_old_connections})
_FINISHED_BOOKKEEPING = frozenset({close_old_connections, close_caches, reset_urlconf})
# Those that look after the calling thread's connections, run on each thread a request gives back.
_THREAD_FINISHED_BOOKKEEPING = frozenset({close_old_connections})

# asgiref >= 3.13 lets a ThreadSensitiveContext use a caller-owned executor.
_CONTEXT_TAKES_EXECUTOR = "executor" in inspect.signature(ThreadSensitiveContext).parameters

# The lane of the request being handled, for the bookkeeping methods.
_current_lane: contextvars.ContextVar[Lane | None] = contextvars.ContextVar("drf_async_lane", default=None)


def _restore_autocommit() -> None:
    """
    Roll back what the request left open on this thread's connections, before another
    request gets the thread: ``atomic()`` blocks it entered and never left (each left as
    on an exception, innermost first: Django's own rollback), and a transaction begun by
    turning autocommit off. Django's ``close_old_connections`` closes such a connection,
    except an in-memory SQLite one, whose close() is a no-op, and leaves the connection's
    atomic state behind.
    """
    for conn in connections.all(initialized_only=True):
        for block in reversed(conn.atomic_blocks):
            block.__exit__(RequestAborted, RequestAborted("the request ended inside atomic()"), None)
        autocommit = conn.settings_dict["AUTOCOMMIT"]
        if conn.connection is not None and conn.get_autocommit() != autocommit:
            conn.rollback()
            conn.set_autocommit(autocommit)


def _finish_thread() -> None:
    """Connection bookkeeping for a request that ended without ``request_finished``."""
    _restore_autocommit()
    close_old_connections()


def _close_on_thread(response: HttpResponseBase) -> None:
    response.close()
    _restore_autocommit()


def _request_finished_on_thread(sender: type) -> None:
    signals.request_finished.send(sender=sender)
    _restore_autocommit()


@functools.lru_cache(maxsize=1024)  # the URLconf's views; bounded for views made on the fly
def _reads_body_itself(view: Callable[..., Any]) -> bool:
    """A drf_async view, which reads the rest of the body once its checks have passed."""
    from .views import AsyncAPIView

    cls = getattr(view, "cls", None)
    return isinstance(cls, type) and issubclass(cls, AsyncAPIView)


def _body_read_first(view: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """An async *view* of another kind: the whole body is read before it runs, as in Django."""

    async def body_read_first(request: Any, *args: Any, **kwargs: Any) -> Any:
        body = pending_body(request)
        if body is not None:
            await body.aread()
        return await view(request, *args, **kwargs)

    return body_read_first


def _rendered(response: Any) -> Callable[[], Awaitable[Any]]:
    async def render() -> Any:
        return response

    return render


def _atomic_view(view: Callable[..., Awaitable[Any]], aliases: list[str]) -> Callable[..., Awaitable[Any]]:
    """*view* inside ``transaction.atomic()`` for each alias, opened and closed on the request's thread."""

    async def atomic_view(request: Any, *args: Any, **kwargs: Any) -> Any:
        blocks = [transaction.atomic(using=alias) for alias in aliases]
        await sync_to_async(_enter_atomic)(blocks)
        try:
            response = await view(request, *args, **kwargs)
        except BaseException:
            # sync_to_async shields the thread's work: the rollback completes even if this
            # task is cancelled again (a client that disconnects mid-request).
            await sync_to_async(_exit_atomic)(blocks, *sys.exc_info())
            raise
        await sync_to_async(_exit_atomic)(blocks, None, None, None)
        return response

    return atomic_view


def _enter_atomic(blocks: list[Any]) -> None:
    for entered, block in enumerate(blocks):
        try:
            block.__enter__()
        except BaseException:
            _exit_atomic(blocks[:entered], *sys.exc_info())
            raise


def _exit_atomic(blocks: list[Any], exc_type: Any, exc: BaseException | None, tb: Any) -> None:
    """Leave the atomic blocks innermost first, each told of the exception (none: commit)."""
    error: BaseException | None = None
    for block in reversed(blocks):
        try:
            block.__exit__(exc_type, exc, tb)
        except BaseException as failure:  # a failed commit: roll the outer blocks back
            error = error or failure
            exc_type, exc, tb = type(failure), failure, failure.__traceback__
    if error is not None:
        raise error


def default_threads() -> int:
    """
    ``DRF_ASYNC_THREADS`` if set; else 32, but never more threads than the smallest of
    Django's database connection pools (``OPTIONS["pool"]``) can serve at once, so that no
    thread waits for a connection (each thread takes one per database it queries).
    """
    configured = getattr(settings, "DRF_ASYNC_THREADS", None)
    if configured is not None:
        return int(configured)
    sizes = [DEFAULT_THREADS]
    for settings_dict in connections.settings.values():
        pool = (settings_dict.get("OPTIONS") or {}).get("pool")
        if pool:
            options = pool if isinstance(pool, dict) else {}
            # psycopg_pool's defaults: min_size=4, max_size=min_size.
            sizes.append(options.get("max_size") or options.get("min_size", 4))
    return min(sizes)


def get_asgi_application() -> AsyncHandler:
    """
    The public interface to Django's ASGI support, returning an `AsyncHandler`: the
    drop-in for `django.core.asgi.get_asgi_application()`.
    """
    django.setup(set_prefix=False)
    return AsyncHandler()


class _LaneContext(ThreadSensitiveContext):
    """
    `ThreadSensitiveContext` routed to a `Lane` on asgiref < 3.13, whose contexts cannot
    take an executor. Mirrors asgiref 3.13's ``ThreadSensitiveContext(executor=...)``: always
    a context of its own, its executor registered where `SyncToAsync` looks it up (and removed
    before asgiref could shut it down), and an inherited `CurrentThreadExecutor` (from an
    enclosing ``async_to_sync``, which `SyncToAsync` would prefer) hidden while it is entered.
    """

    def __init__(self, lane: Lane) -> None:
        super().__init__()
        self.lane = lane
        self._old_executor: Any = None

    async def __aenter__(self) -> _LaneContext:
        self.token = SyncToAsync.thread_sensitive_context.set(self)
        SyncToAsync.context_to_thread_executor[self] = self.lane
        self._old_executor = getattr(AsyncToSync.executors, "current", None)
        AsyncToSync.executors.current = None
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        SyncToAsync.context_to_thread_executor.pop(self, None)
        if self.token is not None:
            SyncToAsync.thread_sensitive_context.reset(self.token)
            self.token = None
        AsyncToSync.executors.current = self._old_executor


def _thread_sensitive_context(lane: Lane) -> ThreadSensitiveContext:
    if _CONTEXT_TAKES_EXECUTOR:
        return ThreadSensitiveContext(executor=lane)  # type: ignore[call-arg]
    return _LaneContext(lane)


# What _connected() and _only() found, per signal, sender and question, with the signal's
# receivers list it was found on: it stands while that list is unchanged (Django's connect()
# and disconnect() change it; a receiver that died flags the signal's _dead_receivers).
_decisions: dict[tuple[Any, ...], tuple[list[Any], Any]] = {}


def _decided(signal: Any, sender: type, question: tuple[Any, ...], decide: Callable[[], Any]) -> Any:
    key = (signal, sender, *question)
    known = _decisions.get(key)
    receivers = signal.receivers
    if known is not None and not signal._dead_receivers and known[0] == receivers:
        return known[1]
    answer = decide()
    _decisions[key] = (list(receivers), answer)
    return answer


def _connected(signal: Any, sender: type, receivers: frozenset[Callable[..., Any]]) -> list[Callable[..., Any]]:
    """Those of *receivers* that are connected to *signal* for *sender* (a test client disconnects some)."""

    def decide() -> list[Callable[..., Any]]:
        sync_receivers, _ = signal._live_receivers(sender)
        return [receiver for receiver in sync_receivers if receiver in receivers]

    return _decided(signal, sender, ("connected", receivers), decide)  # type: ignore[no-any-return]


def _thread_bookkeeping(thread_connections: list[Any], receivers: list[Callable[..., Any]]) -> None:
    """
    Do what *receivers* (``reset_queries`` and/or ``close_old_connections``) do, on the
    calling thread's *thread_connections*: the same per-connection calls, without the cost
    of Django's per-thread connection lookups (`drf_async.threads` keeps the thread's list).
    """
    reset, close = reset_queries in receivers, close_old_connections in receivers
    for conn in thread_connections:
        if reset:
            conn.queries_log.clear()
        if close:
            conn.close_if_unusable_or_obsolete()


def _only(signal: Any, sender: type, receivers: frozenset[Callable[..., Any]]) -> bool:
    """True when every receiver *signal* has for *sender* is one of *receivers* (all sync)."""

    def decide() -> bool:
        # Signal._live_receivers() returns (sync, async) receivers since Django 5.0.
        sync_receivers, async_receivers = signal._live_receivers(sender)
        return not async_receivers and all(receiver in receivers for receiver in sync_receivers)

    return _decided(signal, sender, ("only", receivers), decide)  # type: ignore[no-any-return]


class AsyncHandler(ASGIHandler):
    """
    Django's `ASGIHandler` with pooled, reused threads for thread-sensitive sync work and
    request bookkeeping that costs at most one thread hop (none when nothing needs one).
    """

    def __init__(self, max_threads: int | None = None, pin_thread: bool | None = None) -> None:
        super().__init__()
        if max_threads is None:
            max_threads = default_threads()
        if pin_thread is None:
            pin_thread = getattr(settings, "DRF_ASYNC_PIN_THREAD", False)
        self.thread_pool = ThreadPool(
            max_threads,
            name=f"{type(self).__name__}",
            pin=pin_thread,
            on_take=self.thread_taken,
            on_give_back=self.thread_given_back,
        )

    # Read the whole body before the middleware (Django's way): async middleware of unknown
    # kind might read it on the loop.
    read_body_first = False

    def load_middleware(self, is_async: bool = False) -> None:
        """Django's middleware loading; then Django's own pure middleware runs on the loop."""
        super().load_middleware(is_async)
        if is_async:
            inline_pure_middleware(self._middleware_chain)
            self.read_body_first = may_read_body_on_loop(self._middleware_chain)

    def adapt_method_mode(self, is_async: bool, method: Any, *args: Any, **kwargs: Any) -> Any:
        """Django's sync/async adapter, except that a pure `process_view()` call runs inline."""
        adapted = super().adapt_method_mode(is_async, method, *args, **kwargs)
        if is_async and adapted is not method:
            return adapt_pure_method(method, adapted)
        return adapted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(scope, receive, send)
            return
        if scope["type"] != "http":
            # Django's own error for other protocols.
            await super().__call__(scope, receive, send)
            return
        lane = self.thread_pool.lane()
        token = _current_lane.set(lane)
        # Connection bookkeeping if the request ends without its finish hop (an error, a
        # cancellation): the thread is reused, so no transaction may outlive the request.
        cleanup: Callable[[], Any] | None = _finish_thread
        try:
            async with _thread_sensitive_context(lane):
                await self.handle(scope, receive, send)
            cleanup = None
        finally:
            _current_lane.reset(token)
            lane.close(cleanup)

    # Mirrors `ASGIHandler.handle()` of Django 5.2 and 6.0 (the body file closed on every
    # path, as in 6.0); only the request bookkeeping and the disconnect watch differ.
    # tests/test_handler.py pins the behaviour against Django's handler.
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle the ASGI request; called by `__call__()` inside the request's lane."""
        body_file = request_body(scope, receive)
        try:
            await body_file.aread(until=None if self.read_body_first else settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
        except RequestAborted:
            body_file.close()
            return
        with closing(body_file):
            set_script_prefix(get_script_prefix(scope))
            await self.arequest_started(scope)
            request, error_response = self.create_request(scope, body_file)
            if request is None:
                await self.send_response(error_response, send)
                await self.aclose_response(error_response)
                return
            request._drf_async_body = body_file
            response = await self.get_response_until_disconnect(request, receive, send)
            if response is None:
                await self.arequest_finished()
            else:
                await self.aclose_response(response)

    async def get_response_until_disconnect(self, request: Any, receive: Receive, send: Send) -> Any:
        """
        Get the response and send it, cancelling both when the client disconnects. Returns
        the response, or None when the client left before the view returned one.

        A server that says when the client leaves (the ``drf_async.disconnect`` scope
        extension of `AiohttpWorker`) is asked to call back; any other has a task listen on
        ``receive()``, as in Django, once the body has been read. A server that takes a whole
        response in one call (``drf_async.response``) is given the responses Django would send
        in one body message (`send_whole()`).
        """
        task = asyncio.current_task()
        assert task is not None
        abort: list[BaseException] = []
        finished = False

        def client_left(error: BaseException | None = None) -> None:
            if finished or abort:
                return
            abort.append(error or RequestAborted())
            task.cancel()

        def watch(listener: asyncio.Future[None]) -> None:
            # Runs soon after the listener ends, which may be after this method returned.
            if not listener.cancelled():
                client_left(listener.exception())

        body: RequestBody | None = getattr(request, "_drf_async_body", None)
        if body is not None and not body.complete:
            body.on_disconnect = client_left  # the body's reads learn of it first
        listener: asyncio.Future[None] | None = None
        extensions = request.scope.get("extensions") or {}
        on_disconnect = extensions.get("drf_async.disconnect")
        whole = extensions.get("drf_async.response") if self._sends_as_django else None
        if on_disconnect is not None:
            on_disconnect["callback"] = client_left
        else:
            listen = self.listen_for_disconnect(receive) if body is None or body.complete else (
                # receive() yields the rest of the body first: listen once it has been read.
                self._listen_after_body(body, receive)
            )
            listener = asyncio.ensure_future(listen)
            listener.add_done_callback(watch)
        response = None
        try:
            response = await self.run_get_response(request)
            if whole is None or not await self.send_whole(response, whole["respond"]):
                await self.send_response(response, send)
        except asyncio.CancelledError:
            if not abort:
                raise
            if sys.version_info >= (3, 11):
                task.uncancel()
            if not isinstance(abort[0], RequestAborted):
                # An invalid ASGI message instead of http.disconnect: Django's handler
                # lets its AssertionError propagate.
                raise abort[0] from None
        finally:
            finished = True
            if listener is not None:
                listener.cancel()
            elif on_disconnect is not None:
                on_disconnect["callback"] = None
        return response

    async def send_whole(self, response: HttpResponseBase, respond: Respond) -> bool:
        """
        Send *response* with the server's ``drf_async.response`` extension, if Django's
        `send_response()` would send it in one body message (not streaming, at most
        ``chunk_size`` bytes): the same status, headers (cookies as ``Set-Cookie`` headers,
        encoded by `send_response()`'s rules) and body, without ASGI messages or header
        bytes. False when it is not such a response.
        """
        if response.streaming:
            return False
        content = response.content
        if len(content) > self.chunk_size:
            return False
        headers = list(response.items())
        for cookie in response.cookies.values():
            value = cookie.output(header="").strip()
            value.encode("ascii")  # as send_response(): a cookie that is not ASCII is an error
            headers.append(("Set-Cookie", value))
        await respond(response.status_code, headers, content)
        return True

    @functools.cached_property
    def _sends_as_django(self) -> bool:
        """`send_response()` is Django's own (a subclass that overrides it is always called)."""
        return type(self).send_response is ASGIHandler.send_response

    async def _listen_after_body(self, body: RequestBody, receive: Receive) -> None:
        await body.completed()
        await self.listen_for_disconnect(receive)

    def make_view_atomic(self, view: Callable[..., Any]) -> Callable[..., Any]:
        """
        Django's hook that wraps each view before the call, extended for coroutine views:

        - ``ATOMIC_REQUESTS``: Django refuses it for async views ("You cannot use
          ATOMIC_REQUESTS with async views"), as its ASGI handler cannot tell which thread
          the view's queries use. Here every sync call of a request runs on the request's
          one pooled thread, so the transaction is opened there before the view and
          committed, or rolled back on an exception, after it, as Django does for sync views;
        - rendering: Django renders a response that has a `render()` method (DRF's
          `Response` is a `SimpleTemplateResponse`) in a thread; an async view's response
          whose renderer is pure (JSON) is rendered here, on the loop.
        """
        if not iscoroutinefunction(view):
            return super().make_view_atomic(view)
        non_atomic: set[str] = getattr(view, "_non_atomic_requests", set())
        aliases = [
            alias for alias, settings_dict in connections.settings.items()
            if settings_dict["ATOMIC_REQUESTS"] and alias not in non_atomic
        ]
        if aliases:
            view = _atomic_view(view, aliases)
        if not _reads_body_itself(view):
            view = _body_read_first(view)
        if self._template_response_middleware:
            return view

        async def render_inline(request: Any, *args: Any, **kwargs: Any) -> Any:
            response = await view(request, *args, **kwargs)
            renderer = getattr(response, "accepted_renderer", None)
            if renderer is not None and not getattr(response, "is_rendered", True) and is_inline(renderer.render):
                try:
                    response.render()
                except SynchronousOnlyOperation:
                    return response
                # Rendered: Django awaits this no-op instead of calling render() in a thread.
                response.render = _rendered(response)
            return response

        return render_inline

    async def run_get_response(self, request: Any) -> Any:
        response = await super().run_get_response(request)
        response.__dict__.pop("render", None)  # back to the class's render()
        return response

    # Request bookkeeping

    async def arequest_started(self, scope: Scope) -> None:
        """
        Send ``request_started``. When only Django's connection bookkeeping listens, it is
        deferred to the moment the request takes a thread, and runs there (no hop).
        """
        signal = signals.request_started
        if _only(signal, type(self), _STARTED_BOOKKEEPING):
            lane = self._lane()
            if lane is not None and not lane.used_thread:
                sender = type(self)
                lane.on_bind = lambda: signal.send(sender=sender, scope=scope)
                return
        await signal.asend(sender=type(self), scope=scope)

    async def aclose_response(self, response: HttpResponseBase) -> None:
        """
        Close *response*, which sends ``request_finished``: on the loop when the request
        never took a thread and nothing but Django's bookkeeping listens, else in one hop.
        """
        if self._finish_inline() and self._close_is_cheap(response):
            response.close()
        else:
            await sync_to_async(_close_on_thread)(response)

    async def arequest_finished(self) -> None:
        """Send ``request_finished`` for a request that ended without a response."""
        if self._finish_inline():
            signals.request_finished.send(sender=type(self))
        elif self._lane() is not None:
            await sync_to_async(_request_finished_on_thread)(type(self))
        else:
            await signals.request_finished.asend(sender=type(self))

    def thread_taken(self, thread_connections: list[Any]) -> None:
        """
        On a pooled thread a request takes after giving up another: what Django's
        ``request_started`` receivers do for a request's thread (``reset_queries``,
        ``close_old_connections``), for this thread's connections.
        """
        receivers = _connected(signals.request_started, type(self), _STARTED_BOOKKEEPING)
        if receivers:
            _thread_bookkeeping(thread_connections, receivers)

    def thread_given_back(self, thread_connections: list[Any]) -> None:
        """
        On a pooled thread a request gives back before it ends: ``close_old_connections``,
        as at the end of a request, so that each thread a request used honours
        ``CONN_MAX_AGE`` and ``CONN_HEALTH_CHECKS``.
        """
        receivers = _connected(signals.request_finished, type(self), _THREAD_FINISHED_BOOKKEEPING)
        if receivers:
            _thread_bookkeeping(thread_connections, receivers)

    def _close_is_cheap(self, response: HttpResponseBase) -> bool:
        """
        True when `response.close()` only closes the request (its spooled body and uploaded
        files, which Django's handler closes on the loop too) and sends ``request_finished``.
        """
        if type(response).close is not HttpResponseBase.close:
            return False
        request_close = self.request_class.close
        return all(getattr(closer, "__func__", None) is request_close for closer in response._resource_closers)

    def _finish_inline(self) -> bool:
        lane = self._lane()
        return (
            lane is not None
            and not lane.bound
            and _only(signals.request_finished, type(self), _FINISHED_BOOKKEEPING)
        )

    def _lane(self) -> Lane | None:
        lane = _current_lane.get()
        return lane if lane is not None and lane._pool is self.thread_pool else None

    # Lifespan

    async def lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """
        Answer the ASGI lifespan protocol: at startup, enter the shared resources named in
        ``DRF_ASYNC_LIFESPAN`` into the lifespan ``state`` (`drf_async.lifespan`); at shutdown,
        exit them, close the database connections the pooled threads hold and stop the threads.
        """
        from .lifespan import Lifespan

        resources = Lifespan(scope.get("state"))
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await resources.__aenter__()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": f"{type(exc).__name__}: {exc}"})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await resources.__aexit__(None, None, None)
                finally:
                    await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def aclose(self) -> None:
        """Close the pooled threads' database connections and stop the threads."""
        futures = self.thread_pool.shutdown()
        if futures:
            await asyncio.gather(*(asyncio.wrap_future(f) for f in futures), return_exceptions=True)
