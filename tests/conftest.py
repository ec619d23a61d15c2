import inspect
import os

import pytest
from asgiref.sync import SyncToAsync, async_to_sync
from django.urls import clear_script_prefix

# The ecosystem matrix needs packages and settings of its own: `make test-ecosystem` runs it.
ECOSYSTEM_SETTINGS = "tests.ecosystem.settings"
collect_ignore = [] if os.environ.get("DJANGO_SETTINGS_MODULE") == ECOSYSTEM_SETTINGS else ["ecosystem"]


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """
    Run ``async def`` tests the way Django's own test runner does: through
    ``async_to_sync`` from the main thread. Thread-sensitive sync code (the ORM, via
    sync_to_async) then runs in the main thread, on the connection that holds the test's
    transaction, so data created in the test is visible to the view and rolled back after.
    """
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    async_to_sync(pyfuncitem.obj)(**kwargs)
    return True


@pytest.fixture
def hops(monkeypatch):
    """Counts every sync_to_async call (each one is a thread hop)."""
    calls = []
    original = SyncToAsync.__call__

    def counting(self, *args, **kwargs):
        calls.append(self.func)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counting)
    return calls


@pytest.fixture(autouse=True)
def _fresh_script_prefix():
    """
    An async test's context changes flow back to the main thread through async_to_sync,
    so a request served with a root_path would leave its script prefix to later tests.
    """
    yield
    clear_script_prefix()
