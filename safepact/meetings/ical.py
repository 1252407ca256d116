"""iCalendar (RFC 5545) for meetings: one VEVENT per meeting, never the minutes."""

from datetime import UTC

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from icalendar import Calendar, Event

from safepact.meetings.models import Kind, Status

PRODID = "-//SafePact//Meetings//EN"


def meeting_path(meeting) -> str:
    """The meeting's page inside SafePact (no host)."""
    kwargs = {"code": meeting.partnership.code, "meeting_code": meeting.code}
    try:
        return reverse("meetings:detail", kwargs=kwargs)
    except NoReverseMatch:  # the pages are not mounted (never in production)
        return f"/p/{kwargs['code']}/meetings/{kwargs['meeting_code']}/"


def _description(meeting) -> str:
    kind = str(Kind(meeting.kind).label) if meeting.kind in Kind.values else meeting.kind
    agenda = (meeting.agenda or "").strip()
    return f"{kind}\n\n{agenda}" if agenda else kind


def ical_for(*, meetings, name: str) -> bytes:
    """A calendar of ``meetings`` (with ``partnership`` loaded) named ``name``.

    Times are UTC; ``SEQUENCE`` follows the meeting's ``sequence`` so calendars replace what they hold;
    cancelled meetings stay in the feed with ``STATUS:CANCELLED`` so calendars remove them.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for meeting in meetings:
        event = Event()
        event.add("uid", f"{meeting.code}@safepact")
        event.add("dtstamp", meeting.updated_at.astimezone(UTC))
        event.add("dtstart", meeting.starts_at.astimezone(UTC))
        event.add("dtend", meeting.ends_at.astimezone(UTC))
        event.add("summary", meeting.title)
        location = meeting.location or meeting.online_url
        if location:
            event.add("location", location)
        event.add("url", settings.SITE_URL + meeting_path(meeting))
        event.add("description", _description(meeting))
        event.add("sequence", meeting.sequence)
        event.add("status", "CANCELLED" if meeting.status == Status.CANCELLED else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
