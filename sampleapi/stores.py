"""
A small upstream service for the fan-out endpoint: several "stores" in one aiohttp app,
each answering ``GET /{store}/books/{isbn}`` with its stock and price for a book, after a
configurable latency and with a configurable failure rate::

    python -m sampleapi.stores --port 8001 north south:latency=400 east:failure=0.5

A store is ``NAME[:latency=MS][:failure=RATE]``; ``--latency``/``--failure`` set the
defaults (50 ms, 0). A failure answers 503. ``PUT /{store}/`` with a JSON body
(``{"latency_ms": 2000, "failure_rate": 1}``) changes a store while the service runs.
Stock and price are derived from the ISBN and the store's name, so they are stable from
run to run. ``make serve`` starts this beside gunicorn.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Store:
    name: str
    latency_ms: float = 50.0
    failure_rate: float = 0.0
    # The client addresses of the connections this store was asked on (a client that reuses
    # its connections, as one shared aiohttp.ClientSession does, shows few).
    peers: set[object] = field(default_factory=set)

    @classmethod
    def parse(cls, spec: str, latency_ms: float, failure_rate: float) -> Store:
        name, *options = spec.split(":")
        store = cls(name, latency_ms, failure_rate)
        for option in options:
            key, _, value = option.partition("=")
            if key == "latency":
                store.latency_ms = float(value)
            elif key == "failure":
                store.failure_rate = float(value)
            else:
                raise argparse.ArgumentTypeError(f"unknown store option {key!r} in {spec!r}")
        return store

    def stock(self, isbn: str) -> dict[str, object]:
        digest = hashlib.sha256(f"{self.name}:{isbn}".encode()).digest()
        return {"store": self.name, "isbn": isbn, "in_stock": digest[0] % 8,
                "price": f"{5 + digest[1] % 40}.{digest[2] % 100:02d}"}


def make_app(stores: list[Store]) -> web.Application:
    by_name = {store.name: store for store in stores}

    async def book(request: web.Request) -> web.Response:
        store = by_name.get(request.match_info["store"])
        if store is None:
            raise web.HTTPNotFound(text="no such store")
        if request.transport is not None:
            store.peers.add(request.transport.get_extra_info("peername"))
        await asyncio.sleep(store.latency_ms / 1000)
        if store.failure_rate and random.random() < store.failure_rate:
            raise web.HTTPServiceUnavailable(text=f"{store.name} is down")
        return web.json_response(store.stock(request.match_info["isbn"]))

    def describe() -> web.Response:
        return web.json_response({s.name: {"latency_ms": s.latency_ms, "failure_rate": s.failure_rate,
                                           "connections": len(s.peers)} for s in stores})

    async def index(request: web.Request) -> web.Response:
        return describe()

    async def configure(request: web.Request) -> web.Response:
        """PUT /{store}/ {"latency_ms": 100, "failure_rate": 0.5}: change a store while it runs."""
        store = by_name.get(request.match_info["store"])
        if store is None:
            raise web.HTTPNotFound(text="no such store")
        try:
            changes = await request.json()
            latency = float(changes.get("latency_ms", store.latency_ms))
            failure = float(changes.get("failure_rate", store.failure_rate))
        except (ValueError, TypeError, AttributeError) as exc:
            raise web.HTTPBadRequest(text=f"bad configuration: {exc}") from exc
        store.latency_ms, store.failure_rate = latency, failure
        return describe()

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_put("/{store}/", configure)
    app.router.add_get("/{store}/books/{isbn}", book)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="python -m sampleapi.stores")
    parser.add_argument("stores", nargs="*", default=["north", "south", "east"],
                        help="NAME[:latency=MS][:failure=RATE]")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--latency", type=float, default=50.0, help="default latency in ms (50)")
    parser.add_argument("--failure", type=float, default=0.0, help="default failure rate, 0-1 (0)")
    args = parser.parse_args(argv)
    stores = [Store.parse(spec, args.latency, args.failure) for spec in args.stores]
    web.run_app(make_app(stores), host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
