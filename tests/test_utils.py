"""drf_async.utils: the one adapter's bookkeeping, callable_from_sync() and stand_in()."""

from __future__ import annotations

import asyncio

from asgiref.sync import async_to_sync, iscoroutinefunction, sync_to_async

from drf_async import utils


def test_per_call_wrappers_leave_nothing_behind():
    """acall() on a wrapper made per request (a transaction wrapper, a stand-in) keeps no reference to it."""
    before = len(utils._MODES)

    async def main():
        for n in range(50):
            def wrapper(n=n):
                return n

            assert await utils.acall(utils.inline(wrapper)) == n
            assert await utils.acall(lambda n=n: n) == n

    async_to_sync(main)()
    assert len(utils._MODES) == before


def test_call_mode_is_decided_per_function():
    """async def, @inline def and plain def each get their mode, bound or not; builtins too."""

    class Hooks:
        async def a(self):
            pass

        @utils.inline
        def pure(self):
            pass

        def io(self):
            pass

    hooks = Hooks()
    modes = [utils.call_mode(f) for f in (hooks.a, Hooks.a, hooks.pure, hooks.io, len)]
    assert modes == ["async", "async", "inline", "thread", "thread"]
    assert modes == [utils.call_mode(f) for f in (hooks.a, Hooks.a, hooks.pure, hooks.io, len)]  # cached alike


class Action:
    def sync_list(self, n):
        return ("sync", n, asyncio.iscoroutine(n))

    @utils.callable_from_sync(sync_list)
    async def list(self, n):
        return ("async", n)


def test_callable_from_sync_returns_the_coroutine_on_the_loop_and_the_result_from_a_thread():
    """The same method: awaited from async code, called from sync code in a thread (a def override's super())."""
    action = Action()
    assert iscoroutinefunction(Action.list)

    async def on_the_loop():
        from_thread = await sync_to_async(lambda: action.list(2))()
        return await action.list(1), from_thread

    assert async_to_sync(on_the_loop)() == (("async", 1), ("sync", 2, False))


def test_callable_from_sync_awaits_an_awaitable_sync_result():
    """A sync side that reaches an async def override returns its coroutine: the caller gets its result."""

    async def value():
        return "awaited"

    def sync_side():
        return value()

    @utils.callable_from_sync(sync_side)
    async def method():
        raise AssertionError("not called from sync code")

    async def on_the_loop():
        return await sync_to_async(lambda: method())()

    assert async_to_sync(on_the_loop)() == "awaited"


def test_stand_in_restores_an_instance_attribute_it_shadowed():
    """Nested stand-ins: the inner one gives back the outer one's attribute, the outer one the method."""

    class View:
        def hook(self):
            return "method"

    view = View()
    with utils.stand_in(view, hook=lambda: "outer"):
        with utils.stand_in(view, hook=lambda: "inner"):
            assert view.hook() == "inner"
        assert view.hook() == "outer"
    assert view.hook() == "method" and "hook" not in vars(view)


def test_a_wrapper_is_decided_on_its_own():
    """functools.wraps() copies attributes: a sync wrapper of an @inline function is not inline itself."""
    from functools import wraps

    @utils.inline
    def pure():
        return 1

    assert utils.call_mode(pure) == "inline"

    @wraps(pure)
    def wrapper():
        return pure()

    assert utils.call_mode(wrapper) == "thread"
