"""bench/serve.py's settings with Django's default middleware stack, as `startproject` writes it."""

from serve_settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.sessions", "django.contrib.messages"]  # noqa: F405
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
