"""
Settings of bench/reliability.py's servers: the benchmark project (serve_settings.py) plus
PostgreSQL when $DATABASE_URL is set and a Redis cache when $REDIS_URL is set, for the
connection-bound and throttle rows; anonymous requests throttled at 10/min.
"""

import os
from urllib.parse import urlsplit

from serve_settings import *  # noqa: F403
from serve_settings import REST_FRAMEWORK

ROOT_URLCONF = "reliability_urls"
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "10/min"}}

if os.environ.get("DATABASE_URL"):
    _url = urlsplit(os.environ["DATABASE_URL"])
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _url.path.lstrip("/"),
            "USER": _url.username or "",
            "PASSWORD": _url.password or "",
            "HOST": _url.hostname or "",
            "PORT": str(_url.port or ""),
        }
    }
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": os.environ.get("BENCH_CACHE_PREFIX", "drf-async-bench"),
        }
    }
