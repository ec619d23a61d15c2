from django.conf import settings
from django.db import models


class Item(models.Model):
    """The `db` scenario's table: ten rows of ``{id, name}``."""

    name = models.CharField(max_length=100)


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)


class Article(models.Model):
    """An article with a foreign key (its author, a `User`) and a many-to-many (its tags)."""

    title = models.CharField(max_length=200)
    body = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="articles")
    tags = models.ManyToManyField(Tag, related_name="articles")

    class Meta:
        ordering = ["id"]
