"""Correctness review (R2): the funding chain, the 30-day trend windows, action items of a partner that is
later suspended, deleting an activity others depend on, month ends in report periods, sign-off racing a
section save, long dependency chains, and signals of a partnership with no partners or meetings."""

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from django.core.exceptions import ValidationError

from safepact.continuity import services
from safepact.continuity.models import (
    Activity,
    Frequency,
    ProgressReport,
    ReportSchedule,
    ResourceKind,
)
from safepact.continuity.selectors import resources
from safepact.continuity.signals import signals_for
from safepact.continuity.tests.signals_support import (
    action_item,
    activity,
    actual,
    commitment,
    meeting,
    setup,
    signal,
    texts,
)
from safepact.lib import clock
from safepact.meetings.models import Status
from safepact.partnerships.models import Membership, Partnership, PartnerStatus

ON = date(2026, 6, 15)


# Funding runway: the chain's last link may start after today -------------------------------------------


def test_funding_that_ends_soon_warns_even_when_it_has_not_started_yet(world):
    """A grant until June 30 is followed by a bridge grant for July only: the money runs out on July 31
    (46 days), with nothing after it. The bridge grant starts after today, but it is what ends."""
    p = setup(world)
    for starts_on, ends_on, source in (
        (date(2026, 1, 1), date(2026, 6, 30), "Municipal safety fund"),
        (date(2026, 7, 1), date(2026, 7, 31), "Bridge grant"),
    ):
        commitment(
            world.partnership_a,
            p.city,
            world.coordinator,
            kind=ResourceKind.FUNDING,
            amount=1000,
            starts_on=starts_on,
            ends_on=ends_on,
            source=source,
        )
    found = signal(world.partnership_a, "funding_runway", ON)
    assert found.summary == "Funded until July 31, 2026 (46 days)."
    assert found.level == "warning"
    assert texts(found) == ["Bridge grant (Malmö stad) ends on July 31, 2026, nothing replaces it"]
    page = resources(user=world.coordinator, partnership=world.partnership_a, on=ON)
    assert [f.source for f in page.funding_ending] == ["Bridge grant"]


# The trend compares with the months of 30 days earlier -------------------------------------------------


def _cora(world):
    return Membership.objects.filter(user=world.coordinator, partner__partnership=world.partnership_a)


def test_meeting_load_trend_on_the_31st_looks_at_the_months_of_30_days_earlier(world):
    """On March 31, 30 days earlier is March 1: then as now the rule looks at March and April. A full
    February is in neither."""
    setup(world)
    meeting(world.partnership_a, world.coordinator, date(2026, 2, 10), hours=9, people=_cora(world))
    found = signal(world.partnership_a, "meeting_load", date(2026, 3, 31))
    assert (found.level, found.now_value, found.before_value, found.trend) == ("ok", 0, 0, "same")


def test_meeting_load_trend_on_march_first_looks_at_january_and_february(world):
    """On March 1, 30 days earlier is January 30: the rule then looked at January and February."""
    setup(world)
    meeting(world.partnership_a, world.coordinator, date(2026, 1, 12), hours=9, people=_cora(world))
    found = signal(world.partnership_a, "meeting_load", date(2026, 3, 1))
    assert (found.level, found.now_value, found.before_value, found.trend) == ("ok", 0, 1, "better")


def test_underspend_trend_window_follows_the_month_of_30_days_earlier(world):
    """On March 31 the window is December to February, and 30 days earlier (March 1) it was the same
    three months: the same facts cannot give a different verdict."""
    p = setup(world)
    hours = commitment(
        world.partnership_a,
        p.city,
        world.coordinator,
        kind=ResourceKind.HOURS,
        amount=10,
        starts_on=date(2025, 1, 1),
    )
    for month in (date(2025, 11, 1), date(2025, 12, 1)):
        actual(hours, month, 10, world.coordinator)
    # November and December fully used, then nothing: 10 of 30 hours in December to February.
    found = signal(world.partnership_a, "underspend", date(2026, 3, 31))
    assert found.level == "warning"
    assert (found.now_value, found.before_value, found.trend) == (1, 1, "same")


# Action items of a partner that is later suspended ------------------------------------------------------


def test_overdue_action_of_a_suspended_partner_counts_the_same_now_and_30_days_ago(world):
    p = setup(world)
    held = meeting(world.partnership_a, world.coordinator, date(2026, 3, 2), status=Status.HELD)
    action_item(held, world.coordinator, p.shop, due=date(2026, 4, 1), title="Fix the fence")
    p.shop.status = PartnerStatus.SUSPENDED
    p.shop.save(update_fields=["status"])
    found = signal(world.partnership_a, "overdue_actions", ON)
    assert found.now_value == 1  # still open in the plan: a coordinator has to cancel or reassign it
    assert (found.before_value, found.trend) == (1, "same")


# Deleting an activity others depend on ------------------------------------------------------------------


def test_deleting_an_activity_records_the_dependencies_it_removes(world):
    p = setup(world)
    first = services.activity_create(
        actor=world.coordinator,
        partnership=world.partnership_a,
        title="Survey",
        owner_partner=p.city,
        start_date=date(2026, 4, 1),
        due_date=date(2026, 5, 1),
    )
    second = services.activity_create(
        actor=world.coordinator,
        partnership=world.partnership_a,
        title="Lighting",
        owner_partner=p.city,
        start_date=date(2026, 5, 2),
        due_date=date(2026, 6, 1),
        depends_on=[first],
    )
    services.activity_delete(actor=world.coordinator, activity=first)
    assert list(second.depends_on.all()) == []
    from safepact.audit.models import AuditEvent

    event = AuditEvent.objects.get(action="continuity.activity.deleted")
    assert event.before["dependents"] == [str(second.code)]


def test_cycle_detection_walks_a_long_chain(world):
    p = setup(world)
    chain = [
        activity(world.partnership_a, world.coordinator, p.city, start=ON, due=ON, title=f"Step {n}")
        for n in range(400)
    ]
    through = Activity.depends_on.through
    through.objects.bulk_create(
        through(from_activity_id=later.pk, to_activity_id=earlier.pk) for earlier, later in pairwise(chain)
    )
    with pytest.raises(ValidationError) as caught:
        services.activity_update(actor=world.coordinator, activity=chain[0], depends_on=[chain[-1]])
    assert "depends_on" in caught.value.message_dict


# Report periods at month ends ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "expected"),
    [
        (
            Frequency.MONTHLY,
            [
                (date(2026, 1, 31), date(2026, 2, 27)),
                (date(2026, 2, 28), date(2026, 3, 30)),
                (date(2026, 3, 31), date(2026, 4, 29)),
            ],
        ),
        (
            Frequency.QUARTERLY,
            [(date(2025, 11, 30), date(2026, 2, 27)), (date(2026, 2, 28), date(2026, 5, 29))],
        ),
    ],
)
def test_periods_from_a_month_end_follow_on_without_gaps(world, frequency, expected):
    start = expected[0][0]
    schedule = ReportSchedule(partnership=world.partnership_a, frequency=frequency, starts_on=start)
    found = list(services.periods(schedule, until=expected[-1][1] + timedelta(days=1)))
    assert found == expected


# Sign-off against a section save ------------------------------------------------------------------------


def test_a_section_saved_after_sign_off_is_refused(world):
    report = services.report_open(
        partnership=world.partnership_a,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
        due_date=date(2026, 4, 14),
    )
    section = report.sections.get(partner__memberships__user=world.member)
    stale = ProgressReport.objects.get(pk=report.pk)  # what the section page loaded before sign-off
    services.report_sign_off(actor=world.coordinator, report=report, summary="Done.")
    section.report = stale
    with pytest.raises(ValidationError) as caught:
        services.section_save(actor=world.member, section=section, outputs="Late text")
    assert "status" in caught.value.message_dict
    section.refresh_from_db()
    assert section.outputs == ""


# Signals of a partnership without partners, meetings or anything ---------------------------------------


@pytest.mark.django_db
def test_signals_of_an_empty_partnership_do_not_break():
    empty = Partnership.objects.create(name="Empty", purpose="Nothing yet.")
    with clock.frozen(clock.now()):
        found = signals_for([empty.pk], on=ON)[empty.pk]
    levels = {s.key: s.level for s in found}
    assert levels["engagement"] == "ok"
    assert levels["meeting_rhythm"] == "danger"
    assert all(s.trend in ("better", "worse", "same") for s in found)


def test_funding_trend_30_days_ago_ignores_funding_recorded_since(world):
    """A grant recorded today extends the runway; 30 days ago the runway was the old grant's alone."""
    p = setup(world)
    commitment(
        world.partnership_a,
        p.city,
        world.coordinator,
        kind=ResourceKind.FUNDING,
        amount=1000,
        starts_on=date(2026, 1, 1),
        ends_on=ON + timedelta(days=40),
        source="Municipal safety fund",
    )
    commitment(
        world.partnership_a,
        p.city,
        world.coordinator,
        kind=ResourceKind.FUNDING,
        amount=1000,
        starts_on=ON + timedelta(days=41),
        ends_on=ON + timedelta(days=400),
        source="Follow-up grant",
        created=datetime(2026, 6, 15, 9, tzinfo=UTC),
    )
    found = signal(world.partnership_a, "funding_runway", ON)
    assert (found.level, found.now_value) == ("ok", 400)
    assert (found.before_value, found.trend) == (70, "better")
