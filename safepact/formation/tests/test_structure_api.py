"""The structure API: the role matrix on every endpoint, then each endpoint's own behaviour.

Personas (conftest ``world``): coordinator, member and viewer of partnership A; coordinator_b of B;
outsider in none; plus anonymous.
"""

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from safepact.audit.models import AuditEvent
from safepact.formation.models import Body, Seat, Task, TaskAssignment
from safepact.formation.services import structure as services
from safepact.formation.tests.structure_data import build, make_structure, partner_b

API = "/api/v1"


def base(world):
    return f"{API}/partnerships/{world.partnership_a.code}/formation"


def call(client, method, path, body=None):
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


def endpoints(w, d):
    b = base(w)
    return {
        "body list": ("get", f"{b}/bodies", None, "read"),
        "body create": ("post", f"{b}/bodies", {"name": "Advisory board", "level": "stakeholder"}, "manage"),
        "body detail": ("get", f"{b}/bodies/{d.board.code}", None, "read"),
        "body patch": ("patch", f"{b}/bodies/{d.group.code}", {"name": "Tenants' panel"}, "manage"),
        "body delete": ("delete", f"{b}/bodies/{d.group.code}", None, "manage"),
        "seat create": (
            "post",
            f"{b}/bodies/{d.group.code}/seats",
            {"partner": str(d.shop.code), "role_title": "Member", "hours_per_month": 2},
            "manage",
        ),
        "seat patch": ("patch", f"{b}/seats/{d.chair.code}", {"hours_per_month": 6}, "manage"),
        "seat delete": ("delete", f"{b}/seats/{d.chair.code}", None, "manage"),
        "task list": ("get", f"{b}/tasks", None, "read"),
        "task create": ("post", f"{b}/tasks", {"title": "Lighting audit"}, "manage"),
        "task patch": ("patch", f"{b}/tasks/{d.task_report.code}", {"title": "Half-year report"}, "manage"),
        "task delete": ("delete", f"{b}/tasks/{d.task_report.code}", None, "manage"),
        "assignment put": (
            "put",
            f"{b}/tasks/{d.task_report.code}/assignments/{d.shop.code}",
            {"raci": "I"},
            "manage",
        ),
        "organogram svg": ("get", f"{b}/organogram.svg", None, "read"),
        "tasks csv": ("get", f"{b}/tasks.csv", None, "read"),
        "seats csv": ("get", f"{b}/seats.csv", None, "read"),
    }


ENDPOINTS = [
    "body list",
    "body create",
    "body detail",
    "body patch",
    "body delete",
    "seat create",
    "seat patch",
    "seat delete",
    "task list",
    "task create",
    "task patch",
    "task delete",
    "assignment put",
    "organogram svg",
    "tasks csv",
    "seats csv",
]
SUCCESS = {"get": 200, "patch": 200, "put": 200, "post": 201, "delete": 204}


def expected_status(persona, method, need):
    if persona == "anonymous":
        return 401
    if persona in ("outsider", "coordinator_b"):
        return 404
    if need == "manage" and persona != "coordinator":
        return 403
    return SUCCESS[method]


@pytest.mark.parametrize(
    "persona", ["anonymous", "outsider", "coordinator_b", "viewer", "member", "coordinator"]
)
@pytest.mark.parametrize("name", ENDPOINTS)
def test_role_matrix(client, world, persona, name):
    data = build(world)
    method, path, body, need = endpoints(world, data)[name]
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    before = AuditEvent.objects.count()

    response = call(client, method, path, body)

    expected = expected_status(persona, method, need)
    assert response.status_code == expected, response.content[:2000]
    written = AuditEvent.objects.count() - before
    if expected >= 400:
        data = response.json()
        assert data["code"] == {401: "unauthenticated", 403: "forbidden", 404: "not_found"}[expected]
        assert written == 0, "a refused request must change nothing"
    elif method != "get" or name.endswith(("svg", "csv")):
        assert written >= 1, "every write and every export leaves an audit event"
    else:
        assert written == 0


def test_outsider_learns_nothing_from_404(client, world):
    data = build(world)
    client.force_login(world.outsider)
    theirs = client.get(f"{base(world)}/bodies/{data.board.code}")
    unknown = client.get(f"{base(world)}/bodies/00000000-0000-4000-8000-000000000000")
    assert theirs.status_code == unknown.status_code == 404
    client.force_login(world.coordinator)
    assert client.get(f"{base(world)}/bodies/00000000-0000-4000-8000-000000000000").json() == {
        "detail": "Body not found.",
        "code": "not_found",
    }


# Bodies and seats -----------------------------------------------------------------------------------


def test_body_list_and_detail(client, world):
    data = build(world)
    client.force_login(world.viewer)
    listing = client.get(f"{base(world)}/bodies").json()
    assert listing["count"] == 3
    assert [b["name"] for b in listing["items"]] == [
        "Steering board",
        "Operational team",
        "Tenants' working group",
    ]
    team = client.get(f"{base(world)}/bodies/{data.team.code}").json()
    assert team["parent"] == str(data.board.code) and team["level"] == "operational"
    seat = next(s for s in team["seats"] if s["role_title"] == "Coordinator")
    assert seat == {
        "code": str(data.city_seat.code),
        "body": str(data.team.code),
        "partner": {"code": str(data.city.code), "organisation": "Malmö stad", "status": "active"},
        "person": {"code": str(world.member.code), "full_name": "Mats Member"},
        "role_title": "Coordinator",
        "mandate": "",
        "hours_per_month": 30.0,
    }
    assert "id" not in team


def test_body_create_and_cycle_refused(client, world):
    data = build(world)
    client.force_login(world.coordinator)
    response = call(
        client,
        "post",
        f"{base(world)}/bodies",
        {"name": "Advisory board", "level": "stakeholder", "parent": str(data.board.code)},
    )
    assert response.status_code == 201
    assert response.json()["parent"] == str(data.board.code)
    response = call(
        client, "patch", f"{base(world)}/bodies/{data.board.code}", {"parent": str(data.group.code)}
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith(
        "parent: Steering board cannot report to Tenants' working group"
    )
    assert Body.objects.get(pk=data.board.pk).parent is None
    # null: reports to no one.
    response = call(client, "patch", f"{base(world)}/bodies/{data.team.code}", {"parent": None})
    assert response.status_code == 200 and response.json()["parent"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "level": "board"}, "name"),
        ({"name": "X", "level": "boss"}, "level"),
        ({"name": "X", "level": "board", "colour": "red"}, "colour"),
        ({"name": "X", "level": "board", "parent": "00000000-0000-4000-8000-000000000000"}, "parent"),
    ],
)
def test_body_bad_input(client, world, body, field):
    client.force_login(world.coordinator)
    response = call(client, "post", f"{base(world)}/bodies", body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{field}:")
    assert not Body.objects.exists()


def test_parent_of_partnership_b_is_not_found(client, world):
    body_b = services.body_create(
        actor=world.coordinator_b, partnership=world.partnership_b, name="Board B", level="board"
    )
    client.force_login(world.coordinator)
    response = call(
        client, "post", f"{base(world)}/bodies", {"name": "X", "level": "board", "parent": str(body_b.code)}
    )
    assert response.status_code == 422 and response.json()["detail"].startswith("parent:")


def test_seat_partner_of_partnership_b_is_404(client, world):
    data = build(world)
    client.force_login(world.coordinator)
    before = AuditEvent.objects.count()
    response = call(
        client,
        "post",
        f"{base(world)}/bodies/{data.group.code}/seats",
        {"partner": str(partner_b(world).code), "role_title": "X"},
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Partner not found.", "code": "not_found"}
    response = call(
        client, "patch", f"{base(world)}/seats/{data.chair.code}", {"partner": str(partner_b(world).code)}
    )
    assert response.status_code == 404
    assert not Seat.objects.filter(body=data.group).exists()
    assert AuditEvent.objects.count() == before


def test_seat_person_of_another_partnership_names_the_field(client, world):
    data = build(world)
    client.force_login(world.coordinator)
    response = call(
        client,
        "post",
        f"{base(world)}/bodies/{data.group.code}/seats",
        {"partner": str(data.city.code), "person": str(world.coordinator_b.code), "role_title": "X"},
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {"person": ["This person is not a member of this partnership."]}
    # A member of this partnership, but through another partner.
    response = call(
        client,
        "post",
        f"{base(world)}/bodies/{data.group.code}/seats",
        {"partner": str(data.police.code), "person": str(world.member.code), "role_title": "X"},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "person: Mats Member is not an active member of this partnership for Polisen Malmö."
    )
    assert not Seat.objects.filter(body=data.group).exists()


@pytest.mark.parametrize("hours", [-1, 200.5, 7.25, "many"])
def test_seat_hours_out_of_range(client, world, hours):
    data = build(world)
    client.force_login(world.coordinator)
    response = call(client, "patch", f"{base(world)}/seats/{data.chair.code}", {"hours_per_month": hours})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("hours_per_month:")
    assert Seat.objects.get(pk=data.chair.pk).hours_per_month == 8


def test_seat_patch_person_null_and_delete(client, world):
    data = build(world)
    client.force_login(world.coordinator)
    response = call(
        client, "patch", f"{base(world)}/seats/{data.chair.code}", {"person": None, "hours_per_month": 7.5}
    )
    assert response.status_code == 200
    assert response.json()["person"] is None and response.json()["hours_per_month"] == 7.5
    assert call(client, "delete", f"{base(world)}/seats/{data.chair.code}").status_code == 204
    assert not Seat.objects.filter(pk=data.chair.pk).exists()


# Tasks and assignments -------------------------------------------------------------------------------


def test_task_list(client, world):
    data = build(world)
    client.force_login(world.member)
    items = client.get(f"{base(world)}/tasks").json()["items"]
    assert [t["title"] for t in items] == ["Evening patrols", "Quarterly report"]
    patrol = items[0]
    assert patrol["has_responsible"] and patrol["has_accountable"]
    assert {(a["partner"]["code"], a["raci"]) for a in patrol["assignments"]} == {
        (str(data.police.code), "A"),
        (str(data.city.code), "R"),
    }
    assert items[1]["has_accountable"] is False


def test_one_accountable_per_task(client, world):
    data = build(world)
    client.force_login(world.coordinator)
    path = f"{base(world)}/tasks/{data.task_patrol.code}/assignments/{data.city.code}"
    response = call(client, "put", path, {"raci": "A"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith(
        "raci: Task Evening patrols already has an accountable partner"
    )
    assert TaskAssignment.objects.get(task=data.task_patrol, partner=data.city).raci == "R"
    response = call(
        client,
        "put",
        f"{base(world)}/tasks/{data.task_patrol.code}/assignments/{data.police.code}",
        {"raci": None},
    )
    assert response.status_code == 200 and response.json()["raci"] is None
    assert call(client, "put", path, {"raci": "A"}).json() == {
        "task": str(data.task_patrol.code),
        "partner": str(data.city.code),
        "raci": "A",
    }


def test_assignment_bad_input(client, world):
    data = build(world)
    client.force_login(world.coordinator)
    path = f"{base(world)}/tasks/{data.task_report.code}/assignments"
    assert call(client, "put", f"{path}/{data.shop.code}", {"raci": "X"}).json()["detail"].startswith("raci:")
    assert call(client, "put", f"{path}/{data.shop.code}", {}).status_code == 422
    assert call(client, "put", f"{path}/{partner_b(world).code}", {"raci": "I"}).status_code == 404
    assert not TaskAssignment.objects.filter(partner=data.shop).exists()


def test_task_crud(client, world):
    build(world)
    client.force_login(world.coordinator)
    response = call(
        client, "post", f"{base(world)}/tasks", {"title": "Lighting audit", "description": "At night."}
    )
    assert response.status_code == 201
    code = response.json()["code"]
    assert response.json()["position"] == 2
    assert (
        call(client, "patch", f"{base(world)}/tasks/{code}", {"title": ""})
        .json()["detail"]
        .startswith("title:")
    )
    assert call(client, "patch", f"{base(world)}/tasks/{code}", {"position": 0}).json()["position"] == 0
    assert call(client, "delete", f"{base(world)}/tasks/{code}").status_code == 204
    assert not Task.objects.filter(code=code).exists()


# Exports ----------------------------------------------------------------------------------------------


def test_exports(client, world):
    data = build(world)
    services.task_create(actor=world.coordinator, partnership=world.partnership_a, title='=HYPERLINK("x")')
    client.force_login(world.viewer)
    response = client.get(f"{base(world)}/organogram.svg")
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(response.content)
    bodies = {g.get("data-body") for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("data-body")}
    assert bodies == {str(data.board.code), str(data.team.code), str(data.group.code)}
    rows = list(csv.reader(io.StringIO(client.get(f"{base(world)}/tasks.csv").content.decode())))
    assert rows[-1][0] == '\'=HYPERLINK("x")'
    rows = list(csv.reader(io.StringIO(client.get(f"{base(world)}/seats.csv").content.decode())))
    assert len(rows) == 4
    exported = AuditEvent.objects.filter(action="formation.structure.exported").order_by("seq")
    assert [e.after["export"] for e in exported] == ["organogram", "tasks", "seats"]


@pytest.mark.parametrize("path", ["bodies", "tasks"])
def test_list_queries_do_not_grow(client, world, django_assert_max_num_queries, path):
    client.force_login(world.viewer)
    make_structure(world, 2)
    with django_assert_max_num_queries(8) as few:
        assert client.get(f"{base(world)}/{path}").json()["count"] == 2
    make_structure(world, 10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"{base(world)}/{path}").json()["count"] == 12
