"""
DRF's model mixins with coroutine actions under DRF's names: `create`, `list`,
`retrieve`, `update`, `partial_update`, `destroy`.

Each mixin subclasses DRF's, so `isinstance(view, ListModelMixin)` (DRF's and
drf-spectacular's schema introspection) and the sync hooks `perform_create`,
`perform_update`, `perform_destroy` and `get_success_headers` are DRF's own. Those hooks
may be overridden as ``def`` (as in a DRF project; run in a thread, inside
`transaction.atomic()`) or as ``async def`` (awaited).

When every hook an action reaches is sync, the action is DRF's own, run in one thread hop
(`AsyncGenericAPIView._runs_in_one_hop`). Otherwise it runs step by step below; those
steps follow DRF 3.16-3.18's mixins line for line, and tests/test_mixins.py pins them
against DRF's on the same requests.

Sync code may call the actions too: a ``def list()`` override's ``super().list()``, in its
thread hop, gets DRF's own action there, or, when a hook is ``async def``, the async action
awaited on the loop from that thread (`utils.callable_from_sync`).

The actions carry no docstrings on purpose: DRF's schema generators describe an operation by
its action's docstring, and DRF's have none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from rest_framework import mixins, status
from rest_framework.response import Response

from .serializers import adata, ais_valid
from .utils import callable_from_sync

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "AsyncCreateModelMixin",
    "AsyncListModelMixin",
    "AsyncRetrieveModelMixin",
    "AsyncUpdateModelMixin",
    "AsyncDestroyModelMixin",
]


def _also_sync(action: str, drf_action: Callable[..., Any], *, atomic: bool) -> Callable[[F], F]:
    """
    `utils.callable_from_sync()` for the action *action*: from sync code, DRF's *drf_action*
    when every hook it reaches is sync (a write inside ``transaction.atomic()``, as on the async
    path), else the async action awaited on the loop.
    """

    def decorator(async_action: F) -> F:
        def sync_action(self: Any, *args: Any, **kwargs: Any) -> Any:
            if self._runs_in_one_hop(action):
                return self._one_hop(atomic, drf_action)(self, *args, **kwargs)
            return async_action(self, *args, **kwargs)

        return callable_from_sync(sync_action)(async_action)

    return decorator


class AsyncCreateModelMixin(mixins.CreateModelMixin):
    # Create a model instance.

    @_also_sync("create", mixins.CreateModelMixin.create, atomic=True)
    async def create(self, request, *args, **kwargs):  # type: ignore[override]
        if self._runs_in_one_hop("create"):
            return await self._run_in_one_hop(True, super().create, request, *args, **kwargs)
        serializer = await self._aget_serializer(data=request.data)
        await ais_valid(serializer, raise_exception=True)
        await self._aperform(self.perform_create, serializer)
        data = await adata(serializer)
        headers = self.get_success_headers(data)
        return Response(data, status=status.HTTP_201_CREATED, headers=headers)


class AsyncListModelMixin(mixins.ListModelMixin):
    # List a queryset.

    @_also_sync("list", mixins.ListModelMixin.list, atomic=False)
    async def list(self, request, *args, **kwargs):  # type: ignore[override]
        if self._runs_in_one_hop("list"):
            return await self._run_in_one_hop(False, super().list, request, *args, **kwargs)
        queryset = await self.afilter_queryset(await self.aget_queryset())

        page = await self.apaginate_queryset(queryset)
        if page is not None:
            serializer = await self._aget_serializer(page, many=True)
            return await self.aget_paginated_response(await adata(serializer))

        serializer = await self._aget_serializer(queryset, many=True)
        return Response(await adata(serializer))


class AsyncRetrieveModelMixin(mixins.RetrieveModelMixin):
    # Retrieve a model instance.

    @_also_sync("retrieve", mixins.RetrieveModelMixin.retrieve, atomic=False)
    async def retrieve(self, request, *args, **kwargs):  # type: ignore[override]
        if self._runs_in_one_hop("retrieve"):
            return await self._run_in_one_hop(False, super().retrieve, request, *args, **kwargs)
        instance = await self.aget_object()
        serializer = await self._aget_serializer(instance)
        return Response(await adata(serializer))


class AsyncUpdateModelMixin(mixins.UpdateModelMixin):
    # Update a model instance.

    @_also_sync("update", mixins.UpdateModelMixin.update, atomic=True)
    async def update(self, request, *args, **kwargs):  # type: ignore[override]
        if self._runs_in_one_hop("update"):
            return await self._run_in_one_hop(True, super().update, request, *args, **kwargs)
        partial = kwargs.pop("partial", False)
        instance = await self.aget_object()
        serializer = await self._aget_serializer(instance, data=request.data, partial=partial)
        await ais_valid(serializer, raise_exception=True)
        await self._aperform(self.perform_update, serializer, instance)

        if getattr(instance, "_prefetched_objects_cache", None):
            # If 'prefetch_related' has been applied to a queryset, we need to
            # forcibly invalidate the prefetch cache on the instance.
            instance._prefetched_objects_cache = {}

        return Response(await adata(serializer))

    @callable_from_sync(mixins.UpdateModelMixin.partial_update)
    async def partial_update(self, request, *args, **kwargs):  # type: ignore[override]
        kwargs["partial"] = True
        return await self._acall_action(self.update, request, *args, **kwargs)


class AsyncDestroyModelMixin(mixins.DestroyModelMixin):
    # Destroy a model instance.

    @_also_sync("destroy", mixins.DestroyModelMixin.destroy, atomic=True)
    async def destroy(self, request, *args, **kwargs):  # type: ignore[override]
        if self._runs_in_one_hop("destroy"):
            return await self._run_in_one_hop(True, super().destroy, request, *args, **kwargs)
        instance = await self.aget_object()
        await self._aperform(self.perform_destroy, instance, instance)
        return Response(status=status.HTTP_204_NO_CONTENT)
