"""Security review (R1): open redirects, dates that overflow into server errors, and people who left a
partnership still being told about its meetings."""

from datetime import date

import pytest
from django.urls import reverse

from safepact.lib import clock
from safepact.meetings import services
from safepact.meetings.models import ActionItem, Meeting
from safepact.meetings.tests.support_services import NOW, schedule
from safepact.meetings.tests.test_api_access import base, call, partner_of
from safepact.notifications.models import Notification
from safepact.partnerships.models import Membership


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def _item(world) -> ActionItem:
    meeting = schedule(world, days=-1)
    return services.action_item_create(
        actor=world.coordinator,
        meeting=meeting,
        title="Fix the lights",
        owner_partner=partner_of(world, world.member),
        due_date=date(2025, 7, 1),
    )


# Open redirect -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["/\\evil.example/", "//evil.example/", "https://evil.example/", "/\t/evil"]
)
def test_action_status_next_never_leaves_the_site(client_for, world, target):
    item = _item(world)
    client = client_for(world.member)
    url = reverse("meetings:action_status", args=[world.partnership_a.code, item.code])
    response = client.post(url, {"status": "done", "next": target})
    assert response.status_code == 302
    assert response["Location"].startswith(f"/p/{world.partnership_a.code}/meetings/"), response["Location"]


def test_action_status_next_inside_the_site_is_followed(client_for, world):
    item = _item(world)
    client = client_for(world.member)
    url = reverse("meetings:action_status", args=[world.partnership_a.code, item.code])
    target = f"/p/{world.partnership_a.code}/continuity/plan/"
    response = client.post(url, {"status": "done", "next": target})
    assert response["Location"] == target


# Dates far away: a refused field, never a 500 ------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        {"date": "9999-12-31", "start_time": "23:00", "duration": "600"},
        {"date": "9999-12-20", "start_time": "10:00", "duration": "60", "frequency": "weekly", "count": "52"},
        {"date": "0001-01-01", "start_time": "00:10", "duration": "60"},
    ],
)
def test_schedule_form_refuses_dates_out_of_range(client_for, world, extra):
    client = client_for(world.coordinator)
    client.raise_request_exception = False
    url = reverse("meetings:create", args=[world.partnership_a.code])
    response = client.post(url, {"kind": "plenary", "title": "Far away", **extra})
    assert response.status_code == 422
    assert not Meeting.objects.filter(title="Far away").exists()


@pytest.mark.parametrize(
    ("starts", "ends", "extra"),
    [
        ("9999-12-31T23:30:00+00:00", "9999-12-31T23:45:00+00:00", {}),
        ("9999-12-01T20:00:00+00:00", "9999-12-01T22:00:00+00:00", {"frequency": "weekly", "count": 52}),
        ("0001-01-01T00:30:00+00:00", "0001-01-01T02:00:00+00:00", {}),
    ],
)
def test_api_refuses_meeting_dates_out_of_range(client, world, starts, ends, extra):
    client.force_login(world.coordinator)
    client.raise_request_exception = False
    body = {"title": "Far away", "starts_at": starts, "ends_at": ends, **extra}
    response = call(client, "post", f"{base(world)}/meetings", body)
    assert response.status_code == 422, response.content[:200]
    assert response.json()["detail"].startswith("starts_at:")
    assert not Meeting.objects.filter(title="Far away").exists()


def test_api_refuses_action_item_due_date_out_of_range(client, world):
    meeting = schedule(world, days=-1)
    client.force_login(world.member)
    body = {
        "title": "Later",
        "owner_partner": str(partner_of(world, world.member).code),
        "due_date": "9999-12-31",
    }
    response = call(client, "post", f"{base(world)}/meetings/{meeting.code}/action-items", body)
    assert response.status_code == 422, response.content[:200]
    assert response.json()["detail"].startswith("due_date:")
    assert client.get(f"{base(world)}/action-items").status_code == 200


# People who left are not told ---------------------------------------------------------------------------


def test_suspended_member_is_not_told_about_changes_or_cancellation(world):
    meeting = schedule(world, days=3)
    Membership.objects.filter(pk=world.membership_member.pk).update(status="suspended")
    Notification.objects.all().delete()
    meeting = services.meeting_update(
        actor=world.coordinator, meeting=meeting, location="Somewhere secret", starts_at=meeting.starts_at
    )
    services.meeting_cancel(actor=world.coordinator, meeting=meeting, reason="The informant was exposed")
    told = set(Notification.objects.values_list("recipient_id", flat=True))
    assert world.viewer.pk in told  # still a member
    assert world.member.pk not in told


# Minutes leave no copy of their text in notifications ------------------------------------------------------


def test_relabelled_minutes_leave_no_copy_in_notifications(client, world):
    meeting = schedule(world, days=-1)
    secret = "The informant lives on Ystadvägen"
    services.minutes_save(actor=world.coordinator, meeting=meeting, text=secret, tlp="green")
    services.minutes_save(
        actor=world.coordinator, meeting=meeting, text=secret, tlp="red", recipient_people=[world.coordinator]
    )
    client.force_login(world.member)
    assert secret not in client.get("/api/v1/notifications").content.decode()
    assert secret not in client.get(reverse("notifications:list")).content.decode()
    assert not Notification.objects.filter(body__contains="Ystadvägen").exists()
