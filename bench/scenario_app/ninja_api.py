"""
The scenarios as django-ninja async endpoints, as a ninja project writes them: schemas for the
responses, the async ORM, ninja's own async pagination and an async `HttpBearer`.
"""

from __future__ import annotations

import asyncio
import json

from django.contrib.auth.models import User
from ninja import ModelSchema, NinjaAPI, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import HttpBearer
from rest_framework.exceptions import AuthenticationFailed

from .auth import user_id_from
from .models import Article, Item, Tag
from .payloads import CACHE_KEY, JSON_10K, UPSTREAM_PATHS
from .resources import ninja_clients

api = NinjaAPI(urls_namespace="scenarios", docs_url=None)
ARTICLES = Article.objects.select_related("author").prefetch_related("tags")


class ItemOut(ModelSchema):
    class Meta:
        model = Item
        fields = ["id", "name"]


class AuthorOut(ModelSchema):
    class Meta:
        model = User
        fields = ["id", "username"]


class TagOut(ModelSchema):
    class Meta:
        model = Tag
        fields = ["id", "name"]


class ArticleOut(ModelSchema):
    author: AuthorOut
    tags: list[TagOut]

    class Meta:
        model = Article
        fields = ["id", "title", "body"]


class ArticleIn(Schema):
    title: str
    body: str
    author_id: int
    tag_ids: list[int]


class JWTBearer(HttpBearer):
    async def authenticate(self, request, token):
        try:
            return await User.objects.aget(pk=user_id_from(token))
        except (AuthenticationFailed, User.DoesNotExist):
            return None


@api.get("/db/", response=list[ItemOut])
async def items(request):
    return [item async for item in Item.objects.order_by("id")[:10]]


@api.get("/articles/{int:pk}/", response=ArticleOut)
async def article(request, pk: int):
    return await ARTICLES.aget(pk=pk)


@api.get("/jwt-articles/{int:pk}/", response=ArticleOut, auth=JWTBearer())
async def jwt_article(request, pk: int):
    return await ARTICLES.aget(pk=pk)


@api.get("/articles/", response=list[ArticleOut])
@paginate(PageNumberPagination, page_size=20)
async def articles(request):
    return ARTICLES


@api.get("/viewset/", response=list[ArticleOut])
async def article_list(request):
    return [article async for article in ARTICLES.order_by("id")[:50]]


@api.post("/articles/new/", response={201: ArticleOut, 400: dict})
async def create_article(request, payload: ArticleIn):
    author = await User.objects.filter(pk=payload.author_id).afirst()
    tags = [tag async for tag in Tag.objects.filter(pk__in=payload.tag_ids)]
    if author is None or len(tags) != len(set(payload.tag_ids)):
        return 400, {"detail": "Unknown author or tag."}
    article = await Article.objects.acreate(title=payload.title, body=payload.body, author=author)
    await article.tags.aset(tags)
    return 201, await ARTICLES.aget(pk=article.pk)


@api.get("/json-10k/")
async def json_10k(request):
    return JSON_10K


@api.get("/cache-read/")
async def cache_read(request):
    return json.loads(await ninja_clients()["redis"].get(CACHE_KEY))


@api.get("/fanout/")
async def fanout(request):
    client = ninja_clients()["httpx"]

    async def call(path):
        reply = await client.get(path)
        reply.raise_for_status()
        return reply.json()

    return {"results": await asyncio.gather(*(call(path) for path in UPSTREAM_PATHS))}
