from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("books", views.BookViewSet)

urlpatterns = [
    path("", include(router.urls)),
    path("authors/", views.AuthorList.as_view(), name="author-list"),
    path("authors/<int:pk>/", views.AuthorDetail.as_view(), name="author-detail"),
    path("tags/", views.TagList.as_view(), name="tag-list"),
    path("import/", views.BookImport.as_view(), name="book-import"),
    path("stats/", views.Stats.as_view(), name="stats"),
    path("health/", views.health, name="health"),
]
