"""Objectives pages: access for every page, the forms, warnings shown, picture and table, query counts."""

from dataclasses import dataclass

import pytest
from django.urls import reverse

from safepact.audit.models import AuditEvent
from safepact.formation.models import Commitment, FormationSettings, Objective, PartnerMotivation
from safepact.formation.services.objectives import motivation_set
from safepact.formation.tests.objectives_support import (
    NS,
    add_objectives,
    add_partners,
    commit,
    svg_with_class,
)
from safepact.partnerships.models import Partner


@dataclass
class Things:
    objective: object
    second: object
    city: object  # the member's partner
    shop: object  # the viewer's partner


@pytest.fixture
def things(world):
    objective, second = add_objectives(world, 2)
    partners = {p.organisation_id: p for p in Partner.objects.filter(partnership=world.partnership_a)}
    return Things(
        objective=objective,
        second=second,
        city=partners[world.org_city_a.pk],
        shop=partners[world.org_shop_a.pk],
    )


def url(name, world, *args):
    return reverse(f"formation:{name}", args=[world.partnership_a.code, *args])


# Access: every page and action -----------------------------------------------------------------------
# (name, args, method, who may): read = any member; manage = coordinator; city = the city's people + coordinator


def pages(w, t):
    o = t.objective.code
    return {
        "page": ("objectives", [], "get", "read", None),
        "new": ("objective_create", [], "get", "manage", None),
        "new post": ("objective_create", [], "post", "manage", {"title": "T", "indicator": "I"}),
        "edit": ("objective_edit", [o], "get", "manage", None),
        "edit post": ("objective_edit", [o], "post", "manage", {"title": "T2", "indicator": "I"}),
        "move": ("objective_move", [t.second.code], "post", "manage", {"priority": "1"}),
        "status": ("objective_status", [o], "post", "manage", {"status": "achieved"}),
        "delete": ("objective_delete", [o], "post", "manage", {}),
        "focus limit": ("objectives_focus_limit", [], "post", "manage", {"focus_limit": "4"}),
        "motives": ("motivation_edit", [t.city.code], "get", "city", None),
        "motives post": ("motivation_edit", [t.city.code], "post", "city", {"economic": "Fewer losses"}),
        "commitments": ("commitments_edit", [t.city.code], "get", "city", None),
        "commitments post": ("commitments_edit", [t.city.code], "post", "city", {f"commit_{o}": "on"}),
    }


def expected(persona, need, method):
    if persona == "anonymous":
        return 302
    if persona in ("outsider", "coordinator_b"):
        return 404
    if need == "read":
        return 200
    if persona == "coordinator":
        return 302 if method == "post" else 200
    if persona == "member" and need == "city":
        return 302 if method == "post" else 200
    return 403


@pytest.mark.parametrize(
    "persona", ["anonymous", "outsider", "coordinator_b", "viewer", "member", "coordinator"]
)
@pytest.mark.parametrize(
    "name",
    [
        "page",
        "new",
        "new post",
        "edit",
        "edit post",
        "move",
        "status",
        "delete",
        "focus limit",
        "motives",
        "motives post",
        "commitments",
        "commitments post",
    ],
)
def test_access(client, world, things, persona, name):
    url_name, args, method, need, data = pages(world, things)[name]
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    before = AuditEvent.objects.count()
    response = getattr(client, method)(url(url_name, world, *args), data or {})
    assert response.status_code == expected(persona, need, method), response.content[:500]
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("accounts:login"))
    refused = persona == "anonymous" or response.status_code >= 400
    if refused and method == "post":
        assert AuditEvent.objects.count() == before, "a refused request changes nothing"
    elif method == "post":
        assert AuditEvent.objects.count() > before, "every write is audited"


def test_other_partnerships_objective_is_not_found(client, world, things):
    from safepact.formation.services.objectives import objective_create

    theirs = objective_create(
        actor=world.coordinator_b, partnership=world.partnership_b, title="B", indicator="i"
    )
    client.force_login(world.coordinator)
    assert client.get(url("objective_edit", world, theirs.code)).status_code == 404
    assert client.post(url("objective_status", world, theirs.code), {"status": "dropped"}).status_code == 404
    theirs_partner = Partner.objects.get(partnership=world.partnership_b)
    assert client.get(url("motivation_edit", world, theirs_partner.code)).status_code == 404


def test_member_cannot_open_another_organisations_motives(client, world, things):
    client.force_login(world.member)
    assert client.get(url("motivation_edit", world, things.shop.code)).status_code == 403
    assert client.post(url("motivation_edit", world, things.shop.code), {"economic": "x"}).status_code == 403
    assert client.post(url("commitments_edit", world, things.shop.code), {}).status_code == 403
    assert not PartnerMotivation.objects.exists()


# Forms --------------------------------------------------------------------------------------------------


def test_adding_the_sixth_objective_shows_the_focus_warning(client, world):
    add_objectives(world, 4)
    client.force_login(world.coordinator)
    fifth = client.post(url("objective_create", world), {"title": "Fifth", "indicator": "i"}, follow=True)
    assert "focus limit" not in fifth.content.decode().split('id="objectives"')[0]
    sixth = client.post(url("objective_create", world), {"title": "Sixth", "indicator": "i"}, follow=True)
    html = sixth.content.decode()
    messages = html.split('id="objectives"')[0]
    assert "more than its focus limit of 5" in messages
    assert Objective.objects.filter(status="active").count() == 6
    assert 'data-kind="over_focus_limit"' in html


def test_bad_objective_shows_errors_by_the_field_and_stores_nothing(client, world):
    client.force_login(world.coordinator)
    response = client.post(url("objective_create", world), {"title": "", "indicator": "i", "priority": "0"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="#id_title"' in html and 'href="#id_priority"' in html
    assert 'aria-invalid="true"' in html
    assert not Objective.objects.exists()


def test_move_and_status_forms(client, world):
    one, two = add_objectives(world, 2)
    client.force_login(world.coordinator)
    client.post(url("objective_move", world, two.code), {"priority": "1"})
    assert list(Objective.objects.order_by("priority").values_list("title", flat=True)) == [
        "Objective 2",
        "Objective 1",
    ]
    response = client.post(url("objective_move", world, two.code), {"priority": "5"}, follow=True)
    assert "Priority must be between 1 and 2" in response.content.decode()
    client.post(url("objective_status", world, one.code), {"status": "achieved"})
    one.refresh_from_db()
    assert one.status == "achieved"
    response = client.post(url("objective_status", world, one.code), {"status": "bogus"}, follow=True)
    assert "Status:" in response.content.decode()


def test_focus_limit_form_validates_and_saves(client, world):
    client.force_login(world.coordinator)
    response = client.post(url("objectives_focus_limit", world), {"focus_limit": "21"})
    assert response.status_code == 200
    assert not FormationSettings.objects.exists()
    assert 'href="#id_focus_limit"' in response.content.decode()
    client.post(url("objectives_focus_limit", world), {"focus_limit": "3"})
    assert FormationSettings.objects.get().focus_limit == 3


def test_motives_form_other_needs_text(client, world, things):
    client.force_login(world.member)
    target = url("motivation_edit", world, things.city.code)
    response = client.post(target, {"benefits": ["other"], "economic": "Fewer losses"})
    assert response.status_code == 200
    assert 'href="#id_benefits_other"' in response.content.decode()
    assert not PartnerMotivation.objects.exists()
    response = client.post(target, {"benefits": ["other", "safer"], "benefits_other": "Tourism"})
    assert response.status_code == 302
    assert PartnerMotivation.objects.get().benefits == ["safer", "other"]


def test_commitments_form_sets_the_partners_commitments(client, world, things):
    second = things.second
    client.force_login(world.member)
    target = url("commitments_edit", world, things.city.code)
    page = client.get(target).content.decode()
    assert f'name="commit_{second.code}"' in page and "<legend>" in page
    client.post(target, {f"commit_{second.code}": "on", f"note_{second.code}": "Lighting"})
    assert list(Commitment.objects.values_list("objective__title", "note")) == [("Objective 2", "Lighting")]
    client.post(target, {f"commit_{things.objective.code}": "on"})
    assert list(Commitment.objects.values_list("objective__title", flat=True)) == ["Objective 1"]


# The page -----------------------------------------------------------------------------------------------


def test_page_shows_matrix_picture_table_and_warnings(client, world, things):
    commit(world, things.objective, things.city, note="Street lighting")
    motivation_set(actor=world.member, partner=things.city, societal="Safety", benefits=["safer"])
    client.force_login(world.viewer)
    html = client.get(url("objectives", world)).content.decode()
    root = svg_with_class(html, "alignment-picture")
    cell = root.find(
        f".//svg:g[@data-partner='{things.city.code}'][@data-objective='{things.objective.code}']", NS
    )
    assert cell.get("data-committed") == "true"
    assert '<table class="alignment-table">' in html and '<th scope="row">Malmö stad</th>' in html
    assert "Commits: Street lighting" in html
    assert 'data-kind="partner_uncommitted"' in html and 'data-kind="motives_missing"' in html
    assert "Safer surroundings" in html
    assert "Add an objective" not in html and "State motives" not in html, "a viewer only reads"


def test_member_sees_edit_links_only_for_own_organisation(client, world, things):
    client.force_login(world.member)
    html = client.get(url("objectives", world)).content.decode()
    assert url("motivation_edit", world, things.city.code) in html
    assert url("motivation_edit", world, things.shop.code) not in html


@pytest.mark.parametrize("size", [(0, 2), (9, 8)])
def test_page_query_count_does_not_grow(client, world, django_assert_max_num_queries, size):
    extra, objective_count = size
    partners = add_partners(world, extra)
    objectives = add_objectives(world, objective_count)
    for i, partner in enumerate(partners):
        commit(world, objectives[i % objective_count], partner)
        motivation_set(actor=world.coordinator, partner=partner, economic="e")
    client.force_login(world.coordinator)
    with django_assert_max_num_queries(22):
        response = client.get(url("objectives", world))
    assert response.status_code == 200


def test_overview_links_to_the_objectives_and_austin_pages(client, world):
    client.force_login(world.viewer)
    html = client.get(reverse("partnerships:overview", args=[world.partnership_a.code])).content.decode()
    assert reverse("formation:objectives", args=[world.partnership_a.code]) in html
    assert reverse("formation:austin", args=[world.partnership_a.code]) in html
