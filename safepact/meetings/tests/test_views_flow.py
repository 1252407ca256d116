"""Meeting pages, the main flows through them: schedule (recurring), answer, attendance, minutes with a TLP
label, decisions, action items and their status, the fatigue hint, my meetings and the calendar feeds; and
query counts that stay constant with more meetings, participants and action items."""

from datetime import date, timedelta

import icalendar
import pytest
from django.urls import reverse

from conftest import add_member, make_user
from safepact.lib import clock
from safepact.meetings import services
from safepact.meetings.models import ActionItem, Decision, Meeting, Minutes, Participant
from safepact.meetings.tests.support_services import NOW, schedule
from safepact.partnerships.models import Membership, Partner


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def partner_of(world, organisation):
    return Partner.objects.get(partnership=world.partnership_a, organisation=organisation)


def detail_url(world, meeting):
    return reverse("meetings:detail", args=[world.partnership_a.code, meeting.code])


def test_schedule_a_recurring_meeting_for_chosen_invitees(client_for, world):
    client = client_for(world.coordinator)
    form = client.get(reverse("meetings:create", args=[world.partnership_a.code]))
    assert form.status_code == 200
    html = form.content.decode()
    assert "Joint training" in html and "Site walk-through" in html  # the kinds with their descriptions
    assert "Malmö stad" in html and "Sofielund Fastighetsägare" in html  # invitees grouped by organisation
    member = Membership.objects.get(user=world.member)
    coordinator = Membership.objects.get(user=world.coordinator, partner__partnership=world.partnership_a)
    response = client.post(
        reverse("meetings:create", args=[world.partnership_a.code]),
        {
            "kind": "plenary",
            "title": "Monthly plenary",
            "date": "2025-06-12",
            "start_time": "10:00",
            "duration": "90",
            "location": "Police station",
            "agenda": "- Welcome\n- **Burglaries**",
            "invitees": [str(member.code), str(coordinator.code)],
            "frequency": "monthly",
            "count": "3",
        },
    )
    assert response.status_code == 302
    meetings = list(Meeting.objects.filter(partnership=world.partnership_a, title="Monthly plenary"))
    assert len(meetings) == 3 and len({m.series_id for m in meetings}) == 1
    assert [m.starts_at.astimezone(NOW.tzinfo).month for m in meetings] == [6, 7, 8]
    assert all(m.hours == 1.5 for m in meetings)
    first = meetings[0]
    assert response["Location"] == detail_url(world, first)
    assert set(Participant.objects.filter(meeting=first).values_list("user_id", flat=True)) == {
        world.member.pk,
        world.coordinator.pk,
    }
    page = client.get(response["Location"]).content.decode()
    assert "<strong>Burglaries</strong>" in page  # agenda rendered from Markdown
    assert "Police station" in page


def test_create_form_shows_errors_per_field(client_for, world):
    client = client_for(world.coordinator)
    url = reverse("meetings:create", args=[world.partnership_a.code])
    response = client.post(
        url,
        {"kind": "plenary", "title": "X", "date": "2025-06-12", "start_time": "10:00", "end_time": "09:00"},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["end_time"]
    response = client.post(
        url,
        {"kind": "online", "title": "Call", "date": "2025-06-12", "start_time": "10:00", "duration": "30"},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["online_url"]  # the service's rule, next to its field
    response = client.post(
        url,
        {
            "kind": "plenary",
            "title": "X",
            "date": "2025-06-12",
            "start_time": "10:00",
            "duration": "30",
            "count": "3",
        },
    )
    assert response.status_code == 422 and response.context["form"].errors["frequency"]
    assert 'id="error-summary"' in response.content.decode()
    assert not Meeting.objects.filter(partnership=world.partnership_a).exists()


def test_edit_moves_the_meeting_and_invites_more(client_for, world):
    meeting = schedule(world, days=3, invitees=[Membership.objects.get(user=world.member)])
    client = client_for(world.coordinator)
    url = reverse("meetings:update", args=[world.partnership_a.code, meeting.code])
    page = client.get(url)
    assert page.status_code == 200 and 'value="Plenary meeting"' in page.content.decode()
    viewer_membership = Membership.objects.get(user=world.viewer)
    response = client.post(
        url,
        {
            "kind": "plenary",
            "title": "Moved plenary",
            "date": "2025-06-09",
            "start_time": "13:00",
            "end_time": "14:00",
            "invitees": [str(viewer_membership.code)],
        },
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Moved plenary" and meeting.sequence >= 1  # calendars replace their copy
    assert meeting.participants.filter(user=world.viewer).exists()


def test_answer_attendance_and_counts(client_for, world):
    meeting = schedule(world, days=1)
    client = client_for(world.member)
    response = client.post(
        reverse("meetings:respond", args=[world.partnership_a.code, meeting.code]), {"response": "accepted"}
    )
    assert response.status_code == 302
    assert Participant.objects.get(meeting=meeting, user=world.member).response == "accepted"
    listing = client.get(reverse("meetings:list", args=[world.partnership_a.code])).content.decode()
    assert "Will come" in listing

    client = client_for(world.coordinator)
    attendance_url = reverse("meetings:attendance", args=[world.partnership_a.code, meeting.code])
    assert "has not started yet" in client.get(attendance_url).content.decode()
    clock.advance(timedelta(days=2))
    page = client.get(attendance_url)
    assert page.status_code == 200 and "In person" in page.content.decode()
    data = {}
    for participant in meeting.participants.all():
        data[f"p-{participant.code}"] = "online" if participant.user_id == world.member.pk else "absent"
    assert client.post(attendance_url, data).status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == "held"
    assert Participant.objects.get(meeting=meeting, user=world.member).attendance == "online"
    past = client.get(reverse("meetings:list", args=[world.partnership_a.code]))
    assert past.context["past"][0].attended_count == 1
    assert "1 of 3" in past.content.decode()


def test_amber_minutes_are_withheld_from_a_member_of_another_organisation(client_for, world):
    meeting = schedule(world, days=-1)
    client = client_for(world.coordinator)
    url = reverse("meetings:minutes", args=[world.partnership_a.code, meeting.code])
    assert client.get(url).status_code == 200
    response = client.post(url, {"text": "Secret **plan** ZEBRA-42", "tlp": "amber"})
    assert response.status_code == 422 and response.context["form"].errors  # AMBER needs recipients
    response = client.post(
        url,
        {
            "text": "Secret **plan** ZEBRA-42",
            "tlp": "amber",
            "recipient_organisations": [world.org_police_a.code],
        },
    )
    assert response.status_code == 302
    assert Minutes.objects.get(meeting=meeting).tlp == "amber"
    page = client.get(detail_url(world, meeting)).content.decode()
    assert "ZEBRA-42" in page and "<strong>plan</strong>" in page and 'class="tlp tlp-amber"' in page

    member_page = client_for(world.member).get(detail_url(world, meeting)).content.decode()
    assert "ZEBRA-42" not in member_page
    assert 'id="minutes-withheld"' in member_page


def test_decisions_are_added_and_removed(client_for, world):
    meeting = schedule(world, days=-1)
    client = client_for(world.coordinator)
    a = world.partnership_a.code
    assert (
        client.post(reverse("meetings:decision_add", args=[a, meeting.code]), {"text": ""}).status_code == 422
    )
    response = client.post(
        reverse("meetings:decision_add", args=[a, meeting.code]), {"text": "Walk in July."}
    )
    assert response.status_code == 302
    decision = Decision.objects.get(meeting=meeting)
    assert "Walk in July." in client.get(detail_url(world, meeting)).content.decode()
    url = reverse("meetings:decision_delete", args=[a, meeting.code, decision.code])
    assert client.post(url).status_code == 302
    assert not Decision.objects.filter(meeting=meeting).exists()


def test_member_adds_an_action_for_their_partner_and_marks_it_done(client_for, world):
    meeting = schedule(world, days=-1)
    city = partner_of(world, world.org_city_a)
    police = partner_of(world, world.org_police_a)
    member_membership = Membership.objects.get(user=world.member)
    client = client_for(world.member)
    a = world.partnership_a.code
    # the owner person must be a member of the owner partner
    wrong = client.post(
        reverse("meetings:action_add", args=[a, meeting.code]),
        {
            "title": "Ask the shops",
            "owner_partner": str(police.code),
            "owner_person": str(member_membership.code),
            "due_date": "2025-06-01",
        },
    )
    assert wrong.status_code == 422 and wrong.context["action_form"].errors["owner_person"]
    response = client.post(
        reverse("meetings:action_add", args=[a, meeting.code]),
        {
            "title": "Ask the shops",
            "owner_partner": str(city.code),
            "owner_person": str(member_membership.code),
            "due_date": "2025-06-01",
        },
    )
    assert response.status_code == 302
    item = ActionItem.objects.get(meeting=meeting)
    assert item.owner_partner == city and item.owner_person == world.member
    page = client.get(detail_url(world, meeting)).content.decode()
    assert "Overdue" in page and 'data-overdue="true"' in page  # due 1 June, today 4 June: said in words

    response = client.post(reverse("meetings:action_status", args=[a, item.code]), {"status": "done"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "done" and item.done_at is not None
    assert "Overdue" not in client.get(detail_url(world, meeting)).content.decode()


def test_cancel_a_meeting(client_for, world):
    meeting = schedule(world, days=2)
    client = client_for(world.coordinator)
    response = client.post(reverse("meetings:cancel", args=[world.partnership_a.code, meeting.code]), {})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == "cancelled"
    assert "Cancelled" in client.get(detail_url(world, meeting)).content.decode()
    edit = client.get(reverse("meetings:update", args=[world.partnership_a.code, meeting.code]))
    assert edit.status_code == 302


def test_meeting_fatigue_hint_above_the_limit(client_for, world):
    client = client_for(world.coordinator)
    url = reverse("meetings:list", args=[world.partnership_a.code])
    schedule(world, days=1, hours=3)
    assert 'id="meeting-load"' not in client.get(url).content.decode()  # 3 hours, limit 8
    response = client.post(
        reverse("meetings:settings", args=[world.partnership_a.code]), {"monthly_hours_limit": "2"}
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert 'id="meeting-load"' in page and "thematic discussion" in page and "Mats Member" in page
    member_page = client_for(world.member).get(url).content.decode()
    assert (
        'id="meeting-load"' in member_page
        and "Mats Member" not in member_page.split('id="meeting-load"')[1][:400]
    )


def test_my_meetings_hours_and_calendar_addresses(client, client_for, world):
    schedule(world, days=1, hours=3, title="Tomorrow")
    client = client_for(world.member)
    page = client.get(reverse("meetings:mine"))
    html = page.content.decode()
    assert "Tomorrow" in html and "Create my calendar address" in html
    assert page.context["hours"][0]["hours"] == 3

    response = client.post(reverse("meetings:feed_reset"), {"partnership": ""})
    assert response.status_code == 200
    url = response.context["new_feed"]["url"]
    assert url in response.content.decode()
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    again = client.get(reverse("meetings:mine")).content.decode()
    assert token not in again and "Reset the address" in again  # shown once only

    client.logout()
    feed = client.get(reverse("meetings:feed", args=[token]))
    assert feed.status_code == 200
    calendar = icalendar.Calendar.from_ical(feed.content)
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["Tomorrow"]
    from safepact.meetings.models import CalendarFeed

    assert CalendarFeed.objects.get(user=world.member).last_used_at == NOW

    client = client_for(world.member)
    client.post(reverse("meetings:feed_reset"), {"partnership": ""})
    client.logout()
    assert client.get(reverse("meetings:feed", args=[token])).status_code == 404  # the old one is off


def test_partnership_calendar_with_the_session(client_for, world):
    schedule(world, days=1, title="Plenary one", invitees=[Membership.objects.get(user=world.member)])
    client = client_for(world.viewer)  # not invited, still sees the partnership's calendar
    response = client.get(reverse("meetings:calendar", args=[world.partnership_a.code]))
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar; charset=utf-8"
    events = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Plenary one"]


# Query counts ------------------------------------------------------------------------------------------


def more_members(world, n):
    for i in range(n):
        user = make_user(f"extra{i}@city.example", f"Extra {i}")
        add_member(
            coordinator=world.coordinator,
            partnership=world.partnership_a,
            user=user,
            role="member",
            organisation=world.org_city_a,
        )


def count_queries(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("page", ["list", "mine"])
def test_list_pages_query_count_is_constant(client_for, world, django_assert_max_num_queries, page):
    client = client_for(world.coordinator)
    url = (
        reverse("meetings:list", args=[world.partnership_a.code])
        if page == "list"
        else reverse("meetings:mine")
    )
    schedule(world, days=1)
    schedule(world, days=-1)
    few = count_queries(client, url, django_assert_max_num_queries, 20)
    more_members(world, 4)
    for day in range(2, 12):
        schedule(world, days=day)
        schedule(world, days=-day)
    many = count_queries(client, url, django_assert_max_num_queries, 20)
    assert many == few


def test_detail_query_count_is_constant(client_for, world, django_assert_max_num_queries):
    meeting = schedule(world, days=-1)
    meeting.partnership = world.partnership_a
    city = partner_of(world, world.org_city_a)
    services.action_item_create(
        actor=world.coordinator, meeting=meeting, title="A", owner_partner=city, due_date=date(2025, 6, 1)
    )
    services.decision_add(actor=world.coordinator, meeting=meeting, text="D")
    client = client_for(world.coordinator)
    url = detail_url(world, meeting)
    few = count_queries(client, url, django_assert_max_num_queries, 30)
    more_members(world, 5)
    meeting = schedule(world, days=-2)
    meeting.partnership = world.partnership_a
    for i in range(8):
        services.action_item_create(
            actor=world.coordinator,
            meeting=meeting,
            title=f"A{i}",
            owner_partner=city,
            owner_person=world.member,
            due_date=date(2025, 6, 1 + i),
        )
        services.decision_add(actor=world.coordinator, meeting=meeting, text=f"D{i}")
    assert meeting.participants.count() == 8
    many = count_queries(client, detail_url(world, meeting), django_assert_max_num_queries, 30)
    assert many == few
