from django.urls import path
from rest_framework.routers import SimpleRouter

from tests.checks_project import correct

router = SimpleRouter()
router.register("things", correct.SyncActionsViewSet)

urlpatterns = [
    path("a/", correct.SyncView.as_view()),
    path("b/", correct.MixedView.as_view()),
    path("c/", correct.SyncGetOnAsyncCreate.as_view()),
    path("d/", correct.PlainList.as_view()),
    *router.urls,
]
