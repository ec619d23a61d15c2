from __future__ import annotations

from rest_framework import permissions


class IsOwnerOrReadOnly(permissions.BasePermission):
    """Anyone may read; only the object's owner (its `owner_field`, default "owner") may change it."""

    message = "Only the owner may change this."

    async def has_object_permission(self, request, view, obj):
        # Async: awaited on the event loop; reads a foreign-key id, so it never queries.
        if request.method in permissions.SAFE_METHODS:
            return True
        field = getattr(view, "owner_field", "owner")
        return getattr(obj, f"{field}_id") == request.user.pk
