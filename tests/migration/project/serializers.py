from rest_framework import serializers

from tests.models import Author, Book, Tag


class AuthorSerializer(serializers.ModelSerializer):
    books = serializers.IntegerField(source="books.count", read_only=True)

    class Meta:
        model = Author
        fields = ["id", "name", "books"]


class BookSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.name", read_only=True)
    tags = serializers.SlugRelatedField(slug_field="label", many=True, read_only=True)

    class Meta:
        model = Book
        fields = ["id", "title", "author", "author_name", "pages", "tags"]

    def validate_pages(self, value):
        if value == 0:
            raise serializers.ValidationError("A book has pages.")
        return value


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["label"]
