"""meeting_load (meeting fatigue): a person with more meeting hours this month or next than the
partnership's ``monthly_hours_limit`` warns, with the paper's suggestion."""

from datetime import date
from decimal import Decimal

from safepact.continuity.tests.signals_support import meeting, setup, signal, texts
from safepact.meetings.models import MeetingsSettings, Participant, Response, Status
from safepact.partnerships.models import Membership

ON = date(2026, 6, 15)


def _cora(world):
    return Membership.objects.filter(user=world.coordinator, partner__partnership=world.partnership_a)


def test_exactly_the_limit_is_fine(world):
    setup(world)
    for day in (2, 9, 16, 23):  # 4 x 2 h = 8 h, the default limit
        meeting(world.partnership_a, world.coordinator, date(2026, 6, day), people=_cora(world))
    found = signal(world.partnership_a, "meeting_load", ON)
    assert found.level == "ok"
    assert found.summary == "Nobody has more than 8 meeting hours this month or next."
    assert found.suggestion == ""


def test_half_an_hour_more_warns_with_hours_month_and_the_suggestion(world):
    setup(world)
    for day in (2, 9, 16, 23):
        meeting(world.partnership_a, world.coordinator, date(2026, 6, day), people=_cora(world))
    meeting(world.partnership_a, world.coordinator, date(2026, 6, 30), hours=0.5, people=_cora(world))
    found = signal(world.partnership_a, "meeting_load", ON)
    assert found.level == "warning"
    assert texts(found) == ["Cora Coordinator: 8.5 h in June 2026"]
    assert found.suggestion == "Replace a plenary with a thematic discussion or a joint training."
    # 30 days earlier the months looked at were May and June: June was already too full.
    assert (found.now_value, found.before_value, found.trend) == (1, 1, "same")


def test_next_month_counts_and_the_trend_is_worse(world):
    setup(world)
    meeting(world.partnership_a, world.coordinator, date(2026, 7, 7), hours=9, people=_cora(world))
    found = signal(world.partnership_a, "meeting_load", ON)
    assert texts(found) == ["Cora Coordinator: 9 h in July 2026"]
    assert (found.now_value, found.before_value, found.trend) == (1, 0, "worse")


def test_the_limit_comes_from_the_meeting_settings(world):
    setup(world)
    MeetingsSettings.objects.create(partnership=world.partnership_a, monthly_hours_limit=Decimal("12"))
    meeting(world.partnership_a, world.coordinator, date(2026, 6, 7), hours=9)
    assert signal(world.partnership_a, "meeting_load", ON).level == "ok"


def test_declined_and_cancelled_meetings_do_not_count_and_trend_gets_better(world):
    setup(world)
    declined = meeting(world.partnership_a, world.coordinator, date(2026, 6, 7), hours=9)
    Participant.objects.filter(meeting=declined).update(response=Response.DECLINED)
    meeting(world.partnership_a, world.coordinator, date(2026, 6, 8), hours=9, status=Status.CANCELLED)
    meeting(world.partnership_a, world.coordinator, date(2026, 5, 8), hours=9)  # May: counted 30 days ago
    found = signal(world.partnership_a, "meeting_load", ON)
    assert found.level == "ok"
    assert (found.now_value, found.before_value, found.trend) == (0, 3, "better")


def test_every_person_over_the_limit_is_named(world):
    setup(world)
    meeting(world.partnership_a, world.coordinator, date(2026, 6, 7), hours=9)
    found = signal(world.partnership_a, "meeting_load", ON)
    assert found.summary == "3 people have more than 8 meeting hours in a month."
    assert sorted(texts(found)) == [
        "Cora Coordinator: 9 h in June 2026",
        "Mats Member: 9 h in June 2026",
        "Vera Viewer: 9 h in June 2026",
    ]
