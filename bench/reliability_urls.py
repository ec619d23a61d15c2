"""
bench/reliability.py's endpoints: the benchmark's (serve_urls.py), a database round trip, throttled
views, a view that refuses anonymous requests before reading the body, and one that parses it.
"""

from __future__ import annotations

from django.db import connection
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView
from serve_urls import urlpatterns as serve_urlpatterns

from drf_async.throttling import AsyncAnonRateThrottle
from drf_async.views import AsyncAPIView


def _query() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(0.02)")


class SyncDB(APIView):
    def get(self, request):
        _query()
        return Response({"hello": "world"})


class AsyncDB(AsyncAPIView):
    def get(self, request):  # sync: one hop to a pooled thread, which holds the connection
        _query()
        return Response({"hello": "world"})


class SyncThrottled(APIView):
    throttle_classes = [AnonRateThrottle]

    def get(self, request):
        return Response({"hello": "world"})


class AsyncThrottled(AsyncAPIView):
    throttle_classes = [AsyncAnonRateThrottle]

    async def get(self, request):
        return Response({"hello": "world"})


class SyncAuth(APIView):
    """Refuses an anonymous request (no authenticators: 403) before anything reads its body."""

    permission_classes = [IsAuthenticated]

    def post(self, request):
        return Response({"hello": "world"})


class AsyncAuth(AsyncAPIView):
    permission_classes = [IsAuthenticated]

    async def post(self, request):
        return Response({"hello": "world"})


class SyncParse(APIView):
    """Parses the body (DRF's JSONParser through `request.data`)."""

    def post(self, request):
        return Response({"items": len(request.data)})


class AsyncParse(AsyncAPIView):
    async def post(self, request):
        return Response({"items": len(request.data)})


urlpatterns = [
    *serve_urlpatterns,
    path("sync-db/", SyncDB.as_view()),
    path("async-db/", AsyncDB.as_view()),
    path("sync-throttled/", SyncThrottled.as_view()),
    path("async-throttled/", AsyncThrottled.as_view()),
    path("sync-auth/", SyncAuth.as_view()),
    path("async-auth/", AsyncAuth.as_view()),
    path("sync-parse/", SyncParse.as_view()),
    path("async-parse/", AsyncParse.as_view()),
]
