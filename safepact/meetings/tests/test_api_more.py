"""Meetings API, what the pages had and the API lacked: the meeting settings, inviting more members,
removing a decision, my meetings across partnerships, and my secret calendar addresses (shown once,
stored as a hash, never listed). Bad input answers 422 naming the field; lists keep their query count."""

from datetime import timedelta
from urllib.parse import urlsplit

import icalendar
import pytest

from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.meetings import services
from safepact.meetings.models import CalendarFeed, Decision, MeetingsSettings, Participant
from safepact.meetings.tests.test_api_access import API, base, call, make_things, schedule, url
from safepact.notifications.models import Notification
from safepact.partnerships.models import Membership

FEEDS = f"{API}/meetings/calendar-feeds"
MINE = f"{API}/meetings/mine"


@pytest.fixture
def things(world):
    return make_things(world)


def invalid(response, field: str):
    assert response.status_code == 422, response.content[:300]
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"].startswith(f"{field}:"), body
    return body


def audited(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


# Settings -------------------------------------------------------------------------------------------


def test_every_member_reads_the_settings_and_the_coordinator_changes_them(client, world):
    path = f"{base(world)}/meetings-settings"
    client.force_login(world.viewer)
    assert client.get(path).json() == {"monthly_hours_limit": 8.0, "updated_at": None}

    client.force_login(world.coordinator)
    response = call(client, "put", path, {"monthly_hours_limit": 6.46})
    assert response.status_code == 200, response.content
    assert response.json()["monthly_hours_limit"] == 6.5  # rounded to one decimal
    assert response.json()["updated_at"] is not None
    assert str(MeetingsSettings.objects.get(partnership=world.partnership_a).monthly_hours_limit) == "6.5"
    assert audited("meetings.settings.changed") == 1

    client.force_login(world.member)
    assert client.get(path).json()["monthly_hours_limit"] == 6.5
    assert call(client, "put", path, {"monthly_hours_limit": 4}).status_code == 403
    # B's settings are B's own: A's change did not touch them, and A's people cannot read them.
    client.force_login(world.coordinator_b)
    assert (
        client.get(f"{base(world, world.partnership_b)}/meetings-settings").json()["monthly_hours_limit"] == 8
    )
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"monthly_hours_limit": 0.2},
        {"monthly_hours_limit": 745},
        {"monthly_hours_limit": "lots"},
        {"monthly_hours_limit": None},
        {},
    ],
)
def test_bad_settings_are_refused_naming_the_field(client, world, body):
    client.force_login(world.coordinator)
    invalid(call(client, "put", f"{base(world)}/meetings-settings", body), "monthly_hours_limit")
    assert not MeetingsSettings.objects.exists()
    assert audited("meetings.settings.changed") == 0


def test_unknown_settings_fields_are_refused(client, world):
    client.force_login(world.coordinator)
    body = {"monthly_hours_limit": 5, "weekly_hours_limit": 1}
    invalid(call(client, "put", f"{base(world)}/meetings-settings", body), "weekly_hours_limit")


# Inviting more members ------------------------------------------------------------------------------


def test_a_coordinator_invites_a_newcomer_who_is_told(client, world, things):
    client.force_login(world.coordinator)
    path = url(world, things.future, "/invitees")
    response = call(client, "post", path, {"invitees": [str(things.newcomer.code)]})
    assert response.status_code == 200, response.content
    names = {p["person"]["full_name"] for p in response.json()["participants"]}
    assert "Nina Newcomer" in names and len(names) == 4
    assert Notification.objects.filter(recipient=things.newcomer.user, kind="meetings.invited").count() == 1
    assert audited("meetings.participant.invited") == 1

    # Inviting people already invited changes nothing (and records nothing).
    again = [str(things.newcomer.code), str(world.membership_member.code)]
    response = call(client, "post", path, {"invitees": again})
    assert response.status_code == 200
    assert len(response.json()["participants"]) == 4
    assert audited("meetings.participant.invited") == 1


def test_invitees_must_be_active_members_of_this_partnership(client, world, things):
    client.force_login(world.coordinator)
    path = url(world, things.future, "/invitees")
    theirs = Membership.objects.get(user=world.coordinator_b)
    invalid(call(client, "post", path, {"invitees": [str(theirs.code)]}), "invitees")
    invalid(call(client, "post", path, {"invitees": ["00000000-0000-0000-0000-000000000000"]}), "invitees")
    invalid(call(client, "post", path, {"invitees": []}), "invitees")
    invalid(call(client, "post", path, {"invitees": ["not-a-code"]}), "invitees.0")
    invalid(call(client, "post", path, {}), "invitees")
    services.meeting_cancel(actor=world.coordinator, meeting=things.future, reason="Rain.")
    invalid(call(client, "post", path, {"invitees": [str(things.newcomer.code)]}), "invitees")
    assert not Participant.objects.filter(user=things.newcomer.user).exists()
    assert audited("meetings.participant.invited") == 0


def test_only_coordinators_of_this_partnership_invite(client, world, things):
    body = {"invitees": [str(things.newcomer.code)]}
    for persona, status in (("member", 403), ("viewer", 403), ("outsider", 404), ("coordinator_b", 404)):
        client.force_login(getattr(world, persona))
        assert call(client, "post", url(world, things.future, "/invitees"), body).status_code == status
    theirs = schedule(world, partnership=world.partnership_b, actor=world.coordinator_b, title="De Horst")
    client.force_login(world.coordinator)
    # B's meeting under A's partnership is not found.
    assert call(client, "post", url(world, theirs, "/invitees"), body).status_code == 404
    assert not Participant.objects.filter(user=things.newcomer.user).exists()


# Removing a decision --------------------------------------------------------------------------------


def test_a_coordinator_removes_a_decision(client, world, things):
    client.force_login(world.coordinator)
    path = url(world, things.past, f"/decisions/{things.decision.code}")
    response = call(client, "delete", path)
    assert response.status_code == 204
    assert not Decision.objects.filter(pk=things.decision.pk).exists()
    event = AuditEvent.objects.get(action="meetings.decision.deleted")
    assert event.before["text"] == things.decision.text
    assert client.get(url(world, things.past, "/decisions")).json()["count"] == 0
    assert call(client, "delete", path).status_code == 404  # gone


def test_a_decision_is_found_only_under_its_own_meeting_and_partnership(client, world, things):
    theirs = schedule(
        world, days=-1, partnership=world.partnership_b, actor=world.coordinator_b, title="Horst"
    )
    their_decision = services.decision_add(actor=world.coordinator_b, meeting=theirs, text="Camera's.")
    client.force_login(world.coordinator)
    # A's decision under A's other meeting; B's decision under A's meeting; under B's partnership.
    assert (
        call(client, "delete", url(world, things.future, f"/decisions/{things.decision.code}")).status_code
        == 404
    )
    assert (
        call(client, "delete", url(world, things.past, f"/decisions/{their_decision.code}")).status_code
        == 404
    )
    path = url(world, theirs, f"/decisions/{their_decision.code}", partnership=world.partnership_b)
    assert call(client, "delete", path).status_code == 404
    assert call(client, "delete", url(world, things.past, "/decisions/not-a-code")).status_code in (404, 422)
    for persona in ("member", "viewer"):
        client.force_login(getattr(world, persona))
        path = url(world, things.past, f"/decisions/{things.decision.code}")
        assert call(client, "delete", path).status_code == 403
    assert Decision.objects.count() == 2
    assert audited("meetings.decision.deleted") == 0


# My meetings ----------------------------------------------------------------------------------------


def test_my_meetings_across_partnerships(client, world, things):
    # The member also joins B: their meetings of both partnerships, soonest first; nothing ended.
    from conftest import add_member

    add_member(
        coordinator=world.coordinator_b,
        partnership=world.partnership_b,
        user=world.member,
        role="viewer",
        new_organisation={"name": "Parkstad Wijkteam", "kind": "municipality", "country": "NL"},
    )
    theirs = schedule(
        world, days=2, partnership=world.partnership_b, actor=world.coordinator_b, title="Horst"
    )
    later = schedule(world, days=90, title="Sofielund in three months")
    cancelled = schedule(world, days=3, title="Sofielund, cancelled")
    services.meeting_cancel(actor=world.coordinator, meeting=cancelled)
    client.force_login(world.member)
    body = client.get(MINE).json()
    assert [item["code"] for item in body["items"]] == [str(things.future.code), str(theirs.code)]
    first = body["items"][0]
    assert first["partnership"] == {"code": str(world.partnership_a.code), "name": world.partnership_a.name}
    assert first["my_response"] == "pending" and first["my_attendance"] == "unknown"
    assert body["items"][1]["partnership"]["code"] == str(world.partnership_b.code)
    # Further ahead on request.
    codes = [item["code"] for item in client.get(MINE, {"days_ahead": 120}).json()["items"]]
    assert str(later.code) in codes and str(cancelled.code) not in codes
    # Only the meetings I am invited to.
    client.force_login(world.coordinator_b)
    assert [item["code"] for item in client.get(MINE).json()["items"]] == [str(theirs.code)]
    client.force_login(world.outsider)
    assert client.get(MINE).json() == {"items": [], "count": 0}


@pytest.mark.parametrize("days", ["0", "367", "soon"])
def test_my_meetings_refuse_a_bad_horizon(client, world, days):
    client.force_login(world.member)
    invalid(client.get(MINE, {"days_ahead": days}), "days_ahead")


def test_my_meetings_keep_their_query_count(client, world, django_assert_max_num_queries):
    client.force_login(world.member)
    schedule(world, days=1)
    with django_assert_max_num_queries(8) as few:
        assert client.get(MINE).json()["count"] == 1
    for day in range(2, 22):
        schedule(world, days=day, title=f"Sofielund {day}")
    schedule(world, days=5, partnership=world.partnership_b, actor=world.coordinator_b, title="Horst")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(MINE).json()["count"] == 21


# Calendar addresses ---------------------------------------------------------------------------------


def _path(address: str) -> str:
    return urlsplit(address).path


def test_a_personal_calendar_address_is_shown_once_and_works(client, world, things):
    client.force_login(world.member)
    response = call(client, "post", FEEDS, {})
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["partnership"] is None and body["last_used_at"] is None
    address = body["url"]
    assert "/calendar/" in address and address.endswith(".ics")
    token = _path(address).rsplit("/", 1)[-1].removesuffix(".ics")
    feed = CalendarFeed.objects.get(user=world.member)
    assert str(feed.code) == body["code"] and feed.token_hash != token and token not in feed.token_hash
    assert AuditEvent.objects.filter(action="meetings.calendar_feed.reset").count() == 1

    # The address works without a login and carries my meetings.
    client.logout()
    calendar = client.get(_path(address))
    assert calendar.status_code == 200 and calendar["Content-Type"].startswith("text/calendar")
    uids = {str(e["UID"]) for e in icalendar.Calendar.from_ical(calendar.content).walk("VEVENT")}
    assert f"{things.future.code}@safepact" in uids

    # Listed afterwards without the address or its token.
    client.force_login(world.member)
    listed = client.get(FEEDS)
    assert listed.json()["count"] == 1
    item = listed.json()["items"][0]
    assert set(item) == {"code", "partnership", "created_at", "last_used_at"}
    assert item["last_used_at"] is not None
    assert token not in listed.content.decode()

    # A new address turns the old one off.
    renewed = call(client, "post", FEEDS, {}).json()
    assert renewed["code"] == body["code"] and renewed["url"] != address
    client.logout()
    assert client.get(_path(address)).status_code == 404
    assert client.get(_path(renewed["url"])).status_code == 200
    assert CalendarFeed.objects.filter(user=world.member).count() == 1


def test_a_partnership_calendar_address_for_members_only(client, world, things):
    client.force_login(world.viewer)
    response = call(client, "post", FEEDS, {"partnership": str(world.partnership_a.code)})
    assert response.status_code == 201, response.content
    assert response.json()["partnership"] == {
        "code": str(world.partnership_a.code),
        "name": world.partnership_a.name,
    }
    call(client, "post", FEEDS, {})
    listed = client.get(FEEDS).json()
    assert {(i["partnership"] or {}).get("code") for i in listed["items"]} == {
        None,
        str(world.partnership_a.code),
    }
    before = AuditEvent.objects.count()
    # Another partnership's, one that does not exist, and a code that is none.
    for code, status in (
        (world.partnership_b.code, 404),
        ("00000000-0000-0000-0000-000000000000", 404),
        ("partnership-a", 422),
    ):
        assert call(client, "post", FEEDS, {"partnership": str(code)}).status_code == status
    invalid(call(client, "post", FEEDS, {"partnership": str(world.partnership_a.code), "x": 1}), "x")
    assert AuditEvent.objects.count() == before
    assert not CalendarFeed.objects.filter(partnership=world.partnership_b).exists()


def test_nobody_sees_anyone_elses_calendar_addresses(client, world, things):
    services.calendar_feed_reset(actor=world.coordinator, partnership=world.partnership_a)
    services.calendar_feed_reset(actor=world.coordinator_b, partnership=world.partnership_b)
    theirs = str(CalendarFeed.objects.get(user=world.coordinator_b).code)
    for persona in ("member", "viewer", "outsider", "coordinator"):
        client.force_login(getattr(world, persona))
        response = client.get(FEEDS)
        assert theirs not in response.content.decode()
        assert response.json()["count"] == (1 if persona == "coordinator" else 0)


def test_the_address_of_a_partnership_one_left_stops_being_listed(client, world, things):
    services.calendar_feed_reset(actor=world.member, partnership=world.partnership_a)
    Membership.objects.filter(pk=world.membership_member.pk).update(status="suspended")
    client.force_login(world.member)
    assert client.get(FEEDS).json()["count"] == 0


def test_calendar_address_list_keeps_its_query_count(client, world, django_assert_max_num_queries):
    client.force_login(world.coordinator)
    services.calendar_feed_reset(actor=world.coordinator)
    with django_assert_max_num_queries(8) as few:
        assert client.get(FEEDS).json()["count"] == 1
    services.calendar_feed_reset(actor=world.coordinator, partnership=world.partnership_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(FEEDS).json()["count"] == 2


def test_anonymous_callers_get_401_on_the_personal_endpoints(client, world):
    for method, path in (("get", MINE), ("get", FEEDS), ("post", FEEDS)):
        response = call(client, method, path, {} if method == "post" else None)
        assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    assert not CalendarFeed.objects.exists()


def test_feeds_survive_time(client, world):
    """A feed made today is still listed (and working) a month later; ``last_used_at`` follows use."""
    with clock.frozen(clock.now()):
        client.force_login(world.member)
        address = call(client, "post", FEEDS, {}).json()["url"]
        clock.advance(timedelta(days=31))
        client.logout()
        assert client.get(_path(address)).status_code == 200
        client.force_login(world.member)
        item = client.get(FEEDS).json()["items"][0]
        assert item["last_used_at"] > item["created_at"]
