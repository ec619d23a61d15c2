from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "sampleapi.notes"
    label = "notes"
