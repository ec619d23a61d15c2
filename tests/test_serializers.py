"""
drf_async.serializers: ais_valid/asave/adata, async validators on the loop, one thread hop
per step, relations without SynchronousOnlyOperation, and DRF's results throughout.
"""

from __future__ import annotations

import threading

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers, viewsets
from rest_framework.validators import UniqueValidator

from drf_async.serializers import AsyncListSerializer, AsyncModelSerializer, AsyncSerializer
from drf_async.viewsets import AsyncModelViewSet
from tests.models import Author, Book, Tag
from tests.test_generics import call, send
from tests.twins import Twins, route


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name"]


def book_serializer(base: type) -> type:
    """The same book serializer on DRF's ModelSerializer or drf_async's: FK, M2M, nested, dotted source."""

    class BookSerializer(base):
        author_detail = AuthorSerializer(source="author", read_only=True)
        author_name = serializers.CharField(source="author.name", read_only=True)
        tag_labels = serializers.SlugRelatedField(source="tags", slug_field="label", many=True, read_only=True)
        tag_count = serializers.SerializerMethodField()

        class Meta:
            model = Book
            fields = ["id", "title", "pages", "author", "tags", "author_detail", "author_name", "tag_labels",
                      "tag_count"]

        def get_tag_count(self, obj):
            return len(obj.tags.all())

    return BookSerializer


SyncBookSerializer = book_serializer(serializers.ModelSerializer)
AsyncBookSerializer = book_serializer(AsyncModelSerializer)


@pytest.fixture
def library(db):
    authors = [Author.objects.create(name=name) for name in ("Ann", "Bob")]
    tags = [Tag.objects.create(label=label) for label in ("red", "green", "blue")]
    for i in range(6):
        book = Book.objects.create(title=f"Book {i}", pages=10 * i, author=authors[i % 2])
        book.tags.set(tags[: i % 3 + 1])
    return authors, tags


# Reading: adata


@pytest.mark.parametrize("queryset", ["plain", "select/prefetch"])
async def test_adata_serializes_relations_without_synchronous_only_errors(library, queryset):
    """Nested, FK, M2M, source="a.b" and SerializerMethodField serialize on the loop via adata: DRF's output."""
    books = Book.objects.all()
    if queryset == "select/prefetch":
        books = books.select_related("author").prefetch_related("tags")
    data = await AsyncBookSerializer(books, many=True).adata

    def expected():
        return SyncBookSerializer(books.all(), many=True).data

    assert data == await sync_to_async(expected)()
    assert len(data) == 6 and data[1]["author_detail"] == {"id": library[0][1].id, "name": "Bob"}
    assert data[2]["tag_labels"] == ["red", "green", "blue"] and data[2]["tag_count"] == 3


def test_adata_is_one_hop_however_many_rows(library, hops):
    """Serializing 6 rows with FK, M2M and nested fields costs one thread hop, not one per field or row."""
    async def serialize():
        return await AsyncBookSerializer(Book.objects.all(), many=True).adata

    data = async_to_sync(serialize)()
    assert len(data) == 6 and len(hops) == 1


def test_many_true_builds_an_async_list_serializer():
    """AsyncSerializer(many=True) is an AsyncListSerializer (unless Meta.list_serializer_class says otherwise)."""
    serializer = AsyncBookSerializer([], many=True)
    assert isinstance(serializer, AsyncListSerializer) and isinstance(serializer, serializers.ListSerializer)

    class CustomList(serializers.ListSerializer):
        pass

    class WithCustomList(AsyncModelSerializer):
        class Meta:
            model = Tag
            fields = ["label"]
            list_serializer_class = CustomList

    assert type(WithCustomList([], many=True)) is CustomList


# Validating: ais_valid


class TagSerializer(AsyncModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "label"]


class SyncTagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "label"]


@pytest.mark.parametrize("data", [{"label": "red"}, {"label": ""}, {}, {"label": "x" * 51}, {"label": "fresh"}])
async def test_ais_valid_matches_drfs_is_valid(library, data):
    """ais_valid() gives is_valid()'s verdict, errors and validated data (UniqueValidator included)."""
    serializer = TagSerializer(data=data)
    valid = await serializer.ais_valid()
    sync = SyncTagSerializer(data=data)
    assert valid == await sync_to_async(sync.is_valid)()
    assert serializer.errors == sync.errors
    assert dict(serializer.validated_data) == dict(sync.validated_data)


async def test_ais_valid_raise_exception(library):
    """ais_valid(raise_exception=True) raises DRF's ValidationError with the errors."""
    with pytest.raises(serializers.ValidationError) as excinfo:
        await TagSerializer(data={"label": "red"}).ais_valid(raise_exception=True)
    assert excinfo.value.detail == {"label": ["tag with this label already exists."]}


class Signup(AsyncSerializer):
    """Async field and object validators beside sync fields, recording the thread each ran in."""

    name = serializers.CharField(max_length=10)
    label = serializers.CharField(validators=[UniqueValidator(queryset=Tag.objects.all())])
    pages = serializers.IntegerField()

    calls: list[tuple[str, int]]

    async def validate_name(self, value):
        self.calls.append(("validate_name", threading.get_ident()))
        if await Author.objects.filter(name=value).aexists():
            raise serializers.ValidationError("Name taken.")
        return value.title()

    def validate_pages(self, value):
        self.calls.append(("validate_pages", threading.get_ident()))
        if value < 0:
            raise serializers.ValidationError("Negative.")
        return value

    async def validate(self, attrs):
        self.calls.append(("validate", threading.get_ident()))
        if attrs["pages"] == 13:
            raise serializers.ValidationError("Unlucky.")
        return {**attrs, "checked": True}


async def test_async_validators_are_awaited_on_the_loop_in_drfs_order(library, hops):
    """validate_<field> and validate run on the event loop's thread, after field checks, in one hop."""
    Signup.calls = []
    serializer = Signup(data={"name": "zed", "label": "purple", "pages": 3})
    assert await serializer.ais_valid(), serializer.errors
    assert serializer.validated_data == {"name": "Zed", "label": "purple", "pages": 3, "checked": True}
    loop_thread = threading.get_ident()
    assert [name for name, _ in Signup.calls] == ["validate_name", "validate_pages", "validate"]
    assert [thread == loop_thread for _, thread in Signup.calls] == [True, False, True]
    assert len(hops) == 2  # ais_valid's hop, and the aexists() query the async validator made


@pytest.mark.parametrize("data, errors", [
    ({"name": "Ann", "label": "red", "pages": -1},
     {"name": ["Name taken."], "label": ["This field must be unique."], "pages": ["Negative."]}),
    ({"name": "zed", "label": "purple", "pages": 13}, {"non_field_errors": ["Unlucky."]}),
    ({"name": "much too long", "label": "purple", "pages": 1},
     {"name": ["Ensure this field has no more than 10 characters."]}),
])
async def test_async_validator_errors_are_collected_like_drfs(library, data, errors):
    """Async field errors join sync ones; object-level ones come only when fields pass; as DRF does."""
    Signup.calls = []
    serializer = Signup(data=data)
    assert not await serializer.ais_valid()
    assert serializer.errors == errors


def test_async_validators_also_run_from_sync_is_valid_in_a_thread(library):
    """DRF's sync is_valid() (as a sync viewset path calls it, in a worker thread) awaits them on the loop."""
    async def validate_in_thread():
        Signup.calls = []
        serializer = Signup(data={"name": "Ann", "label": "purple", "pages": 1})
        return await sync_to_async(serializer.is_valid)(), serializer.errors

    assert async_to_sync(validate_in_thread)() == (False, {"name": ["Name taken."]})


# Writing: asave


async def test_asave_creates_and_updates(library):
    """asave() creates, then updates with extra kwargs, as save() does."""
    serializer = TagSerializer(data={"label": "purple"})
    assert await serializer.ais_valid()
    tag = await serializer.asave()
    assert tag.pk and (await Tag.objects.aget(pk=tag.pk)).label == "purple"
    serializer = TagSerializer(tag, data={"label": "violet"})
    assert await serializer.ais_valid()
    await serializer.asave(label="indigo")
    assert (await Tag.objects.aget(pk=tag.pk)).label == "indigo"
    assert await serializer.adata == {"id": tag.pk, "label": "indigo"}


class TwoTags(AsyncSerializer):
    """An async create() that writes two rows, then fails when asked to."""

    first = serializers.CharField()
    second = serializers.CharField()
    fail = serializers.BooleanField(default=False)

    async def create(self, validated_data):
        first = await Tag.objects.acreate(label=validated_data["first"])
        await Tag.objects.acreate(label=validated_data["second"])
        if validated_data["fail"]:
            raise RuntimeError("after two writes")
        return first


async def test_async_create_is_awaited_and_atomic_under_asave(library):
    """An async def create() works through asave(), and its writes roll back together when it fails."""
    ok = TwoTags(data={"first": "one", "second": "two"})
    assert await ok.ais_valid()
    assert (await ok.asave()).label == "one"
    failing = TwoTags(data={"first": "three", "second": "four", "fail": True})
    assert await failing.ais_valid()
    with pytest.raises(RuntimeError, match="after two writes"):
        await failing.asave()
    labels = [label async for label in Tag.objects.values_list("label", flat=True)]
    assert "one" in labels and "two" in labels and "three" not in labels and "four" not in labels


def test_ais_valid_and_asave_are_one_hop_each(library, hops):
    """Validation (with a unique check) and the save (with M2M) each cost one thread hop."""
    authors, tags = library

    async def create():
        serializer = AsyncBookSerializer(data={"title": "New", "pages": 1, "author": authors[0].id,
                                               "tags": [tags[0].id, tags[1].id]})
        await serializer.ais_valid(raise_exception=True)
        await serializer.asave()
        return await serializer.adata

    data = async_to_sync(create)()
    assert data["tag_labels"] == ["red", "green"] and data["author_name"] == "Ann"
    assert len(hops) == 3


# Relations through an async viewset, against the sync twin


class SyncBooks(viewsets.ModelViewSet):
    queryset = Book.objects.select_related("author").prefetch_related("tags")
    serializer_class = SyncBookSerializer


class AsyncBooks(AsyncModelViewSet):
    queryset = Book.objects.select_related("author").prefetch_related("tags")
    serializer_class = AsyncBookSerializer


route("books", SyncBooks.as_view({"get": "list", "post": "create"}),
      AsyncBooks.as_view({"get": "list", "post": "create"}))


def test_list_with_fk_m2m_and_nested_matches_sync_viewset(library):
    """Listing books (FK, M2M, nested author) through an async viewset gives the sync viewset's answer."""
    got = Twins().same("get", "books")
    assert got.status == 200 and len(got.data) == 6 and got.data[0]["author_detail"]["name"] == "Ann"


@pytest.mark.parametrize("side", ["sync", "async"])
def test_create_with_fk_and_m2m_through_viewset(side, library):
    """Creating a book with an author and tags stores the relations and answers with them nested."""
    authors, tags = library
    got = send(side, "post", "books/", data={"title": "New", "author": authors[1].id,
                                             "tags": [tags[2].id, tags[0].id]}, format="json")
    book = Book.objects.get(title="New")
    assert got.status == 201 and got.data["id"] == book.id
    assert got.data["author_detail"] == {"id": authors[1].id, "name": "Bob"}
    assert sorted(got.data["tag_labels"]) == ["blue", "red"] and book.tags.count() == 2


def test_relations_list_issues_the_queries_of_the_sync_viewset(library):
    """select_related + prefetch_related: the async list makes the sync list's 2 queries."""
    counts = []
    for side, cls in (("sync", SyncBooks), ("async", AsyncBooks)):
        with CaptureQueriesContext(connection) as context:
            assert call(side, cls.as_view({"get": "list"}), "get").status_code == 200
        counts.append(len(context.captured_queries))
    assert counts == [2, 2]
