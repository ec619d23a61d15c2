"""The main suite's settings plus the apps, backends and middleware of the ecosystem matrix."""

from pathlib import Path

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS, MIDDLEWARE

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "django.contrib.staticfiles",
    "knox",
    "dj_rest_auth",
    "guardian",
    "corsheaders",
    "silk",  # its middleware is added by test_silk.py only
]

# CORS first and WhiteNoise right after SecurityMiddleware's place, as their docs say.
MIDDLEWARE = [
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *MIDDLEWARE,
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]

STATIC_URL = "/static/"
STATICFILES_DIRS = [Path(__file__).parent / "static"]
STATIC_ROOT = None
# WhiteNoise serves STATICFILES_DIRS straight from the finders (no collectstatic) in tests.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
CORS_ALLOW_CREDENTIALS = True

SIMPLE_JWT = {"SIGNING_KEY": "drf-async-ecosystem-matrix-signing-key", "ALGORITHM": "HS256"}
REST_KNOX = {"TOKEN_TTL": None}
REST_AUTH = {"SESSION_LOGIN": False, "TOKEN_MODEL": "rest_framework.authtoken.models.Token"}

# dj-rest-auth's docs: token authentication project-wide (its views use DRF's defaults).
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}
