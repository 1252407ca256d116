"""agreements: an agreement in force whose review or expiry date is within the notice period warns;
an expired one is danger (``agreements.selectors.reminders_due``)."""

from datetime import date, timedelta

from safepact.agreements.models import Agreement, Formality, Kind, Status
from safepact.continuity.tests.signals_support import setup, signal, texts

ON = date(2026, 6, 15)


def _agreement(world, **dates):
    return Agreement.objects.create(
        partnership=world.partnership_a,
        kind=Kind.values[0],
        formality=Formality.values[0],
        language="en",
        title="Covenant Sofielund",
        status=Status.IN_FORCE,
        final_sha256="0" * 64,
        created_by=world.coordinator,
        **dates,
    )


def test_review_beyond_the_notice_is_fine(world):
    setup(world)
    _agreement(world, review_date=ON + timedelta(days=31))  # review notice: 30 days
    found = signal(world.partnership_a, "agreements", ON)
    assert (found.level, found.evidence) == ("ok", [])


def test_review_within_the_notice_warns(world):
    setup(world)
    _agreement(world, review_date=ON + timedelta(days=30))
    found = signal(world.partnership_a, "agreements", ON)
    assert found.level == "warning"
    assert texts(found) == ["Covenant Sofielund: review due on July 15, 2026"]
    assert found.evidence[0].url.startswith("/")
    assert (found.now_value, found.before_value, found.trend) == (1, 0, "worse")


def test_expiry_within_the_notice_warns(world):
    setup(world)
    _agreement(world, expiry_date=ON + timedelta(days=60))
    assert texts(signal(world.partnership_a, "agreements", ON)) == [
        "Covenant Sofielund: expires on Aug. 14, 2026"
    ]


def test_expired_is_danger(world):
    setup(world)
    _agreement(world, expiry_date=ON - timedelta(days=1))
    found = signal(world.partnership_a, "agreements", ON)
    assert found.level == "danger"
    assert texts(found) == ["Covenant Sofielund: expired on June 14, 2026"]
    assert found.trend == "worse"  # a warning 30 days earlier
