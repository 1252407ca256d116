"""Austin API: role matrix, validation naming the dimension, stage fit, inputs, query counts."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from safepact.audit.models import AuditEvent
from safepact.formation.models import AustinDimension, AustinInput, AustinProfile
from safepact.formation.services.austin import austin_input_give, austin_profile_record
from safepact.lib import clock
from safepact.partnerships.models import Partner

API = "/api/v1"
ALL = {d.value: 50 for d in AustinDimension}
T0 = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


def base(world):
    return f"{API}/partnerships/{world.partnership_a.code}/formation/austin"


def post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def partner_of(world, organisation):
    return Partner.objects.get(partnership=world.partnership_a, organisation=organisation)


ENDPOINTS = {
    "profiles": ("get", "/profiles", None, "read"),
    "profile record": ("post", "/profiles", {"scores": ALL, "declared_stage": "transactional"}, "manage"),
    "inputs": ("get", "/inputs", None, "read"),
    "input give": ("post", "/inputs", {"positions": {"engagement": 75}}, "write"),
}


@pytest.mark.parametrize(
    "persona", ["anonymous", "outsider", "coordinator_b", "viewer", "member", "coordinator"]
)
@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_role_matrix(client, world, persona, name):
    method, suffix, body, need = ENDPOINTS[name]
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    before = AuditEvent.objects.count()
    path = base(world) + suffix
    response = client.get(path) if method == "get" else post(client, path, body)
    if persona == "anonymous":
        status = 401
    elif persona in ("outsider", "coordinator_b"):
        status = 404
    elif need == "read" or persona == "coordinator" or (persona == "member" and need == "write"):
        status = 200 if method == "get" else 201
    else:
        status = 403
    assert response.status_code == status, response.content
    if status >= 400 or method == "get":
        assert AuditEvent.objects.count() == before
    else:
        assert AuditEvent.objects.count() > before


@pytest.mark.parametrize("missing", ["engagement", "strategic"])
def test_missing_dimension_is_named(client, world, missing):
    client.force_login(world.coordinator)
    scores = {k: v for k, v in ALL.items() if k != missing}
    response = post(client, f"{base(world)}/profiles", {"scores": scores, "declared_stage": "transactional"})
    assert response.status_code == 422
    data = response.json()
    assert data["detail"].startswith(f"{missing}: ")
    assert str(AustinDimension(missing).label) in data["detail"]
    assert not AustinProfile.objects.exists()


@pytest.mark.parametrize("value", [-1, 101, 30])
def test_out_of_range_position_is_named(client, world, value):
    client.force_login(world.coordinator)
    scores = {**ALL, "interaction": value}
    response = post(client, f"{base(world)}/profiles", {"scores": scores, "declared_stage": "integrative"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("interaction: Interaction level")
    assert not AustinProfile.objects.exists()


def test_bad_stage_is_named(client, world):
    client.force_login(world.coordinator)
    response = post(client, f"{base(world)}/profiles", {"scores": ALL, "declared_stage": "merged"})
    assert response.status_code == 422 and response.json()["detail"].startswith("declared_stage")


def test_recorded_profile_answers_with_the_stage_fit(client, world):
    client.force_login(world.coordinator)
    low = dict.fromkeys(ALL, 25)
    data = post(client, f"{base(world)}/profiles", {"scores": low, "declared_stage": "integrative"}).json()
    assert data["fit"]["fits"] is False and data["fit"]["average"] == 25
    assert data["fit"]["low"] == 50
    assert data["assessed_by"] == "Cora Coordinator"


def test_profiles_list_oldest_first_with_fit(client, world):
    for i, stage in enumerate(["philanthropic", "transactional"]):
        with clock.frozen(T0 + timedelta(days=30 * i)):
            austin_profile_record(
                actor=world.coordinator, partnership=world.partnership_a, scores=ALL, declared_stage=stage
            )
    client.force_login(world.viewer)
    data = client.get(f"{base(world)}/profiles").json()
    assert data["count"] == 2
    assert [p["declared_stage"] for p in data["items"]] == ["philanthropic", "transactional"]
    assert [p["fit"]["fits"] for p in data["items"]] == [True, True]


def test_member_input_defaults_to_own_organisation(client, world):
    client.force_login(world.member)
    response = post(
        client, f"{base(world)}/inputs", {"positions": {"mission": 75}, "comments": {"mission": "core to us"}}
    )
    assert response.status_code == 201
    data = response.json()
    [item] = data["inputs"]
    assert item["organisation"] == "Malmö stad" and item["position"] == 75 and item["comment"] == "core to us"
    mission = next(s for s in data["summary"] if s["dimension"] == "mission")
    assert mission == {
        "dimension": "mission",
        "label": "Importance to mission",
        "count": 1,
        "average": 75.0,
        "low": 75,
        "high": 75,
        "spread": 0,
    }


def test_member_cannot_give_input_for_another_organisation(client, world):
    client.force_login(world.member)
    shop = partner_of(world, world.org_shop_a)
    response = post(client, f"{base(world)}/inputs", {"partner": str(shop.code), "positions": {"scope": 50}})
    assert response.status_code == 403
    assert not AustinInput.objects.exists()


def test_coordinator_gives_input_for_any_partner(client, world):
    client.force_login(world.coordinator)
    shop = partner_of(world, world.org_shop_a)
    response = post(client, f"{base(world)}/inputs", {"partner": str(shop.code), "positions": {"scope": 50}})
    assert response.status_code == 201
    assert AustinInput.objects.get().partner == shop


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"positions": {"scope": 55}}, "scope"),
        ({"positions": {}}, "positions"),
        ({"positions": {"fun": 50}}, "positions"),
        ({"positions": {"scope": 50}, "extra": 1}, "extra"),
    ],
)
def test_bad_input_is_named(client, world, body, field):
    client.force_login(world.member)
    response = post(client, f"{base(world)}/inputs", body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(field)
    assert not AustinInput.objects.exists()


@pytest.mark.parametrize("count", [2, 12])
def test_history_and_inputs_query_counts_do_not_grow(client, world, django_assert_max_num_queries, count):
    city = partner_of(world, world.org_city_a)
    for i in range(count):
        with clock.frozen(T0 + timedelta(days=i)):
            austin_profile_record(
                actor=world.coordinator,
                partnership=world.partnership_a,
                scores=ALL,
                declared_stage="transactional",
            )
            austin_input_give(actor=world.member, partner=city, positions=ALL)
    client.force_login(world.viewer)
    with django_assert_max_num_queries(8):
        profiles = client.get(f"{base(world)}/profiles?limit=100").json()
    with django_assert_max_num_queries(8):
        inputs = client.get(f"{base(world)}/inputs").json()
    assert profiles["count"] == count
    assert len(inputs["inputs"]) == 7
