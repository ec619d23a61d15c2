"""
How to run a request's authenticators without paying for I/O they will not do.

DRF's stock authenticators query the database only when the request carries their
credentials: `BasicAuthentication` and `TokenAuthentication` return ``None`` at once when the
``Authorization`` header names another scheme, and `SessionAuthentication` needs no query
when there is no session cookie or the user is already loaded. For those requests they are
pure CPU and run on the loop; otherwise all sync authenticators run in one thread hop.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import SimpleLazyObject, empty
from rest_framework.authentication import (
    BasicAuthentication,
    SessionAuthentication,
    TokenAuthentication,
    get_authorization_header,
)
from rest_framework.request import Request

from .utils import mode_of

__all__ = ["authentication_mode"]


def authentication_mode(request: Request) -> str:
    """`utils.mode_of()` for ``request.authenticators``, leaving out those that will do no I/O for *request*."""
    return mode_of(
        authenticator.authenticate for authenticator in request.authenticators
        if not _skips_io(authenticator, request)
    )


def _skips_io(authenticator: Any, request: Request) -> bool:
    """True for DRF's own (sync) authenticators when *request* carries nothing they would look up."""
    authenticate = type(authenticator).authenticate
    if authenticate is SessionAuthentication.authenticate:
        return _session_user_is_free(request)
    if authenticate is BasicAuthentication.authenticate:
        scheme = b"basic"
    elif authenticate is TokenAuthentication.authenticate:
        scheme = authenticator.keyword.lower().encode()
    else:
        return False
    auth = get_authorization_header(request).split()
    return not auth or auth[0].lower() != scheme


def _session_user_is_free(request: Request) -> bool:
    """True when reading ``request._request.user`` (what SessionAuthentication does) needs no query."""
    user = getattr(request._request, "user", None)
    if not isinstance(user, SimpleLazyObject) or user._wrapped is not empty:
        return True
    # AuthenticationMiddleware's lazy user: without a session key it is AnonymousUser.
    session = getattr(request._request, "session", None)
    return session is not None and session.session_key is None
