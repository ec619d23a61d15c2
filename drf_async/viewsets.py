"""
Async viewsets that register on DRF's own `SimpleRouter` and `DefaultRouter`.

    class NoteViewSet(AsyncModelViewSet):
        queryset = Note.objects.all()
        serializer_class = NoteSerializer

        @action(detail=True, methods=["post"])
        async def pin(self, request, pk=None):
            note = await self.aget_object()
            ...

    router = DefaultRouter()
    router.register("notes", NoteViewSet)

Actions keep DRF's names (`list`, `create`, `retrieve`, `update`, `partial_update`,
`destroy`, and `@action` methods) and are coroutines, so `self.action`, `self.detail`,
`self.basename`, `reverse_action()`, route names and schema generation are DRF's.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import markcoroutinefunction
from django.utils.decorators import classonlymethod
from rest_framework import viewsets

from . import mixins
from .generics import AsyncGenericAPIView
from .views import AsyncAPIView

__all__ = [
    "AsyncViewSetMixin",
    "AsyncViewSet",
    "AsyncGenericViewSet",
    "AsyncReadOnlyModelViewSet",
    "AsyncModelViewSet",
]


class AsyncViewSetMixin(viewsets.ViewSetMixin):
    # `ViewSetMixin` for views with an async `dispatch()`: DRF's `as_view()` binds the
    # actions, and the view function it returns is marked as a coroutine function, so
    # Django's handlers await it.

    @classonlymethod
    def as_view(cls, actions: dict[str, str] | None = None, **initkwargs: Any) -> Any:
        view = super().as_view(actions, **initkwargs)
        # DRF's view function returns what dispatch() returns: here, its coroutine.
        return markcoroutinefunction(view)


class AsyncViewSet(AsyncViewSetMixin, AsyncAPIView):
    # The base ViewSet class does not provide any actions by default.
    pass


class AsyncGenericViewSet(AsyncViewSetMixin, AsyncGenericAPIView):
    # The GenericViewSet class does not provide any actions by default,
    # but does include the base set of generic view behavior, such as
    # the `get_object` and `get_queryset` methods.
    pass


class AsyncReadOnlyModelViewSet(mixins.AsyncRetrieveModelMixin, mixins.AsyncListModelMixin, AsyncGenericViewSet):
    # A viewset that provides default asynchronous `list()` and `retrieve()` actions.
    pass


class AsyncModelViewSet(mixins.AsyncCreateModelMixin, mixins.AsyncRetrieveModelMixin,
                        mixins.AsyncUpdateModelMixin, mixins.AsyncDestroyModelMixin,
                        mixins.AsyncListModelMixin, AsyncGenericViewSet):
    # A viewset that provides default asynchronous `create()`, `retrieve()`, `update()`,
    # `partial_update()`, `destroy()` and `list()` actions.
    pass
