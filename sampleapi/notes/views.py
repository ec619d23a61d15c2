"""The sample API's endpoints, written against drf_async's public classes."""

import asyncio

from asgiref.sync import sync_to_async
from django.http import Http404
from rest_framework import permissions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import authentication_classes, permission_classes
from rest_framework.response import Response

from drf_async.decorators import api_view
from drf_async.views import AsyncAPIView

from .models import Note
from .serializers import NoteSerializer


@api_view(["GET"])
@permission_classes([permissions.AllowAny])
async def health(request):
    """Liveness probe: no database, no thread hop."""
    return Response({"status": "ok"})


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


@api_view(["GET"])
@authentication_classes([TokenAuthentication, SessionAuthentication])
@permission_classes([permissions.IsAuthenticated])
async def whoami(request):
    return Response({"username": request.user.username})


class NoteList(AsyncAPIView):
    """List the latest notes, or create one (authenticated)."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    async def get(self, request):
        notes = [note async for note in Note.objects.select_related("owner")[:50]]
        return Response(NoteSerializer(notes, many=True).data)

    async def post(self, request):
        serializer = NoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        await sync_to_async(serializer.save)(owner=request.user)
        return Response(serializer.data, status=201)


class NoteDetail(AsyncAPIView):
    """Read a note; its owner may delete it."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    async def get_note(self, pk):
        try:
            return await Note.objects.select_related("owner").aget(pk=pk)
        except Note.DoesNotExist:
            raise Http404 from None

    async def get(self, request, pk):
        return Response(NoteSerializer(await self.get_note(pk)).data)

    async def delete(self, request, pk):
        note = await self.get_note(pk)
        if note.owner_id != request.user.pk:
            self.permission_denied(request, message="Only the owner may delete this note.")
        await note.adelete()
        return Response(status=204)
