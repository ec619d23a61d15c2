"""
The `jwt-article` authenticators: a bearer JWT (HS256, ``user_id`` claim) whose user is loaded
from the database on every request, as a DRF project's own JWT authenticator does.
"""

from __future__ import annotations

import jwt
from django.conf import settings
from django.contrib.auth.models import User
from rest_framework import authentication, exceptions

ALGORITHM = "HS256"


def make_token(user_id: int) -> str:
    return jwt.encode({"user_id": user_id}, settings.SECRET_KEY, algorithm=ALGORITHM)


def user_id_from(token: str) -> int:
    """The token's ``user_id``; `AuthenticationFailed` when it is not a valid token."""
    try:
        return int(jwt.decode(token, settings.SECRET_KEY, algorithms=[ALGORITHM])["user_id"])
    except (jwt.InvalidTokenError, KeyError, TypeError, ValueError) as exc:
        raise exceptions.AuthenticationFailed("Invalid token.") from exc


def bearer_token(request) -> str | None:
    auth = authentication.get_authorization_header(request).split()
    if len(auth) != 2 or auth[0].lower() != b"bearer":
        return None
    return auth[1].decode("latin-1")


class JWTAuthentication(authentication.BaseAuthentication):
    """Sync DRF: decode the token, then ``User.objects.get()``."""

    def authenticate(self, request):
        token = bearer_token(request)
        if token is None:
            return None
        try:
            return User.objects.get(pk=user_id_from(token)), token
        except User.DoesNotExist as exc:
            raise exceptions.AuthenticationFailed("No such user.") from exc

    def authenticate_header(self, request):
        return "Bearer"


class AsyncJWTAuthentication(JWTAuthentication):
    """drf_async: the same, ``async def``, with ``await User.objects.aget()``."""

    async def authenticate(self, request):
        token = bearer_token(request)
        if token is None:
            return None
        try:
            return await User.objects.aget(pk=user_id_from(token)), token
        except User.DoesNotExist as exc:
            raise exceptions.AuthenticationFailed("No such user.") from exc
