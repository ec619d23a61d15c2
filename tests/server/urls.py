"""Views the real-gunicorn tests request; each pins one behaviour of the serving stack."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time

from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from drf_async.throttling import AsyncAnonRateThrottle
from drf_async.views import AsyncAPIView


async def hello(request):
    return HttpResponse(b"hello", headers={"X-Pid": str(os.getpid())})


async def cookies(request):
    response = HttpResponse(b"cookies")
    response.set_cookie("first", "1")
    response.set_cookie("second", "2")
    return response


@csrf_exempt
async def upload(request):
    body = request.body
    return JsonResponse({"length": len(body), "sha256": hashlib.sha256(body).hexdigest()})


async def headers(request):
    """A response whose headers the server must pass on, drop or act upon: ?close=1 asks for
    ``Connection: close``, ?size= the body's size, ?length= the Content-Length it states."""
    response = HttpResponse(b"h" * int(request.GET.get("size", 3)), status=201, headers={"X-Word": "café"})
    if "length" in request.GET:
        response["Content-Length"] = request.GET["length"]
    if "close" in request.GET:
        response["Connection"] = "close"
    response.set_cookie("c", "1", httponly=True)
    return response


async def stream(request):
    count, size = int(request.GET.get("n", 10)), int(request.GET.get("size", 1024))

    async def chunks():
        for i in range(count):
            yield bytes([65 + i % 26]) * size

    return StreamingHttpResponse(chunks(), content_type="application/octet-stream")


async def sleep(request):
    """Sleep ?s= seconds; with ?marker=FILE, write how it ended there (done/cancelled)."""
    marker = request.GET.get("marker")
    try:
        await asyncio.sleep(float(request.GET.get("s", 1)))
    except asyncio.CancelledError:
        if marker:
            with open(marker, "w") as f:
                f.write("cancelled")
        raise
    if marker:
        with open(marker, "w") as f:
            f.write("done")
    return HttpResponse(b"slept", headers={"X-Pid": str(os.getpid())})


async def block(request):
    """Hold the event loop ?s= seconds (a view that blocks: what arrives meanwhile waits)."""
    time.sleep(float(request.GET.get("s", 0.5)))
    return HttpResponse(b"blocked", headers={"X-Pid": str(os.getpid())})


async def scope(request):
    return JsonResponse(
        {
            "scheme": request.scheme,
            "remote_addr": request.META.get("REMOTE_ADDR"),
            "script_name": request.META.get("SCRIPT_NAME"),
            "path": request.path,
            "path_info": request.path_info,
            "http_version": request.scope["http_version"],
            "x_multi": request.headers.get("X-Multi"),
            "loop": type(asyncio.get_running_loop()).__module__,
        }
    )


class DRFHello(AsyncAPIView):
    authentication_classes = []
    permission_classes = []

    async def get(self, request):
        return Response({"hello": "world"})


class Throttled(AsyncAPIView):
    """Anonymous requests at DEFAULT_THROTTLE_RATES["anon"] (10/min), counted in the cache."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = [AsyncAnonRateThrottle]

    async def get(self, request):
        return Response({"pid": os.getpid()})


class DRFThrottled(Throttled):
    """The same with DRF's own AnonRateThrottle (read, then write)."""

    throttle_classes = [AnonRateThrottle]


urlpatterns = [
    path("hello/", hello),
    path("cookies/", cookies),
    path("upload/", upload),
    path("headers/", headers),
    path("stream/", stream),
    path("sleep/", sleep),
    path("block/", block),
    path("scope/", scope),
    path("drf/", DRFHello.as_view()),
    path("throttled/", Throttled.as_view()),
    path("throttled-drf/", DRFThrottled.as_view()),
]
