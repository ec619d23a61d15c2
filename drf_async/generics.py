"""
Async generic views: DRF's `GenericAPIView` and its concrete views on `AsyncAPIView`.

Every hook keeps DRF's name and may be ``def`` or ``async def``: `get_queryset`,
`filter_queryset` (and each filter backend's), `get_object`, `get_serializer_class`,
`paginate_queryset` (and the paginator's), `perform_create`/`perform_update`/`perform_destroy`.
The ``a``-prefixed twins (`aget_queryset`, `aget_object`, `afilter_queryset`,
`apaginate_queryset`, `aget_paginated_response`) are what async code awaits, and are
override points of their own.

How an action runs is decided from its hooks, with `utils.mode_of()`:

- every hook sync (a view copied from a DRF project): DRF's own action runs in **one**
  thread hop — the queries, the serializer and the paginator together, exactly as DRF runs
  them, and writes inside `transaction.atomic()`;
- some hook async: the action runs step by step on the loop, each async hook awaited and
  each sync step in one thread hop (`is_valid()`, `save()`, `.data`, the page fetch).

The actions and the concrete views' handlers may themselves be overridden as ``def``, as in a
DRF project (``def list(self, request): ... super().list(request)``), and mixed with
``async def`` ones on one class: each is called through `utils.acall()`, so a sync override
runs in one thread hop, where its ``super()`` call runs DRF's own action
(`utils.callable_from_sync`); a sync override of a write action runs inside
`transaction.atomic()`, as the built-in one does (`_acall_action`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from functools import wraps
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.db.models import Model
from rest_framework import filters, generics, mixins
from rest_framework.response import Response

from . import mixins as async_mixins
from .utils import (
    acall,
    bridged,
    callable_from_sync,
    delegating,
    inline,
    is_async,
    is_delegating,
    mode_of,
    run_in_thread,
    stand_in,
)
from .views import AsyncAPIView

__all__ = [
    "AsyncGenericAPIView",
    "AsyncCreateAPIView",
    "AsyncListAPIView",
    "AsyncRetrieveAPIView",
    "AsyncDestroyAPIView",
    "AsyncUpdateAPIView",
    "AsyncListCreateAPIView",
    "AsyncRetrieveUpdateAPIView",
    "AsyncRetrieveDestroyAPIView",
    "AsyncRetrieveUpdateDestroyAPIView",
]

F = TypeVar("F", bound=Callable[..., Any])

def _async_hooks(obj: Any, names: Iterable[str]) -> Iterator[Callable[..., Any]]:
    """
    The hooks among *names* that make *obj* need the async path: ``async def`` overrides of
    sync hooks, and ``a``-twins overridden by the user. Attributes *obj* lacks are skipped.
    """
    for name in names:
        func = getattr(obj, name, None)
        if func is not None and is_async(func) and not is_delegating(func):
            yield func


# Hooks each step calls, on the view and on the policies it uses.
_QUERYSET_HOOKS = ("get_queryset", "aget_queryset", "filter_queryset", "afilter_queryset")
_OBJECT_HOOKS = (*_QUERYSET_HOOKS, "get_object", "aget_object")
_SERIALIZER_HOOKS = ("get_serializer", "get_serializer_class", "get_serializer_context")
# The same names on the view and on its paginator.
_PAGE_HOOKS = ("paginate_queryset", "apaginate_queryset", "get_paginated_response", "aget_paginated_response")
# Sync hooks DRF's own sync code calls on the view: DjangoModelPermissions and
# DjangoObjectPermissions (`get_queryset`), metadata for OPTIONS and the browsable API.
_SYNC_CALLERS_HOOKS = ("get_queryset", "filter_queryset", "get_object", *_SERIALIZER_HOOKS)
# Marks a hook `__init_subclass__` already made callable from sync code (a subclass inherits it).
_BRIDGED = "_drf_async_bridged"
_WRITE_ACTIONS = frozenset(("create", "update", "partial_update", "destroy"))
_ACTION_HOOKS: dict[str, tuple[str, ...]] = {
    "list": (*_QUERYSET_HOOKS, *_PAGE_HOOKS, *_SERIALIZER_HOOKS),
    "retrieve": (*_OBJECT_HOOKS, *_SERIALIZER_HOOKS),
    "create": (*_SERIALIZER_HOOKS, "perform_create", "get_success_headers"),
    "update": (*_OBJECT_HOOKS, *_SERIALIZER_HOOKS, "perform_update"),
    "destroy": (*_OBJECT_HOOKS, "perform_destroy"),
}


class AsyncGenericAPIView(AsyncAPIView, generics.GenericAPIView):
    # `GenericAPIView` with an async dispatch and async twins of its queryset, object and
    # pagination methods. DRF's sync methods stay as they are, for DRF's own sync callers
    # (the browsable API, schema generation, metadata).
    #
    # Classes users subclass carry comments, not docstrings: drf-spectacular describes an
    # undocumented view by the first docstring it finds in the MRO before DRF's classes.

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """
        Make the class's ``async def`` hooks callable from DRF's sync code too, in a request or
        outside one: DRF's `DjangoModelPermissions`, OPTIONS metadata and the browsable API call
        `get_queryset()`, `get_object()` or `get_serializer()` synchronously in a thread, and
        schema generators (drf-spectacular, DRF's own) call `get_queryset()` with no request at
        all; each gets the hook's result awaited (`utils.bridged`), as with a sync hook. On the
        event loop the hook still returns its coroutine, for drf_async's own awaits.
        """
        super().__init_subclass__(**kwargs)
        for name in _SYNC_CALLERS_HOOKS:
            hook = getattr(cls, name)
            if is_async(hook) and not getattr(hook, _BRIDGED, False):
                bridge = bridged(hook)
                setattr(bridge, _BRIDGED, True)
                setattr(cls, name, bridge)

    # Async counterparts of GenericAPIView's methods

    @delegating
    async def aget_queryset(self) -> Any:
        """Async counterpart of `get_queryset()`, which may itself be ``async def``."""
        return await acall(self.get_queryset)

    @delegating
    async def afilter_queryset(self, queryset: Any) -> Any:
        """
        Async counterpart of `filter_queryset()`: each backend's `filter_queryset()` may be
        ``async def``; sync backends that may query (django-filter's validates its form
        against the database) run in one thread hop together.
        """
        if type(self).filter_queryset is not generics.GenericAPIView.filter_queryset:
            return await acall(self.filter_queryset, queryset)
        backends = list(self.filter_backends)
        mode = mode_of(backend.filter_queryset for backend in backends)
        if mode == "inline":
            return self.filter_queryset(queryset)
        if mode == "thread":
            return await run_in_thread(self.filter_queryset, queryset)
        for backend in backends:
            queryset = await acall(backend().filter_queryset, self.request, queryset, self)
        return queryset

    @delegating
    async def aget_object(self) -> Any:
        """
        Async counterpart of `get_object()`: DRF's lookup, 404 and object permission checks
        in one thread hop, on the queryset from `aget_queryset()` and `afilter_queryset()`.
        """
        if type(self).get_object is not generics.GenericAPIView.get_object:
            return await acall(self.get_object)
        if not any(_async_hooks(self, _QUERYSET_HOOKS)) and not self._async_filter_backends():
            return await run_in_thread(self.get_object)
        queryset = await self.afilter_queryset(await self.aget_queryset())
        # DRF's get_object() does the rest (lookup kwarg check, 404, object permissions)
        # on the queryset resolved above.
        with stand_in(self, get_queryset=lambda: queryset, filter_queryset=lambda queryset: queryset):
            return await run_in_thread(self.get_object)

    @delegating
    async def apaginate_queryset(self, queryset: Any) -> list[Any] | None:
        """
        Async counterpart of `paginate_queryset()`: the paginator's count and page fetch in
        one thread hop, or its own `apaginate_queryset()` awaited.
        """
        if type(self).paginate_queryset is not generics.GenericAPIView.paginate_queryset:
            return await acall(self.paginate_queryset, queryset)
        paginator = self.paginator
        if paginator is None:
            return None
        if hasattr(paginator, "apaginate_queryset"):
            return await paginator.apaginate_queryset(queryset, self.request, view=self)
        return await acall(paginator.paginate_queryset, queryset, self.request, view=self)

    @delegating
    async def aget_paginated_response(self, data: Any) -> Response:
        """Async counterpart of `get_paginated_response()`."""
        if type(self).get_paginated_response is not generics.GenericAPIView.get_paginated_response:
            return await acall(self.get_paginated_response, data)
        paginator = self.paginator
        assert paginator is not None
        if hasattr(paginator, "aget_paginated_response"):
            return await paginator.aget_paginated_response(data)
        return await acall(paginator.get_paginated_response, data)

    # How actions run

    def _runs_in_one_hop(self, action: str) -> bool:
        """
        True when every hook *action* (``"list"``, ``"create"``…) reaches is sync, so
        DRF's own action can run in one thread hop; False when one is ``async def``.
        """
        names = _ACTION_HOOKS[action]
        if any(_async_hooks(self, names)):
            return False
        if "filter_queryset" in names and self._async_filter_backends():
            return False
        if "paginate_queryset" in names and self.paginator is not None:
            return not any(_async_hooks(self.paginator, _PAGE_HOOKS))
        return True

    async def _run_in_one_hop(self, atomic: bool, action: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Run DRF's sync *action* in one thread hop; a write (*atomic*) in a transaction."""
        return await run_in_thread(self._one_hop(atomic, action), *args, **kwargs)

    def _one_hop(self, atomic: bool, action: F) -> F:
        """DRF's sync *action*, inside `transaction.atomic()` when it writes (*atomic*)."""
        return _atomically(action, self._write_db()) if atomic else action

    def _acall_action(self, action: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        """
        Call an action or handler through `acall()`. A sync override of a write action
        (``def create()``, `update`, `partial_update`, `destroy`, as in a DRF project) runs in its
        thread hop inside `transaction.atomic()`, as drf_async's own write actions do.
        """
        if getattr(action, "__name__", None) in _WRITE_ACTIONS and not is_async(action):
            action = _atomically(action, self._write_db())
        return super()._acall_action(action, *args, **kwargs)

    async def _aperform(self, hook: Callable[..., Any], arg: Any, instance: Model | None = None) -> Any:
        """
        Call a write hook (`perform_create`…): a sync one runs in one thread hop inside
        `transaction.atomic()`; an ``async def`` one is awaited (its `asave()` is atomic).
        """
        return await acall(_atomically(hook, self._write_db(instance)), arg)

    def _write_db(self, instance: Model | None = None) -> str:
        """
        The database alias whose transaction wraps a write: the instance's, else the router's
        choice for the view's model (`queryset`, or the serializer's `Meta.model`).
        """
        if instance is not None and instance._state.db:
            return instance._state.db
        model = getattr(self.queryset, "model", None)
        if model is None:
            model = getattr(getattr(self.serializer_class, "Meta", None), "model", None)
        return router.db_for_write(model) if model is not None else DEFAULT_DB_ALIAS

    async def _aget_serializer(self, *args: Any, **kwargs: Any) -> Any:
        """
        Async counterpart of `get_serializer()`: `get_serializer_class()` and
        `get_serializer_context()` may be ``async def``.
        """
        mode = mode_of(getattr(self, name) for name in _SERIALIZER_HOOKS)
        if mode == "inline":
            return self.get_serializer(*args, **kwargs)
        if mode == "thread":
            return await run_in_thread(self.get_serializer, *args, **kwargs)
        if is_async(self.get_serializer):
            return await self.get_serializer(*args, **kwargs)
        serializer_class = await acall(self.get_serializer_class)
        if "context" not in kwargs:
            kwargs["context"] = await acall(self.get_serializer_context)
        with stand_in(self, get_serializer_class=lambda: serializer_class):
            return await acall(self.get_serializer, *args, **kwargs)

    def _async_filter_backends(self) -> bool:
        return mode_of(backend.filter_queryset for backend in self.filter_backends) == "async"


# Concrete view classes that provide method handlers, as in rest_framework.generics. Each
# is also an instance of its DRF twin: drf-spectacular documents a POST on a
# `ListCreateAPIView`/`CreateAPIView` as a 201.


class AsyncCreateAPIView(async_mixins.AsyncCreateModelMixin, AsyncGenericAPIView, generics.CreateAPIView):
    # Concrete view for creating a model instance.

    @callable_from_sync(generics.CreateAPIView.post)
    async def post(self, request, *args, **kwargs):
        return await self._acall_action(self.create, request, *args, **kwargs)


class AsyncListAPIView(async_mixins.AsyncListModelMixin, AsyncGenericAPIView, generics.ListAPIView):
    # Concrete view for listing a queryset.

    @callable_from_sync(generics.ListAPIView.get)
    async def get(self, request, *args, **kwargs):
        return await self._acall_action(self.list, request, *args, **kwargs)


class AsyncRetrieveAPIView(async_mixins.AsyncRetrieveModelMixin, AsyncGenericAPIView,
                           generics.RetrieveAPIView):
    # Concrete view for retrieving a model instance.

    @callable_from_sync(generics.RetrieveAPIView.get)
    async def get(self, request, *args, **kwargs):
        return await self._acall_action(self.retrieve, request, *args, **kwargs)


class AsyncDestroyAPIView(async_mixins.AsyncDestroyModelMixin, AsyncGenericAPIView,
                          generics.DestroyAPIView):
    # Concrete view for deleting a model instance.

    @callable_from_sync(generics.DestroyAPIView.delete)
    async def delete(self, request, *args, **kwargs):
        return await self._acall_action(self.destroy, request, *args, **kwargs)


class AsyncUpdateAPIView(async_mixins.AsyncUpdateModelMixin, AsyncGenericAPIView, generics.UpdateAPIView):
    # Concrete view for updating a model instance.

    @callable_from_sync(generics.UpdateAPIView.put)
    async def put(self, request, *args, **kwargs):
        return await self._acall_action(self.update, request, *args, **kwargs)

    @callable_from_sync(generics.UpdateAPIView.patch)
    async def patch(self, request, *args, **kwargs):
        return await self._acall_action(self.partial_update, request, *args, **kwargs)


class AsyncListCreateAPIView(async_mixins.AsyncListModelMixin, async_mixins.AsyncCreateModelMixin,
                             AsyncGenericAPIView, generics.ListCreateAPIView):
    # Concrete view for listing a queryset or creating a model instance.

    @callable_from_sync(generics.ListCreateAPIView.get)
    async def get(self, request, *args, **kwargs):
        return await self._acall_action(self.list, request, *args, **kwargs)

    @callable_from_sync(generics.ListCreateAPIView.post)
    async def post(self, request, *args, **kwargs):
        return await self._acall_action(self.create, request, *args, **kwargs)


class AsyncRetrieveUpdateAPIView(async_mixins.AsyncRetrieveModelMixin, async_mixins.AsyncUpdateModelMixin,
                                 AsyncGenericAPIView, generics.RetrieveUpdateAPIView):
    # Concrete view for retrieving, updating a model instance.

    @callable_from_sync(generics.RetrieveUpdateAPIView.get)
    async def get(self, request, *args, **kwargs):
        return await self._acall_action(self.retrieve, request, *args, **kwargs)

    @callable_from_sync(generics.RetrieveUpdateAPIView.put)
    async def put(self, request, *args, **kwargs):
        return await self._acall_action(self.update, request, *args, **kwargs)

    @callable_from_sync(generics.RetrieveUpdateAPIView.patch)
    async def patch(self, request, *args, **kwargs):
        return await self._acall_action(self.partial_update, request, *args, **kwargs)


class AsyncRetrieveDestroyAPIView(async_mixins.AsyncRetrieveModelMixin, async_mixins.AsyncDestroyModelMixin,
                                  AsyncGenericAPIView, generics.RetrieveDestroyAPIView):
    # Concrete view for retrieving or deleting a model instance.

    @callable_from_sync(generics.RetrieveDestroyAPIView.get)
    async def get(self, request, *args, **kwargs):
        return await self._acall_action(self.retrieve, request, *args, **kwargs)

    @callable_from_sync(generics.RetrieveDestroyAPIView.delete)
    async def delete(self, request, *args, **kwargs):
        return await self._acall_action(self.destroy, request, *args, **kwargs)


class AsyncRetrieveUpdateDestroyAPIView(async_mixins.AsyncRetrieveModelMixin, async_mixins.AsyncUpdateModelMixin,
                                        async_mixins.AsyncDestroyModelMixin, AsyncGenericAPIView,
                                        generics.RetrieveUpdateDestroyAPIView):
    # Concrete view for retrieving, updating or deleting a model instance.

    @callable_from_sync(generics.RetrieveUpdateDestroyAPIView.get)
    async def get(self, request, *args, **kwargs):
        return await self._acall_action(self.retrieve, request, *args, **kwargs)

    @callable_from_sync(generics.RetrieveUpdateDestroyAPIView.put)
    async def put(self, request, *args, **kwargs):
        return await self._acall_action(self.update, request, *args, **kwargs)

    @callable_from_sync(generics.RetrieveUpdateDestroyAPIView.patch)
    async def patch(self, request, *args, **kwargs):
        return await self._acall_action(self.partial_update, request, *args, **kwargs)

    @callable_from_sync(generics.RetrieveUpdateDestroyAPIView.delete)
    async def delete(self, request, *args, **kwargs):
        return await self._acall_action(self.destroy, request, *args, **kwargs)


def _atomically(func: F, using: str) -> F:
    """
    *func* inside `transaction.atomic(using)` when it is sync; an async hook as it is. Already
    inside a transaction (``ATOMIC_REQUESTS``, a test case, the caller's own ``atomic()``) the
    write is all-or-nothing with it, and runs as DRF runs it: no savepoint, DRF's queries.
    """
    if is_async(func):
        return func

    @wraps(func)
    def atomic_func(*args: Any, **kwargs: Any) -> Any:
        if transaction.get_connection(using).in_atomic_block:
            return func(*args, **kwargs)
        with transaction.atomic(using=using):
            return func(*args, **kwargs)

    return atomic_func  # type: ignore[return-value]


def _register_drf_builtins() -> None:
    """DRF's defaults for these hooks read attributes and build lazy querysets: no I/O, no hop."""
    view = generics.GenericAPIView
    for func in (
        view.get_queryset,
        view.get_serializer,
        view.get_serializer_class,
        view.get_serializer_context,
        mixins.CreateModelMixin.get_success_headers,
        filters.SearchFilter.filter_queryset,
        filters.OrderingFilter.filter_queryset,
    ):
        inline(func)


_register_drf_builtins()
