"""drf_async: async Django REST Framework, end to end."""

__version__ = "0.1.0"
