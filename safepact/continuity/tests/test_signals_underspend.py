"""underspend: hours commitments active for the last three full months whose recorded hours fall below
``underspend_percent`` of the hours committed warn, per partner."""

from datetime import date

from safepact.continuity.models import ResourceKind
from safepact.continuity.tests.signals_support import actual, at, commitment, setup, signal, texts, thresholds

ON = date(2026, 6, 15)  # the last three full months: March, April, May


def _hours(world, partner, *, starts_on=date(2026, 1, 1), created=None, amount=16):
    return commitment(
        world.partnership_a,
        partner,
        world.coordinator,
        kind=ResourceKind.HOURS,
        amount=amount,
        starts_on=starts_on,
        created=created,
    )


def test_exactly_half_is_fine(world):
    p = setup(world)
    c = _hours(world, p.city)
    for month, hours in ((3, 8), (4, 8), (5, 8)):
        actual(c, date(2026, month, 1), hours, world.member)
    found = signal(world.partnership_a, "underspend", ON)
    assert found.level == "ok"


def test_below_half_warns_per_partner(world):
    p = setup(world)
    c = _hours(world, p.city)
    for month, hours in ((3, 8), (4, 8), (5, 7.5)):
        actual(c, date(2026, month, 1), hours, world.member)
    found = signal(world.partnership_a, "underspend", ON)
    assert found.level == "warning"
    assert texts(found) == ["Malmö stad: 23.5 of 48 committed hours in the last three months"]
    # 30 days earlier the window was February to April: 16 hours recorded of 48.
    assert (found.now_value, found.before_value, found.trend) == (1, 1, "same")


def test_no_actuals_count_as_nothing_only_for_an_old_commitment(world):
    p = setup(world)
    _hours(world, p.city, created=at(date(2026, 3, 16)))  # recorded less than three months ago
    assert signal(world.partnership_a, "underspend", ON).level == "ok"
    _hours(world, p.shop, created=at(date(2026, 3, 14)))
    found = signal(world.partnership_a, "underspend", ON)
    assert texts(found) == ["Sofielund Fastighetsägare: 0 of 48 committed hours in the last three months"]


def test_a_commitment_not_active_for_the_whole_window_is_not_judged(world):
    p = setup(world)
    _hours(world, p.city, starts_on=date(2026, 3, 2))
    assert signal(world.partnership_a, "underspend", ON).level == "ok"


def test_percent_from_settings_and_trend_better(world):
    p = setup(world)
    thresholds(world.partnership_a, underspend_percent=25)
    c = _hours(world, p.city)
    for month, hours in ((3, 4), (4, 4), (5, 4)):  # 12 of 48 = 25 %: fine
        actual(c, date(2026, month, 1), hours, world.member)
    found = signal(world.partnership_a, "underspend", ON)
    assert found.level == "ok"
    # February to April (30 days earlier): 8 of 48, below 25 %.
    assert (found.before_value, found.trend) == (1, "better")
    assert found.summary == "Time spent keeps up with the time committed."
