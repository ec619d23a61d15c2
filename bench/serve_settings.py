"""Settings of the benchmark project (bench/serve.py): the same for every server it runs."""

SECRET_KEY = "drf-async-bench"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "serve_urls"
ASGI_APPLICATION = "serve_apps.asgi"  # what bench/serve.py serves (drf_async's check W001 reads it)
# "drf_async" as its docs say (its system checks, and the fast thread hop, drf_async.hop); a
# sync server never reaches either.
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "drf_async"]
# An API service: no session/CSRF/auth middleware, DRF does authentication itself.
MIDDLEWARE: list[str] = []
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}
LOGGING_CONFIG = None
