"""The CLAIMED journey API: GET the steps (members), PUT a step's decision (coordinators)."""

import json

import pytest

from safepact.audit.models import AuditEvent
from safepact.formation.models import ClaimedStepDecision
from safepact.formation.services.claimed import claimed_step_set_not_applicable
from safepact.formation.tests.claimed_problem_support import API, candidate, figure, share, statement

PERSONAS = ["anonymous", "outsider", "coordinator_b", "viewer", "member", "coordinator"]


def journey(p):
    return f"{API}/partnerships/{p.code}/formation/journey"


def put(client, path, body):
    return client.put(path, data=json.dumps(body), content_type="application/json")


def login(client, world, persona):
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    return client


@pytest.mark.parametrize("persona", PERSONAS)
def test_get_role_matrix(client, world, persona):
    response = login(client, world, persona).get(journey(world.partnership_a))
    expected = {"anonymous": 401, "outsider": 404, "coordinator_b": 404}.get(persona, 200)
    assert response.status_code == expected
    if expected == 200:
        assert [s["step"] for s in response.json()] == [
            "clarify",
            "locate",
            "alert",
            "inform",
            "motivate",
            "empower",
            "direct",
        ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_put_role_matrix(client, world, persona):
    response = put(
        login(client, world, persona),
        f"{journey(world.partnership_a)}/alert",
        {"not_applicable": True, "reason": "Everyone is a partner already."},
    )
    expected = {"anonymous": 401, "outsider": 404, "coordinator_b": 404, "viewer": 403, "member": 403}.get(
        persona, 200
    )
    assert response.status_code == expected
    assert ClaimedStepDecision.objects.exists() == (expected == 200)
    if expected != 200:
        assert response.json()["code"] in {"unauthenticated", "not_found", "forbidden"}


def test_get_shows_state_evidence_open_items_and_link(client, world):
    p = world.partnership_a
    figure(statement(world, p, nature="n", causes="c"))
    client.force_login(world.viewer)
    steps = {s["step"]: s for s in client.get(journey(p)).json()}
    inform = steps["inform"]
    assert inform["state"] == "done" and inform["derived_state"] == "done"
    assert inform["state_label"] == "Done"
    assert inform["link"] == f"/p/{p.code}/formation/problem/"
    assert inform["evidence"][-1] == "1 figure of the scale of the problem, with source and date."
    assert inform["decision"] is None
    assert steps["alert"]["state"] == "in_progress"
    assert steps["alert"]["open_items"] == ["Send a briefing to a candidate partner, or invite one."]


def test_put_not_applicable_then_reopen(client, world):
    p = world.partnership_a
    client.force_login(world.coordinator)
    data = put(
        client, f"{journey(p)}/empower", {"not_applicable": True, "reason": "No resources needed"}
    ).json()
    assert data["state"] == "not_applicable"
    assert data["derived_state"] == "open"
    assert data["decision"]["reason"] == "No resources needed"
    assert data["decision"]["decided_by_code"] == str(world.coordinator.code)
    data = put(client, f"{journey(p)}/empower", {"not_applicable": False}).json()
    assert data["state"] == "open" and data["decision"] is None
    assert AuditEvent.objects.filter(action__startswith="formation.claimed_step.").count() == 2


@pytest.mark.parametrize(
    ("step", "body", "field"),
    [
        ("alert", {"not_applicable": True, "reason": ""}, "reason"),
        ("alert", {"not_applicable": True}, "reason"),
        ("alert", {"not_applicable": True, "reason": "x" * 2001}, "reason"),
        ("alert", {"reason": "r"}, "not_applicable"),
        ("alert", {"not_applicable": "maybe", "reason": "r"}, "not_applicable"),
        ("alert", {"not_applicable": True, "reason": "r", "extra": 1}, "extra"),
        ("alert", {"not_applicable": False}, "step"),
        ("nonsense", {"not_applicable": True, "reason": "r"}, "step"),
    ],
)
def test_put_bad_input_is_422_naming_the_field(client, world, step, body, field):
    client.force_login(world.coordinator)
    response = put(client, f"{journey(world.partnership_a)}/{step}", body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(field)
    assert not ClaimedStepDecision.objects.exists()


def test_put_malformed_json_is_400(client, world):
    client.force_login(world.coordinator)
    response = client.put(f"{journey(world.partnership_a)}/alert", data="{", content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("n", [0, 6])
def test_get_query_count_does_not_grow(client, world, n, django_assert_max_num_queries):
    p = world.partnership_a
    for i in range(n):
        share(world, candidate(world, p, name=f"C{i}"), email=f"c{i}@x.example")
    claimed_step_set_not_applicable(actor=world.coordinator, partnership=p, step="direct", reason="r")
    client.force_login(world.coordinator)
    # session, user, membership (access helper), facts, decisions
    with django_assert_max_num_queries(5):
        response = client.get(journey(p))
    assert response.status_code == 200
