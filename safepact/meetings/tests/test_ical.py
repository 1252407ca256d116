"""iCalendar output and calendar feeds (secret addresses)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from icalendar import Calendar

from safepact.accounts.models import hash_token
from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.meetings import selectors, services
from safepact.meetings.models import CalendarFeed
from safepact.meetings.tests.support_services import NOW, coordinator_membership, schedule
from safepact.partnerships.models import Membership

pytestmark = pytest.mark.django_db


def events_of(data: bytes) -> dict:
    calendar = Calendar.from_ical(data)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_calendar_fields(world, settings):
    settings.SITE_URL = "https://safepact.example"
    with clock.frozen(NOW):
        meeting = schedule(world, location="Police station", agenda="1. Welcome\n2. Lights")
        online = schedule(world, days=2, kind="online", online_url="https://meet.example/abc", title="Online")
        data = selectors.ical_for(meetings=selectors.feed_meetings(world.member), name="My meetings")
    calendar = Calendar.from_ical(data)
    assert str(calendar["PRODID"]) == "-//SafePact//Meetings//EN" and str(calendar["VERSION"]) == "2.0"
    assert str(calendar["X-WR-CALNAME"]) == "My meetings"
    found = events_of(data)
    event = found[f"{meeting.code}@safepact"]
    assert event.decoded("DTSTART") == meeting.starts_at and event.decoded(
        "DTSTART"
    ).utcoffset() == timedelta(0)
    assert b"DTSTART:20250605T080000Z" in data  # 10:00 in Brussels summer time
    assert event.decoded("DTEND") == meeting.ends_at
    assert str(event["SUMMARY"]) == "Plenary meeting" and str(event["LOCATION"]) == "Police station"
    assert (
        str(event["URL"]) == f"https://safepact.example/p/{world.partnership_a.code}/meetings/{meeting.code}/"
    )
    assert "Plenary meeting in person" in str(event["DESCRIPTION"]) and "2. Lights" in str(
        event["DESCRIPTION"]
    )
    assert int(event["SEQUENCE"]) == 0 and str(event["STATUS"]) == "CONFIRMED"
    assert "DTSTAMP" in event
    assert str(found[f"{online.code}@safepact"]["LOCATION"]) == "https://meet.example/abc"


def test_update_and_cancel_show_in_the_calendar(world):
    with clock.frozen(NOW):
        meeting = schedule(world)
        services.meeting_update(actor=world.coordinator, meeting=meeting, location="Town hall")
        cancelled = schedule(world, days=3, title="Dropped")
        services.meeting_cancel(actor=world.coordinator, meeting=cancelled)
        found = events_of(selectors.ical_for(meetings=selectors.feed_meetings(world.member), name="x"))
    assert int(found[f"{meeting.code}@safepact"]["SEQUENCE"]) == 1
    assert str(found[f"{meeting.code}@safepact"]["LOCATION"]) == "Town hall"
    assert str(found[f"{cancelled.code}@safepact"]["STATUS"]) == "CANCELLED"
    assert int(found[f"{cancelled.code}@safepact"]["SEQUENCE"]) == 1


def test_minutes_never_reach_the_calendar(world):
    with clock.frozen(NOW):
        meeting = schedule(world, days=-1)
        services.minutes_save(actor=world.coordinator, meeting=meeting, text="Very secret words", tlp="green")
        data = selectors.ical_for(
            meetings=selectors.feed_meetings(world.member, world.partnership_a), name="x"
        )
    assert f"{meeting.code}@safepact".encode() in data
    assert b"secret words" not in data.replace(b"\r\n ", b"")


def test_personal_and_partnership_feeds(world):
    with clock.frozen(NOW):
        mine = schedule(world, title="Mine")
        not_mine = schedule(world, title="Not mine", invitees=[coordinator_membership(world)])
        other = schedule(world, partnership=world.partnership_b, actor=world.coordinator_b)
        assert list(selectors.feed_meetings(world.member)) == [mine]
        assert set(selectors.feed_meetings(world.member, world.partnership_a)) == {mine, not_mine}
        assert list(selectors.feed_meetings(world.member, world.partnership_b)) == []
        assert list(selectors.feed_meetings(world.coordinator_b)) == [other]
        # a suspended member's feeds no longer show the partnership's meetings
        Membership.objects.filter(pk=world.membership_member.pk).update(status="suspended")
        assert list(selectors.feed_meetings(world.member)) == []
        assert list(selectors.feed_meetings(world.member, world.partnership_a)) == []


def test_feed_tokens(world):
    with clock.frozen(NOW):
        token = services.calendar_feed_reset(actor=world.member)
        shared = services.calendar_feed_reset(actor=world.member, partnership=world.partnership_a)
    feeds = CalendarFeed.objects.filter(user=world.member)
    assert feeds.count() == 2
    assert {f.token_hash for f in feeds} == {hash_token(token), hash_token(shared)}
    assert token not in str(list(feeds.values())) and token != shared
    assert selectors.feed_lookup(token) == (world.member, None)
    assert selectors.feed_lookup(shared) == (world.member, world.partnership_a)
    event = AuditEvent.objects.filter(action="meetings.calendar_feed.reset").first()
    assert token not in str(event.after)
    # reset: the old address stops working
    with clock.frozen(NOW):
        new = services.calendar_feed_reset(actor=world.member)
    assert selectors.feed_lookup(token) is None and selectors.feed_lookup(new) == (world.member, None)
    assert CalendarFeed.objects.filter(user=world.member, partnership=None).count() == 1
    for bad in ("", "nope", "x" * 500, None):
        assert selectors.feed_lookup(bad) is None
    # suspended: the partnership feed is off, the personal one no longer lists that partnership
    Membership.objects.filter(pk=world.membership_member.pk).update(status="suspended")
    assert selectors.feed_lookup(shared) is None
    # an inactive person's feeds are off
    world.member.is_active = False
    world.member.save(update_fields=["is_active"])
    assert selectors.feed_lookup(new) is None


def test_feed_touch_and_list(world):
    with clock.frozen(NOW):
        token = services.calendar_feed_reset(actor=world.viewer)
        clock.advance(timedelta(hours=2))
        selectors.feed_touch(token)
    feeds = selectors.feed_list(user=world.viewer)
    assert len(feeds) == 1 and feeds[0].last_used_at == NOW + timedelta(hours=2)


def test_feed_reset_for_a_partnership_i_am_not_in(world):
    with pytest.raises(Http404):
        services.calendar_feed_reset(actor=world.outsider, partnership=world.partnership_a)
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.calendar_feed_reset(actor=AnonymousUser())
    assert not CalendarFeed.objects.exists()
