"""
The benchmark project for bench/serve.py's fan-out pairing: the sample API's availability
fan-out (three stores, one shared aiohttp.ClientSession opened in the ASGI lifespan) against
the stores service bench/serve.py starts (BENCH_STORES_URL).
"""

import os

from serve_settings import *  # noqa: F403

DRF_ASYNC_LIFESPAN = {"http": "sampleapi.resources.http_session"}
_stores_url = os.environ.get("BENCH_STORES_URL", "http://127.0.0.1:8001").rstrip("/")
BOOKSHOP_STORES = {name: f"{_stores_url}/{name}" for name in ("north", "south", "east")}
BOOKSHOP_STORE_TIMEOUT = 5.0
