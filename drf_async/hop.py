"""
A cheaper hop for thread-sensitive ``sync_to_async()`` calls made inside an `AsyncHandler`
request.

Every thread-sensitive sync call of a request — Django's own async ORM methods
(``acount()``, ``aget()``, ``asave()``, ``__aiter__``…, which call
``sync_to_async(self.count)()``), sync middleware, drf_async's ``run_in_thread()`` — goes
through asgiref's ``SyncToAsync.__call__``. Its executor is the request's `Lane`, yet it
hands the call over through ``loop.run_in_executor()`` (a `concurrent.futures.Future`
wrapped by ``asyncio.wrap_future()``, each with its condition and callbacks) under
``asyncio.shield()`` (a third future). `install()` replaces ``SyncToAsync.__call__`` with
one that does the same work with less machinery when, and only when, the executor asgiref
would pick for the call is a drf_async `Lane`: the call is queued on the lane directly
with a lightweight future, and the thread resumes the caller with a single
``loop.call_soon_threadsafe()``.

What is patched, and why there: one attribute, ``asgiref.sync.SyncToAsync.__call__``
(not the ``sync_to_async`` globals of each Django module): every ``SyncToAsync`` object
reaches it, including those made at import time (``adapt_method_mode()``'s middleware
adapters, third-party decorators) and those of modules that import ``sync_to_async``
themselves, and code that counts thread hops by wrapping ``SyncToAsync.__call__`` still
sees each one. `uninstall()` puts asgiref's method back; ``DRF_ASYNC_FAST_HOP = False``
keeps `drf_async.apps` from installing it.

Any other call runs asgiref's own ``__call__``, unchanged: ``thread_sensitive=False``, an
enclosing ``async_to_sync()`` (its `CurrentThreadExecutor` has priority), a call outside a
request's `ThreadSensitiveContext`, or in one that has exited (asgiref 3.13 raises). The
fast path keeps asgiref's semantics (3.8 to 3.13; tests/test_hop.py pins the source of the
asgiref code it mirrors):

- the function runs on the request's lane (so the lane's rules for holding a thread apply),
  in a copy of the caller's context (or the ``context`` given to ``SyncToAsync``), with
  ``asgiref.local.Local`` storage re-homed to the thread where asgiref does so (3.12+);
  contextvars it changes are copied back into the caller's context afterwards, by asgiref's
  own ``_restore_context()``;
- on the thread, ``SyncToAsync.threadlocal`` holds the loop, its pid and the task list, so
  an ``async_to_sync()`` inside the function runs its coroutine on the request's loop, and
  the exception being handled by the caller is being handled there too;
- exceptions propagate as raised on the thread, traceback included;
- cancellation as in asgiref: a call that has not started never runs; one that is running
  finishes on its thread (the lane then gives the thread back, or keeps it for an open
  transaction, as always), while the caller gets ``CancelledError`` at once, unless the
  function is inside ``async_to_sync()``: its task is cancelled, and when that task
  swallows the cancellation the caller waits for the function's result.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

import asgiref.local
from asgiref.sync import AsyncToSync, SyncToAsync, _restore_context

from .threads import Lane

__all__ = ["install", "installed", "uninstall"]

_asgiref_call = SyncToAsync.__call__
# asgiref 3.12+ re-homes Local storage to the thread on entering the copied context.
_REHOMES = hasattr(asgiref.local, "_rehome")

_PENDING, _RUNNING, _CANCELLED = 0, 1, 2


class _Call:
    """
    The future `Lane` completes for one fast call: the thread starts it, and delivers the
    outcome to the loop in one ``call_soon_threadsafe()``; the caller awaits ``waiter``.
    """

    __slots__ = ("loop", "waiter", "done", "_lock", "_state")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiter: asyncio.Future[Any] = loop.create_future()
        # True once the outcome reached the loop (asgiref's ``exec_coro.done()``).
        self.done = False
        self._lock = threading.Lock()
        self._state = _PENDING

    # Called by the lane's thread (`drf_async.threads._Worker`), as on a concurrent Future.

    def set_running_or_notify_cancel(self) -> bool:
        with self._lock:
            if self._state == _CANCELLED:
                return False
            self._state = _RUNNING
            return True

    def set_result(self, result: Any) -> None:
        self._deliver(self._set_result, result)

    def set_exception(self, exc: BaseException) -> None:
        self._deliver(self._set_exception, exc)

    def cancel(self) -> bool:
        """Cancel the call if it has not started (the lane closes, or the caller is cancelled)."""
        with self._lock:
            if self._state != _PENDING:
                return False
            self._state = _CANCELLED
        self._deliver(self._set_cancelled, None)
        return True

    def _deliver(self, callback: Callable[[Any], None], value: Any) -> None:
        try:
            self.loop.call_soon_threadsafe(callback, value)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass

    # On the loop

    def _set_result(self, result: Any) -> None:
        self.done = True
        if not self.waiter.done():
            self.waiter.set_result(result)

    def _set_exception(self, exc: BaseException) -> None:
        self.done = True
        if not self.waiter.done():
            self.waiter.set_exception(exc)

    def _set_cancelled(self, _: None) -> None:
        self.done = True
        self.waiter.cancel()


def _lane_of(call: SyncToAsync[Any, Any]) -> Lane | None:
    """The `Lane` asgiref would run *call* on (see ``SyncToAsync.__call__``), else None."""
    if not call._thread_sensitive:
        return None
    context = SyncToAsync.thread_sensitive_context.get(None)
    if context is None or getattr(context, "_exited", False):
        return None
    executor = SyncToAsync.context_to_thread_executor.get(context)
    if not isinstance(executor, Lane) or getattr(AsyncToSync.executors, "current", None):
        return None
    return executor


async def _call(self: SyncToAsync[Any, Any], *args: Any, **kwargs: Any) -> Any:
    """``SyncToAsync.__call__``, with a direct hand-off when the call runs on a `Lane`."""
    __traceback_hide__ = True  # noqa: F841
    lane = _lane_of(self)
    if lane is None:
        return await _asgiref_call(self, *args, **kwargs)
    loop = asyncio.get_running_loop()
    given = getattr(self, "context", None)  # asgiref 3.12+
    context = contextvars.copy_context() if given is None else given
    task_context: list[asyncio.Task[Any]] = []
    call = _Call(loop)
    lane.submit_to(call, _run, loop, sys.exc_info(), task_context, context, self.func, args, kwargs)
    try:
        return await call.waiter
    except asyncio.CancelledError:
        # asgiref's handling of a cancellation of the awaiting task, step for step.
        cancel_parent = True
        try:
            task = task_context[0]
            task.cancel()
            try:
                await task
                cancel_parent = False
            except asyncio.CancelledError:
                pass
        except IndexError:
            pass
        if call.done:
            raise
        if cancel_parent:
            call.cancel()
            # asgiref awaits the future it just cancelled: a new CancelledError, in this handler.
            raise asyncio.CancelledError()  # noqa: B904
        call.waiter = loop.create_future()
        return await call.waiter
    finally:
        if given is None:
            _restore_context(context)
        SyncToAsync.deadlock_context.set(False)


def _run(
    loop: asyncio.AbstractEventLoop,
    exc_info: Any,
    task_context: list[asyncio.Task[Any]],
    context: contextvars.Context,
    func: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """On the lane's thread: asgiref's ``SyncToAsync.thread_handler()`` for *func*."""
    __traceback_hide__ = True  # noqa: F841
    threadlocal = SyncToAsync.threadlocal
    threadlocal.main_event_loop = loop
    threadlocal.main_event_loop_pid = os.getpid()
    threadlocal.task_context = task_context
    if exc_info[1]:
        try:
            raise exc_info[1]
        except BaseException:
            return context.run(_run_child, context, func, args, kwargs)
    return context.run(_run_child, context, func, args, kwargs)


def _run_child(context: contextvars.Context, func: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    __traceback_hide__ = True  # noqa: F841
    if _REHOMES:
        _restore_context(context)
    return func(*args, **kwargs)


def install() -> None:
    """Route thread-sensitive ``sync_to_async()`` calls on a request's `Lane` through the fast hop."""
    SyncToAsync.__call__ = _call  # type: ignore[method-assign]


def uninstall() -> None:
    """Put asgiref's own ``SyncToAsync.__call__`` back."""
    SyncToAsync.__call__ = _asgiref_call  # type: ignore[method-assign]


def installed() -> bool:
    """True while the fast hop is installed."""
    return SyncToAsync.__dict__["__call__"] is _call
