"""Every paginated API list refuses an absurd offset or limit with 422 instead of overflowing the database."""

import pytest

from safepact.lib.tests.test_api_probe import fill, openapi, sides  # noqa: F401 - fixture


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"offset": str(10**20)}, 422),
        ({"offset": "-1"}, 422),
        ({"limit": str(10**20)}, 422),
        ({"offset": "999999", "limit": "10"}, 200),
    ],
)
def test_paginated_lists_bound_offset_and_limit(client, world, sides, query, status):  # noqa: F811
    client.force_login(world.coordinator)
    spec = openapi(client)
    paginated = [
        path
        for path, item in spec["paths"].items()
        if "get" in item and any(p["name"] == "offset" for p in item["get"].get("parameters", []))
    ]
    assert len(paginated) >= 10
    for path in paginated:
        response = client.get(fill(path, sides["A"]), query)
        assert response.status_code == status, (path, query, response.status_code, response.content[:200])
