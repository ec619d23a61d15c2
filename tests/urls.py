"""Each test module appends its routes to `urlpatterns` at import time (see `route()`)."""

urlpatterns: list = []
