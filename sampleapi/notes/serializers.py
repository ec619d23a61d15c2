from rest_framework import serializers

from drf_async.serializers import AsyncModelSerializer

from .models import Note


class NoteSerializer(AsyncModelSerializer):
    owner = serializers.ReadOnlyField(source="owner.username")

    class Meta:
        model = Note
        fields = ["id", "title", "body", "owner", "created"]

    async def validate_title(self, value):
        if value.strip().lower() == "untitled":
            raise serializers.ValidationError("Give the note a title.")
        return value.strip()
