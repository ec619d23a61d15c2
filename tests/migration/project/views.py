from django.db.models import Count
from rest_framework import filters, generics, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.permissions import AllowAny, DjangoModelPermissionsOrAnonReadOnly, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from tests.models import Author, Book, Tag

from .serializers import AuthorSerializer, BookSerializer, TagSerializer


class BookViewSet(viewsets.ModelViewSet):
    queryset = Book.objects.select_related("author").prefetch_related("tags")
    serializer_class = BookSerializer
    filter_backends = [filters.SearchFilter, filters.OrderingFilter]
    search_fields = ["title"]
    ordering_fields = ["pages", "title"]

    def get_queryset(self):
        queryset = super().get_queryset()
        author = self.request.query_params.get("author")
        return queryset.filter(author_id=author) if author else queryset

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        response["X-Extra"] = str(self.get_queryset().count())
        return response

    def perform_update(self, serializer):
        serializer.save(title=serializer.validated_data.get("title", serializer.instance.title).strip())

    def destroy(self, request, *args, **kwargs):
        book = self.get_object()
        if book.pages > 500:
            return Response({"detail": "Too long to delete."}, status=status.HTTP_409_CONFLICT)
        book.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def tag(self, request, pk=None):
        book = self.get_object()
        tag, _ = Tag.objects.get_or_create(label=request.data.get("label", ""))
        book.tags.add(tag)
        return Response(self.get_serializer(book).data)

    @action(detail=False)
    def long(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()).filter(pages__gte=300))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class AuthorList(generics.ListCreateAPIView):
    queryset = Author.objects.order_by("name")
    serializer_class = AuthorSerializer


class AuthorDetail(generics.RetrieveUpdateDestroyAPIView):
    queryset = Author.objects.all()
    serializer_class = AuthorSerializer
    permission_classes = [DjangoModelPermissionsOrAnonReadOnly]

    def update(self, request, *args, **kwargs):
        response = super().update(request, *args, **kwargs)
        response.data = {**response.data, "updated": True}
        return response


class TagList(generics.ListAPIView):
    serializer_class = TagSerializer
    pagination_class = None

    def list(self, request, *args, **kwargs):
        tags = Tag.objects.annotate(count=Count("books")).order_by("label")
        return Response([{"label": tag.label, "books": tag.count} for tag in tags])


class BookImport(generics.CreateAPIView):
    serializer_class = BookSerializer

    def get(self, request):
        return Response({"fields": list(self.get_serializer().fields)})


class Stats(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"books": Book.objects.count(), "user": request.user.username, "auth": request.auth})


@api_view(["GET"])
@permission_classes([AllowAny])
def health(request):
    return Response({"ok": True, "books": Book.objects.count()})
