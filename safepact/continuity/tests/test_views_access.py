"""Continuity pages, access for every URL name: anonymous to the login page, outsiders (and another
partnership's coordinator) 404, viewers 403 on every write, members 403 on coordinators' writes and on
another partner's section or commitment, and a refused request changes nothing."""

from datetime import date

import pytest
from django.urls import reverse

from safepact.audit.models import AuditEvent
from safepact.continuity import documents
from safepact.continuity.tests.services_support import at
from safepact.continuity.tests.views_support import TODAY, make_things
from safepact.lib import clock

PERSONAS = ("outsider", "coordinator_b", "viewer", "member", "coordinator")


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(at(TODAY)):
        yield


@pytest.fixture
def things(world):
    return make_things(world)


@pytest.fixture
def fake_pdf(monkeypatch):
    calls = []

    def fake(*, actor, report):
        calls.append((actor, report.pk))
        return b"%PDF-1.7 fake", "report.pdf"

    monkeypatch.setattr(documents, "export_report_pdf", fake)
    return calls


# case -> (url name, args builder, method, need, data)
# need: read = any member; write = member or coordinator; manage = coordinator only;
# city = the city's people only (the member; the coordinator is of the police)
def pages(t):
    act, police_act = t.city_activity.code, t.police_activity.code
    rep = t.report.code
    city_c, police_c = t.city_commitment.code, t.police_commitment.code
    section = {"activities_done": "Surveyed 40 streets.", "outputs": "", "problems": "", "next_steps": ""}
    section |= {"hours_used": "12", "money_used": "0"}
    activity = {
        "title": "Neighbourhood walks",
        "owner_partner": str(t.partners.city.code),
        "start_date": "2026-06-01",
        "due_date": "2026-07-01",
    }
    commitment = {
        "partner": str(t.partners.city.code),
        "kind": "hours",
        "amount": "8",
        "starts_on": "2026-01-01",
    }
    settings = {
        "disengagement_days": "60",
        "runway_warning_days": "120",
        "underspend_percent": "40",
        "meeting_gap_days": "45",
    }
    schedule = {
        "frequency": "quarterly",
        "starts_on": "2026-01-01",
        "days_to_contribute": "14",
        "remind_days_before": "3",
        "active": "on",
    }
    return {
        "overview": ("overview", [], "get", "read", None),
        "plan": ("plan", [], "get", "read", None),
        "plan svg": ("plan_svg", [], "get", "read", None),
        "activity create": ("activity_create", [], "get", "manage", None),
        "activity create post": ("activity_create", [], "post", "manage", activity),
        "activity update": ("activity_update", [act], "get", "manage", None),
        "activity update post": ("activity_update", [act], "post", "manage", activity),
        "activity status own": ("activity_status", [act], "post", "write", {"status": "in_progress"}),
        "activity status other": ("activity_status", [police_act], "post", "manage", {"status": "done"}),
        "activity delete": ("activity_delete", [act], "get", "manage", None),
        "activity delete post": ("activity_delete", [police_act], "post", "manage", {}),
        "reports": ("reports", [], "get", "read", None),
        "schedule": ("schedule", [], "get", "manage", None),
        "schedule post": ("schedule", [], "post", "manage", schedule),
        "report detail": ("report_detail", [rep], "get", "read", None),
        "section edit": ("section_edit", [rep, t.city_section.code], "get", "city", None),
        "section edit post": ("section_edit", [rep, t.city_section.code], "post", "city", section),
        "section of police": ("section_edit", [rep, t.police_section.code], "post", "manage", section),
        "sign off": ("report_sign_off", [rep], "get", "manage", None),
        "sign off post": ("report_sign_off", [rep], "post", "manage", {"summary": "A good quarter."}),
        "report pdf": ("report_pdf", [rep], "get", "read", None),
        "resources": ("resources", [], "get", "read", None),
        "resources svg": ("resources_svg", [], "get", "read", None),
        "commitment create": ("commitment_create", [], "get", "write", None),
        "commitment create post": ("commitment_create", [], "post", "write", commitment),
        "commitment update own": ("commitment_update", [city_c], "get", "write", None),
        "commitment update own post": (
            "commitment_update",
            [city_c],
            "post",
            "write",
            commitment | {"amount": "10"},
        ),
        "commitment update other": ("commitment_update", [police_c], "get", "manage", None),
        "commitment delete other": ("commitment_delete", [police_c], "post", "manage", {}),
        "actual record own": (
            "actual_record",
            [city_c],
            "post",
            "write",
            {"month": "2026-04", "amount": "9"},
        ),
        "actual record other": ("actual_record", [police_c], "get", "manage", None),
        "settings": ("settings", [], "get", "manage", None),
        "settings post": ("settings", [], "post", "manage", settings),
    }


CASES = [
    "overview", "plan", "plan svg", "activity create", "activity create post", "activity update",
    "activity update post", "activity status own", "activity status other", "activity delete",
    "activity delete post", "reports", "schedule", "schedule post", "report detail", "section edit",
    "section edit post", "section of police", "sign off", "sign off post", "report pdf", "resources",
    "resources svg", "commitment create", "commitment create post", "commitment update own",
    "commitment update own post", "commitment update other", "commitment delete other",
    "actual record own", "actual record other", "settings", "settings post",
]  # fmt: skip


def expected_for(persona: str, need: str) -> set[int]:
    if persona in ("outsider", "coordinator_b"):
        return {404}
    if need == "read":
        return {200}
    if persona == "viewer":
        return {403}
    if persona == "member" and need == "manage":
        return {403}
    if persona == "coordinator" and need == "city":
        return {403}
    return {200, 302}


def test_every_url_name_is_covered(world, things):
    from safepact.continuity.views import urlpatterns

    # "mine" is personal (no partnership in its address): test_mine_shows_only_what_each_person_coordinates
    assert {p.name for p in urlpatterns} == {pages(things)[case][0] for case in CASES} | {"mine"}


def test_mine_shows_only_what_each_person_coordinates(client, world, things):
    url = reverse("continuity:mine")
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    a, b = str(world.partnership_a.code), str(world.partnership_b.code)
    expected = {"coordinator": (a, b), "coordinator_b": (b, a), "member": (None, a), "viewer": (None, a)}
    for persona in (*expected, "outsider"):
        client.force_login(getattr(world, persona))
        page = client.get(url).content.decode()
        shown, hidden = expected.get(persona, (None, a))
        if shown:
            assert f'data-partnership="{shown}"' in page, persona
        else:
            assert "You coordinate no partnership." in page, persona
        assert f'data-partnership="{hidden}"' not in page, persona
        assert world.partnership_b.name not in page or persona == "coordinator_b", persona
        client.logout()


@pytest.mark.parametrize("case", CASES)
def test_access(client, world, things, fake_pdf, case):
    name, args, method, need, data = pages(things)[case]
    url = reverse(f"continuity:{name}", args=[world.partnership_a.code, *args])

    response = getattr(client, method)(url, data or {})
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))

    for persona in PERSONAS:
        client.force_login(getattr(world, persona))
        before = AuditEvent.objects.count()
        response = getattr(client, method)(url, data or {})
        assert response.status_code in expected_for(persona, need), (persona, response.content[:600])
        if response.status_code >= 400 and method == "post":
            assert AuditEvent.objects.count() == before, f"{persona}: a refused request changes nothing"
        if response.status_code == 200 and method == "post":
            raise AssertionError(f"{persona}: a valid POST redirects ({response.content[:800]!r})")
        client.logout()


def test_another_partnerships_objects_are_not_found_through_this_partnership(client, world, things):
    """A code of partnership A's objects under partnership B's address: 404 even for B's coordinator."""
    client.force_login(world.coordinator_b)
    b = world.partnership_b.code
    for name, args in [
        ("activity_update", [things.city_activity.code]),
        ("report_detail", [things.report.code]),
        ("section_edit", [things.report.code, things.city_section.code]),
        ("commitment_update", [things.city_commitment.code]),
        ("actual_record", [things.city_commitment.code]),
    ]:
        assert client.get(reverse(f"continuity:{name}", args=[b, *args])).status_code == 404, name


def test_a_section_of_another_report_is_not_found(client, world, things):
    from safepact.continuity import services

    other = services.report_open(
        partnership=world.partnership_a,
        period_start=date(2026, 4, 1),
        period_end=date(2026, 6, 30),
        due_date=date(2026, 7, 14),
    )
    client.force_login(world.member)
    url = reverse(
        "continuity:section_edit", args=[world.partnership_a.code, other.code, things.city_section.code]
    )
    assert client.get(url).status_code == 404


def test_status_and_delete_refuse_get_where_they_are_posts(client, world, things):
    client.force_login(world.coordinator)
    a = world.partnership_a.code
    for name, args in [
        ("activity_status", [things.city_activity.code]),
        ("commitment_delete", [things.city_commitment.code]),
    ]:
        assert client.get(reverse(f"continuity:{name}", args=[a, *args])).status_code == 405, name
