"""The serializers every DRF-side view uses, sync DRF's and drf_async's alike."""

from django.contrib.auth.models import User
from rest_framework import serializers

from .models import Article, Item, Tag


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "name"]


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username"]


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


class ArticleSerializer(serializers.ModelSerializer):
    """Nested author and tags on read; their ids (``author_id``, ``tag_ids``) on write."""

    author = AuthorSerializer(read_only=True)
    tags = TagSerializer(many=True, read_only=True)
    author_id = serializers.PrimaryKeyRelatedField(source="author", queryset=User.objects.all(), write_only=True)
    tag_ids = serializers.PrimaryKeyRelatedField(source="tags", queryset=Tag.objects.all(), many=True,
                                                 write_only=True)

    class Meta:
        model = Article
        fields = ["id", "title", "body", "author", "tags", "author_id", "tag_ids"]
