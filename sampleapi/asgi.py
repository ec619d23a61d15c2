"""ASGI entry point: ``gunicorn sampleapi.asgi:application`` (see the Makefile's ``serve``)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sampleapi.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
