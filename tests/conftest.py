import inspect

import pytest
from asgiref.sync import async_to_sync


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
