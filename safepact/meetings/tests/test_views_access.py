"""Meeting pages, access for every URL name: anonymous to the login page (the token feed excepted),
outsiders (and another partnership's coordinator) 404, viewers 403 on every write, members 403 on
coordinators' writes, and a refused request changes nothing."""

from dataclasses import dataclass
from datetime import date

import pytest
from django.urls import reverse

from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.meetings import services
from safepact.meetings.models import ActionItem, Decision, Meeting
from safepact.meetings.tests.support_services import NOW, schedule
from safepact.partnerships.models import Partner

PERSONAS = ("outsider", "coordinator_b", "viewer", "member", "coordinator")


@dataclass
class Things:
    past: Meeting  # yesterday: attendance, minutes, decisions
    future: Meeting  # tomorrow: edit, cancel, answers
    decision: Decision
    police_item: ActionItem  # owned by the coordinator's partner (not the member's)
    police: Partner
    city: Partner


@pytest.fixture
def things(world):
    with clock.frozen(NOW):
        past = schedule(world, days=-1, title="Yesterday's plenary")
        future = schedule(world, days=1, title="Tomorrow's plenary")
        partners = {p.organisation_id: p for p in Partner.objects.filter(partnership=world.partnership_a)}
        police, city = partners[world.org_police_a.pk], partners[world.org_city_a.pk]
        past.partnership = world.partnership_a
        decision = services.decision_add(actor=world.coordinator, meeting=past, text="We meet monthly.")
        item = services.action_item_create(
            actor=world.coordinator,
            meeting=past,
            title="Map the hot spots",
            owner_partner=police,
            due_date=date(2025, 7, 1),
        )
    return Things(past=past, future=future, decision=decision, police_item=item, police=police, city=city)


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def meeting_data(**extra):
    data = {
        "kind": "thematic",
        "title": "Theme: shop lifting",
        "date": "2025-06-10",
        "start_time": "14:00",
        "end_time": "15:30",
        "location": "Town hall",
        "agenda": "- Welcome",
        "count": "1",
    }
    data.update(extra)
    return data


# case -> (url name, meeting attribute or None, extra args, method, need, data)
# need: read = any member; write = member or coordinator; manage = coordinator; owner = coordinator or a
# member of the owner partner (the item belongs to the police, the member is the city's); own = any login
def pages(world, t):
    a = world.partnership_a.code
    return {
        "list": ("list", None, [], "get", "read", None),
        "create": ("create", None, [], "get", "manage", None),
        "create post": ("create", None, [], "post", "manage", meeting_data()),
        "settings": ("settings", None, [], "get", "manage", None),
        "settings post": ("settings", None, [], "post", "manage", {"monthly_hours_limit": "6"}),
        "calendar": ("calendar", None, [], "get", "read", None),
        "action status": (
            "action_status",
            None,
            [t.police_item.code],
            "post",
            "owner",
            {"status": "done"},
        ),
        "detail": ("detail", t.future, [], "get", "read", None),
        "update": ("update", t.future, [], "get", "manage", None),
        "update post": ("update", t.future, [], "post", "manage", meeting_data(kind="plenary")),
        "cancel": ("cancel", t.future, [], "post", "manage", {"reason": "Holiday"}),
        "respond": ("respond", t.future, [], "post", "read", {"response": "declined"}),
        "attendance": ("attendance", t.past, [], "get", "manage", None),
        "attendance post": ("attendance", t.past, [], "post", "manage", "attendance"),
        "minutes": ("minutes", t.past, [], "get", "manage", None),
        "minutes post": ("minutes", t.past, [], "post", "manage", {"text": "We met.", "tlp": "green"}),
        "decision add": ("decision_add", t.past, [], "post", "manage", {"text": "Walk in July."}),
        "decision delete": ("decision_delete", t.past, [t.decision.code], "post", "manage", {}),
        "action add": (
            "action_add",
            t.past,
            [],
            "post",
            "write",
            {"title": "Ask the shops", "owner_partner": str(t.city.code), "due_date": "2025-07-15"},
        ),
        "mine": ("mine", "-", [], "get", "own", None),
        "feed reset": ("feed_reset", "-", [], "post", "read", {"partnership": str(a)}),
    }


def url_of(world, name, meeting, extra):
    if meeting == "-":
        return reverse(f"meetings:{name}", args=extra)
    args = [world.partnership_a.code]
    if meeting is not None:
        args.append(meeting.code)
    return reverse(f"meetings:{name}", args=[*args, *extra])


def request(client, method, url, data, things):
    if data == "attendance":
        data = {f"p-{p.code}": "in_person" for p in things.past.participants.all()}
    return getattr(client, method)(url, data or {})


def expected_for(persona, need):
    if need == "own":
        return {200}
    if persona in ("outsider", "coordinator_b"):
        return {404}
    if need == "read":
        return {200, 302}
    if persona == "viewer":
        return {403}
    if persona == "member" and need in ("manage", "owner"):
        return {403}
    return {200, 302}


URL_CASES = [
    "list", "create", "create post", "settings", "settings post", "calendar", "action status", "detail",
    "update", "update post", "cancel", "respond", "attendance", "attendance post", "minutes",
    "minutes post", "decision add", "decision delete", "action add", "mine", "feed reset",
]  # fmt: skip


def test_every_url_name_is_covered(world, things):
    from safepact.meetings.views import urlpatterns

    named = {p.name for p in urlpatterns}
    covered = {pages(world, things)[case][0] for case in URL_CASES} | {"feed"}  # feed: its own tests
    assert named == covered


@pytest.mark.parametrize("case", URL_CASES)
def test_access(client, world, things, case):
    name, meeting, extra, method, need, data = pages(world, things)[case]
    url = url_of(world, name, meeting, extra)

    response = request(client, method, url, data, things)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))

    for persona in PERSONAS:
        client.force_login(getattr(world, persona))
        before = AuditEvent.objects.count()
        response = request(client, method, url, data, things)
        assert response.status_code in expected_for(persona, need), (persona, response.content[:400])
        if response.status_code >= 400 and method == "post":
            assert AuditEvent.objects.count() == before, f"{persona}: a refused request changes nothing"
        if response.status_code < 400 and method == "post" and need != "read":
            assert AuditEvent.objects.count() > before, f"{persona}: an allowed write is recorded"
        client.logout()


def test_writes_refuse_get(client, world, things):
    client.force_login(world.coordinator)
    a = world.partnership_a.code
    for name, args in [
        ("cancel", [a, things.future.code]),
        ("respond", [a, things.future.code]),
        ("decision_add", [a, things.past.code]),
        ("decision_delete", [a, things.past.code, things.decision.code]),
        ("action_add", [a, things.past.code]),
        ("action_status", [a, things.police_item.code]),
        ("feed_reset", []),
    ]:
        assert client.get(reverse(f"meetings:{name}", args=args)).status_code == 405, name


def test_another_partnerships_objects_are_not_found_through_this_partnership(client, world, things):
    theirs = schedule(world, days=2, partnership=world.partnership_b, actor=world.coordinator_b)
    a, b = world.partnership_a.code, world.partnership_b.code
    client.force_login(world.coordinator)
    assert client.get(reverse("meetings:detail", args=[a, theirs.code])).status_code == 404
    assert client.post(reverse("meetings:cancel", args=[a, theirs.code])).status_code == 404
    client.force_login(world.coordinator_b)
    assert client.get(reverse("meetings:detail", args=[b, theirs.code])).status_code == 200
    assert client.get(reverse("meetings:detail", args=[b, things.past.code])).status_code == 404
    item_url = reverse("meetings:action_status", args=[b, things.police_item.code])
    assert client.post(item_url, {"status": "done"}).status_code == 404
    assert ActionItem.objects.get(pk=things.police_item.pk).status == "open"


def test_decision_of_another_meeting_is_not_found(client, world, things):
    client.force_login(world.coordinator)
    url = reverse(
        "meetings:decision_delete", args=[world.partnership_a.code, things.future.code, things.decision.code]
    )
    assert client.post(url).status_code == 404
    assert Decision.objects.filter(pk=things.decision.pk).exists()


def test_feed_reset_for_another_partnership_is_not_found(client, world):
    client.force_login(world.coordinator)
    response = client.post(reverse("meetings:feed_reset"), {"partnership": str(world.partnership_b.code)})
    assert response.status_code == 404
    response = client.post(reverse("meetings:feed_reset"), {"partnership": "not-a-code"})
    assert response.status_code == 404


def test_feed_needs_no_login_and_unknown_tokens_are_not_found(client, world, things):
    token = services.calendar_feed_reset(actor=world.member)
    response = client.get(reverse("meetings:feed", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert client.get(reverse("meetings:feed", args=["unknown-token"])).status_code == 404
    assert client.get(reverse("meetings:feed", args=[token + "x"])).status_code == 404
