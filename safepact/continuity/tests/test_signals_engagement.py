"""engagement: a partner (joined long enough ago) whose last participation is older than
``disengagement_days`` warns; half of the partners or more is danger."""

from datetime import date

import pytest

from safepact.continuity.models import ActivityStatus
from safepact.continuity.tests.signals_support import (
    action_item,
    activity,
    at,
    meeting,
    report,
    setup,
    signal,
    texts,
    thresholds,
)
from safepact.meetings.models import ActionStatus, Status
from safepact.partnerships.models import Partner

ON = date(2026, 6, 15)


@pytest.fixture
def parts(world):
    p = setup(world)
    # Police and city took part regularly; the property owners decide each test.
    meeting(
        world.partnership_a,
        world.coordinator,
        date(2026, 4, 1),
        status=Status.HELD,
        attended=[p.police, p.city],
    )
    meeting(
        world.partnership_a,
        world.coordinator,
        date(2026, 6, 1),
        status=Status.HELD,
        attended=[p.police, p.city],
    )
    return p


def test_exactly_the_threshold_is_still_engaged(world, parts):
    meeting(
        world.partnership_a, world.coordinator, date(2026, 3, 17), status=Status.HELD, attended=[parts.shop]
    )
    found = signal(world.partnership_a, "engagement", ON)  # 2026-03-17 is 90 days before 2026-06-15
    assert found.level == "ok"
    assert found.evidence == []
    assert found.summary == "Every partner took part in the last 90 days."


def test_one_day_more_warns_with_the_date_and_a_worse_trend(world, parts):
    meeting(
        world.partnership_a, world.coordinator, date(2026, 3, 16), status=Status.HELD, attended=[parts.shop]
    )
    found = signal(world.partnership_a, "engagement", ON)
    assert found.level == "warning"  # one of three partners
    assert texts(found) == ["Sofielund Fastighetsägare: last took part on March 16, 2026"]
    assert (found.now_value, found.before_value) == (1, 0)
    assert found.trend == "worse"
    assert found.suggestion


def test_half_of_the_partners_or_more_is_danger(world, parts):
    setup(world)
    found = signal(world.partnership_a, "engagement", date(2026, 9, 15))  # June 1 is 106 days ago
    assert found.level == "danger"
    assert texts(found) == [
        "Malmö stad: last took part on June 1, 2026",
        "Polisen Malmö: last took part on June 1, 2026",
        "Sofielund Fastighetsägare: never took part",
    ]


def test_the_threshold_comes_from_the_settings(world, parts):
    thresholds(world.partnership_a, disengagement_days=14)  # June 1 is 14 days before: still fine
    found = signal(world.partnership_a, "engagement", ON)
    assert (found.level, texts(found)) == ("warning", ["Sofielund Fastighetsägare: never took part"])
    thresholds(world.partnership_a, disengagement_days=13)
    found = signal(world.partnership_a, "engagement", ON)
    assert found.level == "danger"
    assert found.summary == "3 partners have not taken part for more than 13 days."


def test_a_partner_that_joined_recently_is_not_judged(world, parts):
    Partner.objects.filter(pk=parts.shop.pk).update(joined_at=at(date(2026, 4, 1)))
    assert signal(world.partnership_a, "engagement", ON).level == "ok"
    Partner.objects.filter(pk=parts.shop.pk).update(joined_at=at(date(2026, 3, 16)))
    assert signal(world.partnership_a, "engagement", ON).level == "warning"


@pytest.mark.parametrize("how", ["section", "action", "activity"])
def test_other_ways_of_taking_part_count(world, parts, how):
    if how == "section":
        report(
            world.partnership_a,
            parts.all(),
            start=date(2026, 1, 1),
            end=date(2026, 3, 31),
            due=date(2026, 4, 14),
            submitted=[parts.shop],
            submitted_on=date(2026, 4, 10),
        )
    elif how == "action":
        old = meeting(world.partnership_a, world.coordinator, date(2026, 1, 10), status=Status.HELD)
        action_item(
            old,
            world.coordinator,
            parts.shop,
            due=date(2026, 5, 1),
            status=ActionStatus.DONE,
            done_at=at(date(2026, 4, 20)),
        )
    else:
        activity(
            world.partnership_a,
            world.coordinator,
            parts.shop,
            start=date(2026, 1, 1),
            due=date(2026, 5, 1),
            status=ActivityStatus.DONE,
            done_at=at(date(2026, 4, 20)),
        )
    found = signal(world.partnership_a, "engagement", ON)
    assert found.level == "ok", texts(found)


def test_trend_better_when_a_drifting_partner_came_back(world, parts):
    meeting(
        world.partnership_a, world.coordinator, date(2026, 6, 10), status=Status.HELD, attended=[parts.shop]
    )
    found = signal(world.partnership_a, "engagement", ON)
    assert found.level == "ok"
    # 30 days earlier (May 16) the shop had never taken part.
    assert (found.now_value, found.before_value, found.trend) == (0, 1, "better")


def test_absence_is_not_participation(world, parts):
    meeting(world.partnership_a, world.coordinator, date(2026, 6, 5), status=Status.HELD, attended=[])
    found = signal(world.partnership_a, "engagement", ON)
    assert texts(found) == ["Sofielund Fastighetsägare: never took part"]
