"""
``python -m django seed``: the bookshop's sample data, idempotent (run it twice, get the
same rows). ``--books N`` adds generated books up to N in all (for the export endpoint).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from rest_framework.authtoken.models import Token

from sampleapi.books.models import Author, Book, Review, Tag

PASSWORD = "bookshop"
READERS = ["alice", "bob"]
AUTHORS = {
    "Ursula K. Le Guin": "Wrote of anarchists, wizards and the ethics of power.",
    "Italo Calvino": "Cities, castles and readers who are characters.",
    "Octavia E. Butler": "Parables, patternists and survival.",
    "Jorge Luis Borges": "Labyrinths, libraries and mirrors.",
}
BOOKS = [
    # title, isbn, author, tags, published, price
    ("The Dispossessed", "9780061054884", "Ursula K. Le Guin", ["sf", "classic"], "1974-05-01", "11.99"),
    ("A Wizard of Earthsea", "9780547773742", "Ursula K. Le Guin", ["fantasy", "classic"], "1968-11-01", "9.50"),
    ("The Left Hand of Darkness", "9780441478125", "Ursula K. Le Guin", ["sf"], "1969-03-01", "10.99"),
    ("Invisible Cities", "9780156453806", "Italo Calvino", ["literary"], "1972-11-01", "13.00"),
    ("If on a winter's night a traveler", "9780156439619", "Italo Calvino", ["literary", "classic"],
     "1979-06-01", "14.50"),
    ("Kindred", "9780807083697", "Octavia E. Butler", ["sf", "historical"], "1979-06-01", "12.00"),
    ("Parable of the Sower", "9781538732182", "Octavia E. Butler", ["sf"], "1993-10-01", "15.99"),
    ("Ficciones", "9780802130303", "Jorge Luis Borges", ["literary", "classic"], "1944-01-01", "12.50"),
    ("Labyrinths", "9780811216999", "Jorge Luis Borges", ["literary"], "1962-01-01", "16.95"),
]
REVIEWS = [
    ("The Dispossessed", "alice", 5, "An ambiguous utopia, unambiguously good."),
    ("The Dispossessed", "bob", 4, "Slow start, then it stays with you."),
    ("Invisible Cities", "alice", 5, "Every page a city."),
    ("Kindred", "bob", 5, "Unputdownable."),
    ("Ficciones", "bob", 3, "Clever; I preferred Labyrinths."),
    ("Labyrinths", "alice", 4, ""),
]


class Command(BaseCommand):
    help = "Create the bookshop's sample users, authors, tags, books and reviews (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--books", type=int, default=0, help="generate books until there are at least N")

    @transaction.atomic
    def handle(self, *args, books: int = 0, **options):
        users = {name: self.reader(name) for name in READERS}
        owner = users[READERS[0]]
        authors = {
            name: Author.objects.get_or_create(name=name, defaults={"bio": bio, "owner": owner})[0]
            for name, bio in AUTHORS.items()
        }
        for index, (title, isbn, author, tags, published, price) in enumerate(BOOKS):
            book, _ = Book.objects.get_or_create(isbn=isbn, defaults={
                "title": title, "author": authors[author], "published": datetime.date.fromisoformat(published),
                "price": Decimal(price), "owner": users[READERS[index % 2]],
            })
            book.tags.add(*(Tag.objects.get_or_create(name=tag)[0] for tag in tags))
        for title, reader, rating, text in REVIEWS:
            Review.objects.get_or_create(book=Book.objects.get(title=title), user=users[reader],
                                         defaults={"rating": rating, "text": text})
        generated = self.generate(books, authors["Jorge Luis Borges"], owner)
        self.stdout.write(
            f"Seeded {Book.objects.count()} books ({generated} generated), {Author.objects.count()} authors, "
            f"{Review.objects.count()} reviews; log in as {' or '.join(READERS)} with password {PASSWORD!r}."
        )

    def reader(self, username):
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_password(PASSWORD)
            user.save()
        Token.objects.get_or_create(user=user)
        return user

    def generate(self, total, author, owner):
        missing = total - Book.objects.count()
        if missing <= 0:
            return 0
        start = Book.objects.filter(isbn__startswith="979").count()
        Book.objects.bulk_create(
            (Book(title=f"Book of Sand, volume {n}", isbn=f"979{n:010d}", author=author, price=Decimal("9.99"),
                  owner=owner) for n in range(start, start + missing)),
            batch_size=2000,
        )
        return missing
