"""
The request body, read when the view asks for it.

Django's ASGI handler reads the whole body into a spooled temporary file before the request
reaches any middleware, so a 200 MB upload to a view that answers 401 is read, and spooled
to disk, before the 401. `AsyncHandler` gives the request a `RequestBody` instead:

- a body that fits in memory (``FILE_UPLOAD_MAX_MEMORY_SIZE``, 2.5 MB by default: almost
  every API request) is read before the view, as Django does;
- a body that is not a file upload (not ``multipart/form-data``) and is larger than
  ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is never read: reading it raises Django's
  `RequestDataTooBig`, as ``request.body`` does (drf_async's views answer 413 with DRF's
  error body), and the connection closes after the response. A body without a
  ``Content-Length`` (chunked) is read up to the limit, not a byte further;
- the rest of a larger body (an upload) is read when the view asks for it: drf_async's
  views once `initial()` (authentication, permissions, throttles) has passed and the method
  has a handler; other async views just before they run; sync code (a sync view, sync
  middleware, DRF's parsers in a thread) as it reads, from its thread. Uploads still spool to
  disk past ``FILE_UPLOAD_MAX_MEMORY_SIZE``.

Async code that reads ``request.body`` or ``request.data`` of such a request on the event
loop before the view (an async middleware or authenticator of your own) awaits
`aread_body()` first; `AsyncHandler` reads the whole body before the middleware when the
middleware stack holds async middleware it does not know.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import RequestAborted, RequestDataTooBig

__all__ = ["BodyNotRead", "RequestBody", "aread_body", "pending_body"]

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]


class BodyNotRead(RuntimeError):
    """Sync code on the event loop read a body that has not arrived yet."""


class RequestBody:
    """
    A request's body file for `ASGIRequest`: Django's spooled temporary file, filled from
    the ASGI ``receive()`` up to a point before the view, and to the end when asked.
    """

    def __init__(self, receive: Receive, content_type: str, content_length: int | None) -> None:
        self._receive = receive
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        # A body that arrives in one message is that message's bytes; a longer one goes to
        # Django's spooled temporary file (on disk past FILE_UPLOAD_MAX_MEMORY_SIZE).
        self._file: Any = None
        self._size = 0
        self._completed: asyncio.Future[None] | None = None
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        # Django applies the limit to request.body; file uploads stream past it.
        self._limit = None if content_type.startswith("multipart/form-data") else limit
        #: The whole body has arrived (it reads from the start).
        self.complete = False
        #: The body is over ``DATA_UPLOAD_MAX_MEMORY_SIZE``: it is not read (further).
        self.too_big = self._limit is not None and content_length is not None and content_length > self._limit
        #: Called when the client leaves before the body has arrived (the handler cancels the view).
        self.on_disconnect: Callable[[], None] | None = None

    @property
    def pending(self) -> bool:
        """Part of the body is still to be read (neither complete nor refused)."""
        return not (self.complete or self.too_big)

    async def aread(self, until: int | None = None) -> None:
        """Read the body, to the end or until *until* bytes have arrived (or the limit is hit)."""
        if self.pending:
            await self._fill(until)

    async def completed(self) -> None:
        """Wait until the whole body has arrived (forever, if nothing reads it)."""
        if self.complete:
            return
        if self._completed is None:
            self._completed = self._loop.create_future()
        await self._completed

    async def _fill(self, until: int | None) -> None:
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                if self.on_disconnect is not None:
                    self.on_disconnect()  # cancels the request's task: raised at the next await
                    await asyncio.sleep(0)
                raise RequestAborted()
            chunk = message.get("body", b"")
            more = message.get("more_body", False)
            if self._limit is not None and self._size + len(chunk) > self._limit:
                self.too_big = True  # the rest stays unread: the connection closes after the response
                return
            if self._file is None:
                if not more and len(chunk) <= settings.FILE_UPLOAD_MAX_MEMORY_SIZE:
                    self._file = io.BytesIO(chunk)
                    self._size = len(chunk)
                    self._done()
                    return
                self._file = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, mode="w+b")
            if getattr(self._file, "_rolled", False):
                # On disk: written from a thread, as Django 6.1's read_body() does.
                await sync_to_async(self._file.write, thread_sensitive=False)(chunk)
            else:
                self._file.write(chunk)
            self._size += len(chunk)
            if not more:
                self._file.seek(0)
                self._done()
                return
            if until is not None and self._size >= until:
                return

    def _done(self) -> None:
        self.complete = True
        if self._completed is not None and not self._completed.done():
            self._completed.set_result(None)

    # The file Django's request reads

    def _ensure_read(self) -> None:
        if self.pending:
            if threading.get_ident() == self._loop_thread:
                raise BodyNotRead(
                    "The request body has not been read yet, and sync code on the event loop cannot wait "
                    "for it: await drf_async.body.aread_body(request) first."
                )
            # A thread (a sync view, middleware or parser) waits while the loop reads.
            asyncio.run_coroutine_threadsafe(self.aread(), self._loop).result()
        if self.too_big:
            raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")

    def read(self, size: int | None = -1, /) -> bytes:
        self._ensure_read()
        return self._file.read(-1 if size is None else size)

    def readline(self, size: int | None = -1, /) -> bytes:
        self._ensure_read()
        return self._file.readline(-1 if size is None else size)

    def seek(self, offset: int, whence: int = 0, /) -> int:
        self._ensure_read()
        return self._file.seek(offset, whence)  # type: ignore[no-any-return]

    def tell(self) -> int:
        self._ensure_read()
        return self._file.tell()  # type: ignore[no-any-return]

    def seekable(self) -> bool:
        return True  # once read (Django 6.1's request.body seeks to the end to check the size)

    def readable(self) -> bool:
        return True

    def __iter__(self) -> Any:
        self._ensure_read()
        return iter(self._file)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._closed = True

    _closed = False

    @property
    def closed(self) -> bool:
        return self._closed


def request_body(scope: MutableMapping[str, Any], receive: Receive) -> RequestBody:
    """The `RequestBody` of an ASGI HTTP request, from its ``Content-Type`` and ``Content-Length``."""
    content_type = ""
    content_length: int | None = None
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            content_type = value.decode("latin-1").lower()
        elif name == b"content-length":
            try:
                content_length = int(value)
            except ValueError:
                content_length = None
    return RequestBody(receive, content_type, content_length)


def pending_body(request: Any) -> RequestBody | None:
    """*request*'s `RequestBody` (a Django ``HttpRequest`` or DRF ``Request``) while part of it is still to be read."""
    body = getattr(getattr(request, "_request", request), "_drf_async_body", None)
    return body if body is not None and body.pending else None


async def aread_body(request: Any) -> None:
    """
    Read the rest of *request*'s body (a Django ``HttpRequest`` or DRF ``Request``) before
    sync code on the event loop reads ``request.body``, ``request.POST`` or ``request.data``.
    A no-op when the body has been read already, or is not read at all (over the limit).
    """
    body = pending_body(request)
    if body is not None:
        await body.aread()
