"""Meetings API behaviour: scheduling (single and recurring), answers, attendance, minutes under their TLP
label, decisions, action items, the calendar file, bad input answered 422 naming the field, and lists
whose query count does not grow with their length."""

from datetime import timedelta

import icalendar
import pytest

from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.meetings import services
from safepact.meetings.models import ActionItem, Meeting, Minutes, Participant
from safepact.meetings.tests.test_api_access import (
    base,
    call,
    make_things,
    participant,
    partner_of,
    schedule,
    url,
)


@pytest.fixture
def things(world):
    return make_things(world)


def when(days: float, hours: float = 0):
    return (clock.now() + timedelta(days=days, hours=hours)).replace(microsecond=0).isoformat()


def invalid(response, field: str):
    assert response.status_code == 422, response.content[:300]
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"].startswith(f"{field}:"), body
    return body


# Scheduling -----------------------------------------------------------------------------------------


def test_a_coordinator_schedules_a_meeting_and_everyone_is_invited(client, world):
    client.force_login(world.coordinator)
    response = call(
        client,
        "post",
        f"{base(world)}/meetings",
        {"title": "Plenary", "starts_at": when(3), "ends_at": when(3, 2), "location": "Town hall"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "plenary" and body["status"] == "scheduled" and body["hours"] == 2
    assert {p["person"]["full_name"] for p in body["participants"]} == {
        world.coordinator.full_name,
        world.member.full_name,
        world.viewer.full_name,
    }
    assert body["me"]["response"] == "pending"
    assert "id" not in body and body["has_minutes"] is False
    assert AuditEvent.objects.filter(action__startswith="meetings.meeting").exists()


def test_a_series_of_recurring_meetings_and_chosen_invitees(client, world):
    client.force_login(world.coordinator)
    response = call(
        client,
        "post",
        f"{base(world)}/meetings",
        {
            "title": "Monthly plenary",
            "starts_at": when(3),
            "ends_at": when(3, 1),
            "frequency": "monthly",
            "count": 3,
            "invitees": [str(world.membership_member.code)],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["series"] is not None
    assert [p["person"]["code"] for p in body["participants"]] == [str(world.member.code)]
    assert Meeting.objects.filter(series__code=body["series"]).count() == 3


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": "BEFORE"}, "ends_at"),
        ({"kind": "online"}, "online_url"),
        ({"kind": "party"}, "kind"),
        ({"title": ""}, "title"),
        ({"count": 53, "frequency": "weekly"}, "count"),
        ({"online_url": "not a link"}, "online_url"),
        ({"invitees": ["00000000-0000-0000-0000-000000000000"]}, "invitees"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_meetings_are_refused_naming_the_field(client, world, changes, field):
    client.force_login(world.coordinator)
    payload = {"title": "Plenary", "starts_at": when(3), "ends_at": when(3, 2), **changes}
    if payload["ends_at"] == "BEFORE":
        payload["ends_at"] = when(2)
    invalid(call(client, "post", f"{base(world)}/meetings", payload), field)
    assert not Meeting.objects.exists()


def test_invitees_of_another_partnership_are_refused(client, world):
    from safepact.partnerships.models import Membership

    theirs = Membership.objects.get(user=world.coordinator_b)
    client.force_login(world.coordinator)
    payload = {
        "title": "Plenary",
        "starts_at": when(3),
        "ends_at": when(3, 2),
        "invitees": [str(theirs.code)],
    }
    invalid(call(client, "post", f"{base(world)}/meetings", payload), "invitees")


def test_changing_and_cancelling_a_meeting(client, world, things):
    client.force_login(world.coordinator)
    path = url(world, things.future)
    response = call(
        client, "patch", path, {"location": "Library", "starts_at": when(2), "ends_at": when(2, 1)}
    )
    assert response.status_code == 200, response.content
    assert response.json()["location"] == "Library"
    assert response.json()["sequence"] > things.future.sequence
    invalid(call(client, "patch", path, {"ends_at": when(1)}), "ends_at")
    invalid(call(client, "patch", path, {"title": None}), "title")
    response = call(client, "post", f"{path}/cancel", {"reason": "Storm."})
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_lists_by_time_and_constant_queries(client, world, django_assert_max_num_queries):
    client.force_login(world.member)
    for days in (-3, -2, 2, 3):
        schedule(world, days=days)
    response = client.get(f"{base(world)}/meetings", {"when": "upcoming"})
    assert [m["starts_at"] for m in response.json()["items"]] == sorted(
        m["starts_at"] for m in response.json()["items"]
    )
    assert response.json()["count"] == 2
    past = client.get(f"{base(world)}/meetings", {"when": "past"}).json()
    assert past["count"] == 2 and past["items"][0]["starts_at"] > past["items"][1]["starts_at"]
    invalid(client.get(f"{base(world)}/meetings", {"when": "someday"}), "when")
    with django_assert_max_num_queries(8) as few:
        client.get(f"{base(world)}/meetings")
    for days in range(4, 24):
        schedule(world, days=days)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"{base(world)}/meetings").json()["count"] == 24


# Answers and attendance -----------------------------------------------------------------------------


def test_everyone_answers_their_own_invitation(client, world, things):
    client.force_login(world.viewer)
    response = call(client, "post", url(world, things.future, "/response"), {"response": "accepted"})
    assert response.status_code == 200
    assert response.json()["me"]["response"] == "accepted"
    assert participant(things.future, world.viewer).response == "accepted"
    assert participant(things.future, world.member).response == "pending"
    invalid(call(client, "post", url(world, things.future, "/response"), {"response": "maybe"}), "response")


def test_someone_not_invited_cannot_answer(client, world):
    meeting = schedule(world, invitees=[world.membership_member])
    client.force_login(world.viewer)
    invalid(call(client, "post", url(world, meeting, "/response"), {"response": "accepted"}), "response")


def test_attendance_marks_the_meeting_held_and_only_once_it_started(client, world, things):
    client.force_login(world.coordinator)
    codes = {user: str(participant(things.past, user).code) for user in (world.member, world.viewer)}
    response = call(
        client,
        "put",
        url(world, things.past, "/attendance"),
        {
            "attendance": [
                {"participant": codes[world.member], "attendance": "in_person"},
                {"participant": codes[world.viewer], "attendance": "absent"},
            ]
        },
    )
    assert response.status_code == 200, response.content
    assert {p["person"]["code"]: p["attendance"] for p in response.json()}[
        str(world.member.code)
    ] == "in_person"
    assert Meeting.objects.get(pk=things.past.pk).status == "held"
    early = participant(things.future, world.member).code
    body = {"attendance": [{"participant": str(early), "attendance": "online"}]}
    invalid(call(client, "put", url(world, things.future, "/attendance"), body), "attendance")
    body = {"attendance": [{"participant": codes[world.member], "attendance": "asleep"}]}
    invalid(call(client, "put", url(world, things.past, "/attendance"), body), "attendance.0.attendance")


# Minutes --------------------------------------------------------------------------------------------


def test_minutes_obey_their_label(client, world, things):
    client.force_login(world.coordinator)
    response = call(
        client,
        "put",
        url(world, things.past, "/minutes"),
        {"text": "Only for the police.", "tlp": "red", "recipient_people": [str(world.coordinator.code)]},
    )
    assert response.status_code == 200, response.content
    assert response.json()["tlp"] == "red"
    assert [p["code"] for p in response.json()["recipient_people"]] == [str(world.coordinator.code)]
    assert client.get(url(world, things.past, "/minutes")).json()["text"] == "Only for the police."

    client.force_login(world.member)
    response = client.get(url(world, things.past, "/minutes"))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert b"Only for the police" not in response.content
    detail = client.get(url(world, things.past)).json()
    assert detail["has_minutes"] is False and detail["minutes_withheld"] is True
    assert "Only for the police" not in str(detail)
    assert client.get(url(world, things.future, "/minutes")).status_code == 404  # none at all


def test_amber_minutes_name_partner_organisations(client, world, things):
    client.force_login(world.coordinator)
    path = url(world, things.past, "/minutes")
    invalid(call(client, "put", path, {"text": "Amber.", "tlp": "amber"}), "recipient_organisations")
    invalid(
        call(
            client,
            "put",
            path,
            {"text": "Amber.", "tlp": "amber", "recipient_organisations": [str(world.org_b.code)]},
        ),
        "recipient_organisations",
    )
    invalid(
        call(
            client,
            "put",
            path,
            {"text": "Red.", "tlp": "red", "recipient_people": [str(world.coordinator_b.code)]},
        ),
        "recipient_people",
    )
    invalid(call(client, "put", path, {"text": "", "tlp": "green"}), "text")
    invalid(call(client, "put", path, {"text": "x", "tlp": "purple"}), "tlp")
    assert Minutes.objects.get(meeting=things.past).text == things.minutes.text
    response = call(
        client,
        "put",
        path,
        {"text": "For the city.", "tlp": "amber", "recipient_organisations": [str(world.org_city_a.code)]},
    )
    assert response.status_code == 200, response.content
    assert [o["name"] for o in response.json()["recipient_organisations"]] == [world.org_city_a.name]
    client.force_login(world.member)
    assert client.get(path).json()["text"] == "For the city."
    client.force_login(world.viewer)
    assert client.get(path).status_code == 404


# Decisions and action items -------------------------------------------------------------------------


def test_decisions(client, world, things):
    client.force_login(world.coordinator)
    response = call(client, "post", url(world, things.past, "/decisions"), {"text": "Meet monthly."})
    assert response.status_code == 201 and response.json()["text"] == "Meet monthly."
    invalid(call(client, "post", url(world, things.past, "/decisions"), {"text": "  "}), "text")
    client.force_login(world.viewer)
    texts = [d["text"] for d in client.get(url(world, things.past, "/decisions")).json()["items"]]
    assert texts == [things.decision.text, "Meet monthly."]


def test_action_items_with_owner_and_due_date(client, world, things):
    client.force_login(world.member)
    city = partner_of(world, world.member)
    due = (clock.today() + timedelta(days=5)).isoformat()
    path = url(world, things.past, "/action-items")
    response = call(
        client,
        "post",
        path,
        {
            "title": "Ask the shops",
            "owner_partner": str(city.code),
            "owner_person": str(world.member.code),
            "due_date": due,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner_organisation"] == world.org_city_a.name and body["owner_person"]["code"] == str(
        world.member.code
    )
    assert body["meeting"] == str(things.past.code) and body["overdue"] is False
    # The owner person must take part through the owner partner; the partner must be this partnership's.
    police = partner_of(world, world.coordinator)
    bad_person = {
        "title": "x",
        "owner_partner": str(police.code),
        "owner_person": str(world.member.code),
        "due_date": due,
    }
    invalid(call(client, "post", path, bad_person), "owner_person")
    theirs = partner_of(world, world.coordinator_b, world.partnership_b)
    invalid(
        call(client, "post", path, {"title": "x", "owner_partner": str(theirs.code), "due_date": due}),
        "owner_partner",
    )
    invalid(
        call(client, "post", path, {"title": "x", "owner_partner": str(city.code), "due_date": "soon"}),
        "due_date",
    )
    assert ActionItem.objects.count() == 3

    response = call(client, "patch", f"{base(world)}/action-items/{body['code']}", {"status": "done"})
    assert response.status_code == 200 and response.json()["done_at"] is not None
    done = client.get(f"{base(world)}/action-items", {"status": "done"}).json()["items"]
    assert [i["code"] for i in done] == [body["code"]]
    invalid(
        call(client, "patch", f"{base(world)}/action-items/{body['code']}", {"status": "later"}), "status"
    )


def test_overdue_action_items_are_marked(client, world, things):
    with clock.frozen(clock.now() + timedelta(days=20)):
        client.force_login(world.viewer)
        items = client.get(f"{base(world)}/action-items").json()["items"]
    assert {i["title"]: i["overdue"] for i in items} == {
        "Sofielund lamp survey": True,
        "Sofielund patrol plan": True,
    }


def test_action_item_lists_have_constant_queries(client, world, things, django_assert_max_num_queries):
    client.force_login(world.member)
    paths = [f"{base(world)}/action-items", url(world, things.past, "/action-items")]
    baseline = {}
    for path in paths:
        with django_assert_max_num_queries(9) as few:
            client.get(path)
        baseline[path] = len(few.captured_queries)
    city = partner_of(world, world.member)
    for n in range(15):
        services.action_item_create(
            actor=world.coordinator,
            meeting=things.past,
            title=f"Action {n}",
            owner_partner=city,
            owner_person=world.member,
            due_date=clock.today(),
        )
    for path in paths:
        with django_assert_max_num_queries(baseline[path]):
            assert client.get(path).json()["count"] == 17


# The calendar ---------------------------------------------------------------------------------------


def test_the_calendar_file(client, world, things):
    services.meeting_cancel(actor=world.coordinator, meeting=things.future, reason="Rain.")
    client.force_login(world.viewer)
    response = client.get(f"{base(world)}/meetings.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"{things.future.code}@safepact", f"{things.past.code}@safepact"}
    assert str(events[f"{things.future.code}@safepact"]["STATUS"]) == "CANCELLED"
    assert "Sofielund minutes" not in response.content.decode()
    outsider = client
    outsider.force_login(world.outsider)
    assert outsider.get(f"{base(world)}/meetings.ics").status_code == 404


def test_participants_are_named_by_codes_never_ids(client, world, things):
    client.force_login(world.member)
    body = client.get(url(world, things.past)).json()
    assert body["decisions"] == 1 and body["action_items"] == 2 and body["has_minutes"] is True
    for item in body["participants"]:
        assert set(item) == {"code", "person", "partner", "organisation", "response", "attendance"}
    assert Participant.objects.filter(meeting=things.past).count() == len(body["participants"])
