from django.contrib.auth.models import User
from rest_framework import authentication, exceptions


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``X-Api-Key: <username>``, looked up in the database (a stand-in for a real key table)."""

    def authenticate(self, request):
        key = request.headers.get("X-Api-Key")
        if not key:
            return None
        try:
            return (User.objects.get(username=key, is_active=True), key)
        except User.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid API key.") from None

    def authenticate_header(self, request):
        return "Api-Key"
