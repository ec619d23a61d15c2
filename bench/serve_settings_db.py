"""
The benchmark project with a database (bench/serve.py's "DB + 200 ms" pairing): a SQLite
file by default, PostgreSQL when BENCH_DATABASE_URL is set (postgres://user@host:port/name).
CONN_MAX_AGE and DRF_ASYNC_THREADS come from the environment, per server.
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from serve_settings import *  # noqa: F403

_url = os.environ.get("BENCH_DATABASE_URL")
_max_age = int(os.environ.get("CONN_MAX_AGE", "0"))
if _url:
    _parts = urlsplit(_url)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(_parts.path.lstrip("/")),
            "USER": unquote(_parts.username or ""),
            "HOST": _parts.hostname or "",
            "PORT": str(_parts.port or ""),
            "CONN_MAX_AGE": _max_age,
            # bench/serve.py counts the server's connections by this name.
            "OPTIONS": {"application_name": "drf_async_bench"},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(Path(__file__).resolve().parent / ".serve.sqlite3"),
            "CONN_MAX_AGE": _max_age,
        }
    }
DRF_ASYNC_THREADS = int(os.environ.get("DRF_ASYNC_THREADS", "32"))
