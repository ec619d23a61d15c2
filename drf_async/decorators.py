"""
`api_view` for ``async def`` function views.

    @api_view(["GET", "POST"])
    @permission_classes([IsAuthenticated])
    async def hello(request):
        return Response({"user": request.user.username})

DRF's policy decorators (`authentication_classes`, `permission_classes`,
`throttle_classes`, `renderer_classes`, `parser_classes`, `schema`…) are DRF's own and
apply unchanged. A plain ``def`` view gets DRF's `api_view` as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from rest_framework import decorators

from .views import AsyncAPIView

__all__ = ["api_view"]


def api_view(http_method_names: Sequence[str] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """
    Decorator that converts an ``async def`` function view into an `AsyncAPIView`
    subclass, as DRF's `api_view` does for sync functions.
    """
    drf_decorator = decorators.api_view(http_method_names)

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        drf_view = drf_decorator(func)
        if not iscoroutinefunction(func):
            return drf_view
        # DRF builds a `WrappedAPIView` carrying the policies the decorators set; keep all
        # of it (policies, docstring, allowed methods) and rebase it on AsyncAPIView. Its
        # handler returns func's coroutine; mark it so Django and our dispatch await it.
        attrs = {k: v for k, v in vars(drf_view.cls).items() if k not in ("__dict__", "__weakref__")}
        for method in attrs["http_method_names"]:
            if method in attrs:
                markcoroutinefunction(attrs[method])
        view_class: type[AsyncAPIView] = type(drf_view.cls.__name__, (AsyncAPIView,), attrs)
        drf_view.cls.drf_async_replaced_by = view_class  # not a user mistake (checks.E001)
        return view_class.as_view()

    return decorator
