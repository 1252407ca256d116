"""Helpers for the signal, selector and picture tests: facts written straight into the tables with the
dates each rule reads (the services that normally write them are tested on their own), and a way to read
one signal.

Partnership A of the ``world`` fixture has three active partners: the police (coordinator), the city
(member) and the property owners (viewer). ``setup(world)`` backdates when they joined (to 2025-01-01)
so the engagement rule judges all three.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from safepact.continuity.models import (
    Activity,
    Actual,
    Commitment,
    ContinuitySettings,
    ProgressReport,
    ReportSection,
    ReportStatus,
)
from safepact.continuity.signals import signals_for
from safepact.meetings.models import ActionItem, ActionStatus, Attendance, Meeting, Participant, Status
from safepact.partnerships.models import Membership, Partner

JOINED = datetime(2025, 1, 1, 9, tzinfo=UTC)


@dataclass
class Partners:
    police: Partner
    city: Partner
    shop: Partner

    def all(self):
        return [self.police, self.city, self.shop]


def at(day: date, hour: int = 9) -> datetime:
    """A moment on ``day`` (UTC; 9:00 stays on the same local day in Europe/Brussels)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def setup(world, joined: datetime = JOINED) -> Partners:
    Partner.objects.filter(partnership=world.partnership_a).update(joined_at=joined, created_at=joined)

    def of(user):
        return Membership.objects.get(user=user, partner__partnership=world.partnership_a).partner

    return Partners(police=of(world.coordinator), city=of(world.member), shop=of(world.viewer))


def thresholds(partnership, **fields) -> ContinuitySettings:
    found, _created = ContinuitySettings.objects.update_or_create(partnership=partnership, defaults=fields)
    return found


def meeting(
    partnership,
    creator,
    day: date,
    *,
    hours: float = 2,
    status: str = Status.SCHEDULED,
    kind: str = "plenary",
    attended=(),
    title: str = "Plenary",
    people=None,
    created: datetime | None = None,
) -> Meeting:
    """A meeting on ``day`` at 9:00 (UTC) with every active member invited (or ``people``: memberships);
    the members of the partners in ``attended`` attended in person."""
    starts = at(day)
    found = Meeting.objects.create(
        partnership=partnership,
        kind=kind,
        title=title,
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        status=status,
        created_by=creator,
        created_at=created or starts - timedelta(days=20),
    )
    memberships = (
        people if people is not None else Membership.objects.filter(partner__partnership=partnership)
    )
    attended_ids = {p.pk for p in attended}
    Participant.objects.bulk_create(
        Participant(
            meeting=found,
            user=m.user,
            partner=m.partner,
            attendance=Attendance.IN_PERSON if m.partner_id in attended_ids else Attendance.UNKNOWN,
        )
        for m in memberships
    )
    return found


def activity(
    partnership,
    creator,
    owner,
    *,
    start: date,
    due: date,
    title="Street lighting",
    status="planned",
    done_at=None,
    created=None,
):
    return Activity.objects.create(
        partnership=partnership,
        title=title,
        owner_partner=owner,
        start_date=start,
        due_date=due,
        status=status,
        done_at=done_at,
        created_by=creator,
        created_at=created or at(start),
    )


def action_item(
    meeting_,
    creator,
    owner,
    *,
    due: date,
    title="Send the list",
    status=ActionStatus.OPEN,
    done_at=None,
    created=None,
):
    return ActionItem.objects.create(
        partnership=meeting_.partnership,
        meeting=meeting_,
        title=title,
        owner_partner=owner,
        due_date=due,
        status=status,
        done_at=done_at,
        created_by=creator,
        created_at=created or meeting_.starts_at,
    )


def report(
    partnership,
    partners,
    *,
    start: date,
    end: date,
    due: date,
    submitted=(),
    created=None,
    signed_off_at=None,
    submitted_on=None,
):
    found = ProgressReport.objects.create(
        partnership=partnership,
        period_start=start,
        period_end=end,
        due_date=due,
        created_at=created or at(end + timedelta(days=1)),
        status=ReportStatus.SIGNED_OFF if signed_off_at else ReportStatus.COLLECTING,
        signed_off_at=signed_off_at,
    )
    submitted_ids = {p.pk for p in submitted}
    for partner in partners:
        ReportSection.objects.create(
            report=found,
            partner=partner,
            submitted_at=at(submitted_on or due) if partner.pk in submitted_ids else None,
        )
    return found


def commitment(
    partnership, partner, creator, *, kind, amount, starts_on, ends_on=None, source="", created=None
):
    return Commitment.objects.create(
        partnership=partnership,
        partner=partner,
        kind=kind,
        amount=Decimal(str(amount)),
        starts_on=starts_on,
        ends_on=ends_on,
        source=source,
        created_by=creator,
        created_at=created or at(starts_on),
    )


def actual(commitment_, month: date, amount, reporter):
    return Actual.objects.create(
        commitment=commitment_, month=month.replace(day=1), amount=Decimal(str(amount)), reported_by=reporter
    )


def signal(partnership, key: str, on: date):
    found = signals_for([partnership.pk], on=on)[partnership.pk]
    return next(s for s in found if s.key == key)


def texts(found) -> list[str]:
    return [e.text for e in found.evidence]
