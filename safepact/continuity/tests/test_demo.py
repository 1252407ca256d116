"""The continuity part of ``manage.py demo`` (``safepact/continuity/demo.py``): Sofielund's action plan,
a year of quarterly reports, resources with a grant about to end and a partner drifting away (flagged by
the signals); De Hurk's lighter Dutch year; idempotent."""

from io import StringIO

import pytest
from django.core.management import call_command

from safepact.accounts.models import User
from safepact.audit.models import AuditEvent
from safepact.continuity.demo import continuity_demo
from safepact.continuity.models import (
    Activity,
    ActivityStatus,
    Actual,
    Commitment,
    ProgressReport,
    ReportReminder,
    ReportSchedule,
    ReportSection,
    ReportStatus,
    ResourceKind,
)
from safepact.continuity.signals import signals_for
from safepact.lib import clock
from safepact.meetings.models import ActionItem, Meeting, Minutes, Participant
from safepact.notifications.models import Notification
from safepact.partnerships import hooks
from safepact.partnerships.management.commands.demo import PARTNERSHIPS, PEOPLE
from safepact.partnerships.models import Membership, Partnership, Role

HOUSING = "Sofielunds Bostäder AB"
MODELS = [
    Meeting,
    Participant,
    Minutes,
    ActionItem,
    Activity,
    ReportSchedule,
    ProgressReport,
    ReportSection,
    ReportReminder,
    Commitment,
    Actual,
    Notification,
    AuditEvent,
]


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


def state() -> list:
    return [
        *(model.objects.count() for model in MODELS),
        *Participant.objects.values_list("response", "attendance").order_by("pk"),
        *ActionItem.objects.values_list("status", "done_at").order_by("pk"),
        *Activity.objects.values_list("status", "done_at").order_by("pk"),
        *ReportSection.objects.values_list("submitted_at", "hours_used").order_by("pk"),
        *ProgressReport.objects.values_list("status", "signed_off_at").order_by("pk"),
        *Actual.objects.values_list("month", "amount").order_by("pk"),
        *Membership.objects.values_list("role", "status").order_by("pk"),
    ]


def test_continuity_registers_its_part_of_the_demo():
    assert continuity_demo in hooks.demo_extensions()


@pytest.mark.django_db
def test_the_demo_has_a_year_of_continuity_and_the_signals_see_the_story(fast_passwords):
    run_demo()
    today = clock.today()
    sofielund, dehurk = partnership("sofielund"), partnership("dehurk")
    housing = sofielund.partners.get(organisation__name=HOUSING)

    # Quarterly reports: three signed off by Karin, the latest collecting without the housing company.
    reports = list(ProgressReport.objects.filter(partnership=sofielund).order_by("period_start"))
    assert [r.status for r in reports] == [ReportStatus.SIGNED_OFF] * 3 + [ReportStatus.COLLECTING]
    assert {r.signed_off_by for r in reports[:3]} == {person("karin")}
    assert all(r.summary for r in reports[:3])
    missing = [
        set(
            r.sections.filter(submitted_at__isnull=True).values_list("partner__organisation__name", flat=True)
        )
        for r in reports
    ]
    assert missing == [set(), set(), {HOUSING}, {HOUSING}]
    assert reports[-1].period_end < today
    assert ReportReminder.objects.filter(report=reports[-1], partner=housing).exists()
    assert ReportReminder.objects.filter(report=reports[-1]).exclude(partner=housing).exists()  # answered

    # The action plan: linked to the objectives, with dependencies and one activity overdue.
    activities = Activity.objects.filter(partnership=sofielund)
    assert activities.count() >= 6
    assert activities.filter(objective__isnull=True).count() == 0
    assert activities.filter(depends_on__isnull=False).distinct().count() >= 2
    overdue = activities.exclude(status__in=[ActivityStatus.DONE, ActivityStatus.CANCELLED]).filter(
        due_date__lt=today
    )
    assert [a.owner_partner_id for a in overdue] == [housing.pk]
    assert activities.filter(status=ActivityStatus.DONE, done_at__isnull=False).count() >= 3

    # Resources: a year of monthly figures; the grant ends in about 45 days.
    grant = Commitment.objects.get(partnership=sofielund, kind=ResourceKind.FUNDING, source__contains="grant")
    assert 40 <= (grant.ends_on - today).days <= 50 and grant.amount == 250000
    city_hours = Commitment.objects.get(partnership=sofielund, kind=ResourceKind.HOURS, amount=60)
    assert city_hours.actuals.count() >= 11

    # The drifting partner ends up reading only.
    assert Membership.objects.get(partner=housing, user=person("emma")).role == Role.VIEWER

    # The signals see the story: the housing company disengaged and under-spending, the grant ending.
    signals = {s.key: s for s in signals_for([sofielund.pk, dehurk.pk], on=today)[sofielund.pk]}
    assert signals["engagement"].level != "ok"
    assert any(HOUSING in e.text for e in signals["engagement"].evidence)
    assert signals["funding_runway"].level == "warning"
    assert any("Trygg och säker stad" in e.text for e in signals["funding_runway"].evidence)
    assert signals["underspend"].level != "ok"
    assert any(HOUSING in e.text for e in signals["underspend"].evidence)
    assert signals["overdue_actions"].level == "warning"
    assert signals["meeting_rhythm"].level == "ok"

    # De Hurk: a half-yearly schedule, its first report signed off; its subsidy runs into next year.
    assert ReportSchedule.objects.get(partnership=dehurk).frequency == "half_yearly"
    assert ProgressReport.objects.get(partnership=dehurk).status == ReportStatus.SIGNED_OFF
    subsidy = Commitment.objects.get(partnership=dehurk, kind=ResourceKind.FUNDING)
    assert subsidy.ends_on.year == today.year + 1
    assert Activity.objects.filter(partnership=dehurk, title__startswith="Camera's").exists()
    dehurk_signals = {s.key: s for s in signals_for([dehurk.pk], on=today)[dehurk.pk]}
    assert dehurk_signals["funding_runway"].level == "ok"


@pytest.mark.django_db
def test_running_the_demo_twice_changes_nothing(fast_passwords):
    run_demo()
    before = state()

    assert "already loaded: nothing changed" in run_demo()
    assert state() == before
