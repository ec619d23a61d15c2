"""The benchmark's endpoints: one per pairing in bench/serve.py."""

from __future__ import annotations

import asyncio
import time

from adrf.views import APIView as ADRFAPIView
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from drf_async.views import AsyncAPIView


class SyncHello(APIView):
    def get(self, request):
        return Response({"hello": "world"})


class SyncIO(APIView):
    def get(self, request):
        time.sleep(0.05)
        return Response({"hello": "world"})


class AsyncHello(AsyncAPIView):
    async def get(self, request):
        return Response({"hello": "world"})


class AsyncIO(AsyncAPIView):
    async def get(self, request):
        await asyncio.sleep(0.05)
        return Response({"hello": "world"})


class SyncDBWait(APIView):
    """One ORM query, then 200 ms waiting on another service (here: a sleep)."""

    def get(self, request):
        count = User.objects.count()
        time.sleep(0.2)
        return Response({"count": count})


class AsyncDBWait(AsyncAPIView):
    async def get(self, request):
        count = await User.objects.acount()
        await asyncio.sleep(0.2)
        return Response({"count": count})


class AsyncWait(AsyncAPIView):
    """The same wait with no query: what the thread pool cannot be blamed for."""

    async def get(self, request):
        await asyncio.sleep(0.2)
        return Response({"count": 0})


class ADRFHello(ADRFAPIView):
    async def get(self, request):
        return Response({"hello": "world"})


async def plain(request):
    return HttpResponse(b'{"hello":"world"}', content_type="application/json")


urlpatterns = [
    path("sync/", SyncHello.as_view()),
    path("sync-io/", SyncIO.as_view()),
    path("async/", AsyncHello.as_view()),
    path("async-io/", AsyncIO.as_view()),
    path("adrf/", ADRFHello.as_view()),
    path("sync-db-wait/", SyncDBWait.as_view()),
    path("async-db-wait/", AsyncDBWait.as_view()),
    path("async-wait/", AsyncWait.as_view()),
    path("plain/", plain),
]
