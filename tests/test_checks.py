"""drf_async's system checks: each mistake is reported at startup, naming the class and the fix."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks
from django.test import override_settings
from rest_framework import decorators as drf
from rest_framework import viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from drf_async import generics as async_generics
from drf_async import viewsets as async_viewsets
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


def test_adrf_views_with_async_handlers_are_not_reported(messages):
    """adrf's APIView dispatches async handlers itself: a project's adrf views are not drf_async's errors."""
    adrf_views = pytest.importorskip("adrf.views")

    class ADRFAsync(adrf_views.APIView):
        async def get(self, request):
            return Response()

    class PlainWithAsyncBeside(APIView):
        async def get(self, request):
            return Response()

    found = messages()
    assert about(found, ADRFAsync) == []
    assert [m.id for m in about(found, PlainWithAsyncBeside)] == ["drf_async.E001"]


def test_async_throttle_on_plain_apiview_is_e004(messages):
    """drf_async's throttles (async allow_request) on a sync DRF view would never throttle: E004 says so."""
    from drf_async.throttling import AsyncAnonRateThrottle

    class PlainThrottled(APIView):
        throttle_classes = [AsyncAnonRateThrottle]

        def get(self, request):
            return Response()

    [error] = about(messages(), PlainThrottled)
    assert error.id == "drf_async.E004" and "allow_request" in error.msg and "throttle_classes" in error.msg
    assert "AsyncAPIView" in error.hint


def test_async_permission_on_plain_apiview_is_e004(messages):
    """An ``async def has_permission`` on a sync DRF view's permission would be a truthy coroutine: E004."""
    from rest_framework.permissions import BasePermission

    class AsyncPermission(BasePermission):
        async def has_permission(self, request, view):
            return False

    class PlainPermitted(APIView):
        permission_classes = [AsyncPermission]

        def get(self, request):
            return Response()

    [error] = about(messages(), PlainPermitted)
    assert error.id == "drf_async.E004" and "has_permission" in error.msg


def test_async_policies_on_async_views_are_not_flagged(messages):
    """The same policies on drf_async's views (where they are awaited) and DRF's sync ones on DRF views: no E004."""
    from rest_framework.throttling import AnonRateThrottle

    from drf_async.throttling import AsyncAnonRateThrottle

    class AsyncThrottled(AsyncAPIView):
        throttle_classes = [AsyncAnonRateThrottle]

        async def get(self, request):
            return Response()

    class PlainWithDRFThrottle(APIView):
        throttle_classes = [AnonRateThrottle]

        def get(self, request):
            return Response()

    found = messages()
    assert about(found, AsyncThrottled) == [] and about(found, PlainWithDRFThrottle) == []


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


def test_mixed_handlers_on_drf_async_classes_are_not_reported(messages):
    """drf_async.E002 is retired: sync and async handlers/actions may mix on any drf_async class."""

    class Mixed(AsyncAPIView):
        def get(self, request):
            return Response()

        async def post(self, request):
            return Response()

    class SyncActions(async_viewsets.AsyncModelViewSet):
        def list(self, request, *args, **kwargs):
            return Response()

        def create(self, request, *args, **kwargs):
            return Response()

        def retrieve(self, request, *args, **kwargs):
            return Response()

        def update(self, request, *args, **kwargs):
            return Response()

        def destroy(self, request, *args, **kwargs):
            return Response()

    class SyncGet(async_generics.AsyncCreateAPIView):
        def get(self, request):
            return Response()

    found = messages()
    assert about(found, Mixed) == [] and about(found, SyncActions) == [] and about(found, SyncGet) == []
    assert [m for m in found if m.id == "drf_async.E002"] == []


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


def test_sync_override_of_dispatch_is_not_e003(messages):
    """A sync dispatch() override (dj-rest-auth's, decorated) works, in a thread: nothing to report."""

    class SyncDispatch(AsyncAPIView):
        def dispatch(self, request, *args, **kwargs):
            return super().dispatch(request, *args, **kwargs)

        async def get(self, request):
            return Response()

    assert about(messages(), SyncDispatch) == []


def test_sync_plain_views_with_async_helpers_are_not_e001(messages):
    """E001 is about handlers: an async helper on a sync DRF view or viewset is not one."""

    class HelperView(APIView):
        def get(self, request):
            return Response()

        async def notify(self):
            pass

    class HelperViewSet(viewsets.ModelViewSet):
        def list(self, request):
            return Response()

        async def audit(self):
            pass

    found = messages()
    assert about(found, HelperView) == [] and about(found, HelperViewSet) == []


def test_policy_hooks_in_the_right_mode_are_not_e003(messages):
    """A sync check_permissions, an async acheck_permissions and an async initial are what E003 asks for."""

    class SyncHook(AsyncAPIView):
        def check_permissions(self, request):
            super().check_permissions(request)

        async def acheck_throttles(self, request):
            await super().acheck_throttles(request)

        async def initial(self, request, *args, **kwargs):
            await super().initial(request, *args, **kwargs)

        def get(self, request):
            return Response()

    assert about(messages(), SyncHook) == []


def test_checks_report_in_class_path_order_whatever_runs_first(messages):
    """The W001 check running first (it scans the same classes) leaves E001's report and order unchanged."""

    class ZLate(APIView):
        async def get(self, request):
            return Response()

    class ALate(APIView):
        async def get(self, request):
            return Response()

    from drf_async import checks as drf_async_checks

    before = [m.msg for m in drf_async_checks.check_async_handlers()]
    drf_async_checks.check_asgi_entry_point()
    after = [m.msg for m in drf_async_checks.check_async_handlers()]
    assert after == before
    labels = [f"{m.obj.__module__}.{m.obj.__qualname__}" for m in drf_async_checks.check_async_handlers()]
    assert labels == sorted(labels) and len(about(messages(), ALate) + about(messages(), ZLate)) == 2


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
                           ROOT_URLCONF="tests.checks_project.urls_correct"):  # no asgi.py beside it
        [warning] = [m for m in messages() if m.id == "drf_async.W001"]
    assert warning.level == checks.WARNING and "AiohttpWorker" in warning.hint


def manage_check(urlconf: str) -> subprocess.CompletedProcess:
    """`manage.py check --tag drf_async` alone, in a fresh interpreter, on tests/checks_project/urls_<urlconf>.py."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.checks_project.settings", "DRF_ASYNC_CHECKS_URLCONF": urlconf}
    return subprocess.run([sys.executable, "-m", "django", "check", "--tag", "drf_async"], env=env,
                          cwd=Path(__file__).parent.parent, capture_output=True, text=True, timeout=120)


def test_check_command_imports_the_urlconf_and_reports_its_views():
    """Views only the URLconf imports are checked, and two runs report exactly the same."""
    first, second = manage_check("mistakes"), manage_check("mistakes")
    assert first.returncode == 1, first.stderr
    assert (second.returncode, second.stderr) == (first.returncode, first.stderr)
    reported = [line for line in first.stderr.splitlines() if "drf_async.E" in line]
    assert [line.split("'")[1] for line in reported] == [
        "tests.checks_project.mistakes.AsyncListOnPlainViewSet",
        "tests.checks_project.mistakes.AwaitsNothing",
        "tests.checks_project.mistakes.ZAsyncGetOnPlainAPIView",
    ]
    assert "(drf_async.E001)" in reported[0] and "(drf_async.E003)" in reported[1] and "E001" in reported[2]


def test_check_command_passes_a_correct_project():
    """Mixed handlers, sync action overrides, sync views with async helpers: `check --tag drf_async` is clean."""
    result = manage_check("correct")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
