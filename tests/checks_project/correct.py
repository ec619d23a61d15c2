"""Views only the URLconf imports, each written right: drf_async's checks must report none of them."""

from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from drf_async import generics as async_generics
from drf_async import viewsets as async_viewsets
from drf_async.views import AsyncAPIView
from tests.models import BasicModel


class BasicSerializer(serializers.ModelSerializer):
    class Meta:
        model = BasicModel
        fields = "__all__"


class SyncView(APIView):
    def get(self, request):
        return Response()

    async def notify(self):  # a helper, not a handler
        pass


class MixedView(AsyncAPIView):
    def get(self, request):
        return Response()

    async def post(self, request):
        return Response()


class SyncGetOnAsyncCreate(async_generics.AsyncCreateAPIView):
    queryset = BasicModel.objects.all()
    serializer_class = BasicSerializer

    def get(self, request):
        return Response()


class SyncActionsViewSet(async_viewsets.AsyncModelViewSet):
    queryset = BasicModel.objects.all()
    serializer_class = BasicSerializer

    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)


class PlainList(generics.ListAPIView):
    queryset = BasicModel.objects.all()
    serializer_class = BasicSerializer
