"""
The request body under `AsyncHandler` (drf_async.body): read before the view when it fits in
memory, never when it is over DATA_UPLOAD_MAX_MEMORY_SIZE, and otherwise when the view asks
for it. Each test counts the ASGI messages the handler took from ``receive()``. The same on
real gunicorn processes, with 200 MB bodies: tests/server/test_bench_reliability.py.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import JsonResponse
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from drf_async.body import BodyNotRead, aread_body
from drf_async.handler import AsyncHandler
from drf_async.views import AsyncAPIView
from tests.test_handler import Exchange

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db(transaction=True)]

CHUNK = 16 * 1024
IN_MEMORY = 64 * 1024  # FILE_UPLOAD_MAX_MEMORY_SIZE in these tests
LIMIT = 128 * 1024  # DATA_UPLOAD_MAX_MEMORY_SIZE


def describe(request) -> dict:
    return {
        "fields": {key: request.data[key] for key in request.data if key != "file"},
        "files": {name: upload.size for name, upload in request.FILES.items()},
    }


class Guarded(AsyncAPIView):
    permission_classes = [IsAuthenticated]

    async def post(self, request):
        return Response(describe(request))


class SyncGuarded(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request):
        return Response(describe(request))


class Upload(AsyncAPIView):
    permission_classes = [AllowAny]

    async def post(self, request):
        return Response(describe(request))

    async def put(self, request):
        return Response({"length": len(json.dumps(request.data))})


class SyncUpload(APIView):
    """A sync DRF view: it reads the body from its thread, as it parses."""

    permission_classes = [AllowAny]

    def post(self, request):
        return Response(describe(request))


class PeekingAuthentication(BaseAuthentication):
    """An async authenticator that reads the body on the loop (it must await it first)."""

    awaits = True

    async def authenticate(self, request):
        if self.awaits:
            await aread_body(request)
        request.data  # noqa: B018
        return None


class Peeking(Upload):
    authentication_classes = [PeekingAuthentication]


class NotAwaiting(PeekingAuthentication):
    awaits = False


class NotAwaitingView(Upload):
    authentication_classes = [NotAwaiting]


class Slow(AsyncAPIView):
    permission_classes = [AllowAny]
    started: asyncio.Event

    async def post(self, request):
        self.started.set()
        await asyncio.sleep(10)
        return Response(describe(request))


@csrf_exempt
async def django_view(request):
    return JsonResponse({"length": len(request.body)})


class BodyReadingMiddleware:
    """Async middleware of a kind drf_async does not know: it may read the body on the loop."""

    async_capable = True
    sync_capable = False

    def __init__(self, get_response):
        self.get_response = get_response

    async def __call__(self, request):
        request.first_bytes = request.read(16)
        return await self.get_response(request)


urlpatterns = [
    path("guarded/", Guarded.as_view()),
    path("sync-guarded/", SyncGuarded.as_view()),
    path("upload/", Upload.as_view()),
    path("sync-upload/", SyncUpload.as_view()),
    path("peeking/", Peeking.as_view()),
    path("not-awaiting/", NotAwaitingView.as_view()),
    path("slow/", Slow.as_view()),
    path("django/", django_view),
]


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = IN_MEMORY
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT


@pytest.fixture
def handler():
    handler = AsyncHandler(max_threads=2)
    yield handler
    for future in handler.thread_pool.shutdown():
        future.result(timeout=5)


def upload(size: int, chunk: int = CHUNK) -> tuple[list[bytes], list[tuple[bytes, bytes]]]:
    """A multipart body with one file of *size* bytes, in ASGI chunks, and its headers."""
    data = encode_multipart(BOUNDARY, {"title": "a", "file": SimpleUploadedFile("f.bin", b"x" * size)})
    headers = [(b"content-type", MULTIPART_CONTENT.encode()), (b"content-length", str(len(data)).encode())]
    return [data[i:i + chunk] for i in range(0, len(data), chunk)], headers


def json_body(size: int, length: bool = True) -> tuple[list[bytes], list[tuple[bytes, bytes]]]:
    data = json.dumps({"blob": "x" * size}).encode()
    headers = [(b"content-type", b"application/json")]
    if length:
        headers.append((b"content-length", str(len(data)).encode()))
    return [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)], headers


async def exchange(handler, path, chunks, headers, method="POST") -> tuple[Exchange, int]:
    """Run the request; returns it and how many body chunks the handler took."""
    request = Exchange(path=path, method=method, body=chunks, headers=headers)
    await request.run(handler)
    return request, len(chunks) - len(request._incoming)


def answer(request: Exchange) -> tuple[int, object]:
    start = next(m for m in request.sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in request.sent if m["type"] == "http.response.body")
    try:
        return start["status"], json.loads(body)
    except ValueError:
        return start["status"], body


async def test_a_refused_upload_is_read_no_further_than_memory_allows(handler):
    """A 1 MB upload to a view that answers 403: the handler took FILE_UPLOAD_MAX_MEMORY_SIZE of it."""
    chunks, headers = upload(1024 * 1024)
    ours, taken = await exchange(handler, "/guarded/", chunks, headers)
    sync, sync_taken = await exchange(handler, "/sync-guarded/", chunks, headers)
    assert answer(ours) == answer(sync)
    assert answer(ours)[0] in (401, 403)
    assert taken == IN_MEMORY // CHUNK
    assert sync_taken == taken  # the sync view refused it before reading, from its thread


async def test_an_accepted_upload_is_read_whole(handler):
    """The same upload to a view that accepts it: read after the checks, the file spooled whole."""
    chunks, headers = upload(1024 * 1024)
    request, taken = await exchange(handler, "/upload/", chunks, headers)
    assert answer(request) == (200, {"fields": {"title": "a"}, "files": {"file": 1024 * 1024}})
    assert taken == len(chunks)


async def test_a_sync_view_reads_the_rest_from_its_thread(handler):
    chunks, headers = upload(1024 * 1024)
    request, taken = await exchange(handler, "/sync-upload/", chunks, headers)
    assert answer(request) == (200, {"fields": {"title": "a"}, "files": {"file": 1024 * 1024}})
    assert taken == len(chunks)


async def test_a_json_body_over_the_limit_is_not_read(handler):
    """Content-Length over DATA_UPLOAD_MAX_MEMORY_SIZE: nothing read, Django's 400 (as sync DRF)."""
    chunks, headers = json_body(LIMIT * 4)
    request, taken = await exchange(handler, "/upload/", chunks, headers, method="PUT")
    assert answer(request)[0] == 400
    assert taken == 0


async def test_a_chunked_body_is_cut_off_at_the_limit(handler):
    """No Content-Length: read up to the limit, not a chunk further; then Django's 400."""
    chunks, headers = json_body(LIMIT * 4, length=False)
    request, taken = await exchange(handler, "/django/", chunks, headers)
    assert answer(request)[0] == 400
    assert taken == LIMIT // CHUNK + 1


async def test_a_body_within_the_limit_is_read_before_the_view(handler, settings):
    """Past FILE_UPLOAD_MAX_MEMORY_SIZE but within the limit: parsed in full, by any view."""
    chunks, headers = json_body(LIMIT - 1024)
    request, taken = await exchange(handler, "/upload/", chunks, headers, method="PUT")
    assert answer(request) == (200, {"length": len(b"".join(chunks))})
    request, taken = await exchange(handler, "/django/", chunks, headers)
    assert answer(request) == (200, {"length": len(b"".join(chunks))})
    assert taken == len(chunks)


async def test_async_code_that_reads_on_the_loop_awaits_the_body_first(handler, caplog):
    """An async authenticator that reads the body: with aread_body() it works; without, a clear error."""
    chunks, headers = upload(1024 * 1024)
    request, _ = await exchange(handler, "/peeking/", chunks, headers)
    assert answer(request) == (200, {"fields": {"title": "a"}, "files": {"file": 1024 * 1024}})
    request, _ = await exchange(handler, "/not-awaiting/", chunks, headers)
    assert answer(request)[0] == 500
    error = next(record for record in caplog.records if record.exc_info)
    assert error.exc_info[0] is BodyNotRead and "await drf_async.body.aread_body(request)" in error.getMessage() + str(
        error.exc_info[1]
    )


async def test_unknown_async_middleware_gets_the_whole_body_first(settings):
    """Django's way when async middleware of unknown kind could read the body on the loop."""
    settings.MIDDLEWARE = [f"{__name__}.BodyReadingMiddleware"]
    handler = AsyncHandler(max_threads=2)
    assert handler.read_body_first
    chunks, headers = upload(1024 * 1024)
    request, taken = await exchange(handler, "/guarded/", chunks, headers)
    assert answer(request)[0] in (401, 403)
    assert taken == len(chunks)
    settings.MIDDLEWARE = ["django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware"]
    assert not AsyncHandler(max_threads=2).read_body_first


async def test_a_client_that_leaves_mid_body_aborts_the_view(handler):
    """The disconnect arrives where the rest of the body was due: the request ends with no response."""
    chunks, headers = upload(1024 * 1024)
    request = Exchange(path="/upload/", method="POST", body=chunks[: IN_MEMORY // CHUNK + 2], headers=headers)
    request._incoming[-1]["more_body"] = True
    request.disconnected.set()
    await request.run(handler)
    assert not any(m["type"] == "http.response.start" for m in request.sent)


async def test_disconnect_is_watched_once_the_body_is_read(handler):
    """The disconnect watch listens only after the body: it never takes a body chunk for a disconnect."""
    Slow.started = asyncio.Event()
    chunks, headers = upload(1024 * 1024)
    request = Exchange(path="/slow/", method="POST", body=chunks, headers=headers)
    task = asyncio.ensure_future(request.run(handler))
    await asyncio.wait_for(Slow.started.wait(), 5)
    assert not request._incoming  # the view's body read took every chunk
    request.disconnected.set()  # now the watch hears the client leave, and cancels the view
    await asyncio.wait_for(task, 5)
    assert not any(m["type"] == "http.response.start" for m in request.sent)

