"""
drf_async.mixins: DRF's actions as coroutines, write hooks as def or async def, atomic
writes, and DRF's prefetch-cache invalidation on update.
"""

from __future__ import annotations

import pytest
from asgiref.sync import iscoroutinefunction
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import exceptions, generics, mixins, serializers

from drf_async import generics as async_generics
from drf_async import mixins as async_mixins
from drf_async.serializers import AsyncModelSerializer
from tests.models import Author, BasicModel, Book, Tag
from tests.test_generics import SIDES, BasicSerializer, call


class BasicAsyncSerializer(AsyncModelSerializer):
    class Meta:
        model = BasicModel
        fields = "__all__"


class StepByStep:
    """An async hook that sends the write actions down the step-by-step path."""

    async def get_serializer_class(self):
        return self.serializer_class


def view_for(side: str, path: str = "one hop", **attrs):
    base = generics.RetrieveUpdateDestroyAPIView if side == "sync" else async_generics.AsyncRetrieveUpdateDestroyAPIView
    bases = (StepByStep, base) if path == "step by step" else (base,)
    attrs = {"queryset": BasicModel.objects.all(), "serializer_class": BasicSerializer, **attrs}
    return type("Basic", bases, attrs)


def create_view_for(side: str, path: str = "one hop", **attrs):
    base = generics.CreateAPIView if side == "sync" else async_generics.AsyncCreateAPIView
    bases = (StepByStep, base) if path == "step by step" else (base,)
    attrs = {"queryset": BasicModel.objects.all(), "serializer_class": BasicSerializer, **attrs}
    return type("Basic", bases, attrs)


def test_actions_keep_drfs_names_and_are_coroutines():
    """create/list/retrieve/update/partial_update/destroy are coroutines on DRF's mixin classes."""
    for name, actions in [
        ("AsyncCreateModelMixin", ["create"]),
        ("AsyncListModelMixin", ["list"]),
        ("AsyncRetrieveModelMixin", ["retrieve"]),
        ("AsyncUpdateModelMixin", ["update", "partial_update"]),
        ("AsyncDestroyModelMixin", ["destroy"]),
    ]:
        cls = getattr(async_mixins, name)
        assert issubclass(cls, getattr(mixins, name.removeprefix("Async")))
        for action in actions:
            assert iscoroutinefunction(getattr(cls, action)), (name, action)
            assert getattr(cls, action).__doc__ is None  # DRF's schema describes operations by it


# Atomic writes: in autocommit mode (transactional_db) each write action is all-or-nothing;
# inside a caller's transaction (ATOMIC_REQUESTS, a test case) it joins it, as in DRF.


@pytest.mark.parametrize("path", ["one hop", "step by step"])
def test_write_inside_a_transaction_makes_drfs_queries(path, db):
    """Inside a transaction a create makes DRF's queries: no SAVEPOINT of drf_async's own (DRF's suite counts them)."""
    queries = {}
    for side in ("sync", "async"):
        view = create_view_for(side, path if side == "async" else "one hop").as_view()
        with CaptureQueriesContext(connection) as captured:
            assert call(side, view, "post", {"text": side}).status_code == 201
        queries[side] = [query["sql"].replace(side, "?") for query in captured.captured_queries]
    assert queries["async"] == queries["sync"]
    assert not any("SAVEPOINT" in sql for sql in queries["async"])


def _save_then_fail(self, serializer):
    serializer.save()
    raise exceptions.ValidationError({"text": ["Rejected after the write."]})


@pytest.mark.parametrize("path", ["one hop", "step by step"])
def test_sync_perform_create_that_fails_after_writing_leaves_no_row(path, transactional_db):
    """A def perform_create() that saves and then raises: 400, and the row is rolled back."""
    view = create_view_for("async", path, perform_create=_save_then_fail).as_view()
    response = call("async", view, "post", {"text": "half"})
    assert response.status_code == 400 and response.data == {"text": ["Rejected after the write."]}
    assert not BasicModel.objects.filter(text="half").exists()


def test_sync_drf_keeps_the_half_written_row_drf_async_removes(db):
    """The guarantee is drf_async's own: sync DRF (no ATOMIC_REQUESTS) keeps the row written before the error."""
    view = create_view_for("sync", perform_create=_save_then_fail).as_view()
    assert call("sync", view, "post", {"text": "half"}).status_code == 400
    assert BasicModel.objects.filter(text="half").exists()


@pytest.mark.parametrize("path", ["one hop", "step by step"])
def test_sync_perform_update_and_destroy_that_fail_after_writing_are_rolled_back(path, transactional_db):
    """def perform_update()/perform_destroy() that write and then raise leave the row as it was."""
    obj = BasicModel.objects.create(text="before")

    def update_then_fail(self, serializer):
        serializer.save()
        raise exceptions.ValidationError("no")

    def destroy_then_fail(self, instance):
        instance.delete()
        raise exceptions.PermissionDenied("no")

    view = view_for("async", path, perform_update=update_then_fail, perform_destroy=destroy_then_fail).as_view()
    assert call("async", view, "put", {"text": "after"}, pk=obj.id).status_code == 400
    assert call("async", view, "delete", pk=obj.id).status_code == 403
    assert BasicModel.objects.get(id=obj.id).text == "before"


def test_uncaught_exception_after_write_rolls_back_and_propagates(transactional_db):
    """An exception DRF does not handle propagates as in DRF, and the write before it is undone."""

    def save_then_crash(self, serializer):
        serializer.save()
        raise ZeroDivisionError

    view = create_view_for("async", perform_create=save_then_crash).as_view()
    with pytest.raises(ZeroDivisionError):
        call("async", view, "post", {"text": "crash"})
    assert not BasicModel.objects.filter(text="crash").exists()


# Write hooks as def or async def


async def _async_perform_create(self, serializer):
    await serializer.asave(text=serializer.validated_data["text"].upper())


def _sync_perform_create(self, serializer):
    serializer.save(text=serializer.validated_data["text"].upper())


async def _async_perform_update(self, serializer):
    await serializer.asave(text=serializer.validated_data["text"] + "!")


def _sync_perform_update(self, serializer):
    serializer.save(text=serializer.validated_data["text"] + "!")


async def _async_perform_destroy(self, instance):
    instance.text = "archived"
    await instance.asave()


def _sync_perform_destroy(self, instance):
    instance.text = "archived"
    instance.save()


@pytest.mark.parametrize("side, mode", [("sync", "def"), ("async", "def"), ("async", "async def")])
def test_perform_hooks_def_or_async_def_are_honoured(side, mode, db):
    """perform_create/perform_update/perform_destroy overrides run (def in a thread, async def awaited)."""
    hooks = {
        "def": dict(perform_create=_sync_perform_create, perform_update=_sync_perform_update,
                    perform_destroy=_sync_perform_destroy),
        "async def": dict(perform_create=_async_perform_create, perform_update=_async_perform_update,
                          perform_destroy=_async_perform_destroy),
    }[mode]
    serializer_class = BasicAsyncSerializer if mode == "async def" else BasicSerializer
    created = call(side, create_view_for(side, serializer_class=serializer_class, **hooks).as_view(), "post",
                   {"text": "new"})
    assert created.status_code == 201 and created.data["text"] == "NEW"
    detail = view_for(side, serializer_class=serializer_class, **hooks).as_view()
    pk = created.data["id"]
    updated = call(side, detail, "patch", {"text": "changed"}, pk=pk)
    assert updated.status_code == 200 and updated.data == {"id": pk, "text": "changed!"}
    assert call(side, detail, "delete", pk=pk).status_code == 204
    assert BasicModel.objects.get(id=pk).text == "archived"


@pytest.mark.parametrize("side", SIDES)
def test_partial_update_does_not_require_every_field(side, db):
    """PATCH validates partially (required fields may be missing), PUT does not."""
    author = Author.objects.create(name="a")
    book = Book.objects.create(title="t", author=author)

    class BookSerializer(serializers.ModelSerializer):
        class Meta:
            model = Book
            fields = ["id", "title", "author", "pages"]

    view = view_for(side, queryset=Book.objects.all(), serializer_class=BookSerializer).as_view()
    assert call(side, view, "patch", {"pages": 7}, pk=book.id).data["pages"] == 7
    response = call(side, view, "put", {"pages": 8}, pk=book.id)
    assert response.status_code == 400 and set(response.data) == {"title", "author"}


@pytest.mark.parametrize("side, path", [("sync", "one hop"), ("async", "one hop"), ("async", "step by step")])
def test_update_invalidates_the_prefetch_cache_like_drf(side, path, db):
    """Updating an M2M through a prefetch_related queryset answers with the new relations (DRF #2442)."""
    author = Author.objects.create(name="a")
    book = Book.objects.create(title="t", author=author)
    old, new = Tag.objects.create(label="old"), Tag.objects.create(label="new")
    book.tags.set([old])

    class BookSerializer(serializers.ModelSerializer):
        class Meta:
            model = Book
            fields = ["id", "title", "author", "tags"]

    view = view_for(side, path, queryset=Book.objects.prefetch_related("tags"),
                    serializer_class=BookSerializer).as_view()
    response = call(side, view, "put", {"title": "t", "author": author.id, "tags": [new.id]}, pk=book.id)
    assert response.status_code == 200 and response.data["tags"] == [new.id]
