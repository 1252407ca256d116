"""A NUL character in a JSON body or a query string is refused with 422 naming the field; PostgreSQL cannot
store one, so without this check a save would end in a database error (500) there."""

import pytest

from safepact.partnerships.models import Partnership


@pytest.fixture
def api(client, world):
    client.force_login(world.coordinator)
    return client


def test_a_nul_character_in_a_body_is_refused_naming_the_field(client, world):
    from safepact.accounts.services import api_token_create

    _token, secret = api_token_create(user=world.coordinator, name="t")
    response = client.patch(
        f"/api/v1/partnerships/{world.partnership_a.code}",
        {"name": "Sofielund\x00"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid" and body["detail"].startswith("name: ")
    assert "NUL" in body["detail"]
    assert Partnership.objects.get(pk=world.partnership_a.pk).name == world.partnership_a.name


def test_nested_values_and_query_strings_are_checked_too(api, world):
    from safepact.api import _null_character_at

    assert _null_character_at({"a": [{"b": "ok"}, {"c": "x\x00"}]}) == ("a", 1, "c")
    assert _null_character_at({"a": ["fine", 1, None]}) is None
    response = api.get(f"/api/v1/partnerships/{world.partnership_a.code}/agreements", {"status": "draft\x00"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("status: ")
