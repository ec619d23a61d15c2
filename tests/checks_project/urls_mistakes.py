from django.urls import path

from tests.checks_project import mistakes

urlpatterns = [
    path("a/", mistakes.ZAsyncGetOnPlainAPIView.as_view()),
    path("b/", mistakes.AsyncListOnPlainViewSet.as_view({"get": "list"})),
    path("c/", mistakes.AwaitsNothing.as_view()),
]
