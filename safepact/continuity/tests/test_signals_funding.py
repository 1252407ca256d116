"""funding_runway: funding ending within ``runway_warning_days`` with nothing to replace it warns;
within 30 days is danger; no funding at all is only said. The runway follows the chain of funding."""

from datetime import date, timedelta

from safepact.continuity.models import ResourceKind
from safepact.continuity.tests.signals_support import commitment, setup, signal, texts, thresholds

ON = date(2026, 6, 15)


def _fund(
    world, partner, ends_on, *, starts_on=date(2026, 1, 1), source="Municipal safety fund", created=None
):
    return commitment(
        world.partnership_a,
        partner,
        world.coordinator,
        kind=ResourceKind.FUNDING,
        amount=50000,
        starts_on=starts_on,
        ends_on=ends_on,
        source=source,
        created=created,
    )


def test_no_funding_is_only_said(world):
    setup(world)
    found = signal(world.partnership_a, "funding_runway", ON)
    assert (found.level, found.summary, found.now_value) == ("ok", "No funding is recorded for today.", None)


def test_ending_just_beyond_the_warning_window_is_fine(world):
    p = setup(world)
    _fund(world, p.city, ON + timedelta(days=91))
    found = signal(world.partnership_a, "funding_runway", ON)
    assert found.level == "ok"
    assert found.summary == "Funded until Sept. 14, 2026 (91 days)."


def test_ending_within_the_window_warns(world):
    p = setup(world)
    _fund(world, p.city, ON + timedelta(days=90))
    found = signal(world.partnership_a, "funding_runway", ON)
    assert found.level == "warning"
    assert texts(found) == ["Municipal safety fund (Malmö stad) ends on Sept. 13, 2026, nothing replaces it"]
    assert found.now_value == 90
    assert found.trend == "worse"  # 30 days earlier it ended 120 days later: fine then
    assert found.suggestion


def test_thirty_days_is_danger_thirty_one_warning(world):
    p = setup(world)
    fund = _fund(world, p.city, ON + timedelta(days=31))
    assert signal(world.partnership_a, "funding_runway", ON).level == "warning"
    fund.ends_on = ON + timedelta(days=30)
    fund.save()
    assert signal(world.partnership_a, "funding_runway", ON).level == "danger"


def test_a_follow_up_starting_the_day_after_replaces_it_and_extends_the_runway(world):
    p = setup(world)
    _fund(world, p.city, date(2026, 7, 31))
    _fund(world, p.police, date(2027, 3, 31), starts_on=date(2026, 8, 1), source="EU ISF")
    found = signal(world.partnership_a, "funding_runway", ON)
    assert found.level == "ok"
    assert found.summary == "Funded until March 31, 2027 (289 days)."


def test_a_gap_of_one_day_is_not_a_replacement(world):
    p = setup(world)
    _fund(world, p.city, date(2026, 7, 31))
    _fund(world, p.police, date(2027, 3, 31), starts_on=date(2026, 8, 2), source="EU ISF")
    found = signal(world.partnership_a, "funding_runway", ON)
    assert found.level == "warning"
    assert found.now_value == 46  # the chain stops on July 31


def test_the_window_comes_from_the_settings_and_open_ended_is_fine(world):
    p = setup(world)
    thresholds(world.partnership_a, runway_warning_days=200)
    _fund(world, p.city, ON + timedelta(days=150))
    assert signal(world.partnership_a, "funding_runway", ON).level == "warning"
    _fund(world, p.police, None, starts_on=ON)
    found = signal(world.partnership_a, "funding_runway", ON)
    assert (found.level, found.summary) == ("ok", "Funded without an end date.")
    assert found.trend == "better"  # 30 days earlier nothing replaced it
