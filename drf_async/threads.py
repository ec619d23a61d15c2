"""
Where a request's sync code runs: a `ThreadPool` of at most ``DRF_ASYNC_THREADS`` reused
threads, and one `Lane` (the request's thread-sensitive executor) per request.

A request holds a thread only while it needs one. Its lane takes a free thread for a sync
call (waiting, first come first served, while every thread is busy), runs its calls there
one at a time, and gives the thread back after a call when no other call of the request is
queued and the thread keeps no state of the request's that another thread could not take
over. That state, checked on the thread after each call:

- an open transaction on any of the thread's connections: ``atomic()`` (so
  ``ATOMIC_REQUESTS`` and ``select_for_update()`` inside one), or autocommit turned off;
- an open chunked cursor: ``QuerySet.iterator()`` / ``aiterator()`` fetch in chunks through
  one cursor (a named, server-side cursor on PostgreSQL), tied to the connection that
  opened it until the iteration ends or is closed.

While a request awaits anything else (an upstream call, a cache, a sleep) its thread runs
other requests' sync code, so a view that queries the database and then waits holds no
thread and no connection while it waits, and a process never opens more than
``max_threads`` database connections.

Connection state a thread cannot see stays behind when a request moves to another thread:
session-level SQL (``SET``, session advisory locks, temporary tables) outside a transaction,
a raw ``connection.cursor()`` kept from one sync call to the next, and per-request values
kept in `threading.local` by sync code (use `contextvars` or
`asgiref.local.Local`, as Django does). ``pin=True`` (setting ``DRF_ASYNC_PIN_THREAD``)
keeps a request on its first thread until it ends, for projects that rely on either.
"""

from __future__ import annotations

import concurrent.futures
import logging
import queue
import threading
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from django.db import connections

__all__ = ["Lane", "ThreadPool"]

logger = logging.getLogger("drf_async.threads")


class Outcome(Protocol):
    """What a pooled thread completes for a call: the part of `concurrent.futures.Future` it uses."""

    def set_running_or_notify_cancel(self) -> bool: ...

    def set_result(self, result: Any) -> None: ...

    def set_exception(self, exception: BaseException) -> None: ...

    def cancel(self) -> bool: ...


class _Unwatched:
    """The outcome of a bookkeeping call nobody awaits: cheaper than a Future made per call."""

    def set_running_or_notify_cancel(self) -> bool:
        return True

    def set_result(self, result: Any) -> None:
        pass

    def set_exception(self, exception: BaseException) -> None:
        pass

    def cancel(self) -> bool:
        return False


_UNWATCHED = _Unwatched()

# (future, fn, args, kwargs, lane): lane is None for the pool's own bookkeeping calls.
WorkItem = tuple[Outcome, Callable[..., Any], tuple[Any, ...], dict[str, Any], "Lane | None"]


class _Worker(threading.Thread):
    """One pooled thread: runs the calls of the lane it is lent to, in order."""

    def __init__(self, pool: ThreadPool, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.pool = pool
        self.queue: queue.SimpleQueue[WorkItem | None] = queue.SimpleQueue()
        # Chunked cursors opened on this thread's connections and not yet released.
        self.cursors: weakref.WeakSet[Any] = weakref.WeakSet()
        # The lane this thread is lent to (written under that lane's lock).
        self.lane: Lane | None = None
        # This thread's connection wrappers, one per alias (refreshed when a request takes it).
        self.connections: list[Any] = []
        self.aliases: tuple[str, ...] = ()

    def cursor_released(self) -> None:
        """
        A chunked cursor opened here is gone (on any thread: an iteration left early is
        closed when its generator is collected): queue an empty call for the lane that holds
        this thread, after which it re-checks whether it still needs the thread. Takes no
        lock: this may run inside a garbage collection that interrupted any code, a lane's
        locked section included; a call for a lane that no longer holds the thread is a no-op.
        """
        lane = self.lane
        if lane is not None:
            self.queue.put((concurrent.futures.Future(), _nothing, (), {}, lane))

    def run(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            self._run(*item)
            del item

    def _run(
        self,
        future: Outcome,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        lane: Lane | None,
    ) -> None:
        if not future.set_running_or_notify_cancel():
            self._hand_back(lane)
            return
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            self._hand_back(lane)
            future.set_exception(exc)
            del exc
        else:
            self._hand_back(lane)
            future.set_result(result)
            del result

    def _hand_back(self, lane: Lane | None) -> None:
        # Before the caller resumes: its next call then finds the thread idle again (and
        # takes this one back, the pool's most recently idle) instead of racing it.
        if lane is not None and lane._detach(self):
            self.pool._give_back(self)


class Lane(concurrent.futures.Executor):
    """
    The thread-sensitive executor of one request. It takes a thread from its `ThreadPool`
    for a call when it has none, runs the calls submitted meanwhile on that thread in
    order, and gives the thread back after a call (see the module docstring), or when the
    request closes it.
    """

    def __init__(self, pool: ThreadPool) -> None:
        self._pool = pool
        self._lock = threading.Lock()
        self._worker: _Worker | None = None
        self._pending: list[WorkItem] = []
        self._waiting = False
        self._closed = False
        self._taken = 0
        # A sync callable run on the request's first thread before anything else.
        self.on_bind: Callable[[], Any] | None = None

    @property
    def bound(self) -> bool:
        """True while the request holds a thread."""
        return self._worker is not None

    @property
    def used_thread(self) -> bool:
        """True once the request has taken a thread, held or given back since."""
        return self._taken > 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self.submit_to(future, fn, *args, **kwargs)
        return future

    def submit_to(self, future: Outcome, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """
        `submit()` with the caller's *future*: anything with a `concurrent.futures.Future`'s
        ``set_running_or_notify_cancel()``, ``set_result()``, ``set_exception()`` and
        ``cancel()`` (`drf_async.hop` completes its caller's asyncio future with them).
        """
        item: WorkItem = (future, fn, args, kwargs, self)
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot run sync code for a request that has finished")
            if self._worker is not None:
                self._worker.queue.put(item)
                return
            self._pending.append(item)
            if self._waiting:
                return
            worker = self._pool._acquire(self)
            if worker is None:
                self._waiting = True
                return
            self._bind_locked(worker)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        # The handler owns the lane's lifetime (see close()); asgiref < 3.13 calls this
        # when the ThreadSensitiveContext exits.
        pass

    def close(self, cleanup: Callable[[], Any] | None = None) -> None:
        """
        Finish the lane: if it holds a thread, run *cleanup* there after any call still
        queued, then return the thread to the pool. Never blocks the caller.
        """
        with self._lock:
            self._closed = True
            worker, self._worker = self._worker, None
            if worker is not None:
                worker.lane = None
            pending, self._pending = self._pending, []
            waiting = self._waiting
        if waiting:
            self._pool._forget(self)
        for future, *_ in pending:
            future.cancel()
        if worker is not None:
            if cleanup is None:
                self._pool._release(worker)
            else:
                worker.queue.put((_UNWATCHED, self._cleanup_and_release, (worker, cleanup), {}, None))

    def _bind(self, worker: _Worker) -> None:
        with self._lock:
            if self._closed:
                closed = True
            else:
                closed = False
                self._bind_locked(worker)
        if closed:
            self._pool._release(worker)

    def _bind_locked(self, worker: _Worker) -> None:
        self._worker = worker
        worker.lane = self
        self._waiting = False
        self._taken += 1
        # One queue item for the bookkeeping and every call waiting: one wake-up of the thread.
        batch = (worker, self._taken == 1, self._pending)
        worker.queue.put((_UNWATCHED, self._run_taken, batch, {}, None))
        self._pending = []

    def _run_taken(self, worker: _Worker, first: bool, items: list[WorkItem]) -> None:
        """On *worker*, just taken: the pool's bookkeeping, then the calls it was taken for."""
        try:
            self._pool._taken(worker, first)
            if first and self.on_bind is not None:
                self.on_bind()
        except Exception:
            logger.exception("Error in request bookkeeping on %s", worker.name)
        last = len(items) - 1
        for i, (future, fn, args, kwargs, lane) in enumerate(items):
            # Only the last call may give the thread back: the others have calls behind them.
            worker._run(future, fn, args, kwargs, lane if i == last else None)

    def _detach(self, worker: _Worker) -> bool:
        """
        On *worker* after one of this lane's calls: True when the lane gave the thread up
        (nothing else queued for it, no request state on it); the caller then gives it back.
        """
        pool = self._pool
        if pool.pin or pool.holds_request_state(worker):
            return False
        with self._lock:
            if self._worker is not worker or not worker.queue.empty():
                return False
            self._worker = worker.lane = None
        return True

    def _cleanup_and_release(self, worker: _Worker, cleanup: Callable[[], Any]) -> None:
        try:
            cleanup()
        finally:
            self._pool._release(worker)


class ThreadPool:
    """
    At most *max_threads* threads, started on demand and reused, each lent to one request
    (`Lane`) at a time: for the whole request when *pin* is true, else only while the
    request runs sync code or keeps state on the thread.

    *on_take* runs on a thread when a request takes it again after giving up another (the
    request's first thread gets the lane's ``on_bind`` instead); *on_give_back* runs on a
    thread a request gives back before it ends. Each gets the thread's database connection
    wrappers. The handler passes Django's per-request connection bookkeeping, so that every
    thread a request used honours ``CONN_MAX_AGE`` and ``CONN_HEALTH_CHECKS``.
    """

    def __init__(
        self,
        max_threads: int,
        name: str = "drf_async",
        *,
        pin: bool = False,
        on_take: Callable[[list[Any]], Any] | None = None,
        on_give_back: Callable[[list[Any]], Any] | None = None,
    ) -> None:
        if max_threads < 1:
            raise ValueError("max_threads must be at least 1")
        self.max_threads = max_threads
        self.name = name
        self.pin = pin
        self.on_take = on_take
        self.on_give_back = on_give_back
        self._lock = threading.Lock()
        self._threads: list[_Worker] = []
        self._idle: list[_Worker] = []
        self._waiting: deque[Lane] = deque()

    @property
    def threads(self) -> int:
        """How many threads the pool has started."""
        return len(self._threads)

    @property
    def busy(self) -> int:
        """How many threads are lent to a request right now."""
        with self._lock:
            return len(self._threads) - len(self._idle)

    def lane(self) -> Lane:
        return Lane(self)

    # On the pooled thread

    def holds_request_state(self, worker: _Worker) -> bool:
        """
        True when the calling thread keeps state of the request it serves that another
        thread could not take over: a transaction or an open chunked cursor.
        """
        for conn in worker.connections:
            if conn.in_atomic_block or (conn.connection is not None and not conn.autocommit):
                return True
        # A cursor object stays alive as long as the iteration that holds it; a closed
        # psycopg cursor says so (sqlite3's cursors do not: alive counts as open).
        return bool(worker.cursors) and any(not getattr(c.cursor, "closed", False) for c in worker.cursors)

    def _taken(self, worker: _Worker, first: bool) -> None:
        _track_chunked_cursors(worker)
        if not first and self.on_take is not None:
            self.on_take(worker.connections)

    def _give_back(self, worker: _Worker) -> None:
        try:
            if self.on_give_back is not None:
                self.on_give_back(worker.connections)
        except Exception:
            # The request's call succeeded; its result must still reach it.
            logger.exception("Error in connection bookkeeping on %s", worker.name)
        finally:
            self._release(worker)

    # Lending threads

    def _acquire(self, lane: Lane) -> _Worker | None:
        with self._lock:
            if self._idle:
                return self._idle.pop()
            if len(self._threads) < self.max_threads:
                worker = _Worker(self, f"{self.name}_{len(self._threads)}")
                self._threads.append(worker)
                worker.start()
                return worker
            self._waiting.append(lane)
            return None

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            if worker not in self._threads:
                # The pool was shut down while this thread served a request.
                lane = None
            elif self._waiting:
                lane = self._waiting.popleft()
            else:
                self._idle.append(worker)
                return
        if lane is None:
            self._stop(worker)
        else:
            lane._bind(worker)

    def _forget(self, lane: Lane) -> None:
        with self._lock:
            try:
                self._waiting.remove(lane)
            except ValueError:
                pass

    def shutdown(self) -> list[concurrent.futures.Future[Any]]:
        """
        Stop the threads: idle ones now, busy ones when their request ends, each after
        closing its database connections. Returns futures for the idle threads' exits;
        the pool starts new threads if it is used again.
        """
        with self._lock:
            idle, self._threads, self._idle = self._idle, [], []
        return [self._stop(worker) for worker in idle]

    def _stop(self, worker: _Worker) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        worker.queue.put((future, connections.close_all, (), {}, None))
        worker.queue.put(None)
        return future


def _track_chunked_cursors(worker: _Worker) -> None:
    """
    List the calling thread's connections in ``worker.connections`` (a wrapper per alias:
    cheaper to check after each call than Django's ``connections.all()``), and record in
    ``worker.cursors`` each chunked cursor they open,
    by wrapping each connection's ``chunked_cursor()`` (the one place Django opens the
    cursor that ``iterator()`` and ``aiterator()`` keep between chunks), once per connection.
    """
    # Django's per-thread connection storage costs a few µs an access: look the wrappers up
    # again only when the configured aliases change (a wrapper stays a thread's for good).
    aliases = tuple(connections)
    if aliases != worker.aliases:
        worker.connections = [connections[alias] for alias in aliases]
        worker.aliases = aliases
    for conn in worker.connections:
        if "chunked_cursor" not in conn.__dict__:
            conn.chunked_cursor = _recording(conn.chunked_cursor, worker)


def _recording(chunked_cursor: Callable[[], Any], worker: _Worker) -> Callable[[], Any]:
    def recorded_chunked_cursor() -> Any:
        cursor = chunked_cursor()
        worker.cursors.add(cursor)
        weakref.finalize(cursor, worker.cursor_released).atexit = False
        return cursor

    return recorded_chunked_cursor


def _nothing() -> None:
    pass
