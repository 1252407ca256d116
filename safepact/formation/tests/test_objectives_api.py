"""Objectives API: the role matrix on every endpoint, then each endpoint's own behaviour."""

import json
from dataclasses import dataclass

import pytest

from safepact.audit.models import AuditEvent
from safepact.formation.models import Commitment, FormationSettings, Objective, PartnerMotivation
from safepact.formation.tests.objectives_support import add_objectives, add_partners, commit
from safepact.partnerships.models import Partner

API = "/api/v1"


def call(client, method, path, body=None):
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


@dataclass
class Things:
    one: object
    two: object
    city: object
    shop: object


@pytest.fixture
def things(world):
    one, two = add_objectives(world, 2)
    partners = {p.organisation_id: p for p in Partner.objects.filter(partnership=world.partnership_a)}
    city, shop = partners[world.org_city_a.pk], partners[world.org_shop_a.pk]
    commit(world, one, city)  # an existing commitment, for DELETE
    return Things(one=one, two=two, city=city, shop=shop)


def base(world):
    return f"{API}/partnerships/{world.partnership_a.code}/formation"


# (method, path, body, who may): read = any member; manage = coordinator; city = the city's people + coordinator
def endpoints(w, t):
    b = base(w)
    one = f"{b}/objectives/{t.one.code}"
    return {
        "objective list": ("get", f"{b}/objectives", None, "read"),
        "objective create": ("post", f"{b}/objectives", {"title": "New", "indicator": "i"}, "manage"),
        "objective detail": ("get", one, None, "read"),
        "objective patch": ("patch", one, {"indicator": "changed"}, "manage"),
        "objective delete": ("delete", f"{b}/objectives/{t.two.code}", None, "manage"),
        "motivation detail": ("get", f"{b}/motivations/{t.city.code}", None, "read"),
        "motivation put": ("put", f"{b}/motivations/{t.city.code}", {"economic": "Fewer losses"}, "city"),
        "commitment add": ("post", f"{b}/objectives/{t.two.code}/commitments/{t.city.code}", {}, "city"),
        "commitment remove": (
            "delete",
            f"{b}/objectives/{t.one.code}/commitments/{t.city.code}",
            None,
            "city",
        ),
        "alignment": ("get", f"{b}/alignment", None, "read"),
        "settings detail": ("get", f"{b}/settings", None, "read"),
        "settings put": ("put", f"{b}/settings", {"focus_limit": 7}, "manage"),
    }


SUCCESS = {"get": 200, "patch": 200, "put": 200, "post": 201, "delete": 204}


def expected(persona, method, need):
    if persona == "anonymous":
        return 401
    if persona in ("outsider", "coordinator_b"):
        return 404
    if need == "read" or persona == "coordinator" or (persona == "member" and need == "city"):
        return SUCCESS[method]
    return 403


@pytest.mark.parametrize(
    "persona", ["anonymous", "outsider", "coordinator_b", "viewer", "member", "coordinator"]
)
@pytest.mark.parametrize(
    "name",
    [
        "objective list",
        "objective create",
        "objective detail",
        "objective patch",
        "objective delete",
        "motivation detail",
        "motivation put",
        "commitment add",
        "commitment remove",
        "alignment",
        "settings detail",
        "settings put",
    ],
)
def test_role_matrix(client, world, things, persona, name):
    method, path, body, need = endpoints(world, things)[name]
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    before = AuditEvent.objects.count()
    response = call(client, method, path, body)
    status = expected(persona, method, need)
    assert response.status_code == status, response.content
    if status >= 400:
        data = response.json()
        assert data["code"] == {401: "unauthenticated", 403: "forbidden", 404: "not_found"}[status]
        assert AuditEvent.objects.count() == before, "a refused request changes nothing"
    elif method != "get":
        assert AuditEvent.objects.count() > before, "every write leaves an audit event"


def test_member_cannot_speak_for_another_organisation(client, world, things):
    client.force_login(world.member)
    b = base(world)
    assert call(client, "put", f"{b}/motivations/{things.shop.code}", {"economic": "x"}).status_code == 403
    assert (
        call(
            client, "post", f"{b}/objectives/{things.one.code}/commitments/{things.shop.code}", {}
        ).status_code
        == 403
    )
    assert not PartnerMotivation.objects.exists()


def test_objects_of_another_partnership_are_not_found(client, world, things):
    from safepact.formation.services.objectives import objective_create

    theirs = objective_create(
        actor=world.coordinator_b, partnership=world.partnership_b, title="B", indicator="i"
    )
    their_partner = Partner.objects.get(partnership=world.partnership_b)
    client.force_login(world.coordinator)
    b = base(world)
    assert client.get(f"{b}/objectives/{theirs.code}").status_code == 404
    assert call(client, "patch", f"{b}/objectives/{theirs.code}", {"title": "mine"}).status_code == 404
    assert client.get(f"{b}/motivations/{their_partner.code}").status_code == 404
    assert (
        call(
            client, "post", f"{b}/objectives/{things.one.code}/commitments/{their_partner.code}", {}
        ).status_code
        == 404
    )


# Objectives ---------------------------------------------------------------------------------------------


def test_list_is_by_priority_with_commitments_and_filters_by_status(client, world, things):
    client.force_login(world.viewer)
    data = client.get(f"{base(world)}/objectives").json()
    assert data["count"] == 2
    assert [(o["title"], o["priority"]) for o in data["items"]] == [("Objective 1", 1), ("Objective 2", 2)]
    assert data["items"][0]["commitments"] == [
        {"partner": str(things.city.code), "organisation": "Malmö stad", "note": ""}
    ]
    assert "id" not in data["items"][0]
    assert client.get(f"{base(world)}/objectives?status=achieved").json()["count"] == 0
    assert client.get(f"{base(world)}/objectives?status=bogus").status_code == 422


def test_create_beyond_the_focus_limit_answers_with_a_warning(client, world, things):
    client.force_login(world.coordinator)
    add_objectives(world, 3, start=3)  # five now
    response = call(
        client, "post", f"{base(world)}/objectives", {"title": "Sixth", "indicator": "i", "priority": 1}
    )
    assert response.status_code == 201
    data = response.json()
    assert data["priority"] == 1 and data["status"] == "active"
    assert [w["kind"] for w in data["warnings"]] == ["over_focus_limit"]
    call(client, "put", f"{base(world)}/settings", {"focus_limit": 10})
    data = call(client, "post", f"{base(world)}/objectives", {"title": "Seventh", "indicator": "i"}).json()
    assert data["warnings"] == [] and data["priority"] == 7


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"indicator": "i"}, "title"),
        ({"title": "", "indicator": "i"}, "title"),
        ({"title": "t", "indicator": "i", "priority": 0}, "priority"),
        ({"title": "t", "indicator": "i", "target_date": "someday"}, "target_date"),
        ({"title": "t", "indicator": "i", "colour": "red"}, "colour"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(client, world, body, field):
    client.force_login(world.coordinator)
    response = call(client, "post", f"{base(world)}/objectives", body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(field)
    assert not Objective.objects.exists()


def test_patch_reranks_changes_status_and_fields(client, world, things):
    client.force_login(world.coordinator)
    two = f"{base(world)}/objectives/{things.two.code}"
    data = call(client, "patch", two, {"priority": 1, "target_date": "2027-01-31"}).json()
    assert data["priority"] == 1 and data["target_date"] == "2027-01-31"
    assert Objective.objects.get(pk=things.one.pk).priority == 2
    data = call(client, "patch", two, {"status": "achieved", "reason": "done"}).json()
    assert data["status"] == "achieved" and data["priority"] == 2
    event = AuditEvent.objects.filter(action="formation.objective.status_changed").get()
    assert event.reason == "done"
    response = call(client, "patch", two, {"priority": 1})
    assert response.status_code == 422 and response.json()["detail"].startswith("priority")
    response = call(client, "patch", two, {"status": "finished"})
    assert response.status_code == 422 and response.json()["detail"].startswith("status")


def test_patch_that_fails_halfway_changes_nothing(client, world, things):
    client.force_login(world.coordinator)
    response = call(
        client, "patch", f"{base(world)}/objectives/{things.one.code}", {"title": "New", "priority": 9}
    )
    assert response.status_code == 422
    assert Objective.objects.get(pk=things.one.pk).title == "Objective 1"


def test_delete_removes_commitments_and_closes_ranks(client, world, things):
    client.force_login(world.coordinator)
    assert client.delete(f"{base(world)}/objectives/{things.one.code}").status_code == 204
    assert not Commitment.objects.exists()
    assert Objective.objects.get().priority == 1


# Motives and commitments ----------------------------------------------------------------------------


def test_motivation_get_put_round_trip(client, world, things):
    client.force_login(world.member)
    url = f"{base(world)}/motivations/{things.city.code}"
    empty = client.get(url).json()
    assert empty["stated"] is False and empty["updated_at"] is None and empty["organisation"] == "Malmö stad"
    body = {"societal": "Safe streets", "benefits": ["safer", "other"], "benefits_other": "Tourism"}
    data = call(client, "put", url, body).json()
    assert data["stated"] is True and data["benefits"] == ["safer", "other"]
    assert client.get(url).json()["societal"] == "Safe streets"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"benefits": ["other"]}, "benefits_other"),
        ({"benefits": ["bribe"]}, "benefits"),
        ({"motive": "x"}, "motive"),
    ],
)
def test_motivation_refuses_bad_input(client, world, things, body, field):
    client.force_login(world.member)
    response = call(client, "put", f"{base(world)}/motivations/{things.city.code}", body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(field)
    assert not PartnerMotivation.objects.exists()


def test_commitment_add_with_note_and_remove(client, world, things):
    client.force_login(world.member)
    url = f"{base(world)}/objectives/{things.two.code}/commitments/{things.city.code}"
    response = call(client, "post", url, {"note": "Two street wardens"})
    assert response.status_code == 201
    assert response.json()["note"] == "Two street wardens"
    assert response.json()["objective"] == str(things.two.code)
    assert client.post(url, content_type="application/json").status_code == 201, "the body is optional"
    assert client.delete(url).status_code == 204
    assert client.delete(url).status_code == 404


def test_commitment_to_an_achieved_objective_is_refused(client, world, things):
    client.force_login(world.coordinator)
    call(client, "patch", f"{base(world)}/objectives/{things.two.code}", {"status": "achieved"})
    response = call(
        client, "post", f"{base(world)}/objectives/{things.two.code}/commitments/{things.city.code}", {}
    )
    assert response.status_code == 422 and response.json()["detail"].startswith("objective")


# Alignment and settings -----------------------------------------------------------------------------


def test_alignment_lists_partners_objectives_cells_and_warnings(client, world, things):
    client.force_login(world.viewer)
    data = client.get(f"{base(world)}/alignment").json()
    assert data["focus_limit"] == 5 and data["active_objectives"] == 2
    assert [p["organisation"] for p in data["partners"]] == [
        "Malmö stad",
        "Polisen Malmö",
        "Sofielund Fastighetsägare",
    ]
    assert len(data["cells"]) == 6
    committed = [(c["partner"], c["objective"]) for c in data["cells"] if c["committed"]]
    assert committed == [(str(things.city.code), str(things.one.code))]
    kinds = {(w["kind"], w["partner"], w["objective"]) for w in data["warnings"]}
    assert ("objective_uncommitted", None, str(things.two.code)) in kinds
    assert ("partner_uncommitted", str(things.shop.code), None) in kinds


@pytest.mark.parametrize("size", [(0, 2), (9, 8)])
def test_alignment_query_count_does_not_grow(client, world, things, django_assert_max_num_queries, size):
    extra, objectives = size
    partners = add_partners(world, extra)
    made = add_objectives(world, objectives, start=3)
    for i, partner in enumerate(partners):
        commit(world, made[i % len(made)], partner)
    client.force_login(world.coordinator)
    with django_assert_max_num_queries(10):
        response = client.get(f"{base(world)}/alignment")
    assert len(response.json()["cells"]) == (3 + extra) * (2 + objectives)


@pytest.mark.parametrize("size", [2, 12])
def test_objective_list_query_count_does_not_grow(client, world, django_assert_max_num_queries, size):
    made = add_objectives(world, size)
    for partner in add_partners(world, 3):
        for objective in made:
            commit(world, objective, partner)
    client.force_login(world.viewer)
    with django_assert_max_num_queries(9):
        response = client.get(f"{base(world)}/objectives")
    assert response.json()["count"] == size


@pytest.mark.parametrize("value", [0, 21, "five", None])
def test_settings_refuse_out_of_range(client, world, value):
    client.force_login(world.coordinator)
    response = call(client, "put", f"{base(world)}/settings", {"focus_limit": value})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("focus_limit")
    assert not FormationSettings.objects.exists()


def test_settings_round_trip(client, world):
    client.force_login(world.coordinator)
    assert client.get(f"{base(world)}/settings").json() == {"focus_limit": 5}
    assert call(client, "put", f"{base(world)}/settings", {"focus_limit": 3}).json() == {"focus_limit": 3}
    assert client.get(f"{base(world)}/settings").json() == {"focus_limit": 3}
