"""
The scenarios on drf_async, as a DRF user moving to it writes them: the generic views keep
their sync hooks (DRF's own action then runs in one thread hop), the hand-written views await
the async ORM and the worker's shared clients (`drf_async.lifespan.resource()`).
"""

from __future__ import annotations

import asyncio
import json

from rest_framework import permissions
from rest_framework.response import Response

from drf_async.generics import AsyncCreateAPIView, AsyncListAPIView, AsyncRetrieveAPIView
from drf_async.lifespan import resource
from drf_async.pagination import AsyncPageNumberPagination
from drf_async.views import AsyncAPIView
from drf_async.viewsets import AsyncModelViewSet

from .auth import AsyncJWTAuthentication
from .models import Item
from .payloads import CACHE_KEY, JSON_10K, UPSTREAM_PATHS
from .serializers import ArticleSerializer, ItemSerializer
from .sync_views import ARTICLES


class ArticlePagination(AsyncPageNumberPagination):
    page_size = 20


class ItemList(AsyncAPIView):
    async def get(self, request):
        items = [item async for item in Item.objects.order_by("id")[:10]]
        return Response(ItemSerializer(items, many=True).data)


class ArticleDetail(AsyncRetrieveAPIView):
    queryset = ARTICLES
    serializer_class = ArticleSerializer


class JWTArticleDetail(ArticleDetail):
    authentication_classes = [AsyncJWTAuthentication]
    permission_classes = [permissions.IsAuthenticated]


class ArticleList(AsyncListAPIView):
    queryset = ARTICLES
    serializer_class = ArticleSerializer
    pagination_class = ArticlePagination


class ArticleCreate(AsyncCreateAPIView):
    serializer_class = ArticleSerializer


class JSON10K(AsyncAPIView):
    async def get(self, request):
        return Response(JSON_10K)


class CacheRead(AsyncAPIView):
    async def get(self, request):
        return Response(json.loads(await resource(request, "redis").get(CACHE_KEY)))


class HttpxFanout(AsyncAPIView):
    """The three upstream calls at once on the worker's shared `httpx.AsyncClient`."""

    async def get(self, request):
        client = resource(request, "httpx")

        async def call(path):
            reply = await client.get(path)
            reply.raise_for_status()
            return reply.json()

        return Response({"results": await asyncio.gather(*(call(path) for path in UPSTREAM_PATHS))})


class AiohttpFanout(AsyncAPIView):
    """The same on the worker's one shared `aiohttp.ClientSession`."""

    async def get(self, request):
        session = resource(request, "http")

        async def call(path):
            async with session.get(path, raise_for_status=True) as reply:
                return await reply.json()

        return Response({"results": await asyncio.gather(*(call(path) for path in UPSTREAM_PATHS))})


class ArticleViewSet(AsyncModelViewSet):
    """The same ModelViewSet, its base class changed: the sync get_queryset() stays."""

    serializer_class = ArticleSerializer
    pagination_class = None

    def get_queryset(self):
        return ARTICLES.order_by("id")[:50]
