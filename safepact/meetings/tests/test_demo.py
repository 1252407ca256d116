"""The meetings part of ``manage.py demo`` (``safepact/meetings/demo.py``): a year of meetings in Sofielund
with a partner drifting away, a lighter Dutch year in De Hurk; idempotent."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from safepact.accounts.models import User
from safepact.lib import clock
from safepact.lib.tlp import TLP
from safepact.meetings.demo import DRIFT_DAYS, meetings_demo
from safepact.meetings.models import (
    ATTENDED,
    ActionItem,
    ActionStatus,
    Attendance,
    Kind,
    Meeting,
    Minutes,
    Participant,
    Status,
)
from safepact.meetings.selectors import minutes_for
from safepact.partnerships import hooks
from safepact.partnerships.management.commands.demo import PARTNERSHIPS, PEOPLE
from safepact.partnerships.models import Partnership


@pytest.fixture
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def partnership(key: str) -> Partnership:
    return Partnership.objects.get(name=PARTNERSHIPS[key]["name"])


def person(key: str) -> User:
    return User.objects.get(email=PEOPLE[key][0])


def test_meetings_register_their_part_of_the_demo():
    assert meetings_demo in hooks.demo_extensions()


@pytest.mark.django_db
def test_the_demo_has_a_year_of_meetings(fast_passwords):
    run_demo()
    today = clock.today()
    year_ago = clock.now() - timedelta(days=365)

    # Sofielund: at least twelve meetings held in the past year, of five kinds, attendance recorded.
    sofielund = partnership("sofielund")
    held = Meeting.objects.filter(partnership=sofielund, status=Status.HELD, starts_at__gte=year_ago)
    assert held.count() >= 12
    assert set(held.values_list("kind", flat=True)) >= {
        Kind.PLENARY,
        Kind.THEMATIC,
        Kind.TRAINING,
        Kind.WALKTHROUGH,
    }
    assert not Participant.objects.filter(
        meeting__partnership=sofielund, meeting__status=Status.HELD, attendance=Attendance.UNKNOWN
    ).exists()
    ways = set(Participant.objects.filter(meeting__in=held).values_list("attendance", flat=True))
    assert ways == {Attendance.IN_PERSON, Attendance.ONLINE, Attendance.ABSENT}
    assert not Meeting.objects.filter(
        partnership=sofielund, status=Status.SCHEDULED, starts_at__lt=clock.now()
    ).exists()

    # Twelve monthly plenaries on the second Thursday at 15:00, GREEN minutes and a decision for each.
    plenaries = held.filter(kind=Kind.PLENARY)
    assert plenaries.count() == 12
    for meeting in plenaries:
        local = timezone.localtime(meeting.starts_at)
        assert (local.weekday(), local.hour, 8 <= local.day <= 14) == (3, 15, True), meeting.title
        assert meeting.minutes.tlp == TLP.GREEN
        assert meeting.decisions.count() == 1

    # The next three plenaries: one monthly series, all on the second Thursday.
    ahead = Meeting.objects.filter(partnership=sofielund, starts_at__gt=clock.now()).order_by("starts_at")
    assert ahead.count() == 3 and len({m.series_id for m in ahead}) == 1 and ahead[0].series_id
    for meeting in ahead:
        local = timezone.localtime(meeting.starts_at)
        assert (local.weekday(), local.hour, 8 <= local.day <= 14) == (3, 15, True)

    # The police briefing's minutes are TLP:AMBER for the police and the city only.
    amber = Minutes.objects.get(partnership=sofielund, tlp=TLP.AMBER)
    assert set(amber.recipient_organisations.values_list("name", flat=True)) == {
        "Polisen Region Syd",
        "Malmö stad",
    }
    assert minutes_for(user=person("karin"), meeting=amber.meeting) == amber
    assert minutes_for(user=person("johan"), meeting=amber.meeting) is None

    # The housing company drifts away: Emma came in the first months, not in the last four.
    emma = Participant.objects.filter(meeting__partnership=sofielund, user=person("emma"))
    drift = clock.now() - timedelta(days=DRIFT_DAYS)
    assert emma.filter(meeting__starts_at__lt=drift, attendance__in=ATTENDED).count() >= 4
    assert emma.filter(meeting__starts_at__gte=drift, meeting__status=Status.HELD).exists()
    assert not emma.filter(meeting__starts_at__gte=drift, attendance__in=ATTENDED).exists()

    # Action items: most done, two open, one of them (the housing company's) overdue.
    items = ActionItem.objects.filter(partnership=sofielund)
    assert items.filter(status=ActionStatus.DONE).count() >= 6
    assert not items.filter(status=ActionStatus.DONE, done_at__isnull=True).exists()
    open_items = items.filter(status=ActionStatus.OPEN)
    assert open_items.count() == 2
    overdue = open_items.get(due_date__lt=today)
    assert overdue.owner_partner.organisation.name == "Sofielunds Bostäder AB"

    # De Hurk, in Dutch: quarterly plenaries, two site walk-throughs, the next plenary planned.
    dehurk = Meeting.objects.filter(partnership=partnership("dehurk"))
    assert dehurk.filter(title="Overleg Veilig Ondernemen", status=Status.HELD).count() == 3
    assert dehurk.filter(title="Overleg Veilig Ondernemen", starts_at__gt=clock.now()).count() == 1
    assert dehurk.filter(kind=Kind.WALKTHROUGH, title__startswith="Schouw", status=Status.HELD).count() == 2
    assert all(m.minutes.text for m in dehurk.filter(status=Status.HELD))
    assert ActionItem.objects.filter(
        partnership=partnership("dehurk"), title__contains="leegstaande"
    ).exists()
