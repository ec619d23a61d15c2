"""
Ask every store at once whether it has a book: the I/O fan-out behind
``GET /api/books/{id}/availability/``.

Each call gets its own timeout (``BOOKSHOP_STORE_TIMEOUT``); a store that times out,
fails or answers nonsense is reported unavailable, and the others still count. The
requests go through the worker's one shared `aiohttp.ClientSession` (a lifespan resource),
so a request opens no connection pool of its own.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal, InvalidOperation
from typing import Any

import aiohttp
from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException


class StoresUnavailable(APIException):
    status_code = status.HTTP_504_GATEWAY_TIMEOUT
    default_detail = "No store answered in time; try again later."
    default_code = "stores_unavailable"


def stores() -> dict[str, str]:
    """Store name -> base URL, from the ``BOOKSHOP_STORES`` setting."""
    return dict(settings.BOOKSHOP_STORES)


async def ask_store(session: aiohttp.ClientSession, name: str, base_url: str, isbn: str,
                    timeout: float) -> dict[str, Any]:
    answer: dict[str, Any] = {"store": name, "available": False, "in_stock": None, "price": None, "error": None}
    try:
        async with session.get(f"{base_url}/books/{isbn}", timeout=aiohttp.ClientTimeout(total=timeout)) as reply:
            if reply.status != 200:
                answer["error"] = f"HTTP {reply.status}"
                return answer
            data = await reply.json()
        answer.update(available=True, in_stock=int(data["in_stock"]), price=str(Decimal(str(data["price"]))))
    except asyncio.TimeoutError:
        answer["error"] = f"no answer within {timeout:g} s"
    except (aiohttp.ClientError, KeyError, TypeError, ValueError, InvalidOperation) as exc:
        answer["error"] = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return answer


async def availability(session: aiohttp.ClientSession, isbn: str) -> list[dict[str, Any]]:
    """Every store's answer, asked concurrently; `StoresUnavailable` (504) when none answered."""
    timeout = float(settings.BOOKSHOP_STORE_TIMEOUT)
    answers = await asyncio.gather(*(ask_store(session, name, url, isbn, timeout) for name, url in stores().items()))
    if not any(answer["available"] for answer in answers):
        raise StoresUnavailable()
    return list(answers)
