"""Views only the URLconf imports: each is a mistake drf_async's checks must report."""

from rest_framework import viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from drf_async.views import AsyncAPIView


class ZAsyncGetOnPlainAPIView(APIView):
    async def get(self, request):
        return Response()


class AsyncListOnPlainViewSet(viewsets.ViewSet):
    async def list(self, request):
        return Response()


class AwaitsNothing(AsyncAPIView):
    async def get(self, request):
        return Response()

    async def check_throttles(self, request):
        pass
