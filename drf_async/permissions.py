"""
Evaluating DRF permissions whose members may be ``async def``.

DRF composes permissions with ``&``, ``|`` and ``~`` into `AND`, `OR` and `NOT` operators
that call their operands synchronously; an ``async def has_permission`` there returns a
coroutine, which is truthy, so ``IsAsyncOwner & IsAuthenticated`` would always pass.
These helpers walk the same operator tree and await each member, keeping DRF's
short-circuit and ``OR``-object semantics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from rest_framework.permissions import AND, NOT, OR

from .utils import acall, mode_of

__all__ = ["ahas_permission", "ahas_object_permission", "permissions_mode"]


def _leaves(permission: Any) -> Iterator[Any]:
    if isinstance(permission, (AND, OR)):
        yield from _leaves(permission.op1)
        yield from _leaves(permission.op2)
    elif isinstance(permission, NOT):
        yield from _leaves(permission.op1)
    else:
        yield permission


def permissions_mode(permissions: Iterable[Any], *, obj: bool = False) -> str:
    """`utils.mode_of()` over every member of *permissions*, operator trees included."""
    funcs: list[Callable[..., Any]] = []
    for permission in permissions:
        for leaf in _leaves(permission):
            funcs.append(leaf.has_permission)
            if obj:
                funcs.append(leaf.has_object_permission)
    return mode_of(funcs)


async def ahas_permission(permission: Any, request: Any, view: Any) -> bool:
    """Async counterpart of ``permission.has_permission(request, view)``."""
    if isinstance(permission, AND):
        return await ahas_permission(permission.op1, request, view) and await ahas_permission(
            permission.op2, request, view
        )
    if isinstance(permission, OR):
        return await ahas_permission(permission.op1, request, view) or await ahas_permission(
            permission.op2, request, view
        )
    if isinstance(permission, NOT):
        return not await ahas_permission(permission.op1, request, view)
    return bool(await acall(permission.has_permission, request, view))


async def ahas_object_permission(permission: Any, request: Any, view: Any, obj: Any) -> bool:
    """Async counterpart of ``permission.has_object_permission(request, view, obj)``."""
    if isinstance(permission, AND):
        return await ahas_object_permission(permission.op1, request, view, obj) and await ahas_object_permission(
            permission.op2, request, view, obj
        )
    if isinstance(permission, OR):
        # As DRF: an OR member grants object access only if it also grants view access.
        for member in (permission.op1, permission.op2):
            if await ahas_permission(member, request, view) and await ahas_object_permission(
                member, request, view, obj
            ):
                return True
        return False
    if isinstance(permission, NOT):
        return not await ahas_object_permission(permission.op1, request, view, obj)
    return bool(await acall(permission.has_object_permission, request, view, obj))
