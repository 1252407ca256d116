"""meeting_rhythm: no meeting in the last ``meeting_gap_days`` warns; nothing planned in the next
``meeting_gap_days`` either is danger."""

from datetime import date

from safepact.continuity.tests.signals_support import meeting, setup, signal, texts, thresholds
from safepact.meetings.models import Status

ON = date(2026, 6, 15)


def test_a_meeting_exactly_gap_days_ago_is_fine(world):
    setup(world)
    meeting(world.partnership_a, world.coordinator, date(2026, 4, 16), status=Status.HELD)  # 60 days
    found = signal(world.partnership_a, "meeting_rhythm", ON)
    assert found.level == "ok"
    assert texts(found) == ["Last meeting on April 16, 2026", "No meeting planned"]
    assert found.summary == "1 meeting in the last 90 days."


def test_one_day_more_with_one_planned_warns(world):
    setup(world)
    meeting(world.partnership_a, world.coordinator, date(2026, 4, 15), status=Status.HELD)  # 61 days
    meeting(world.partnership_a, world.coordinator, date(2026, 8, 14))  # 60 days ahead
    found = signal(world.partnership_a, "meeting_rhythm", ON)
    assert found.level == "warning"
    assert texts(found) == ["Last meeting on April 15, 2026", "Next meeting planned on Aug. 14, 2026"]
    assert found.trend == "worse"  # on May 16 the April meeting was a month old
    assert found.now_value == 61


def test_nothing_held_nor_planned_within_the_gap_is_danger(world):
    setup(world)
    meeting(world.partnership_a, world.coordinator, date(2026, 4, 15), status=Status.HELD)
    meeting(world.partnership_a, world.coordinator, date(2026, 8, 15))  # 61 days ahead
    found = signal(world.partnership_a, "meeting_rhythm", ON)
    assert found.level == "danger"
    assert found.suggestion


def test_cancelled_meetings_do_not_count(world):
    setup(world)
    meeting(world.partnership_a, world.coordinator, date(2026, 6, 1), status=Status.CANCELLED)
    found = signal(world.partnership_a, "meeting_rhythm", ON)
    assert found.level == "danger"
    assert texts(found) == ["No meeting held yet", "No meeting planned"]
    assert found.trend == "same"


def test_gap_from_settings_and_trend_better(world):
    setup(world)
    thresholds(world.partnership_a, meeting_gap_days=10)
    meeting(world.partnership_a, world.coordinator, date(2026, 6, 10), status=Status.HELD)
    found = signal(world.partnership_a, "meeting_rhythm", ON)
    assert found.level == "ok"
    assert found.trend == "better"  # on May 16: nothing held, the June 10 meeting more than 10 days ahead
