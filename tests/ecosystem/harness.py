"""
Sides of a comparison: the same requests, from a fresh client each, to the app on DRF and
to its drf_async twins, each side from the same database state (a rolled-back block per side,
so a login or a delete on one side leaves nothing for the next).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from django.db import transaction
from django.urls import include, path
from rest_framework.test import APIClient
from rest_framework.utils.encoders import JSONEncoder

from drf_async.test import AsyncAPIClient
from tests import urls
from tests.twins import COMPARED_HEADERS, Seen, seen

# What CORS and static-file middleware add: compared too.
HEADERS = (*COMPARED_HEADERS, "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials",
           "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age",
           "Cache-Control", "Content-Length", "Last-Modified", "ETag")

SIDES = ("sync", "async", "swapped")


# {app name: {side: its URL patterns}}, for checks over every app (the schema test).
MOUNTED: dict[str, dict[str, list[Any]]] = {}


def mount(side: str, name: str, patterns: list[Any]) -> None:
    """Serve *patterns* under ``/<side>/<name>/`` (side: ``sync``, ``async`` or ``swapped``)."""
    MOUNTED.setdefault(name, {})[side] = patterns
    urls.urlpatterns.append(path(f"{side}/{name}/", include(patterns)))


class Side:
    """A client for one side: ``side.post("login/", …)`` requests ``/<side>/<app>/login/``, returns `Seen`."""

    def __init__(self, side: str, app: str) -> None:
        self.side = side
        self.prefix = f"/{side}/{app}/"
        self.client: Any = APIClient() if side == "sync" else AsyncAPIClient()

    def __getattr__(self, method: str) -> Callable[..., Seen]:
        if method not in ("get", "post", "put", "patch", "delete", "options", "head"):
            raise AttributeError(method)

        def send(suffix: str = "", **kwargs: Any) -> Seen:
            call = getattr(self.client, method)
            if self.side != "sync":
                call = async_to_sync(call)
            return seen(call(self.prefix + suffix, **kwargs), HEADERS)

        return send

    def neutral(self, data: Any) -> Any:
        """*data* with this side's URL prefix in links (``/async/…``) spelled as the sync side's."""
        if isinstance(data, bytes):
            return data.replace(f"/{self.side}/".encode(), b"/sync/")
        return json.loads(json.dumps(data, cls=JSONEncoder).replace(f"/{self.side}/", "/sync/"))


def each_side(app: str, scenario: Callable[[Side], Any], sides: tuple[str, ...] = SIDES) -> dict[str, Any]:
    """{side: what *scenario* returned}, each side run from the same rows (its writes rolled back)."""
    outcomes = {}
    for side in sides:
        with transaction.atomic():
            outcomes[side] = scenario(Side(side, app))
            transaction.set_rollback(True)
    return outcomes


def assert_alike(outcomes: dict[str, Any]) -> Any:
    """Every side's outcome equals the sync DRF side's; returns it."""
    expected = outcomes["sync"]
    for side, outcome in outcomes.items():
        if isinstance(outcome, list) and isinstance(expected, list) and len(outcome) == len(expected):
            for step, (got, want) in enumerate(zip(outcome, expected, strict=True)):
                assert got == want, f"{side} differs from sync DRF at step {step}:\n{got}\n!=\n{want}"
        assert outcome == expected, f"{side} differs from sync DRF"
    return expected
