"""Settings of the tiny Django project the real-gunicorn tests serve (no database needed;
Redis as the cache when REDIS_URL is set, under $DRF_ASYNC_TEST_CACHE_PREFIX)."""

import os

SECRET_KEY = "drf-async-server-tests"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "tests.server.urls"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"]
MIDDLEWARE: list[str] = []
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_RATES": {"anon": "10/min"},
}
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": os.environ.get("DRF_ASYNC_TEST_CACHE_PREFIX", "drf-async-server-tests"),
        }
    }
LOGGING_CONFIG = None
