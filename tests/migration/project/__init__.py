"""A bookshop API on DRF: generics, a router-registered viewset with @actions, an APIView, a function view."""
