from django.urls import path

from sampleapi.notes import views

urlpatterns = [
    path("api/health/", views.health),
    path("api/slow/", views.slow),
    path("api/whoami/", views.whoami),
    path("api/notes/", views.NoteList.as_view()),
    path("api/notes/<int:pk>/", views.NoteDetail.as_view()),
]
