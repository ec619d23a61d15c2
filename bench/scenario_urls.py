"""bench/scenarios.py's endpoints: each scenario under /sync/ (DRF), /async/ (drf_async) and /ninja/."""

from django.http import HttpResponse
from django.urls import include, path
from scenario_app import async_views, sync_views
from scenario_app.ninja_api import api


async def plain(request):
    """What bench/serve.py's `Server` waits for before a run."""
    return HttpResponse(b'{"hello":"world"}', content_type="application/json")


def _drf(views, fanouts):
    return [
        path("db/", views.ItemList.as_view()),
        path("articles/<int:pk>/", views.ArticleDetail.as_view()),
        path("jwt-articles/<int:pk>/", views.JWTArticleDetail.as_view()),
        path("articles/", views.ArticleList.as_view()),
        path("articles/new/", views.ArticleCreate.as_view()),
        path("json-10k/", views.JSON10K.as_view()),
        path("cache-read/", views.CacheRead.as_view()),
        path("viewset/", views.ArticleViewSet.as_view({"get": "list"})),
        *(path(route, view.as_view()) for route, view in fanouts),
    ]


urlpatterns = [
    path("sync/", include(_drf(sync_views, [("fanout/", sync_views.Fanout)]))),
    path("async/", include(_drf(async_views, [("fanout-httpx/", async_views.HttpxFanout),
                                              ("fanout-aiohttp/", async_views.AiohttpFanout)]))),
    path("ninja/", api.urls),
    path("plain/", plain),
]
