from django.urls import include, path
from rest_framework.routers import DefaultRouter

from sampleapi.notes import views

router = DefaultRouter()
router.register("notes", views.NoteViewSet, basename="note")

urlpatterns = [
    path("api/health/", views.health),
    path("api/slow/", views.slow),
    path("api/whoami/", views.whoami),
    path("api/", include(router.urls)),
]
