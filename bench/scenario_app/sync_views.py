"""The scenarios on sync DRF, as a DRF project writes them."""

from __future__ import annotations

import json

from django.conf import settings
from rest_framework import generics, permissions, viewsets
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from .auth import JWTAuthentication
from .models import Article, Item
from .payloads import CACHE_KEY, JSON_10K, UPSTREAM_PATHS
from .resources import sync_clients
from .serializers import ArticleSerializer, ItemSerializer

ARTICLES = Article.objects.select_related("author").prefetch_related("tags")


class ArticlePagination(PageNumberPagination):
    page_size = 20


class ItemList(APIView):
    def get(self, request):
        items = Item.objects.order_by("id")[:10]
        return Response(ItemSerializer(items, many=True).data)


class ArticleDetail(generics.RetrieveAPIView):
    queryset = ARTICLES
    serializer_class = ArticleSerializer


class JWTArticleDetail(ArticleDetail):
    authentication_classes = [JWTAuthentication]
    permission_classes = [permissions.IsAuthenticated]


class ArticleList(generics.ListAPIView):
    queryset = ARTICLES
    serializer_class = ArticleSerializer
    pagination_class = ArticlePagination


class ArticleCreate(generics.CreateAPIView):
    serializer_class = ArticleSerializer


class JSON10K(APIView):
    def get(self, request):
        return Response(JSON_10K)


class CacheRead(APIView):
    def get(self, request):
        return Response(json.loads(sync_clients()["redis"].get(CACHE_KEY)))


class Fanout(APIView):
    """The three upstream calls one after another on a shared `requests.Session`."""

    def get(self, request):
        session = sync_clients()["http"]
        results = []
        for path in UPSTREAM_PATHS:
            reply = session.get(settings.BENCH_UPSTREAM_URL + path, timeout=5)
            reply.raise_for_status()
            results.append(reply.json())
        return Response({"results": results})


class ArticleViewSet(viewsets.ModelViewSet):
    """A ModelViewSet's list: 50 articles, their authors and tags, no pagination."""

    serializer_class = ArticleSerializer
    pagination_class = None

    def get_queryset(self):
        return ARTICLES.order_by("id")[:50]
