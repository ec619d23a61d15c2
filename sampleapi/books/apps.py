from django.apps import AppConfig


class BooksConfig(AppConfig):
    name = "sampleapi.books"
    label = "books"
    verbose_name = "Bookshop"
