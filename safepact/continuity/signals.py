"""The continuity signals: early warnings that a partnership is drifting, each with its evidence and its
trend (the same rule evaluated 30 days earlier). Derived on every read, never stored.

``signals_for(partnership_ids, *, on)`` loads every fact it needs for all the partnerships in a fixed
number of queries (at most 20, whatever the number of partnerships and partners) and evaluates the rules
in Python. The callers have already checked access to ``partnership_ids``.

Keys, in the order shown: engagement, meeting_load, meeting_rhythm, overdue_actions, overdue_reports,
funding_runway, underspend, agreements.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace

from dateutil.relativedelta import relativedelta
from django.db.models import Count, DecimalField, Exists, F, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.template.defaultfilters import floatformat
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from safepact.continuity.models import (
    CLOSED_ACTIVITY,
    Activity,
    ActivityStatus,
    Actual,
    Commitment,
    ContinuitySettings,
    ProgressReport,
    ReportSection,
    ReportStatus,
    ResourceKind,
)
from safepact.continuity.selectors import (
    OVERDUE_DANGER_DAYS,
    funding_ending,
    funding_runway,
    month_start,
    url_or_blank,
)
from safepact.lib import clock
from safepact.partnerships.models import Partner, Partnership, PartnerStatus, Role

TREND_DAYS = 30
EVIDENCE_MAX = 5
KEYS = (
    "engagement",
    "meeting_load",
    "meeting_rhythm",
    "overdue_actions",
    "overdue_reports",
    "funding_runway",
    "underspend",
    "agreements",
)
RANK = {"ok": 0, "warning": 1, "danger": 2}
LEVEL_LABELS = {
    "ok": gettext_lazy("OK"),
    "warning": gettext_lazy("Warning"),
    "danger": gettext_lazy("Danger"),
}
LEVEL_SYMBOLS = {"ok": "✓", "warning": "!", "danger": "✕"}
TREND_LABELS = {
    "better": gettext_lazy("better than 30 days ago"),
    "worse": gettext_lazy("worse than 30 days ago"),
    "same": gettext_lazy("the same as 30 days ago"),
}
TREND_SYMBOLS = {"better": "↑", "worse": "↓", "same": "→"}
LOAD_SUGGESTION = gettext_lazy("Replace a plenary with a thematic discussion or a joint training.")
#: The defaults of ``ContinuitySettings`` (when a partnership saved none).
THRESHOLDS = ("disengagement_days", "runway_warning_days", "underspend_percent", "meeting_gap_days")


@dataclass(frozen=True)
class Evidence:
    text: str
    url: str = ""


@dataclass
class Signal:
    key: str
    level: str  # "ok" | "warning" | "danger"
    title: str
    summary: str
    evidence: list[Evidence] = field(default_factory=list)
    trend: str = "same"  # "better" | "worse" | "same"
    now_value: float | int | None = None
    before_value: float | int | None = None
    suggestion: str = ""

    @property
    def level_label(self) -> str:
        return str(LEVEL_LABELS[self.level])

    @property
    def symbol(self) -> str:
        return LEVEL_SYMBOLS[self.level]

    @property
    def trend_label(self) -> str:
        return str(TREND_LABELS[self.trend])

    @property
    def trend_symbol(self) -> str:
        return TREND_SYMBOLS[self.trend]

    @property
    def attention(self) -> bool:
        return self.level != "ok"


@dataclass
class PartnerEngagement:
    partner: Partner
    organisation: str
    last_attended: date | None
    attendance_rate: float | None  # 0..1 over the last 12 months; None when never invited
    reports_delivered: int
    reports_due: int
    actions_done: int
    actions_open: int
    last_participation: date | None = None
    drifting: bool = False

    @property
    def attendance_percent(self) -> int | None:
        return None if self.attendance_rate is None else round(self.attendance_rate * 100)


@dataclass
class Overview:
    signals: list[Signal]
    partners: list[PartnerEngagement]
    load: list  # meetings.selectors.PersonLoad of this month
    rhythm: object  # meetings.selectors.Rhythm
    on: date | None = None
    next_load: list = field(default_factory=list)
    monthly_hours_limit: float = 0.0

    @property
    def attention_count(self) -> int:
        return sum(1 for s in self.signals if s.attention)


# Helpers -------------------------------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


_LOCAL_DATES: dict = {}
_LOCAL_TZ = ""


def _local(moment) -> date | None:
    """The local calendar date of ``moment``; memoised per time zone, since the rules ask for the same few
    thousand instants several times each (bench/continuity.py)."""
    if not moment:
        return None
    found = _LOCAL_DATES.get(moment)
    if found is None:
        if len(_LOCAL_DATES) > 100_000:
            _LOCAL_DATES.clear()
        found = _LOCAL_DATES[moment] = timezone.localdate(moment)
    return found


def _reset_local_dates() -> None:
    """Forget the memoised local dates when the time zone changed since they were made."""
    global _LOCAL_TZ
    name = timezone.get_current_timezone_name()
    if name != _LOCAL_TZ:
        _LOCAL_DATES.clear()
        _LOCAL_TZ = name


def _date(day: date | None) -> str:
    return formats.date_format(day, "DATE_FORMAT") if day else ""


def _month_name(month: date) -> str:
    return formats.date_format(month, "F Y")


def _number(value) -> str:
    return floatformat(value, -1)


def _trend(now: tuple, before: tuple) -> str:
    """Compare (level rank, value) with "bigger is worse": a change of level decides, then the value."""
    if now == before:
        return "same"
    return "worse" if now > before else "better"


def _cap(items: list[Evidence]) -> list[Evidence]:
    if len(items) <= EVIDENCE_MAX:
        return items
    more = len(items) - EVIDENCE_MAX
    return [*items[:EVIDENCE_MAX], Evidence(ngettext("and %(n)d more", "and %(n)d more", more) % {"n": more})]


def _group(rows, key) -> dict:
    grouped: dict = {}
    for row in rows:
        grouped.setdefault(key(row), []).append(row)
    return grouped


def _latest(*days):
    found = [d for d in days if d is not None]
    return max(found) if found else None


class _PartnerRow:
    """What the rules and the overview read of an active partner (``pk``, ``code``, ``partnership_id``,
    ``joined_at``, ``created_at``, ``organisation.name``/``.code``/``.id`` and the annotations)."""

    def __init__(self, row: dict):
        self.__dict__.update(row)
        self.pk = row["id"]
        self.organisation = SimpleNamespace(
            id=row["organisation_id"], code=row["organisation__code"], name=row["organisation__name"]
        )


@dataclass
class _CommitmentRow:
    """What the rules read of a commitment (plain values: cheaper than model instances)."""

    pk: int
    partnership_id: int
    partner_id: int
    kind: str
    amount: Decimal
    source: str
    starts_on: date
    ends_on: date | None
    created_at: datetime
    used_now: Decimal
    used_before: Decimal
    has_actuals: bool
    organisation: str


# Facts: everything the rules read, for all the partnerships at once ---------------------------------


@dataclass
class _Partnership:
    id: int
    code: object
    settings: ContinuitySettings
    hours_limit: Decimal
    partners: list = field(default_factory=list)


class Facts:
    """Loads the facts of ``partnership_ids`` on ``on`` and 30 days before. A fixed number of queries."""

    def __init__(self, partnership_ids, *, on: date, detail: bool = False):
        from safepact.agreements.selectors import reminders_due
        from safepact.meetings import selectors as meetings

        _reset_local_dates()
        self.ids = list(dict.fromkeys(partnership_ids))
        self.on = on
        self.before = on - timedelta(days=TREND_DAYS)
        on_end, before_end = _day_start(on + timedelta(days=1)), _day_start(self.before + timedelta(days=1))
        self.on_end, self.before_end = on_end, before_end
        ids = self.ids

        # 1. Active partners with their organisation, the partnership's thresholds and, per partner,
        #    the last section submitted, the activities done, the report sections delivered and due.
        sections = ReportSection.objects.filter(partner_id=OuterRef("pk")).order_by().values("partner_id")
        partners = (
            Partner.objects.filter(partnership_id__in=ids, status=PartnerStatus.ACTIVE)
            .annotate(
                last_section=Subquery(sections.annotate(m=Max("submitted_at")).values("m")),
                last_section_before=Subquery(
                    sections.filter(submitted_at__lt=before_end).annotate(m=Max("submitted_at")).values("m")
                ),
            )
            .order_by("organisation__name", "id")
        )
        if detail:  # the overview's per-partner report counts
            partners = partners.annotate(
                sections_delivered=Coalesce(
                    Subquery(sections.filter(submitted_at__isnull=False).annotate(n=Count("id")).values("n")),
                    0,
                ),
                sections_due=Coalesce(
                    Subquery(sections.filter(report__due_date__lt=on).annotate(n=Count("id")).values("n")), 0
                ),
            )
        # Plain rows, not model instances: a thousand partners with their organisations cost more to build
        # than every rule together at 50 partnerships (bench/continuity.py).
        partners = [
            _PartnerRow(row)
            for row in partners.values(
                "id",
                "code",
                "partnership_id",
                "joined_at",
                "created_at",
                "organisation_id",
                "organisation__code",
                "organisation__name",
                "last_section",
                "last_section_before",
                *(("sections_delivered", "sections_due") if detail else ()),
            )
        ]
        # The partnerships' codes and thresholds in one query each (per partnership, not per partner: also
        # right for a partnership without active partners).
        defaults = ContinuitySettings()
        meeting_settings = meetings.settings_by_partnership(ids)  # 2.
        codes = dict(Partnership.objects.filter(pk__in=ids).values_list("pk", "code"))
        saved = {s.partnership_id: s for s in ContinuitySettings.objects.filter(partnership_id__in=ids)}
        self.partnerships: dict[int, _Partnership] = {}
        for pid in ids:
            self.partnerships[pid] = _Partnership(
                id=pid,
                code=codes.get(pid),
                settings=saved.get(pid, defaults),
                hours_limit=meeting_settings[pid].monthly_hours_limit,
            )
        for partner in partners:
            self.partnerships[partner.partnership_id].partners.append(partner)

        # 3-4. Attendance up to today and up to 30 days ago (rates over the last twelve months).
        self.attendance, self.attendance_before = meetings.attendance_by_partner_windows(
            ids, windows=[(on - timedelta(days=365), on), (self.before - timedelta(days=365), self.before)]
        )
        # 5-8. Meeting rhythm now and then.
        self.rhythm = meetings.rhythm(ids, on=on)
        self.rhythm_before = meetings.rhythm(ids, on=self.before)
        # 9. Meeting load: this month and next (now); the month of 30 days ago and the one after (then),
        #    which is last month and this one except around month ends (March 31: March and April).
        this_month, before_month = month_start(on), month_start(self.before)
        self.months = [this_month, this_month + relativedelta(months=1)]
        self.months_before = [before_month, before_month + relativedelta(months=1)]
        self.load = meetings.meeting_load_by_month(ids, months=self.months + self.months_before)
        # 12. Open action items: plain rows (``meetings.open_action_items`` builds full objects with four
        #     joins, which cost more than every rule together at 50 partnerships: bench/continuity.py).
        self.open_items = self._open_items(ids)
        # 13. Action items per owner partner: last done (now and then), done, and the ones open 30 days ago.
        self.items_by_partner = self._action_item_facts(ids)
        # 14. Activities (not cancelled).
        self.activities = list(
            Activity.objects.filter(partnership_id__in=ids)
            .exclude(status=ActivityStatus.CANCELLED)
            .values(
                "id",
                "code",
                "partnership_id",
                "owner_partner_id",
                "owner_partner__organisation__name",
                "title",
                "due_date",
                "status",
                "done_at",
                "created_at",
            )
            .order_by("due_date", "id")
        )
        # 15. Reports late now or 30 days ago, with their missing sections counted.
        self.late_reports = list(
            ProgressReport.objects.filter(partnership_id__in=ids, due_date__lt=on)
            .filter(Q(status=ReportStatus.COLLECTING) | Q(signed_off_at__gte=before_end))
            .annotate(
                section_total=Count("sections"),
                section_missing=Count("sections", filter=Q(sections__submitted_at__isnull=True)),
            )
            .order_by("due_date", "id")
        )
        # 16. Commitments (funding and hours) with the hours used in the windows of the underspend rule.
        self.window = (this_month - relativedelta(months=3), this_month - timedelta(days=1))
        self.window_before = (before_month - relativedelta(months=3), before_month - timedelta(days=1))
        self.commitments = self._commitments(ids)
        # 17-20. Agreements to review, expiring, or expired (now and 30 days ago).
        self.agreements = reminders_due(partnership_ids=ids, on=on)
        self.agreements_before = reminders_due(partnership_ids=ids, on=self.before)
        # Grouped once, so each rule reads only its own partnership's (or partner's) rows.
        self.activities_of = _group(self.activities, lambda a: a["partnership_id"])
        self.activities_by_partner = _group(self.activities, lambda a: a["owner_partner_id"])
        self.open_items_of = _group(self.open_items, lambda i: i["partnership_id"])
        self.items_of = _group(self.items_by_partner.values(), lambda row: row["partnership_id"])
        self.late_reports_of = _group(self.late_reports, lambda r: r.partnership_id)
        self.commitments_of = _group(self.commitments, lambda c: c.partnership_id)
        self.agreements_of = _group(self.agreements, lambda d: d.agreement.partnership_id)
        self.agreements_before_of = _group(self.agreements_before, lambda d: d.agreement.partnership_id)

    def _action_item_facts(self, ids) -> dict[int, dict]:
        from safepact.meetings.selectors import action_item_facts

        return action_item_facts(ids, before=self.before, before_end=self.before_end)

    def _open_items(self, ids) -> list[dict]:
        from safepact.meetings.selectors import open_action_item_rows

        return open_action_item_rows(ids)

    def _commitments(self, ids) -> list:
        def used(first: date, last: date):
            summed = (
                Actual.objects.filter(commitment=OuterRef("pk"), month__gte=first, month__lte=last)
                .order_by()
                .values("commitment_id")
                .annotate(s=Sum("amount"))
                .values("s")
            )
            return Coalesce(
                Subquery(summed, output_field=DecimalField()), Decimal(0), output_field=DecimalField()
            )

        rows = (
            Commitment.objects.filter(
                partnership_id__in=ids,
                kind__in=[ResourceKind.FUNDING, ResourceKind.HOURS],
                partner__status=PartnerStatus.ACTIVE,
            )
            .annotate(
                used_now=used(*self.window),
                used_before=used(*self.window_before),
                has_actuals=Exists(Actual.objects.filter(commitment=OuterRef("pk"))),
                organisation=F("partner__organisation__name"),
            )
            .values(*_CommitmentRow.__dataclass_fields__)
            .order_by("starts_on", "id")
        )
        return [_CommitmentRow(**row) for row in rows]


# The rules -----------------------------------------------------------------------------------------


def _engagement(facts: Facts, p: _Partnership, plan_url: str) -> Signal:
    days = p.settings.disengagement_days

    def last_participation(partner, *, before: bool) -> date | None:
        attendance = (facts.attendance_before if before else facts.attendance).get(partner.pk)
        items = facts.items_by_partner.get(partner.pk, {})
        end = facts.before if before else facts.on
        activity_done = [
            _local(a["done_at"])
            for a in facts.activities_by_partner.get(partner.pk, [])
            if a["status"] == ActivityStatus.DONE and a["done_at"] is not None and _local(a["done_at"]) <= end
        ]
        return _latest(
            attendance.last_attended if attendance else None,
            _local(partner.last_section_before if before else partner.last_section),
            _local(items.get("last_done_before" if before else "last_done")),
            max(activity_done) if activity_done else None,
        )

    def evaluate(on: date, *, before: bool):
        drifting = []
        for partner in p.partners:
            joined = _local(partner.joined_at or partner.created_at)
            if joined > on - timedelta(days=days):
                continue  # too new to judge
            last = last_participation(partner, before=before)
            if last is None or last < on - timedelta(days=days):
                drifting.append((partner, last))
        total = len(p.partners)
        level = "ok" if not drifting else "danger" if 2 * len(drifting) >= total else "warning"
        return level, drifting

    level, drifting = evaluate(facts.on, before=False)
    level_before, drifting_before = evaluate(facts.before, before=True)
    evidence = []
    for partner, last in drifting:
        name = partner.organisation.name
        if last is None:
            text = _("%(org)s: never took part") % {"org": name}
        else:
            text = _("%(org)s: last took part on %(date)s") % {"org": name, "date": _date(last)}
        evidence.append(Evidence(text, plan_url))
    if drifting:
        summary = ngettext(
            "%(n)d partner has not taken part for more than %(days)d days.",
            "%(n)d partners have not taken part for more than %(days)d days.",
            len(drifting),
        ) % {"n": len(drifting), "days": days}
    else:
        summary = _("Every partner took part in the last %(days)d days.") % {"days": days}
    return Signal(
        key="engagement",
        level=level,
        title=_("Engagement of partners"),
        summary=summary,
        evidence=_cap(evidence),
        trend=_trend((RANK[level], len(drifting)), (RANK[level_before], len(drifting_before))),
        now_value=len(drifting),
        before_value=len(drifting_before),
        suggestion=_("Talk to the partners who drift away: what do they need to take part again?")
        if drifting
        else "",
    )


def _meeting_load(facts: Facts, p: _Partnership) -> Signal:
    limit = float(p.hours_limit)

    def over(months):
        found = []
        for month in months:
            for load in facts.load[month].get(p.id, []):
                if load.hours > limit:
                    found.append((load, month))
        return found

    now = over(facts.months)
    before = over(facts.months_before)
    people_now = {load.user_id for load, _month in now}
    people_before = {load.user_id for load, _month in before}
    level = "warning" if now else "ok"
    level_before = "warning" if before else "ok"
    evidence = [
        Evidence(
            _("%(name)s: %(hours)s h in %(month)s")
            % {"name": load.name, "hours": _number(load.hours), "month": _month_name(month)}
        )
        for load, month in now
    ]
    if now:
        summary = ngettext(
            "%(n)d person has more than %(limit)s meeting hours in a month.",
            "%(n)d people have more than %(limit)s meeting hours in a month.",
            len(people_now),
        ) % {"n": len(people_now), "limit": _number(limit)}
    else:
        summary = _("Nobody has more than %(limit)s meeting hours this month or next.") % {
            "limit": _number(limit)
        }
    return Signal(
        key="meeting_load",
        level=level,
        title=_("Meeting load"),
        summary=summary,
        evidence=_cap(evidence),
        trend=_trend((RANK[level], len(people_now)), (RANK[level_before], len(people_before))),
        now_value=len(people_now),
        before_value=len(people_before),
        suggestion=str(LOAD_SUGGESTION) if now else "",
    )


def _rhythm_level(r, on: date, gap: int) -> str:
    if r.last_held is not None and r.last_held >= on - timedelta(days=gap):
        return "ok"
    if r.next_planned is not None and r.next_planned <= on + timedelta(days=gap):
        return "warning"
    return "danger"


def _meeting_rhythm(facts: Facts, p: _Partnership, meetings_url: str) -> Signal:
    from safepact.meetings.selectors import Rhythm

    gap = p.settings.meeting_gap_days
    r = facts.rhythm.get(p.id) or Rhythm()
    r_before = facts.rhythm_before.get(p.id) or Rhythm()
    level = _rhythm_level(r, facts.on, gap)
    level_before = _rhythm_level(r_before, facts.before, gap)
    evidence = [
        Evidence(
            _("Last meeting on %(date)s") % {"date": _date(r.last_held)}
            if r.last_held
            else _("No meeting held yet"),
            meetings_url,
        ),
        Evidence(
            _("Next meeting planned on %(date)s") % {"date": _date(r.next_planned)}
            if r.next_planned
            else _("No meeting planned"),
            meetings_url,
        ),
    ]
    if level == "ok":
        summary = ngettext(
            "%(n)d meeting in the last 90 days.", "%(n)d meetings in the last 90 days.", r.held_90
        ) % {"n": r.held_90}
    elif level == "warning":
        summary = _("No meeting held in the last %(days)d days, but one is planned.") % {"days": gap}
    else:
        summary = _("No meeting held in the last %(days)d days and none planned in the next %(days)d.") % {
            "days": gap
        }
    return Signal(
        key="meeting_rhythm",
        level=level,
        title=_("Meeting rhythm"),
        summary=summary,
        evidence=evidence,
        trend=_trend((RANK[level],), (RANK[level_before],)),
        now_value=(facts.on - r.last_held).days if r.last_held else None,
        before_value=(facts.before - r_before.last_held).days if r_before.last_held else None,
        suggestion=_("Plan the next meeting; a social event or a site walk-through counts too.")
        if level != "ok"
        else "",
    )


def _overdue_actions(facts: Facts, p: _Partnership, plan_url: str) -> Signal:
    on, before = facts.on, facts.before
    overdue = []  # (days overdue, title, organisation)
    before_days = []
    for a in facts.activities_of.get(p.id, []):
        is_open = a["status"] not in CLOSED_ACTIVITY
        if is_open and a["due_date"] < on:
            overdue.append(((on - a["due_date"]).days, a["title"], a["owner_partner__organisation__name"]))
        open_then = is_open or (
            a["status"] == ActivityStatus.DONE and a["done_at"] and a["done_at"] >= facts.before_end
        )
        if open_then and a["due_date"] < before and a["created_at"] < facts.before_end:
            before_days.append((before - a["due_date"]).days)
    for item in facts.open_items_of.get(p.id, []):
        if item["due_date"] < on:
            overdue.append(
                ((on - item["due_date"]).days, item["title"], item["owner_partner__organisation__name"])
            )
    count_before = len(before_days)
    oldest_before = max(before_days, default=0)
    # Every owner partner, also one suspended since: its open items count now too (``open_items_of``).
    for row in facts.items_of.get(p.id, []):
        if row["overdue_before"]:
            count_before += row["overdue_before"]
            oldest_before = max(oldest_before, (before - row["oldest_due_before"]).days)
    overdue.sort(key=lambda o: (-o[0], o[1]))

    def level_of(count, oldest):
        return "ok" if not count else "danger" if oldest > OVERDUE_DANGER_DAYS else "warning"

    level = level_of(len(overdue), overdue[0][0] if overdue else 0)
    level_before = level_of(count_before, oldest_before)
    evidence = [
        Evidence(
            ngettext(
                "%(title)s (%(org)s): %(n)d day overdue", "%(title)s (%(org)s): %(n)d days overdue", days
            )
            % {"title": title, "org": org, "n": days},
            plan_url,
        )
        for days, title, org in overdue
    ]
    if overdue:
        summary = ngettext(
            "%(n)d activity or action is past its due date.",
            "%(n)d activities and actions are past their due date.",
            len(overdue),
        ) % {"n": len(overdue)}
    else:
        summary = _("Nothing in the action plan is overdue.")
    return Signal(
        key="overdue_actions",
        level=level,
        title=_("Overdue actions"),
        summary=summary,
        evidence=_cap(evidence),
        trend=_trend((RANK[level], len(overdue)), (RANK[level_before], count_before)),
        now_value=len(overdue),
        before_value=count_before,
        suggestion=_("Agree new dates with the owners, or cancel what no longer matters.") if overdue else "",
    )


def _overdue_reports(facts: Facts, p: _Partnership, reports_url: str) -> Signal:
    on, before = facts.on, facts.before
    late_now, late_before = [], []
    for report in facts.late_reports_of.get(p.id, []):
        if report.status == ReportStatus.COLLECTING:
            late_now.append(report)
        if (
            report.due_date < before
            and report.created_at < facts.before_end
            and (report.signed_off_at is None or report.signed_off_at >= facts.before_end)
        ):
            late_before.append(report)

    def level_of(reports, on_day):
        if not reports:
            return "ok"
        return (
            "danger" if any((on_day - r.due_date).days > OVERDUE_DANGER_DAYS for r in reports) else "warning"
        )

    level, level_before = level_of(late_now, on), level_of(late_before, before)
    evidence = []
    for report in late_now:
        period = _("%(start)s to %(end)s") % {
            "start": _date(report.period_start),
            "end": _date(report.period_end),
        }
        if report.section_missing:
            text = _("Report %(period)s: due on %(due)s, %(missing)d of %(total)d sections missing") % {
                "period": period,
                "due": _date(report.due_date),
                "missing": report.section_missing,
                "total": report.section_total,
            }
        else:
            text = _("Report %(period)s: due on %(due)s, not signed off") % {
                "period": period,
                "due": _date(report.due_date),
            }
        evidence.append(Evidence(text, url_or_blank("continuity:report_detail", p.code, report.code)))
    if late_now:
        summary = ngettext(
            "%(n)d progress report is past its due date.",
            "%(n)d progress reports are past their due date.",
            len(late_now),
        ) % {"n": len(late_now)}
    else:
        summary = _("No progress report is late.")
    return Signal(
        key="overdue_reports",
        level=level,
        title=_("Progress reports"),
        summary=summary,
        evidence=_cap(evidence),
        trend=_trend((RANK[level], len(late_now)), (RANK[level_before], len(late_before))),
        now_value=len(late_now),
        before_value=len(late_before),
        suggestion=_("Remind the partners whose section is missing, then sign the report off.")
        if late_now
        else "",
    )


def _funding_level(runway, ending) -> str:
    if not ending:
        return "ok"
    return "danger" if any(f.days_left <= OVERDUE_DANGER_DAYS for f in ending) else "warning"


def _funding_runway(facts: Facts, p: _Partnership, resources_url: str) -> Signal:
    funding = [c for c in facts.commitments_of.get(p.id, []) if c.kind == ResourceKind.FUNDING]
    warn = p.settings.runway_warning_days
    # 30 days ago only the funding recorded by then was known (for the runway as for what ends).
    funding_before = [c for c in funding if c.created_at < facts.before_end]
    runway, runway_before = funding_runway(funding, facts.on), funding_runway(funding_before, facts.before)
    ending = funding_ending(funding, facts.on, warning_days=warn)
    ending_before = funding_ending(funding_before, facts.before, warning_days=warn)
    level, level_before = _funding_level(runway, ending), _funding_level(runway_before, ending_before)
    evidence = [
        Evidence(
            _("%(source)s (%(org)s) ends on %(date)s, nothing replaces it")
            % {"source": f.source or _("Funding"), "org": f.organisation, "date": _date(f.ends_on)},
            resources_url,
        )
        for f in ending
    ]
    if not runway.has_funding:
        summary = _("No funding is recorded for today.")
    elif runway.open_ended:
        summary = _("Funded without an end date.")
    else:
        summary = ngettext(
            "Funded until %(date)s (%(n)d day).", "Funded until %(date)s (%(n)d days).", runway.days
        ) % {"date": _date(runway.end), "n": runway.days}

    def end_value(r):  # a later end is better; open-ended is best
        if not r.has_funding:
            return 0
        return 10**7 if r.open_ended else r.end.toordinal()

    return Signal(
        key="funding_runway",
        level=level,
        title=_("Funding runway"),
        summary=summary,
        evidence=_cap(evidence),
        trend=_trend((RANK[level], -end_value(runway)), (RANK[level_before], -end_value(runway_before))),
        now_value=runway.days,
        before_value=runway_before.days,
        suggestion=_("Look for follow-up funding now: applications take months.") if ending else "",
    )


def _underspent(facts: Facts, p: _Partnership, *, before: bool) -> list[tuple[str, Decimal, Decimal]]:
    """Per partner: (organisation, hours used, hours committed) in the three full months before the
    month of ``on`` (or of 30 days earlier), when used < the threshold share of committed."""
    first, last = facts.window_before if before else facts.window
    on = facts.before if before else facts.on
    old_enough = _day_start(on - relativedelta(months=3))
    per_partner: dict[int, list] = {}
    for c in facts.commitments_of.get(p.id, []):
        if c.kind != ResourceKind.HOURS:
            continue
        if c.starts_on > first or (c.ends_on is not None and c.ends_on < last):
            continue  # not active for the whole window
        used = c.used_before if before else c.used_now
        if not c.has_actuals and c.created_at > old_enough:
            continue  # recording has barely begun: no actuals yet is not "nothing spent"
        entry = per_partner.setdefault(c.partner_id, [c.organisation, Decimal(0), Decimal(0)])
        entry[1] += used or Decimal(0)
        entry[2] += c.amount * 3
    share = Decimal(p.settings.underspend_percent) / 100
    return sorted(
        (tuple(entry) for entry in per_partner.values() if entry[2] > 0 and entry[1] < entry[2] * share),
        key=lambda e: e[0],
    )


def _underspend(facts: Facts, p: _Partnership, resources_url: str) -> Signal:
    now, before = _underspent(facts, p, before=False), _underspent(facts, p, before=True)
    level, level_before = ("warning" if now else "ok"), ("warning" if before else "ok")
    evidence = [
        Evidence(
            _("%(org)s: %(used)s of %(committed)s committed hours in the last three months")
            % {"org": org, "used": _number(used), "committed": _number(committed)},
            resources_url,
        )
        for org, used, committed in now
    ]
    if now:
        summary = ngettext(
            "%(n)d partner spent less than %(pct)d%% of the time committed.",
            "%(n)d partners spent less than %(pct)d%% of the time committed.",
            len(now),
        ) % {"n": len(now), "pct": p.settings.underspend_percent}
    else:
        summary = _("Time spent keeps up with the time committed.")
    return Signal(
        key="underspend",
        level=level,
        title=_("Time spent"),
        summary=summary,
        evidence=_cap(evidence),
        trend=_trend((RANK[level], len(now)), (RANK[level_before], len(before))),
        now_value=len(now),
        before_value=len(before),
        suggestion=_("Ask whether the commitment is still realistic, and adjust it together.") if now else "",
    )


def _agreements(facts: Facts, p: _Partnership) -> Signal:
    due = facts.agreements_of.get(p.id, [])
    due_before = facts.agreements_before_of.get(p.id, [])

    def level_of(items):
        if not items:
            return "ok"
        return "danger" if any(d.kind == "expired" for d in items) else "warning"

    level, level_before = level_of(due), level_of(due_before)
    texts = {
        "review": _("%(title)s: review due on %(date)s"),
        "expiry": _("%(title)s: expires on %(date)s"),
        "expired": _("%(title)s: expired on %(date)s"),
    }
    evidence = [
        Evidence(
            texts[d.kind] % {"title": d.agreement.title, "date": _date(d.due)},
            url_or_blank("agreements:detail", p.code, d.agreement.code) if p.code else "",
        )
        for d in due
    ]
    if due:
        summary = ngettext(
            "%(n)d agreement needs a review or a renewal.",
            "%(n)d agreements need a review or a renewal.",
            len(due),
        ) % {"n": len(due)}
    else:
        summary = _("No agreement is due for review or about to expire.")
    return Signal(
        key="agreements",
        level=level,
        title=_("Agreements"),
        summary=summary,
        evidence=_cap(evidence),
        trend=_trend((RANK[level], len(due)), (RANK[level_before], len(due_before))),
        now_value=len(due),
        before_value=len(due_before),
        suggestion=_("Put the review on the agenda of the next meeting.") if due else "",
    )


def _evaluate(facts: Facts, p: _Partnership) -> list[Signal]:
    code = p.code
    plan_url = url_or_blank("continuity:plan", code) if code else ""
    meetings_url = url_or_blank("meetings:list", code) if code else ""
    reports_url = url_or_blank("continuity:reports", code) if code else ""
    resources_url = url_or_blank("continuity:resources", code) if code else ""
    return [
        _engagement(facts, p, plan_url),
        _meeting_load(facts, p),
        _meeting_rhythm(facts, p, meetings_url),
        _overdue_actions(facts, p, plan_url),
        _overdue_reports(facts, p, reports_url),
        _funding_runway(facts, p, resources_url),
        _underspend(facts, p, resources_url),
        _agreements(facts, p),
    ]


# Public --------------------------------------------------------------------------------------------


def signals_for(partnership_ids, *, on: date | None = None) -> dict[int, list[Signal]]:
    """Every signal of every partnership in ``partnership_ids`` (already access-checked by the caller),
    in the order of ``KEYS``. At most 20 queries, whatever the number of partnerships."""
    on = on or clock.today()
    ids = list(dict.fromkeys(partnership_ids))
    if not ids:
        return {}
    facts = Facts(ids, on=on)
    return {pid: _evaluate(facts, facts.partnerships[pid]) for pid in ids}


def continuity_overview(*, user, partnership, on: date | None = None) -> Overview:
    """The overview page of one partnership (opened through ``get_partnership_for_user``): the signals,
    each partner's engagement, this month's meeting load per person and the meeting rhythm. The same
    queries as ``signals_for``."""
    from safepact.meetings.selectors import Rhythm

    on = on or clock.today()
    facts = Facts([partnership.pk], on=on, detail=True)
    p = facts.partnerships[partnership.pk]
    if p.code is None:
        p.code = partnership.code
    signals = _evaluate(facts, p)
    open_items: dict[int, int] = {}
    for item in facts.open_items:
        open_items[item["owner_partner_id"]] = open_items.get(item["owner_partner_id"], 0) + 1
    rows = []
    days = p.settings.disengagement_days
    for partner in p.partners:
        attendance = facts.attendance.get(partner.pk)
        items = facts.items_by_partner.get(partner.pk, {})
        mine = facts.activities_by_partner.get(partner.pk, [])
        done_dates = [
            _local(a["done_at"]) for a in mine if a["status"] == ActivityStatus.DONE and a["done_at"]
        ]
        last = _latest(
            attendance.last_attended if attendance else None,
            _local(partner.last_section),
            _local(items.get("last_done")),
            max(done_dates) if done_dates else None,
        )
        joined = _local(partner.joined_at or partner.created_at)
        drifting = joined <= on - timedelta(days=days) and (last is None or last < on - timedelta(days=days))
        rows.append(
            PartnerEngagement(
                partner=partner,
                organisation=partner.organisation.name,
                last_attended=attendance.last_attended if attendance else None,
                attendance_rate=(attendance.attended / attendance.invited)
                if attendance and attendance.invited
                else None,
                reports_delivered=partner.sections_delivered,
                reports_due=partner.sections_due,
                actions_done=(items.get("done") or 0) + len(done_dates),
                actions_open=open_items.get(partner.pk, 0)
                + sum(1 for a in mine if a["status"] not in CLOSED_ACTIVITY),
                last_participation=last,
                drifting=drifting,
            )
        )
    return Overview(
        signals=signals,
        partners=rows,
        load=facts.load[facts.months[0]].get(partnership.pk, []),
        next_load=facts.load[facts.months[1]].get(partnership.pk, []),
        rhythm=facts.rhythm.get(partnership.pk) or Rhythm(),
        on=on,
        monthly_hours_limit=float(p.hours_limit),
    )


def dashboard_health(*, user, memberships) -> list[tuple]:
    """For the partnerships ``user`` coordinates (among ``memberships``, with ``partner__partnership``
    loaded): ``(partnership, signals)`` by partnership name. The queries of one ``signals_for``."""
    coordinated = {}
    for membership in memberships:
        if membership.role == Role.COORDINATOR and membership.user_id == user.pk:
            partnership = membership.partner.partnership
            coordinated[partnership.pk] = partnership
    if not coordinated:
        return []
    found = signals_for(list(coordinated), on=clock.today())
    return sorted(
        ((partnership, found[pid]) for pid, partnership in coordinated.items()),
        key=lambda pair: (pair[0].name.lower(), pair[0].pk),
    )
