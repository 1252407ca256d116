"""Correctness review (R2): recurring meetings across daylight saving time and month ends, the monthly
meeting load by local month, and attendance of a cancelled meeting."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from safepact.lib import clock
from safepact.meetings import selectors, services
from safepact.meetings.models import Meeting
from safepact.meetings.tests.support_services import NOW, schedule


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def test_weekly_series_keeps_the_local_time_across_daylight_saving(world):
    """Brussels moves to summer time on 30 March 2025: 10:00 stays 10:00 local (09:00, then 08:00 UTC)."""
    start = timezone.make_aware(datetime(2025, 3, 24, 10, 0))
    with clock.frozen(start - timedelta(days=7)):
        first = schedule(world, starts_at=start, hours=2, frequency="weekly", count=3)
    meetings = list(Meeting.objects.filter(series=first.series).order_by("starts_at"))
    assert [m.starts_at.astimezone(UTC).hour for m in meetings] == [9, 8, 8]
    assert {(_local(m.starts_at).hour, _local(m.ends_at).hour) for m in meetings} == {(10, 12)}
    assert [_local(m.starts_at).date() for m in meetings] == [
        date(2025, 3, 24),
        date(2025, 3, 31),
        date(2025, 4, 7),
    ]


def test_monthly_series_from_the_31st_keeps_to_month_ends(world):
    start = timezone.make_aware(datetime(2025, 1, 31, 10, 0))
    with clock.frozen(start - timedelta(days=7)):
        first = schedule(world, starts_at=start, frequency="monthly", count=4)
    days = [_local(m.starts_at).date() for m in Meeting.objects.filter(series=first.series)]
    assert days == [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)]


def test_meeting_load_counts_a_meeting_in_its_local_month(world):
    """00:30 on 1 July in Brussels is 22:30 UTC on 30 June: it belongs to July's load."""
    start = timezone.make_aware(datetime(2025, 7, 1, 0, 30))
    with clock.frozen(NOW):
        schedule(world, starts_at=start, hours=1)
    june = selectors.meeting_load([world.partnership_a.pk], month_start=date(2025, 6, 1))
    july = selectors.meeting_load([world.partnership_a.pk], month_start=date(2025, 7, 1))
    assert june == {}
    assert {load.hours for load in july[world.partnership_a.pk]} == {1.0}


def test_meeting_load_by_month_matches_meeting_load_month_by_month(world):
    with clock.frozen(NOW):
        for day in (1, 40, 70):
            schedule(world, days=day, hours=1.5)
    ids = [world.partnership_a.pk]
    months = [date(2025, 6, 1), date(2025, 8, 1)]  # July (between them) is not asked for
    found = selectors.meeting_load_by_month(ids, months=months)
    assert set(found) == set(months)
    for month in months:
        assert found[month] == selectors.meeting_load(ids, month_start=month)


def test_attendance_of_a_cancelled_meeting_is_refused_and_not_counted(world):
    with clock.frozen(NOW):
        meeting = schedule(world, days=1)
        services.meeting_cancel(actor=world.coordinator, meeting=meeting, reason="Ill")
    participant = meeting.participants.first()
    with clock.frozen(NOW + timedelta(days=2)), pytest.raises(ValidationError) as caught:
        services.attendance_record(
            actor=world.coordinator, meeting=meeting, attendance={participant.code: "in_person"}
        )
    assert "attendance" in caught.value.message_dict
    facts = selectors.attendance_by_partner(
        [world.partnership_a.pk], since=date(2025, 6, 1), until=date(2025, 6, 30)
    )
    assert facts == {}
    assert selectors.meeting_load([world.partnership_a.pk], month_start=date(2025, 6, 1)) == {}
