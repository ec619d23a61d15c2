"""Data shared by every framework's endpoints: the `json-10k` document, the Redis key, the upstream calls."""

from __future__ import annotations

# About 10 KB once rendered as compact JSON: 40 records of mixed types, built once per process.
JSON_10K = {
    "count": 40,
    "results": [
        {
            "id": i,
            "name": f"record {i}",
            "email": f"user{i}@example.com",
            "active": i % 3 != 0,
            "score": round(i * 1.37, 2),
            "tags": ["alpha", "beta", "gamma"][: 1 + i % 3],
            "address": {"street": f"{i} Main Street", "city": "Springfield", "zip": f"{10000 + i}"},
            "description": "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.",
        }
        for i in range(40)
    ],
}

CACHE_KEY = "drf_async:scenarios:cache-read"
# What bench/scenarios.py stores under CACHE_KEY (the views return it parsed).
CACHE_VALUE = {"id": 1, "name": "cached", "values": list(range(20))}

# The three upstream calls of `http-fanout`, each answered after 10 ms (bench/scenario_upstream.py).
UPSTREAM_PATHS = ("/items/1", "/items/2", "/items/3")
