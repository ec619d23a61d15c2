from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from sampleapi.books import views as books
from sampleapi.notes import views as notes

router = DefaultRouter()
router.register("books", books.BookViewSet, basename="book")
router.register("authors", books.AuthorViewSet, basename="author")
router.register("tags", books.TagViewSet, basename="tag")
router.register("reviews", books.ReviewViewSet, basename="review")
router.register("notes", notes.NoteViewSet, basename="note")

urlpatterns = [
    path("", RedirectView.as_view(url="/api/", permanent=False)),
    path("api/health/", notes.health),
    path("api/slow/", notes.slow),
    path("api/whoami/", notes.whoami),
    path("api/auth/token/", obtain_auth_token, name="api-token"),
    path("api/auth/", include("rest_framework.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/", include(router.urls)),
]
