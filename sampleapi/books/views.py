"""
The bookshop's endpoints: `AsyncModelViewSet`s on DRF's own `DefaultRouter`.

Hooks mix modes, as real projects do: `BookViewSet.perform_create` is ``async def``
(awaited on the loop), `BookViewSet.get_queryset` and `AuthorViewSet.perform_create` are
left sync as copied from a DRF project (each runs in one thread hop).
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Avg
from django.http import StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import filters, permissions, renderers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.response import Response

from drf_async.lifespan import resource
from drf_async.serializers import adata
from drf_async.viewsets import AsyncModelViewSet, AsyncReadOnlyModelViewSet

from .availability import availability
from .filters import BookFilter, NullsLastOrderingFilter
from .models import Author, Book, Review, Tag
from .pagination import BookshopPagination
from .permissions import IsOwnerOrReadOnly
from .serializers import AuthorSerializer, AvailabilitySerializer, BookSerializer, ReviewSerializer, TagSerializer

EXPORT_FIELDS = ("id", "title", "isbn", "author__name", "published", "price")
# Token for API clients, session for the browsable API's login; throttles come from settings.
AUTHENTICATION = [TokenAuthentication, SessionAuthentication]


class NDJSONRenderer(renderers.BaseRenderer):
    """Newline-delimited JSON: what the export streams (and how its errors are rendered)."""

    media_type = "application/x-ndjson"
    format = "ndjson"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data, cls=DjangoJSONEncoder).encode() + b"\n"


class AuthorViewSet(AsyncModelViewSet):
    """Authors: anyone may read them; signed-in users add authors and edit their own."""

    queryset = Author.objects.select_related("owner")
    serializer_class = AuthorSerializer
    pagination_class = BookshopPagination
    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsOwnerOrReadOnly]
    filter_backends = [filters.SearchFilter, filters.OrderingFilter]
    search_fields = ["name", "bio"]
    ordering_fields = ["name", "id"]

    def perform_create(self, serializer):
        # Left sync, as in a DRF project: runs in one thread hop.
        serializer.save(owner=self.request.user)


class TagViewSet(AsyncReadOnlyModelViewSet):
    """Tags books carry; filter books by one with `/api/books/?tag=NAME`."""

    queryset = Tag.objects.all()
    serializer_class = TagSerializer
    pagination_class = None


class ReviewViewSet(AsyncReadOnlyModelViewSet):
    """Every review, newest first; write one with `POST /api/books/{id}/reviews/`."""

    queryset = Review.objects.select_related("user")
    serializer_class = ReviewSerializer
    pagination_class = BookshopPagination
    filter_backends = [DjangoFilterBackend, filters.OrderingFilter]
    filterset_fields = ["book", "user", "rating"]
    ordering_fields = ["created", "rating"]


class BookViewSet(AsyncModelViewSet):
    """Books: filter (`author`, `tag`, `min_price`…), `search` and `ordering`; owners edit their own."""

    queryset = Book.objects.all()
    serializer_class = BookSerializer
    pagination_class = BookshopPagination
    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsOwnerOrReadOnly]
    filter_backends = [DjangoFilterBackend, filters.SearchFilter, NullsLastOrderingFilter]
    filterset_class = BookFilter
    search_fields = ["title", "author__name", "isbn"]
    ordering_fields = ["title", "published", "price", "created", "rating"]
    ordering = ["title", "id"]

    def get_queryset(self):
        # Left sync, as in a DRF project; it builds a lazy queryset and queries nothing.
        return (
            Book.objects.select_related("author", "owner")
            .prefetch_related("tags")
            .annotate(rating=Avg("reviews__rating"))
        )

    async def perform_create(self, serializer):
        # Async: awaited on the event loop; asave() is one thread hop.
        await serializer.asave(owner=self.request.user)

    @extend_schema(request=ReviewSerializer, responses={200: ReviewSerializer(many=True), 201: ReviewSerializer})
    @action(detail=True, methods=["get", "post"], permission_classes=[permissions.IsAuthenticatedOrReadOnly],
            serializer_class=ReviewSerializer, filter_backends=[], pagination_class=None)
    async def reviews(self, request, pk=None):
        """A book's reviews; POST one (signed in, one per reader, rating 1-5)."""
        book = await self.aget_object()
        if request.method == "GET":
            rows = [review async for review in book.reviews.select_related("user")]
            return Response(await adata(ReviewSerializer(rows, many=True)))
        serializer = ReviewSerializer(data=request.data, context={**self.get_serializer_context(), "book": book})
        await serializer.ais_valid(raise_exception=True)
        await serializer.asave(book=book, user=request.user)
        return Response(await serializer.adata, status=status.HTTP_201_CREATED)

    @action(detail=False, pagination_class=None)
    async def top(self, request):
        """The ten best-rated books (those with a review), best first."""
        queryset = (await self.aget_queryset()).filter(rating__isnull=False).order_by("-rating", "title")[:10]
        books = [book async for book in queryset]
        return Response(await adata(self.get_serializer(books, many=True)))

    @extend_schema(responses={200: AvailabilitySerializer(many=True)})
    @action(detail=True, filter_backends=[], pagination_class=None)
    async def availability(self, request, pk=None):
        """
        Ask every store concurrently whether it has the book. A store that fails or times out
        is listed with `available: false`; 504 when no store answered.
        """
        book = await self.aget_object()
        return Response(await availability(resource(request, "http"), book.isbn))

    @extend_schema(responses={(200, "application/x-ndjson"): OpenApiTypes.STR})
    @action(detail=False, renderer_classes=[NDJSONRenderer], pagination_class=None,
            filter_backends=[DjangoFilterBackend, filters.SearchFilter])
    async def export(self, request):
        """Every book (the list's filters apply) as NDJSON, streamed in constant memory."""
        queryset = await self.afilter_queryset(Book.objects.order_by("id"))
        rows = queryset.values(*EXPORT_FIELDS)

        async def lines():
            async for row in rows.aiterator(chunk_size=1000):
                row["author"] = row.pop("author__name")
                yield json.dumps(row, cls=DjangoJSONEncoder).encode() + b"\n"

        return StreamingHttpResponse(lines(), content_type="application/x-ndjson")
