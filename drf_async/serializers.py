"""
Serializers with awaitable `is_valid()`, `save()` and `.data`.

    serializer = NoteSerializer(data=request.data)
    await serializer.ais_valid(raise_exception=True)
    await serializer.asave(owner=request.user)
    return Response(await serializer.adata, status=201)

Each of the three is one thread hop, however many fields, rows or relations the
serializer walks: DRF's own `is_valid()`, `save()` and `.data` run unchanged in that hop,
so related fields, nested serializers, ``source="a.b"``, `SerializerMethodField` and
prefetched relations never touch the database from the event loop.

``async def validate_<field>()``, ``async def validate()``, ``async def create()`` and
``async def update()`` are allowed: DRF calls them at its usual point of the sync flow and
they are awaited on the event loop from there, so validation order, error collection and
`save()`'s checks are DRF's own.
"""

from __future__ import annotations

from collections.abc import Awaitable
from contextlib import AbstractContextManager
from typing import Any

from asgiref.sync import async_to_sync
from django.db import DEFAULT_DB_ALIAS, router, transaction
from rest_framework import serializers
from rest_framework.fields import empty

from .utils import is_async, run_in_thread, stand_in

__all__ = [
    "AsyncSerializerMixin",
    "AsyncSerializer",
    "AsyncListSerializer",
    "AsyncModelSerializer",
]


class AsyncSerializerMixin:
    # Adds `ais_valid()`, `asave()` and `adata` to a DRF serializer, and lets its validation
    # and persistence hooks be ``async def``. Classes users subclass carry comments, not
    # docstrings: drf-spectacular describes a component by the first docstring in its MRO.

    # Hook names DRF calls synchronously that a subclass may write as ``async def``.
    _async_validators: tuple[str, ...] = ()
    _async_writers: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names = dir(cls)
        validators = [name for name in names if name == "validate" or name.startswith("validate_")]
        cls._async_validators = tuple(name for name in validators if is_async(getattr(cls, name)))
        writers = [name for name in ("create", "update") if name in names]
        cls._async_writers = tuple(name for name in writers if is_async(getattr(cls, name)))

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> Any:
        serializer = super().many_init(*args, **kwargs)  # type: ignore[misc]
        # DRF's default parent for many=True has no async methods; give it ours unless the
        # serializer names its own `Meta.list_serializer_class`.
        if type(serializer) is serializers.ListSerializer:
            serializer.__class__ = AsyncListSerializer
        return serializer

    # Async API

    async def ais_valid(self, *, raise_exception: bool = False) -> bool:
        """
        Async counterpart of `is_valid()`: field validation, validators (`UniqueValidator`,
        relational lookups) and sync ``validate*()`` run in one thread hop; ``async def``
        validators are awaited on the event loop at their place in DRF's order.
        """
        return await run_in_thread(self.is_valid, raise_exception=raise_exception)  # type: ignore[attr-defined]

    async def asave(self, **kwargs: Any) -> Any:
        """
        Async counterpart of `save()`: `create()` or `update()` and every query they make
        run in one thread hop inside `transaction.atomic()`, so an exception leaves no
        half-written rows.
        """
        return await run_in_thread(self._save_atomically, **kwargs)

    @property
    def adata(self) -> Awaitable[Any]:
        """``await serializer.adata``: async counterpart of `.data` (one thread hop)."""
        return run_in_thread(_data, self)

    # DRF's sync entry points, with the ``async def`` hooks they call awaited on the loop

    def run_validation(self, data: Any = empty) -> Any:
        with _awaited_from_thread(self, self._async_validators):
            return super().run_validation(data)  # type: ignore[misc]

    def save(self, **kwargs: Any) -> Any:
        with _awaited_from_thread(self, self._async_writers):
            return super().save(**kwargs)  # type: ignore[misc]

    def _save_atomically(self, **kwargs: Any) -> Any:
        with transaction.atomic(using=self._db_for_write()):
            return self.save(**kwargs)

    def _db_for_write(self) -> str:
        instance = getattr(self, "instance", None)
        model = getattr(getattr(self, "Meta", None), "model", None)
        if model is None and isinstance(self, serializers.ListSerializer):
            model = getattr(getattr(self.child, "Meta", None), "model", None)
        if model is None:
            return DEFAULT_DB_ALIAS
        if not isinstance(instance, model):
            instance = None
        return router.db_for_write(model, instance=instance)


class AsyncSerializer(AsyncSerializerMixin, serializers.Serializer):
    # `rest_framework.serializers.Serializer` with `ais_valid()`, `asave()` and `adata`.
    pass


class AsyncListSerializer(AsyncSerializerMixin, serializers.ListSerializer):
    # The parent `AsyncSerializer(many=True)` builds: `ListSerializer` with the async API.
    pass


class AsyncModelSerializer(AsyncSerializerMixin, serializers.ModelSerializer):
    # `rest_framework.serializers.ModelSerializer` with `ais_valid()`, `asave()` and `adata`.
    pass


def _awaited_from_thread(serializer: Any, names: tuple[str, ...]) -> AbstractContextManager[None]:
    """
    While DRF's sync code runs in a worker thread, its calls to the ``async def`` hooks
    *names* go back to the event loop and wait for the result (`async_to_sync`), so they
    return values where DRF expects values. Called on the loop itself, `async_to_sync`
    refuses with "just await the async function directly": use the ``a``-methods there.
    """
    return stand_in(serializer, **{name: async_to_sync(getattr(serializer, name)) for name in names})


def _data(serializer: Any) -> Any:
    return serializer.data


# Plain DRF serializers in async views: one thread hop per step, as for the mixin's own.


async def ais_valid(serializer: Any, *, raise_exception: bool = False) -> bool:
    """`serializer.ais_valid()` when it has one, else its sync `is_valid()` in one thread hop."""
    if isinstance(serializer, AsyncSerializerMixin):
        return await serializer.ais_valid(raise_exception=raise_exception)
    return await run_in_thread(serializer.is_valid, raise_exception=raise_exception)


async def adata(serializer: Any) -> Any:
    """`await serializer.adata` when it has one, else its sync `.data` in one thread hop."""
    if isinstance(serializer, AsyncSerializerMixin):
        return await serializer.adata
    return await run_in_thread(_data, serializer)
