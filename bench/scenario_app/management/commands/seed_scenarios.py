"""
`django-admin seed_scenarios`: the data bench/scenarios.py's endpoints read, made anew, then
one line of JSON with what its load generator needs (an article's id, a JWT, the POST body).
``--reset`` only deletes the articles POSTed since (what `article-create` adds), so every
server starts from the same rows.
"""

import json

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import connection

from scenario_app.auth import make_token
from scenario_app.models import Article, Item, Tag

POSTED_TITLE = "Posted article"


class Command(BaseCommand):
    help = "Seed (or --reset) the scenario benchmark's data."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="only delete the POSTed articles")

    def handle(self, *args, reset=False, **options):
        Article.objects.filter(title=POSTED_TITLE).delete()
        if not reset:
            self._seed()
        article = Article.objects.order_by("id").first()
        tags = list(Tag.objects.order_by("id").values_list("id", flat=True)[:3])
        body = {"title": POSTED_TITLE, "body": "Written by the benchmark.", "author_id": article.author_id,
                "tag_ids": tags}
        self.stdout.write(json.dumps({"article": article.pk, "token": make_token(article.author_id), "post": body}))

    def _seed(self):
        if connection.vendor == "sqlite":
            # Readers go on while article-create writes.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode=WAL")
        Article.objects.all().delete()
        Item.objects.all().delete()
        Tag.objects.all().delete()
        User.objects.filter(username__startswith="scenario-").delete()
        Item.objects.bulk_create(Item(name=f"item {i}") for i in range(10))
        users = User.objects.bulk_create(User(username=f"scenario-{i}") for i in range(5))
        tags = Tag.objects.bulk_create(Tag(name=f"tag-{i}") for i in range(10))
        articles = Article.objects.bulk_create(
            Article(title=f"Article {i}", body="Lorem ipsum dolor sit amet. " * 10, author=users[i % len(users)])
            for i in range(100)
        )
        Through = Article.tags.through
        Through.objects.bulk_create(
            Through(article_id=article.pk, tag_id=tags[(i + k) % len(tags)].pk)
            for i, article in enumerate(articles) for k in range(3)
        )
