"""The sample API's endpoints, written against drf_async's public classes."""

import asyncio

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import filters, permissions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action, authentication_classes, permission_classes
from rest_framework.response import Response

from drf_async.decorators import api_view
from drf_async.pagination import AsyncPageNumberPagination
from drf_async.viewsets import AsyncModelViewSet

from .models import Note
from .serializers import NoteSerializer


@extend_schema(responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
@permission_classes([permissions.AllowAny])
async def health(request):
    """Liveness probe: no database, no thread hop."""
    return Response({"status": "ok"})


@extend_schema(responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
@permission_classes([permissions.AllowAny])
async def slow(request):
    """Waits `ms` milliseconds (default 50) on the event loop, like a call to another service."""
    try:
        ms = min(int(request.query_params.get("ms", 50)), 10_000)
    except ValueError:
        ms = 50
    await asyncio.sleep(ms / 1000)
    return Response({"slept_ms": ms})


@extend_schema(responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
@authentication_classes([TokenAuthentication, SessionAuthentication])
@permission_classes([permissions.IsAuthenticated])
async def whoami(request):
    return Response({"username": request.user.username})


class IsOwnerOrReadOnly(permissions.BasePermission):
    """Anyone may read; only a note's owner may change or delete it."""

    message = "Only the owner may change this note."

    async def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or obj.owner_id == request.user.pk


class NotePagination(AsyncPageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class NoteViewSet(AsyncModelViewSet):
    """Notes: anyone may list and read them; signed-in users write their own."""

    queryset = Note.objects.select_related("owner")
    serializer_class = NoteSerializer
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsOwnerOrReadOnly]
    pagination_class = NotePagination
    filter_backends = [filters.SearchFilter, filters.OrderingFilter]
    search_fields = ["title", "body"]
    ordering_fields = ["created", "title"]

    async def perform_create(self, serializer):
        await serializer.asave(owner=self.request.user)

    @action(detail=False)
    async def mine(self, request):
        """The signed-in user's own notes."""
        if not request.user.is_authenticated:
            self.permission_denied(request)
        notes = [note async for note in self.queryset.filter(owner=request.user)]
        return Response(await NoteSerializer(notes, many=True).adata)
