"""
The models and endpoints of bench/scenarios.py: each scenario written three times, as a user
of each framework writes it — sync DRF (`sync_views`), drf_async (`async_views`) and
django-ninja's async endpoints (`ninja_api`) — on the same models, serializers and data.
"""
