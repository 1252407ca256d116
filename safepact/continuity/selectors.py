"""Reads for continuity: access helpers, the action plan (activities beside the meetings' action items),
progress reports, resources and the funding runway.

Every read starts from what the requesting person may see (``get_partnership_for_user`` /
``partnerships_for``): outsiders get 404, members without the role 403. The continuity signals live in
``signals.py`` (re-exported here: ``signals_for``, ``continuity_overview``, ``dashboard_health``); the
pictures in ``svg.py`` (``gantt_svg``, ``resources_svg``).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from uuid import UUID

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext as _

from safepact.continuity.models import (
    CLOSED_ACTIVITY,
    Activity,
    ActivityStatus,
    Actual,
    Commitment,
    ContinuitySettings,
    ProgressReport,
    ReportSchedule,
    ReportSection,
    ReportStatus,
    ResourceKind,
)
from safepact.lib import clock
from safepact.partnerships.models import Partnership, Role
from safepact.partnerships.selectors import get_partnership_for_user, partnerships_for

OVERDUE_DANGER_DAYS = 30


def _parse(code) -> UUID | None:
    if isinstance(code, UUID):
        return code
    try:
        return UUID(str(code))
    except (TypeError, ValueError):
        return None


@lru_cache(maxsize=8192)
def _reverse(name: str, args: tuple, urlconf: str, prefix: str) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def url_or_blank(name: str, *args) -> str:
    """``reverse`` that gives "" while a page is not (yet) routed, so a signal never breaks a page.
    Remembered per URL configuration and script prefix: the signals of 50 partnerships ask for the same
    few hundred addresses on every dashboard (bench/continuity.py)."""
    return _reverse(name, tuple(str(arg) for arg in args), str(get_urlconf() or ""), get_script_prefix())


def month_start(day: date) -> date:
    return day.replace(day=1)


# Settings ------------------------------------------------------------------------------------------


def settings_for(*, partnership: Partnership) -> ContinuitySettings:
    """The partnership's thresholds (an unsaved default when none were saved)."""
    found = ContinuitySettings.objects.filter(partnership=partnership).first()
    return found or ContinuitySettings(partnership=partnership)


def schedule_for(*, partnership: Partnership) -> ReportSchedule | None:
    return ReportSchedule.objects.filter(partnership=partnership).first()


# Access helpers ------------------------------------------------------------------------------------


def get_activity_for_user(
    user, code, activity_code, *, write: bool = False, manage: bool = False
) -> Activity:
    """404 outsider (and another partnership's activity), 403 without the role. Whether a member may
    change this activity (their own partner's) is the service's check."""
    partnership = get_partnership_for_user(user, code, write=write, manage=manage)
    parsed = _parse(activity_code)
    activity = (
        Activity.objects.filter(partnership=partnership, code=parsed)
        .select_related("owner_partner__organisation", "objective")
        .first()
        if parsed
        else None
    )
    if activity is None:
        raise Http404(_("Activity not found."))
    activity.partnership = partnership  # carries ``partnership.membership``
    return activity


def get_report_for_user(user, code, report_code, *, manage: bool = False) -> ProgressReport:
    partnership = get_partnership_for_user(user, code, manage=manage)
    parsed = _parse(report_code)
    report = (
        ProgressReport.objects.filter(partnership=partnership, code=parsed)
        .select_related("signed_off_by")
        .first()
        if parsed
        else None
    )
    if report is None:
        raise Http404(_("Report not found."))
    report.partnership = partnership
    return report


def get_section_for_user(user, code, report_code, section_code, *, write: bool = False) -> ReportSection:
    """A partner's section. ``write``: only members (write role) through that section's partner, which
    includes a coordinator of that partner but not coordinators of other partners (403)."""
    report = get_report_for_user(user, code, report_code)
    if write:
        report.partnership = get_partnership_for_user(user, code, write=True)
    parsed = _parse(section_code)
    section = (
        report.sections.filter(code=parsed).select_related("partner__organisation", "submitted_by").first()
        if parsed
        else None
    )
    if section is None:
        raise Http404(_("Section not found."))
    if write and report.partnership.membership.partner_id != section.partner_id:
        raise PermissionDenied(_("Only the members of this partner can fill in its section."))
    section.report = report
    return section


def get_commitment_for_user(user, code, commitment_code, *, write: bool = False) -> Commitment:
    """403 for viewers on write, and for members on another partner's commitment."""
    partnership = get_partnership_for_user(user, code, write=write)
    parsed = _parse(commitment_code)
    commitment = (
        Commitment.objects.filter(partnership=partnership, code=parsed)
        .select_related("partner__organisation")
        .first()
        if parsed
        else None
    )
    if commitment is None:
        raise Http404(_("Commitment not found."))
    membership = partnership.membership
    if write and membership.role != Role.COORDINATOR and membership.partner_id != commitment.partner_id:
        raise PermissionDenied(_("Only coordinators can change another partner's commitments."))
    commitment.partnership = partnership
    return commitment


# Action plan ---------------------------------------------------------------------------------------


@dataclass
class PlanRow:
    kind: str  # "activity" | "action"
    code: str
    title: str
    owner: str  # the owner partner's organisation name
    start: date
    due: date
    status: str
    status_label: str
    overdue: bool
    objective: str = ""
    depends_on: list[str] = field(default_factory=list)  # titles
    url: str = ""
    depends_on_codes: list[str] = field(default_factory=list)
    owner_partner_id: int | None = None
    days_overdue: int = 0
    closed: bool = False


@dataclass
class ActionPlan:
    rows: list[PlanRow]
    overdue: int
    on: date | None = None

    @property
    def start(self) -> date | None:
        return min((row.start for row in self.rows), default=None)

    @property
    def end(self) -> date | None:
        return max((row.due for row in self.rows), default=None)


def activity_list(*, user, partnership: Partnership) -> QuerySet[Activity]:
    return (
        Activity.objects.filter(partnership=partnership, partnership__in=partnerships_for(user))
        .select_related("owner_partner__organisation", "objective")
        .prefetch_related(Prefetch("depends_on", queryset=Activity.objects.only("id", "code", "title")))
    )


def action_plan(*, user, partnership: Partnership, on: date | None = None) -> ActionPlan:
    """Activities and the meetings' action items, by start date. A row is overdue when it is still open
    after its due date. Three queries (activities, their dependencies, action items)."""
    from safepact.meetings import selectors as meetings_selectors
    from safepact.meetings.models import ActionStatus

    on = on or clock.today()
    plan_url = url_or_blank("continuity:plan", partnership.code)
    rows: list[PlanRow] = []
    for activity in activity_list(user=user, partnership=partnership):
        closed = activity.status in CLOSED_ACTIVITY
        overdue = not closed and activity.due_date < on
        deps = list(activity.depends_on.all())
        rows.append(
            PlanRow(
                kind="activity",
                code=str(activity.code),
                title=activity.title,
                owner=activity.owner_partner.organisation.name,
                start=activity.start_date,
                due=activity.due_date,
                status=activity.status,
                status_label=str(activity.get_status_display()),
                overdue=overdue,
                objective=activity.objective.title if activity.objective else "",
                depends_on=[d.title for d in deps],
                depends_on_codes=[str(d.code) for d in deps],
                url=f"{plan_url}#activity-{activity.code}" if plan_url else "",
                owner_partner_id=activity.owner_partner_id,
                days_overdue=(on - activity.due_date).days if overdue else 0,
                closed=closed,
            )
        )
    for item in meetings_selectors.action_item_list(user=user, partnership=partnership):
        closed = item.status != ActionStatus.OPEN
        overdue = not closed and item.due_date < on
        started = clock_local_date(item.meeting.starts_at)
        rows.append(
            PlanRow(
                kind="action",
                code=str(item.code),
                title=item.title,
                owner=item.owner_partner.organisation.name,
                start=min(started, item.due_date),
                due=item.due_date,
                status=item.status,
                status_label=str(item.get_status_display()),
                overdue=overdue,
                url=url_or_blank("meetings:detail", partnership.code, item.meeting.code),
                owner_partner_id=item.owner_partner_id,
                days_overdue=(on - item.due_date).days if overdue else 0,
                closed=closed,
            )
        )
    rows.sort(key=lambda r: (r.start, r.due, r.kind, r.title))
    return ActionPlan(rows=rows, overdue=sum(1 for r in rows if r.overdue), on=on)


def clock_local_date(moment) -> date:
    from django.utils import timezone

    return timezone.localdate(moment)


def gantt_svg(plan: ActionPlan, *, on: date | None = None):
    from safepact.continuity.svg import gantt_svg as draw

    return draw(plan, on=on or plan.on or clock.today())


# Progress reports ----------------------------------------------------------------------------------


def report_list(*, user, partnership: Partnership) -> QuerySet[ProgressReport]:
    """Every report of the partnership, newest first, with ``section_total`` and ``section_submitted``."""
    return (
        ProgressReport.objects.filter(partnership=partnership, partnership__in=partnerships_for(user))
        .select_related("signed_off_by")
        .annotate(
            section_total=Count("sections", distinct=True),
            section_submitted=Count(
                "sections", filter=Q(sections__submitted_at__isnull=False), distinct=True
            ),
        )
        .order_by("-period_start", "-id")
    )


def section_list(report: ProgressReport) -> list[ReportSection]:
    return list(
        report.sections.select_related("partner__organisation", "submitted_by").order_by(
            "partner__organisation__name", "id"
        )
    )


def missing_sections(report: ProgressReport) -> list[ReportSection]:
    """Sections not submitted yet, by organisation name."""
    return [s for s in section_list(report) if s.submitted_at is None]


@dataclass
class ReportDetail:
    report: ProgressReport
    sections: list[ReportSection]
    missing: list[ReportSection]
    my_section: ReportSection | None
    late: bool
    signed_off: bool


def report_detail(*, user, report: ProgressReport, on: date | None = None) -> ReportDetail:
    """A report (fetched with ``get_report_for_user``): every section, the missing ones and the one the
    requesting person fills in (their partner's, when they have the write role)."""
    on = on or clock.today()
    sections = section_list(report)
    membership = getattr(report.partnership, "membership", None)
    mine = None
    if membership is not None and membership.role != Role.VIEWER:
        mine = next((s for s in sections if s.partner_id == membership.partner_id), None)
    signed_off = report.status == ReportStatus.SIGNED_OFF
    missing = [s for s in sections if s.submitted_at is None]
    return ReportDetail(
        report=report,
        sections=sections,
        missing=missing,
        my_section=mine,
        late=not signed_off and report.due_date < on,
        signed_off=signed_off,
    )


# Resources -----------------------------------------------------------------------------------------


@dataclass
class CommitmentRow:
    commitment: Commitment
    organisation: str
    used_to_date: Decimal
    monthly_average: Decimal
    used_last_3: Decimal
    committed_last_3: Decimal | None  # hours commitments only
    active: bool


@dataclass
class FundingEnding:
    commitment: Commitment
    organisation: str
    source: str
    ends_on: date
    days_left: int


@dataclass
class MonthBar:
    month: date
    committed: float
    used: float


@dataclass
class Runway:
    """The continuous chain of funding from ``on``: ``end`` its last day (None when open-ended or when there
    is no funding today), ``days`` from ``on`` to ``end``."""

    has_funding: bool
    open_ended: bool
    end: date | None
    days: int | None


@dataclass
class Resources:
    rows: list[CommitmentRow]
    runway_end: date | None
    runway_days: int | None
    funding_ending: list[FundingEnding]
    months: list[MonthBar] = field(default_factory=list)
    has_funding: bool = False
    open_ended: bool = False
    on: date | None = None


def _active_on(commitment, day: date) -> bool:
    return commitment.starts_on <= day and (commitment.ends_on is None or commitment.ends_on >= day)


def funding_runway(funding: list, on: date) -> Runway:
    """Follow the chain of funding commitments from ``on``: each one that starts by the day after the chain
    ends and lasts beyond it extends it."""
    current = [c for c in funding if _active_on(c, on)]
    if not current:
        return Runway(has_funding=False, open_ended=False, end=None, days=None)
    if any(c.ends_on is None for c in current):
        return Runway(has_funding=True, open_ended=True, end=None, days=None)
    end = max(c.ends_on for c in current)
    extended = True
    while extended:
        extended = False
        for c in funding:
            if c.starts_on <= end + timedelta(days=1) and (c.ends_on is None or c.ends_on > end):
                if c.ends_on is None:
                    return Runway(has_funding=True, open_ended=True, end=None, days=None)
                end, extended = c.ends_on, True
    return Runway(has_funding=True, open_ended=False, end=end, days=(end - on).days)


def is_replaced(commitment, funding: list) -> bool:
    """Another funding commitment starts on or before the day after this one ends and lasts beyond it."""
    if commitment.ends_on is None:
        return True
    return any(
        other.pk != commitment.pk
        and other.starts_on <= commitment.ends_on + timedelta(days=1)
        and (other.ends_on is None or other.ends_on > commitment.ends_on)
        for other in funding
    )


def funding_ending(funding: list, on: date, *, warning_days: int) -> list[FundingEnding]:
    """Funding commitments ending within ``warning_days`` of ``on`` (and not yet ended) that nothing
    replaces, soonest first. One that has not started yet counts too: it may be the last link of the chain
    (a bridge grant after the current one), and then it is where the money runs out."""
    found = []
    for c in funding:
        if c.ends_on is None or c.ends_on < on:
            continue
        if (c.ends_on - on).days > warning_days or is_replaced(c, funding):
            continue
        organisation = getattr(c, "organisation", None) or c.partner.organisation.name
        found.append(
            FundingEnding(
                commitment=c,
                organisation=organisation,
                source=c.source,
                ends_on=c.ends_on,
                days_left=(c.ends_on - on).days,
            )
        )
    return sorted(found, key=lambda f: (f.ends_on, f.commitment.pk))


def months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def resources(*, user, partnership: Partnership, on: date | None = None) -> Resources:
    """Each commitment with what was used (to date, monthly average, the last three full months), the
    funding runway, the funding ending unreplaced, and committed vs used hours per month for the last
    twelve months. Two queries."""
    on = on or clock.today()
    commitments = list(
        Commitment.objects.filter(partnership=partnership, partnership__in=partnerships_for(user))
        .select_related("partner__organisation")
        .prefetch_related(
            Prefetch("actuals", queryset=Actual.objects.only("id", "commitment_id", "month", "amount"))
        )
        .order_by("partner__organisation__name", "kind", "starts_on", "id")
    )
    this_month = month_start(on)
    last3_start = this_month - relativedelta(months=3)
    last3_end = this_month - timedelta(days=1)
    rows = []
    for c in commitments:
        actuals = [a for a in c.actuals.all() if a.month <= on]
        used = sum((a.amount for a in actuals), Decimal(0))
        first = month_start(c.starts_on)
        last = month_start(min(on, c.ends_on) if c.ends_on else on)
        months = max(1, months_between(first, last)) if first <= last else 1
        used_3 = sum((a.amount for a in actuals if last3_start <= a.month <= last3_end), Decimal(0))
        committed_3 = None
        if c.kind == ResourceKind.HOURS:
            committed_3 = c.amount * _months_active(c, last3_start, last3_end)
        rows.append(
            CommitmentRow(
                commitment=c,
                organisation=c.partner.organisation.name,
                used_to_date=used,
                monthly_average=(used / months).quantize(Decimal("0.1")),
                used_last_3=used_3,
                committed_last_3=committed_3,
                active=_active_on(c, on),
            )
        )
    funding = [c for c in commitments if c.kind == ResourceKind.FUNDING]
    runway = funding_runway(funding, on)
    thresholds = settings_for(partnership=partnership)
    bars = []
    for back in range(11, -1, -1):
        month = this_month - relativedelta(months=back)
        month_end = month + relativedelta(months=1) - timedelta(days=1)
        committed = sum(
            (
                float(c.amount)
                for c in commitments
                if c.kind == ResourceKind.HOURS and _overlaps(c, month, month_end)
            ),
            0.0,
        )
        used = sum(
            (
                float(a.amount)
                for c in commitments
                if c.kind == ResourceKind.HOURS
                for a in c.actuals.all()
                if a.month == month
            ),
            0.0,
        )
        bars.append(MonthBar(month=month, committed=committed, used=used))
    return Resources(
        rows=rows,
        runway_end=runway.end,
        runway_days=runway.days,
        funding_ending=funding_ending(funding, on, warning_days=thresholds.runway_warning_days),
        months=bars,
        has_funding=runway.has_funding,
        open_ended=runway.open_ended,
        on=on,
    )


def _overlaps(commitment, first: date, last: date) -> bool:
    return commitment.starts_on <= last and (commitment.ends_on is None or commitment.ends_on >= first)


def _months_active(commitment, first: date, last: date) -> int:
    """Whole months of [first, last] (month starts) the commitment overlaps."""
    n, month = 0, first
    while month <= last:
        month_end = month + relativedelta(months=1) - timedelta(days=1)
        if _overlaps(commitment, month, month_end):
            n += 1
        month += relativedelta(months=1)
    return n


def resources_svg(data: Resources):
    from safepact.continuity.svg import resources_svg as draw

    return draw(data)


def actual_list(*, commitment: Commitment) -> QuerySet[Actual]:
    return commitment.actuals.select_related("reported_by").order_by("-month")


ACTIVE_STATUSES = (ActivityStatus.PLANNED, ActivityStatus.IN_PROGRESS)


# Signals (re-exported; defined in signals.py) ------------------------------------------------------


def signals_for(partnership_ids, *, on: date | None = None):
    from safepact.continuity.signals import signals_for as compute

    return compute(partnership_ids, on=on)


def continuity_overview(*, user, partnership: Partnership, on: date | None = None):
    from safepact.continuity.signals import continuity_overview as compute

    return compute(user=user, partnership=partnership, on=on)


def dashboard_health(*, user, memberships):
    from safepact.continuity.signals import dashboard_health as compute

    return compute(user=user, memberships=memberships)


def attention_counts(partnership_ids, *, on: date | None = None) -> dict[int, tuple[int, int]]:
    """For the dashboard's "needs your attention" items, cheaply (three queries for any number of
    partnerships, none of the signals' work): per partnership, (overdue activities and action items,
    progress reports past their deadline and not signed off)."""
    from safepact.meetings.selectors import overdue_action_counts

    on = on or clock.today()
    ids = list(partnership_ids)
    counts = {pid: [0, 0] for pid in ids}
    activities = (
        Activity.objects.filter(partnership_id__in=ids, due_date__lt=on)
        .exclude(status__in=CLOSED_ACTIVITY)
        .order_by()
        .values("partnership_id")
        .annotate(n=Count("id"))
    )
    for row in activities:
        counts[row["partnership_id"]][0] += row["n"]
    for pid, n in overdue_action_counts(ids, on=on).items():
        counts[pid][0] += n
    reports = (
        ProgressReport.objects.filter(partnership_id__in=ids, due_date__lt=on, status=ReportStatus.COLLECTING)
        .order_by()
        .values("partnership_id")
        .annotate(n=Count("id"))
    )
    for row in reports:
        counts[row["partnership_id"]][1] += row["n"]
    return {pid: (actions, reports) for pid, (actions, reports) in counts.items()}
