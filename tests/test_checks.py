"""drf_async's system checks: each mistake is reported at startup, naming the class and the fix."""

from __future__ import annotations

import gc

import pytest
from django.core import checks
from django.test import override_settings
from rest_framework import decorators as drf
from rest_framework import viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from drf_async.views import AsyncAPIView


@pytest.fixture
def messages():
    """Runs all registered checks; classes a test defines are dropped afterwards."""
    yield lambda: checks.run_checks(tags=["drf_async"])
    gc.collect()


def about(found, cls_or_name):
    label = cls_or_name if isinstance(cls_or_name, str) else cls_or_name.__qualname__
    return [m for m in found if label in m.msg]


def test_async_handler_on_plain_apiview_is_e001(messages):
    class PlainWithAsync(APIView):
        async def get(self, request):
            return Response()

    [error] = about(messages(), PlainWithAsync)
    assert error.id == "drf_async.E001" and error.level == checks.ERROR
    assert "get" in error.msg and "AsyncAPIView" in error.hint
    assert error.obj is PlainWithAsync


def test_async_action_on_plain_viewset_is_e001(messages):
    class PlainViewSet(viewsets.ViewSet):
        async def list(self, request):
            return Response()

        @drf.action(detail=False)
        async def recent(self, request):
            return Response()

    [error] = about(messages(), PlainViewSet)
    assert error.id == "drf_async.E001" and "list, recent" in error.msg


def test_drf_api_view_on_async_function_is_e001(messages):
    @drf.api_view(["GET"])
    async def wrongly_decorated(request):
        return Response()

    [error] = about(messages(), "wrongly_decorated")
    assert error.id == "drf_async.E001" and error.msg.startswith("Function view tests.test_checks.")
    assert "drf_async.decorators.api_view" in error.hint


def test_drf_async_api_view_is_not_reported(messages):
    """Our api_view builds on DRF's; the intermediate DRF class it replaces is not an E001."""
    from drf_async.decorators import api_view

    @api_view(["GET"])
    async def rightly_decorated(request):
        return Response()

    assert about(messages(), "rightly_decorated") == []


def test_mixed_handlers_on_async_view_are_e002(messages):
    class Mixed(AsyncAPIView):
        def get(self, request):
            return Response()

        async def post(self, request):
            return Response()

    [error] = about(messages(), Mixed)
    assert error.id == "drf_async.E002"
    assert "get sync, post async" in error.msg and "all sync or all async" in error.msg


def test_async_override_of_a_sync_hook_is_e003(messages):
    class AwaitsNothing(AsyncAPIView):
        async def get(self, request):
            return Response()

        async def check_permissions(self, request):
            pass

    [error] = about(messages(), AwaitsNothing)
    assert error.id == "drf_async.E003" and "acheck_permissions" in error.hint


def test_sync_override_of_initial_is_e003(messages):
    class SyncInitial(AsyncAPIView):
        async def get(self, request):
            return Response()

        def initial(self, request, *args, **kwargs):
            pass

    [error] = about(messages(), SyncInitial)
    assert error.id == "drf_async.E003" and "async def initial" in error.hint


def test_correct_views_raise_nothing(messages):
    class Fine(AsyncAPIView):
        async def get(self, request):
            return Response()

    class FineSync(APIView):
        def get(self, request):
            return Response()

    found = messages()
    assert about(found, Fine) == [] and about(found, FineSync) == []


def test_async_views_without_asgi_entry_point_is_w001(messages):
    """No ASGI_APPLICATION and no asgi.py beside wsgi.py/urls.py: warn, and say how to serve ASGI."""

    class Served(AsyncAPIView):
        async def get(self, request):
            return Response()

    with override_settings(ASGI_APPLICATION=None, WSGI_APPLICATION="drf_async_nowhere.wsgi.application",
                           ROOT_URLCONF="tests.urls"):
        # tests/asgi.py exists beside tests/urls.py, so the project is still found to have one.
        assert [m for m in messages() if m.id == "drf_async.W001"] == []
    with override_settings(ASGI_APPLICATION=None, WSGI_APPLICATION="drf_async_nowhere.wsgi.application",
                           ROOT_URLCONF="drf_async_nowhere.urls"):
        [warning] = [m for m in messages() if m.id == "drf_async.W001"]
    assert warning.level == checks.WARNING and "AiohttpWorker" in warning.hint
