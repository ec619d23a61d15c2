from __future__ import annotations

import django_filters
from django.db.models import F
from rest_framework import filters

from .models import Book


class BookFilter(django_filters.FilterSet):
    tag = django_filters.CharFilter(field_name="tags__name", help_text="Books with this tag.")
    author_name = django_filters.CharFilter(field_name="author__name", lookup_expr="icontains")
    published_after = django_filters.DateFilter(field_name="published", lookup_expr="gte")
    published_before = django_filters.DateFilter(field_name="published", lookup_expr="lte")
    min_price = django_filters.NumberFilter(field_name="price", lookup_expr="gte")
    max_price = django_filters.NumberFilter(field_name="price", lookup_expr="lte")

    class Meta:
        model = Book
        fields = ["author", "tag", "author_name", "published_after", "published_before", "min_price", "max_price"]


class NullsLastOrderingFilter(filters.OrderingFilter):
    """DRF's `OrderingFilter`, with books that have no value (no rating yet) last on every database."""

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        return queryset.order_by(*(
            F(field[1:]).desc(nulls_last=True) if field.startswith("-") else F(field).asc(nulls_last=True)
            for field in ordering
        ))
