"""
Settings of bench/scenarios.py's project (bench/scenario_app): the same for every server.

The database as in serve_settings_db (PostgreSQL when BENCH_DATABASE_URL is set, CONN_MAX_AGE
from the environment per server), but a SQLite file of its own (BENCH_SQLITE_PATH, by default
bench/.scenarios.sqlite3). Redis (BENCH_REDIS_URL) and the upstream service (BENCH_UPSTREAM_URL)
are what bench/scenarios.py passes on.
"""

import os
from pathlib import Path

from serve_settings_db import *  # noqa: F403

ROOT_URLCONF = "scenario_urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# 32 bytes at least: the key also signs the jwt-article scenario's HS256 tokens.
SECRET_KEY = "drf-async-bench-scenarios-hs256-secret-key"
INSTALLED_APPS = [*INSTALLED_APPS, "scenario_app"]  # noqa: F405
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["NAME"] = os.environ.get(  # noqa: F405
        "BENCH_SQLITE_PATH", str(Path(__file__).resolve().parent / ".scenarios.sqlite3")
    )
    # article-create writes from 8-32 threads at once: wait for the write lock rather than fail,
    # and take it when a transaction begins (drf_async's create is atomic). In WAL mode (the
    # seed sets it) synchronous=NORMAL syncs at checkpoints, not at every commit: the runs
    # measure the servers, not the disk (the sync twin commits twice per create, drf_async once).
    DATABASES["default"]["OPTIONS"] = {  # noqa: F405
        "timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA synchronous=NORMAL",
    }

BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
BENCH_UPSTREAM_URL = os.environ.get("BENCH_UPSTREAM_URL", "http://127.0.0.1:8001").rstrip("/")
# The shared clients of the drf_async views (scenario_app/resources.py), one set per worker.
DRF_ASYNC_LIFESPAN = {
    "redis": "scenario_app.resources.redis_client",
    "httpx": "scenario_app.resources.httpx_client",
    "http": "scenario_app.resources.aiohttp_session",
}
