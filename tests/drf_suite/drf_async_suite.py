"""
A pytest plugin that runs DRF's own test suite through drf_async's classes, as a project
that changed only its base classes would (`make test-drf`, tests/drf_suite/run.py).

With ``--drf-async``, once DRF's conftest has configured Django and before DRF's test
modules are imported, DRF's view classes are drf_async's: `rest_framework.views.APIView`,
the generics, the mixins and the viewsets are their ``Async`` twins (each subclasses the
DRF class it replaces, so DRF's ``issubclass``/``isinstance`` relations stay true), and
DRF's `api_view` builds its function views' class on `AsyncAPIView`. Serializers, permissions,
renderers, parsers and paginators stay DRF's, as a migrating project's would.

A drf_async view is a coroutine function. DRF's tests call ``view(request)`` from sync
code and expect a response; here the view `as_view()` returns is a plain function that,
called with no event loop running (a direct call, Django's sync handler), runs the view to
completion through ``async_to_sync``, as Django's own handler does for a coroutine view
under WSGI; called with a loop running, it returns the coroutine.

Tests listed in ``expected_failures.txt`` (one node id and a reason a line) are marked as
strict expected failures: one that starts passing fails the run, so the list only shrinks.

``--drf-async-outcomes FILE`` writes each test's outcome (JSON), with or without the swap.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
from pathlib import Path
from typing import Any

import pytest

EXPECTED_FAILURES = Path(__file__).with_name("expected_failures.txt")

# module: {DRF name: drf_async name}
SWAPS = {
    "rest_framework.views": {"APIView": "drf_async.views.AsyncAPIView"},
    # The class DRF's api_view builds a function view on (DRF's suite has no async def
    # function view for drf_async's api_view to take).
    "rest_framework.decorators": {"APIView": "drf_async.views.AsyncAPIView"},
    "rest_framework.generics": {
        name: f"drf_async.generics.Async{name}"
        for name in (
            "GenericAPIView", "CreateAPIView", "ListAPIView", "RetrieveAPIView", "DestroyAPIView", "UpdateAPIView",
            "ListCreateAPIView", "RetrieveUpdateAPIView", "RetrieveDestroyAPIView", "RetrieveUpdateDestroyAPIView",
        )
    },
    "rest_framework.mixins": {
        name: f"drf_async.mixins.Async{name}"
        for name in (
            "CreateModelMixin", "ListModelMixin", "RetrieveModelMixin", "UpdateModelMixin", "DestroyModelMixin",
        )
    },
    "rest_framework.viewsets": {
        name: f"drf_async.viewsets.Async{name}"
        for name in ("ViewSetMixin", "ViewSet", "GenericViewSet", "ReadOnlyModelViewSet", "ModelViewSet")
    },
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("drf_async")
    group.addoption("--drf-async", action="store_true", help="run DRF's tests through drf_async's classes")
    group.addoption("--drf-async-outcomes", metavar="FILE", help="write each test's outcome to FILE (JSON)")


@pytest.hookimpl(trylast=True)  # after DRF's conftest has configured settings and run django.setup()
def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--drf-async"):
        swap_drf_classes()
    if config.getoption("--drf-async-outcomes"):
        config.pluginmanager.register(Outcomes(config.getoption("--drf-async-outcomes")), "drf_async_outcomes")


def swap_drf_classes() -> None:
    import importlib

    from asgiref.sync import async_to_sync

    from drf_async.views import AsyncAPIView
    from drf_async.viewsets import AsyncViewSetMixin

    for module_name, names in SWAPS.items():
        module = importlib.import_module(module_name)
        for name, target in names.items():
            target_module, _, target_name = target.rpartition(".")
            setattr(module, name, getattr(importlib.import_module(target_module), target_name))

    def callable_from_sync(view: Any) -> Any:
        # Not marked as a coroutine function: Django's sync handler (DRF's tests use its test
        # Client) calls it as a sync view, and asgiref 3.13's async_to_sync() would call it
        # outside any event loop too.
        @functools.wraps(view)
        def sync_or_async(request: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return async_to_sync(view)(request, *args, **kwargs)
            return view(request, *args, **kwargs)

        for marker in ("_is_coroutine", "_is_coroutine_marker"):  # copied by wraps() from view's __dict__
            sync_or_async.__dict__.pop(marker, None)
        return sync_or_async

    for cls in (AsyncAPIView, AsyncViewSetMixin):
        as_view = inspect.getattr_static(cls, "as_view").__func__  # its own, or the one it inherits

        def wrapped(view_cls: type, *args: Any, __as_view: Any = as_view, **kwargs: Any) -> Any:
            return callable_from_sync(__as_view(view_cls, *args, **kwargs))

        cls.as_view = classmethod(wrapped)  # type: ignore[method-assign]


def expected_failures() -> dict[str, str]:
    """{node id: reason} from expected_failures.txt (``node id  # reason``; blank lines and ``#`` lines skipped)."""
    listed = {}
    for line in EXPECTED_FAILURES.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        node_id, _, reason = line.partition("#")
        listed[node_id.strip()] = reason.strip()
    return listed


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--drf-async"):
        return
    listed = expected_failures()
    for item in items:
        if item.nodeid in listed:
            item.add_marker(pytest.mark.xfail(reason=f"drf_async: {listed[item.nodeid]}", strict=True))


class Outcomes:
    """Records every test's outcome: passed, failed, error (setup/teardown), skipped, xfailed or xpassed."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.outcomes: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" and report.passed:
            return
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
        elif report.failed and str(report.longrepr).startswith("[XPASS(strict)]"):
            outcome = "xpassed"
        elif report.failed and report.when != "call":
            outcome = "error"
        else:
            outcome = report.outcome
        if self.outcomes.get(report.nodeid) not in ("failed", "error", "xpassed"):
            self.outcomes[report.nodeid] = outcome

    def pytest_sessionfinish(self) -> None:
        Path(self.path).write_text(json.dumps(self.outcomes, indent=0, sort_keys=True))
