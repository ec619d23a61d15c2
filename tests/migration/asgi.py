"""The port's asgi.py: drf_async's handler (the project's own asgi.py would have Django's)."""

from drf_async.handler import get_asgi_application

application = get_asgi_application()
