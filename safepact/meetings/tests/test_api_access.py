"""Meetings API: the role matrix on every operation (anonymous 401, outsiders and the other partnership's
coordinator 404, viewers 403 on writes but for answering their own invitation and making their own calendar
address), and objects of another partnership or meeting are not found. The caller's own lists (my meetings,
my calendar addresses) answer anyone logged in, outsiders with nothing of A's. The helpers here serve the
other ``test_api_*`` modules too."""

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest

from conftest import add_member, make_user
from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.meetings import services
from safepact.meetings.models import ActionItem, Decision, Meeting, Minutes, Participant
from safepact.partnerships.models import Membership, Partner

API = "/api/v1"


def base(world, partnership=None) -> str:
    return f"{API}/partnerships/{(partnership or world.partnership_a).code}"


def url(world, meeting, suffix: str = "", partnership=None) -> str:
    return f"{base(world, partnership)}/meetings/{meeting.code}{suffix}"


def call(client, method: str, path: str, body=None):
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


def partner_of(world, user, partnership=None) -> Partner:
    return Membership.objects.get(user=user, partner__partnership=partnership or world.partnership_a).partner


def schedule(world, *, days: float = 1, hours: float = 2, partnership=None, actor=None, **kwargs) -> Meeting:
    """A meeting ``days`` from now (negative: already started), every active member invited."""
    starts = (clock.now() + timedelta(days=days)).replace(microsecond=0)
    kwargs.setdefault("kind", "plenary")
    kwargs.setdefault("title", "Sofielund plenary")
    return services.meeting_create(
        actor=actor or world.coordinator,
        partnership=partnership or world.partnership_a,
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        **kwargs,
    )


def participant(meeting, user) -> Participant:
    return Participant.objects.get(meeting=meeting, user=user)


@dataclass
class Things:
    future: Meeting  # tomorrow, everyone invited
    past: Meeting  # started yesterday, everyone invited; GREEN minutes, a decision, two action items
    minutes: Minutes
    decision: Decision
    city_item: ActionItem  # owned by the member's partner (the city)
    police_item: ActionItem  # owned by the coordinator's partner (the police)
    newcomer: Membership  # joined the city's side after both meetings were scheduled: invited to neither


def make_things(world) -> Things:
    future = schedule(world, title="Sofielund evening walk", kind="walkthrough")
    past = schedule(world, days=-1, title="Sofielund plenary of yesterday")
    minutes = services.minutes_save(
        actor=world.coordinator, meeting=past, text="Sofielund minutes: lamps discussed.", tlp="green"
    )
    decision = services.decision_add(actor=world.coordinator, meeting=past, text="Sofielund gets more lamps.")
    due = clock.today() + timedelta(days=14)
    city_item = services.action_item_create(
        actor=world.coordinator,
        meeting=past,
        title="Sofielund lamp survey",
        owner_partner=partner_of(world, world.member),
        owner_person=world.member,
        due_date=due,
    )
    police_item = services.action_item_create(
        actor=world.coordinator,
        meeting=past,
        title="Sofielund patrol plan",
        owner_partner=partner_of(world, world.coordinator),
        due_date=due,
    )
    newcomer = add_member(
        coordinator=world.coordinator,
        partnership=world.partnership_a,
        user=make_user("newcomer@city.example", "Nina Newcomer"),
        role="member",
        organisation=world.org_city_a,
    )
    return Things(future, past, minutes, decision, city_item, police_item, newcomer)


@pytest.fixture
def things(world) -> Things:
    return make_things(world)


READERS = {"viewer": 200, "member": 200, "coordinator": 200}
COORDINATOR = {"viewer": 403, "member": 403}
#: The caller's own lists, across partnerships: anyone logged in reads theirs (an outsider an empty one).
ANYONE = {**READERS, "outsider": 200, "coordinator_b": 200}
#: Writes on what is the caller's own: viewers may too.
OWN_WRITES = ("respond", "feed reset")


def endpoints(w, t: Things) -> dict:
    """name: (method, path, body, {persona: status})."""
    future, past = url(w, t.future), url(w, t.past)
    starts = (clock.now() + timedelta(days=7)).replace(microsecond=0)
    due = (clock.today() + timedelta(days=30)).isoformat()
    return {
        "list": ("get", f"{base(w)}/meetings", None, READERS),
        "create": (
            "post",
            f"{base(w)}/meetings",
            {
                "title": "Thematic: lighting",
                "kind": "thematic",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=1)).isoformat(),
            },
            {**COORDINATOR, "coordinator": 201},
        ),
        "calendar": ("get", f"{base(w)}/meetings.ics", None, READERS),
        "detail": ("get", future, None, READERS),
        "patch": ("patch", future, {"title": "Renamed walk"}, {**COORDINATOR, "coordinator": 200}),
        "cancel": ("post", f"{future}/cancel", {"reason": "Rain."}, {**COORDINATOR, "coordinator": 200}),
        # Every invited member answers their own invitation, viewers too.
        "respond": ("post", f"{future}/response", {"response": "declined"}, READERS),
        "attendance": (
            "put",
            f"{past}/attendance",
            {
                "attendance": [
                    {"participant": str(participant(t.past, w.member).code), "attendance": "online"}
                ]
            },
            {**COORDINATOR, "coordinator": 200},
        ),
        "minutes": ("get", f"{past}/minutes", None, READERS),
        "minutes put": (
            "put",
            f"{past}/minutes",
            {"text": "Sofielund minutes, corrected.", "tlp": "green"},
            {**COORDINATOR, "coordinator": 200},
        ),
        "decisions": ("get", f"{past}/decisions", None, READERS),
        "decision add": (
            "post",
            f"{past}/decisions",
            {"text": "Meet monthly."},
            {**COORDINATOR, "coordinator": 201},
        ),
        "decision delete": (
            "delete",
            f"{past}/decisions/{t.decision.code}",
            None,
            {**COORDINATOR, "coordinator": 204},
        ),
        "invitees": (
            "post",
            f"{future}/invitees",
            {"invitees": [str(t.newcomer.code)]},
            {**COORDINATOR, "coordinator": 200},
        ),
        "meeting actions": ("get", f"{past}/action-items", None, READERS),
        "meeting action add": (
            "post",
            f"{past}/action-items",
            {"title": "Count the lamps", "owner_partner": str(partner_of(w, w.member).code), "due_date": due},
            {"viewer": 403, "member": 201, "coordinator": 201},
        ),
        "actions": ("get", f"{base(w)}/action-items", None, READERS),
        "action patch": (
            "patch",
            f"{base(w)}/action-items/{t.city_item.code}",
            {"status": "done"},
            {"viewer": 403, "member": 200, "coordinator": 200},
        ),
        "settings": ("get", f"{base(w)}/meetings-settings", None, READERS),
        "settings put": (
            "put",
            f"{base(w)}/meetings-settings",
            {"monthly_hours_limit": 6.5},
            {**COORDINATOR, "coordinator": 200},
        ),
        "mine": ("get", f"{API}/meetings/mine", None, ANYONE),
        "feeds": ("get", f"{API}/meetings/calendar-feeds", None, ANYONE),
        # My own calendar address for partnership A: every member of A (viewers too), nobody else.
        "feed reset": (
            "post",
            f"{API}/meetings/calendar-feeds",
            {"partnership": str(w.partnership_a.code)},
            {"viewer": 201, "member": 201, "coordinator": 201},
        ),
    }


P = "/api/v1/partnerships/{code}"
M = P + "/meetings/{meeting_code}"
#: Each matrix entry and the OpenAPI operation it calls.
OPERATIONS = {
    "list": ("get", f"{P}/meetings"),
    "create": ("post", f"{P}/meetings"),
    "calendar": ("get", f"{P}/meetings.ics"),
    "detail": ("get", M),
    "patch": ("patch", M),
    "cancel": ("post", f"{M}/cancel"),
    "respond": ("post", f"{M}/response"),
    "attendance": ("put", f"{M}/attendance"),
    "minutes": ("get", f"{M}/minutes"),
    "minutes put": ("put", f"{M}/minutes"),
    "decisions": ("get", f"{M}/decisions"),
    "decision add": ("post", f"{M}/decisions"),
    "decision delete": ("delete", f"{M}/decisions/{{decision_code}}"),
    "invitees": ("post", f"{M}/invitees"),
    "meeting actions": ("get", f"{M}/action-items"),
    "meeting action add": ("post", f"{M}/action-items"),
    "actions": ("get", f"{P}/action-items"),
    "action patch": ("patch", f"{P}/action-items/{{item_code}}"),
    "settings": ("get", f"{P}/meetings-settings"),
    "settings put": ("put", f"{P}/meetings-settings"),
    "mine": ("get", "/api/v1/meetings/mine"),
    "feeds": ("get", "/api/v1/meetings/calendar-feeds"),
    "feed reset": ("post", "/api/v1/meetings/calendar-feeds"),
}
NAMES = list(OPERATIONS)
#: Operations every logged-in person may call, partnership or not (their own things).
PERSONAL = ("mine", "feeds")
ERROR_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 422: "invalid"}
REFUSED = {"anonymous": 401, "outsider": 404, "coordinator_b": 404}
ALLOWED = [
    (name, persona)
    for name, (method, _path) in OPERATIONS.items()
    for persona in ("viewer", "member", "coordinator", "outsider", "coordinator_b")
    if not (persona == "viewer" and method != "get" and name not in OWN_WRITES)
    and (persona in ("viewer", "member", "coordinator") or name in PERSONAL)
]


def is_ours(path: str) -> bool:
    return "/meetings" in path or "/action-items" in path


def test_the_matrix_names_every_endpoint(client, world):
    """Every meetings operation of the OpenAPI document is in the matrix, and nothing else."""
    client.force_login(world.coordinator)
    spec = json.loads(client.get(f"{API}/openapi.json").content)
    operations = {(method, path) for path, item in spec["paths"].items() for method in item if is_ours(path)}
    assert operations == set(OPERATIONS.values())


def test_every_operation_is_documented(client, world):
    client.force_login(world.coordinator)
    spec = json.loads(client.get(f"{API}/openapi.json").content)
    for path, item in spec["paths"].items():
        if is_ours(path):
            for method, operation in item.items():
                assert len(operation.get("summary", "")) > 15, (method, path)
                assert "meetings" in operation["tags"], (method, path)
                if method != "get":
                    assert {"403", "404", "422"} <= set(operation["responses"]), (method, path)


def test_the_matrix_is_consistent(world, things):
    entries = endpoints(world, things)
    assert set(entries) == set(OPERATIONS)
    for name, (method, path, _body, allowed) in entries.items():
        assert method == OPERATIONS[name][0], name
        assert path.startswith(API), name
        if method != "get" and name not in OWN_WRITES:
            assert allowed["viewer"] == 403, f"{name}: a viewer may not write"
        if name not in PERSONAL:
            assert "outsider" not in allowed and "coordinator_b" not in allowed, name


def check(response, status, before, method, context):
    assert response.status_code == status, (*context, response.content[:300])
    if status >= 400:
        assert response.json()["code"] == ERROR_CODES[status]
        assert AuditEvent.objects.count() == before, "a refused request changes nothing"
    elif method != "get":
        assert AuditEvent.objects.count() > before, "every write leaves an audit event"


@pytest.mark.parametrize("name", NAMES)
def test_role_matrix_refused(client, world, things, name):
    method, path, body, allowed = endpoints(world, things)[name]
    refused = {persona: status for persona, status in REFUSED.items() if persona not in allowed}
    if allowed["viewer"] == 403:
        refused["viewer"] = 403
    for persona, status in refused.items():
        client.logout()
        if persona != "anonymous":
            client.force_login(getattr(world, persona))
        before = AuditEvent.objects.count()
        check(call(client, method, path, body), status, before, method, (name, persona))


@pytest.mark.parametrize(("name", "persona"), ALLOWED)
def test_role_matrix_allowed(client, world, things, name, persona):
    method, path, body, allowed = endpoints(world, things)[name]
    client.force_login(getattr(world, persona))
    before = AuditEvent.objects.count()
    check(call(client, method, path, body), allowed[persona], before, method, (name, persona))


def test_a_member_may_not_change_another_partners_action_item(client, world, things):
    client.force_login(world.member)
    before = AuditEvent.objects.count()
    response = call(
        client, "patch", f"{base(world)}/action-items/{things.police_item.code}", {"status": "done"}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.count() == before
    assert ActionItem.objects.get(pk=things.police_item.pk).status == "open"


def test_objects_of_another_partnership_or_meeting_are_not_found(client, world, things):
    theirs = schedule(world, partnership=world.partnership_b, actor=world.coordinator_b, title="De Horst")
    their_item = services.action_item_create(
        actor=world.coordinator_b,
        meeting=theirs,
        title="Camera's De Horst",
        owner_partner=partner_of(world, world.coordinator_b, world.partnership_b),
        due_date=clock.today(),
    )
    client.force_login(world.coordinator)
    # B's meeting under A's partnership, and A's meeting under B's partnership.
    assert client.get(url(world, theirs)).status_code == 404
    assert call(client, "patch", url(world, theirs), {"title": "Mine"}).status_code == 404
    assert client.get(url(world, things.past, partnership=world.partnership_b)).status_code == 404
    assert client.get(url(world, theirs, "/minutes")).status_code == 404
    assert call(client, "post", url(world, theirs, "/cancel"), {}).status_code == 404
    # B's action item under A's partnership.
    response = call(client, "patch", f"{base(world)}/action-items/{their_item.code}", {"status": "done"})
    assert response.status_code == 404
    # A participant of another meeting: named, refused, nothing recorded.
    other = participant(theirs, world.coordinator_b)
    response = call(
        client,
        "put",
        url(world, things.past, "/attendance"),
        {"attendance": [{"participant": str(other.code), "attendance": "online"}]},
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("attendance")
    assert client.get(f"{base(world)}/meetings/not-a-code").status_code in (404, 422)
    assert Meeting.objects.get(pk=theirs.pk).title == "De Horst"
    assert ActionItem.objects.get(pk=their_item.pk).status == "open"
