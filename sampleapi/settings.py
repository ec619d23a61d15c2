"""
Settings for the sample API, configured from the environment (twelve-factor style):

- ``DATABASE_URL`` (dj-database-url): PostgreSQL through psycopg 3
  (``postgres://user:password@host:5432/name``); a SQLite file beside this one by default.
- ``REDIS_URL``: Django's Redis cache, shared by every worker and host, so throttles count
  across all of them; a per-process local-memory cache by default.
- ``BOOKSHOP_STORES_URL`` / ``BOOKSHOP_STORES`` / ``BOOKSHOP_STORE_TIMEOUT``: the stores the
  availability endpoint asks (`sampleapi.stores`), and the per-call timeout in seconds.
- ``THROTTLE_ANON`` / ``THROTTLE_USER``: DRF throttle rates (``100/min``, ``1000/min``).
- ``DJANGO_DEBUG=1``, ``DJANGO_SECRET_KEY``, ``DJANGO_ALLOWED_HOSTS`` (comma-separated).

``WEB_CONCURRENCY`` (gunicorn's own variable) sets the number of workers.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
env = os.environ.get

SECRET_KEY = env("DJANGO_SECRET_KEY", "sampleapi-insecure-dev-key")
DEBUG = env("DJANGO_DEBUG", "") == "1"
ALLOWED_HOSTS = env("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "sampleapi.urls"
ASGI_APPLICATION = "sampleapi.asgi.application"
WSGI_APPLICATION = "sampleapi.wsgi.application"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_async",
    "sampleapi.notes",
    "sampleapi.books",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# Served from memory by sampleapi.static in front of Django (no thread hop per file).
STATIC_URL = "/static/"
STATIC_ROOT = env("STATIC_ROOT", str(BASE_DIR / "staticfiles"))

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=int(env("CONN_MAX_AGE", "0"))
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if env("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env("REDIS_URL"),
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "sampleapi"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGIN_URL = "rest_framework:login"
LOGIN_REDIRECT_URL = "/api/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": env("THROTTLE_ANON", "100/min"), "user": env("THROTTLE_USER", "1000/min")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "drf_async bookshop",
    "DESCRIPTION": "The sample API of drf_async: async DRF viewsets on DRF's DefaultRouter.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Shared per-worker resources (drf_async.lifespan): opened at ASGI lifespan startup.
DRF_ASYNC_LIFESPAN = {"http": "sampleapi.resources.http_session"}

_stores_url = env("BOOKSHOP_STORES_URL", "http://127.0.0.1:8001").rstrip("/")
BOOKSHOP_STORES = {name: f"{_stores_url}/{name}" for name in env("BOOKSHOP_STORES", "north,south,east").split(",")}
BOOKSHOP_STORE_TIMEOUT = float(env("BOOKSHOP_STORE_TIMEOUT", "0.5"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "WARNING")},
}
