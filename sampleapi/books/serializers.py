from __future__ import annotations

from rest_framework import serializers

from drf_async.serializers import AsyncModelSerializer

from .models import Author, Book, Review, Tag


class AuthorSerializer(AsyncModelSerializer):
    owner = serializers.ReadOnlyField(source="owner.username")

    class Meta:
        model = Author
        fields = ["id", "url", "name", "bio", "owner"]
        extra_kwargs = {"url": {"view_name": "author-detail"}}


class TagSerializer(AsyncModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


class ISBNField(serializers.CharField):
    """An ISBN with its hyphens and spaces dropped before the unique check runs."""

    def to_internal_value(self, data):
        return super().to_internal_value(data).replace("-", "").replace(" ", "")


class BookSerializer(AsyncModelSerializer):

    owner = serializers.ReadOnlyField(source="owner.username")
    author_name = serializers.ReadOnlyField(source="author.name")
    tags = serializers.SlugRelatedField(slug_field="name", many=True, queryset=Tag.objects.all(), required=False)
    rating = serializers.FloatField(read_only=True, allow_null=True, help_text="Average review rating (1-5).")

    class Meta:
        model = Book
        fields = ["id", "url", "title", "isbn", "author", "author_name", "tags", "published", "price", "rating",
                  "owner", "created"]
        extra_kwargs = {"url": {"view_name": "book-detail"}}

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        return (ISBNField if field_name == "isbn" else field_class), field_kwargs

    async def validate_isbn(self, value):
        # An async field validator, awaited on the event loop at DRF's usual point.
        if not (value.isdigit() and len(value) in (10, 13)):
            raise serializers.ValidationError("An ISBN has 10 or 13 digits.")
        return value


class ReviewSerializer(AsyncModelSerializer):
    user = serializers.ReadOnlyField(source="user.username")
    book = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Review
        fields = ["id", "book", "user", "rating", "text", "created"]

    def validate(self, attrs):
        # A sync object validator, as copied from a DRF project: runs in the is_valid() hop.
        book, user = self.context["book"], self.context["request"].user
        if Review.objects.filter(book=book, user=user).exists():
            raise serializers.ValidationError("You have already reviewed this book.")
        return attrs


class AvailabilitySerializer(serializers.Serializer):
    """One store's answer for a book (for the schema)."""

    store = serializers.CharField()
    available = serializers.BooleanField(help_text="False when the store failed or did not answer in time.")
    in_stock = serializers.IntegerField(allow_null=True)
    price = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    error = serializers.CharField(allow_null=True)
