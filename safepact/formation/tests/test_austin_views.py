"""Austin page: access, the two forms, the stage warning, the pictures' nodes and the query count."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from django.urls import reverse

from safepact.audit.models import AuditEvent
from safepact.formation.models import AustinDimension, AustinInput, AustinProfile
from safepact.formation.services.austin import austin_input_give, austin_profile_record
from safepact.formation.tests.objectives_support import NS, svg_with_class
from safepact.lib import clock
from safepact.partnerships.models import Partner

DIMENSIONS = [d.value for d in AustinDimension]
T0 = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


def url(name, world):
    return reverse(f"formation:{name}", args=[world.partnership_a.code])


def profile_form(position=50, stage="transactional", **extra):
    return {**{d: str(position) for d in DIMENSIONS}, "declared_stage": stage, "note": "", **extra}


def record(world, position, stage="transactional", **changes):
    scores = {**dict.fromkeys(DIMENSIONS, position), **changes}
    return austin_profile_record(
        actor=world.coordinator, partnership=world.partnership_a, scores=scores, declared_stage=stage
    )


# Access ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["anonymous", "outsider", "coordinator_b", "viewer", "member", "coordinator"]
)
@pytest.mark.parametrize(
    ("name", "method", "need", "data"),
    [
        ("austin", "get", "read", None),
        ("austin_input", "post", "write", {"engagement": "50"}),
        ("austin_profile", "post", "manage", profile_form()),
    ],
)
def test_access(client, world, persona, name, method, need, data):
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    before = AuditEvent.objects.count()
    response = getattr(client, method)(url(name, world), data or {})
    if persona == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    elif persona in ("outsider", "coordinator_b"):
        assert response.status_code == 404
    elif need == "read" or persona == "coordinator" or (persona == "member" and need == "write"):
        assert response.status_code == (200 if method == "get" else 302)
    else:
        assert response.status_code == 403
    if response.status_code != 302 or persona == "anonymous":
        assert AuditEvent.objects.count() == before


def test_member_input_goes_to_own_organisation(client, world):
    client.force_login(world.member)
    client.post(url("austin_input", world), {"engagement": "75", "comment_engagement": "Weekly meetings"})
    row = AustinInput.objects.get()
    assert (
        row.partner.organisation == world.org_city_a
        and row.position == 75
        and row.comment == "Weekly meetings"
    )


def test_viewer_sees_no_input_form_nor_profile_form(client, world):
    client.force_login(world.viewer)
    html = client.get(url("austin", world)).content.decode()
    assert url("austin_input", world) not in html and url("austin_profile", world) not in html


def test_member_sees_input_form_but_not_profile_form(client, world):
    client.force_login(world.member)
    html = client.get(url("austin", world)).content.decode()
    assert url("austin_input", world) in html and url("austin_profile", world) not in html
    assert "Your input for Malmö stad" in html


# The coordinator's form ----------------------------------------------------------------------------------


def test_profile_form_shows_partner_input_next_to_each_dimension(client, world):
    city = Partner.objects.get(partnership=world.partnership_a, organisation=world.org_city_a)
    austin_input_give(actor=world.member, partner=city, positions={"mission": 25})
    austin_input_give(
        actor=world.coordinator,
        partner=city.partnership.partners.get(organisation=world.org_police_a),
        positions={"mission": 75},
    )
    client.force_login(world.coordinator)
    html = client.get(url("austin", world)).content.decode()
    assert "input: average 50, from 25 to 75 (2 partners)." in html
    assert "No partner input yet." in html
    assert html.count('type="radio"') >= 7 * 5 + 3
    assert "<legend>" in html, "each dimension is a radio group with a legend"


def test_missing_dimension_in_the_form_is_named_and_nothing_stored(client, world):
    client.force_login(world.coordinator)
    data = profile_form()
    del data["complexity"]
    response = client.post(url("austin_profile", world), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="#id_complexity_0"' in html or 'href="#id_complexity"' in html
    assert "Managerial complexity" in html.split('id="error-summary"')[1].split("</div>")[0]
    assert not AustinProfile.objects.exists()


def test_off_scale_position_in_the_form_is_refused(client, world):
    client.force_login(world.coordinator)
    response = client.post(url("austin_profile", world), profile_form(engagement="60"))
    assert response.status_code == 200
    assert not AustinProfile.objects.exists()


def test_declared_stage_mismatch_is_warned(client, world):
    client.force_login(world.coordinator)
    response = client.post(url("austin_profile", world), profile_form(25, "integrative"), follow=True)
    html = response.content.decode()
    assert AustinProfile.objects.count() == 1, "a mismatch is allowed, with a warning"
    assert "message-warning" in html and "the average lies between 50 and 100" in html
    assert 'data-fits="false"' in html
    client.post(url("austin_profile", world), profile_form(75, "integrative"))
    html = client.get(url("austin", world)).content.decode()
    assert 'data-fits="true"' in html


# The pictures --------------------------------------------------------------------------------------------


def test_current_profile_picture_has_a_node_per_dimension(client, world):
    record(world, 50, mission=100, engagement=0)
    client.force_login(world.viewer)
    html = client.get(url("austin", world)).content.decode()
    root = svg_with_class(html, "austin-profile")
    rows = {g.get("data-dimension"): g for g in root.findall(".//svg:g[@data-dimension]", NS)}
    assert set(rows) == set(DIMENSIONS)
    assert rows["mission"].get("data-position") == "100"
    assert rows["engagement"].get("data-position") == "0"
    assert rows["scope"].find("svg:circle", NS) is not None
    assert '<table class="austin-current-table">' in html


def test_history_chart_has_a_line_per_dimension_and_dated_points(client, world):
    for i, position in enumerate([0, 50, 75]):
        with clock.frozen(T0 + timedelta(days=60 * i)):
            record(world, position, "philanthropic" if position == 0 else "transactional")
    client.force_login(world.member)
    html = client.get(url("austin", world)).content.decode()
    root = svg_with_class(html, "austin-history")
    lines = root.findall(".//svg:polyline[@data-dimension]", NS)
    assert sorted(line.get("data-dimension") for line in lines) == sorted(DIMENSIONS)
    dashes = [line.get("stroke-dasharray") for line in lines]
    assert len(set(dashes)) == 7, "each dimension has its own dash pattern (one solid)"
    points = root.findall(".//svg:g[@data-date]", NS)
    assert len(points) == 7 * 3
    assert {p.get("data-date") for p in points} == {"2026-01-15", "2026-03-16", "2026-05-15"}
    engagement = [p.get("data-position") for p in points if p.get("data-dimension") == "engagement"]
    assert engagement == ["0", "50", "75"]
    end_labels = root.findall("svg:text[@class='end-label']", NS)
    assert len(end_labels) == 7
    ys = sorted(float(t.get("y")) for t in end_labels)
    assert all(b - a >= 14 for a, b in pairwise(ys)), "end labels never overlap"
    axis = [t.text for t in root.findall("svg:text[@class='axis-label']", NS)]
    assert axis == ["Philanthropic", "Transactional", "Integrative"]
    assert '<table class="austin-history-table">' in html


@pytest.mark.parametrize("profiles", [1, 12])
def test_page_query_count_does_not_grow_with_history(client, world, django_assert_max_num_queries, profiles):
    for i in range(profiles):
        with clock.frozen(T0 + timedelta(days=30 * i)):
            record(world, [0, 25, 50, 75, 100][i % 5], "transactional")
    city = Partner.objects.get(partnership=world.partnership_a, organisation=world.org_city_a)
    for _ in range(profiles):
        austin_input_give(actor=world.member, partner=city, positions=dict.fromkeys(DIMENSIONS, 50))
    client.force_login(world.coordinator)
    with django_assert_max_num_queries(14):
        response = client.get(url("austin", world))
    assert response.status_code == 200
