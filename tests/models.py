"""Models for the generics/viewsets/serializers tests (the test runner creates their tables)."""

from django.db import models


class BasicModel(models.Model):
    text = models.CharField(max_length=100, verbose_name="Text comes here", help_text="Text description.")


class SlugBasedModel(models.Model):
    text = models.CharField(max_length=100)
    slug = models.SlugField(max_length=32)


class ForeignKeyTarget(models.Model):
    name = models.CharField(max_length=100)


class ForeignKeySource(models.Model):
    name = models.CharField(max_length=100)
    target = models.ForeignKey(ForeignKeyTarget, related_name="sources", on_delete=models.CASCADE)


class Author(models.Model):
    name = models.CharField(max_length=100)


class Tag(models.Model):
    label = models.CharField(max_length=50, unique=True)


class Book(models.Model):
    """FK, M2M and an ordering for the relations and pagination tests."""

    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, related_name="books", on_delete=models.CASCADE)
    tags = models.ManyToManyField(Tag, related_name="books", blank=True)
    pages = models.PositiveIntegerField(default=100)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
