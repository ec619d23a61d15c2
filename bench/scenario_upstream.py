"""
The upstream service of bench/scenarios.py's `http-fanout`: ``GET /items/{id}`` answers
``{"id": id, "value": ...}`` after a 10 ms sleep (``--latency``).

    python bench/scenario_upstream.py --port 8001 [--latency 10]
"""

from __future__ import annotations

import argparse
import asyncio

from aiohttp import web


def make_app(latency: float) -> web.Application:
    async def item(request: web.Request) -> web.Response:
        await asyncio.sleep(latency)
        pk = int(request.match_info["pk"])
        return web.json_response({"id": pk, "value": f"upstream item {pk}"})

    app = web.Application()
    app.router.add_get("/items/{pk:\\d+}", item)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency", type=float, default=10, help="milliseconds")
    args = parser.parse_args()
    web.run_app(make_app(args.latency / 1000), host="127.0.0.1", port=args.port, backlog=4096, print=None,
                access_log=None)


if __name__ == "__main__":
    main()
