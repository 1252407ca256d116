"""Writes for continuity: the action plan, the progress report schedule, reports and each partner's section,
resource commitments and actuals, settings, and the daily job that opens reports and reminds late partners.

Every service is keyword-only and atomic, re-checks the actor's scope inside the transaction (404 outsider,
403 wrong role; ``permissions.py`` holds the rules), refuses bad input with a ``ValidationError`` naming
the field, and writes an audit event in the same transaction. The daily job acts as "safepact" (no actor).
"""

import calendar
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepact.audit.selectors import register_action_labels
from safepact.audit.services import audit_record, audit_record_changes
from safepact.continuity import permissions
from safepact.continuity.models import (
    MONTHS,
    Activity,
    ActivityStatus,
    Actual,
    Commitment,
    ContinuitySettings,
    Frequency,
    ProgressReport,
    ReportReminder,
    ReportSchedule,
    ReportSection,
    ReportStatus,
    ResourceKind,
)
from safepact.lib import clock
from safepact.notifications.services import notify
from safepact.partnerships.models import (
    Membership,
    MembershipStatus,
    Partner,
    Partnership,
    PartnershipStatus,
    PartnerStatus,
    Role,
)
from safepact.partnerships.selectors import get_partnership_for_user

SYSTEM = "safepact"
MAX_TITLE = 200
#: Dates outside these years are refused: near the ends of the calendar, the arithmetic of periods, runways
#: and charts overflows into a server error on every page (and the daily job) that reads them.
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_TEXT = 20_000
#: The daily job opens the reports of periods that ended at most this many days ago (no flood of history).
BACKFILL_DAYS = 400
#: Escalations and reminders are recorded as ReportReminder rows; the escalation's kind:
ESCALATED = "escalated"
REMINDER_KINDS = ("before", "late")
SETTINGS_LIMITS = {
    "disengagement_days": (1, 730),
    "runway_warning_days": (1, 730),
    "underspend_percent": (0, 100),
    "meeting_gap_days": (1, 365),
}
SECTION_TEXT_FIELDS = ("activities_done", "outputs", "problems", "next_steps")
SECTION_NUMBER_FIELDS = {"hours_used": Decimal("0.1"), "money_used": Decimal("0.01")}
ACTIVITY_FIELDS = (
    "title",
    "description",
    "objective",
    "owner_partner",
    "start_date",
    "due_date",
    "depends_on",
    "status",
)
COMMITMENT_FIELDS = ("amount", "starts_on", "ends_on", "source", "note")

logger = logging.getLogger(__name__)


def register() -> None:
    from safepact.partnerships import hooks

    register_action_labels(
        {
            "continuity.activity.created": gettext_lazy("Activity added to the action plan"),
            "continuity.activity.updated": gettext_lazy("Activity of the action plan changed"),
            "continuity.activity.status_changed": gettext_lazy("Activity status changed"),
            "continuity.activity.deleted": gettext_lazy("Activity removed from the action plan"),
            "continuity.schedule.changed": gettext_lazy("Progress report schedule changed"),
            "continuity.report.opened": gettext_lazy("Progress report opened"),
            "continuity.report.signed_off": gettext_lazy("Progress report signed off"),
            "continuity.report.reminded": gettext_lazy("Late partners reminded of a progress report"),
            "continuity.report.escalated": gettext_lazy("Coordinators told of a late progress report"),
            "continuity.section.saved": gettext_lazy("Report section saved"),
            "continuity.section.submitted": gettext_lazy("Report section submitted"),
            "continuity.commitment.created": gettext_lazy("Resource commitment added"),
            "continuity.commitment.updated": gettext_lazy("Resource commitment changed"),
            "continuity.commitment.deleted": gettext_lazy("Resource commitment removed"),
            "continuity.actual.recorded": gettext_lazy("Resource use recorded"),
            "continuity.settings.changed": gettext_lazy("Continuity settings changed"),
        },
        {
            "continuity": gettext_lazy("Continuity"),
            "continuity.activity": gettext_lazy("Action plan"),
            "continuity.schedule": gettext_lazy("Report schedule"),
            "continuity.report": gettext_lazy("Progress reports"),
            "continuity.section": gettext_lazy("Report sections"),
            "continuity.commitment": gettext_lazy("Resource commitments"),
            "continuity.actual": gettext_lazy("Resource use"),
            "continuity.settings": gettext_lazy("Continuity settings"),
        },
    )
    hooks.register_section(gettext_lazy("Continuity"), "continuity:overview")
    _register_periodic()
    # Other helpers add their registrations below (dashboard panel, attention items, demo part).
    # Pages (C3): the dashboard panel, the "needs your attention" items, the audit label of PDF exports.
    from safepact.continuity import views

    hooks.register_dashboard_panel(views.dashboard_panel)
    hooks.register_attention(views.dashboard_attention)
    register_action_labels({"continuity.report.exported": gettext_lazy("Progress report exported (PDF)")})
    from safepact.continuity.demo import continuity_demo

    hooks.register_demo(continuity_demo)


def _register_periodic() -> None:
    from safepact.continuity import tasks
    from safepact.lib import scheduler

    scheduler.register_periodic("continuity.daily", tasks.continuity_daily)


# Helpers -------------------------------------------------------------------------------------------


def _url(name: str, fallback: str, **kwargs) -> str:
    """The page's path; the fixed path of the contract while the page is not wired yet."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return fallback.format(**kwargs)


def section_url(report: ProgressReport, section: ReportSection, partnership: Partnership) -> str:
    return _url(
        "continuity:section_edit",
        "/p/{code}/continuity/reports/{report_code}/sections/{section_code}/",
        code=partnership.code,
        report_code=report.code,
        section_code=section.code,
    )


def report_url(report: ProgressReport, partnership: Partnership) -> str:
    return _url(
        "continuity:report_detail",
        "/p/{code}/continuity/reports/{report_code}/",
        code=partnership.code,
        report_code=report.code,
    )


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def period_text(start: date, end: date) -> str:
    return _("%(start)s to %(end)s") % {
        "start": formats.date_format(start, "DATE_FORMAT"),
        "end": formats.date_format(end, "DATE_FORMAT"),
    }


def _scope(actor, partnership: Partnership, *, write: bool = False, manage: bool = False) -> Partnership:
    return get_partnership_for_user(actor, partnership.code, write=write, manage=manage)


def _clean_text(value, field_name: str, *, required: bool = False, max_length: int = MAX_TEXT) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else None
    if value is None:
        raise ValidationError({field_name: _("Give a text.")})
    if required and not value:
        raise ValidationError({field_name: _("This field is required.")})
    if len(value) > max_length:
        raise ValidationError(
            {field_name: _("This can be at most %(max)s characters.") % {"max": f"{max_length:,}"}}
        )
    return value


def _clean_date(value, field_name: str, *, required: bool = True) -> date | None:
    if value in (None, ""):
        if required:
            raise ValidationError({field_name: _("Give a date.")})
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise ValidationError({field_name: _("Give a valid date.")}) from None
    if not isinstance(value, date):
        raise ValidationError({field_name: _("Give a valid date.")})
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            {
                field_name: _("Give a date between %(first)s and %(last)s.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR}
            }
        )
    return value


def _clean_decimal(value, field_name: str, *, places: Decimal = Decimal("0.01"), maximum=None) -> Decimal:
    if isinstance(value, bool) or value in (None, ""):
        raise ValidationError({field_name: _("Give a number.")})
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field_name: _("Give a number.")}) from None
    if not number.is_finite():
        raise ValidationError({field_name: _("Give a number.")})
    if number < 0:
        raise ValidationError({field_name: _("The number cannot be negative.")})
    if maximum is not None and number > maximum:
        raise ValidationError({field_name: _("The number is too large.")})
    return number.quantize(places)


def _clean_int(value, field_name: str, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise ValidationError({field_name: _("Give a whole number.")})
    try:
        number = int(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ValidationError({field_name: _("Give a whole number.")}) from None
    if isinstance(value, float) and not value.is_integer():
        raise ValidationError({field_name: _("Give a whole number.")})
    if not low <= number <= high:
        raise ValidationError(
            {field_name: _("Give a number between %(low)s and %(high)s.") % {"low": low, "high": high}}
        )
    return number


def _active_partner(partnership: Partnership, partner, field_name: str) -> Partner:
    found = None
    if partner is not None:
        found = (
            Partner.objects.filter(
                partnership=partnership, pk=getattr(partner, "pk", None), status=PartnerStatus.ACTIVE
            )
            .select_related("organisation")
            .first()
        )
    if found is None:
        raise ValidationError({field_name: _("Choose an active partner of this partnership.")})
    return found


def _objective(actor, partnership: Partnership, objective):
    if objective is None:
        return None
    from safepact.formation.selectors.objectives import objective_list

    found = (
        objective_list(user=actor, partnership=partnership).filter(pk=getattr(objective, "pk", None)).first()
    )
    if found is None:
        raise ValidationError({"objective": _("Choose an objective of this partnership.")})
    return found


def _write_members(partner_ids) -> dict[int, list]:
    """Active people with a write role, per partner (one query)."""
    found: dict[int, list] = {}
    rows = Membership.objects.filter(
        partner_id__in=list(partner_ids),
        partner__status=PartnerStatus.ACTIVE,
        status=MembershipStatus.ACTIVE,
        role__in=[Role.COORDINATOR, Role.MEMBER],
        user__is_active=True,
    ).select_related("user")
    for membership in rows:
        found.setdefault(membership.partner_id, []).append(membership.user)
    return found


def _members(partnership: Partnership, *, roles=None) -> list:
    rows = Membership.objects.filter(
        partner__partnership=partnership,
        partner__status=PartnerStatus.ACTIVE,
        status=MembershipStatus.ACTIVE,
        user__is_active=True,
    ).select_related("user")
    if roles is not None:
        rows = rows.filter(role__in=roles)
    users, seen = [], set()
    for membership in rows.order_by("user_id"):
        if membership.user_id not in seen:
            seen.add(membership.user_id)
            users.append(membership.user)
    return users


# Action plan ---------------------------------------------------------------------------------------


def _activity_snapshot(activity: Activity) -> dict:
    return {
        "title": activity.title,
        "description": activity.description,
        "objective": str(activity.objective.code) if activity.objective_id else None,
        "owner_partner": str(activity.owner_partner.code),
        "start_date": activity.start_date.isoformat(),
        "due_date": activity.due_date.isoformat(),
        "status": activity.status,
        "depends_on": sorted(str(code) for code in activity.depends_on.values_list("code", flat=True)),
    }


def _lock_activity(actor, activity: Activity, *, write=False, manage=False) -> Activity:
    partnership = get_partnership_for_user(actor, activity.partnership.code, write=write)
    if manage:
        permissions.ensure_can_manage_plan(partnership.membership)
    locked = (
        # Only the activity's row: PostgreSQL refuses FOR UPDATE on the nullable side of the outer join to
        # the objective.
        Activity.objects.select_for_update(of=("self",))
        .filter(pk=activity.pk, partnership=partnership)
        .select_related("owner_partner", "objective")
        .first()
    )
    if locked is None:
        raise Http404(_("Activity not found."))
    locked.partnership = partnership
    return locked


def _clean_dependencies(partnership: Partnership, activity: Activity | None, depends_on) -> list[Activity]:
    wanted = list(depends_on or ())
    ids = {getattr(item, "pk", None) for item in wanted}
    found = list(Activity.objects.filter(partnership=partnership, pk__in=ids))
    if None in ids or len(found) != len(ids):
        raise ValidationError({"depends_on": _("An activity can only depend on activities of this plan.")})
    if activity is not None and activity.pk in ids:
        raise ValidationError({"depends_on": _("An activity cannot depend on itself.")})
    if activity is not None and ids:
        # Serialise dependency changes per partnership: two edits at once could otherwise each add half of
        # a cycle that neither sees (PostgreSQL; SQLite writers already wait their turn).
        Partnership.objects.select_for_update().filter(pk=partnership.pk).first()
        # A cycle: ``activity`` is reachable from one of its new dependencies.
        edges: dict[int, set[int]] = {}
        through = Activity.depends_on.through.objects.filter(from_activity__partnership=partnership)
        for source, target in through.values_list("from_activity_id", "to_activity_id"):
            edges.setdefault(source, set()).add(target)
        edges[activity.pk] = set(ids)
        stack, seen = list(ids), set()
        while stack:
            node = stack.pop()
            if node == activity.pk:
                raise ValidationError(
                    {"depends_on": _("These dependencies would make a cycle in the action plan.")}
                )
            if node in seen:
                continue
            seen.add(node)
            stack.extend(edges.get(node, ()))
    return found


def _clean_status(status) -> str:
    if status not in ActivityStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    return status


@transaction.atomic
def activity_create(
    *,
    actor,
    partnership: Partnership,
    title: str,
    owner_partner: Partner,
    start_date: date,
    due_date: date,
    objective=None,
    description: str = "",
    depends_on=(),
) -> Activity:
    partnership = _scope(actor, partnership, write=True)
    permissions.ensure_can_manage_plan(partnership.membership)
    title = _clean_text(title, "title", required=True, max_length=MAX_TITLE)
    description = _clean_text(description, "description")
    owner_partner = _active_partner(partnership, owner_partner, "owner_partner")
    objective = _objective(actor, partnership, objective)
    start_date = _clean_date(start_date, "start_date")
    due_date = _clean_date(due_date, "due_date")
    if due_date < start_date:
        raise ValidationError({"due_date": _("The due date cannot be before the start.")})
    dependencies = _clean_dependencies(partnership, None, depends_on)
    activity = Activity.objects.create(
        partnership=partnership,
        title=title,
        description=description,
        objective=objective,
        owner_partner=owner_partner,
        start_date=start_date,
        due_date=due_date,
        created_by=actor,
    )
    if dependencies:
        activity.depends_on.set(dependencies)
    audit_record(
        actor=actor,
        action="continuity.activity.created",
        target=activity,
        partnership=partnership,
        after=_activity_snapshot(activity),
    )
    return activity


def _apply_status(activity: Activity, status: str) -> None:
    if status == ActivityStatus.DONE and activity.status != ActivityStatus.DONE:
        activity.done_at = clock.now()
    elif status != ActivityStatus.DONE:
        activity.done_at = None
    activity.status = status


@transaction.atomic
def activity_update(*, actor, activity: Activity, **changes) -> Activity:
    """Coordinators: any of title, description, objective, owner_partner, start_date, due_date,
    depends_on and status."""
    unknown = set(changes) - set(ACTIVITY_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed here.")})
    activity = _lock_activity(actor, activity, write=True, manage=True)
    partnership = activity.partnership
    before = _activity_snapshot(activity)
    values = {}
    if "title" in changes:
        values["title"] = _clean_text(changes["title"], "title", required=True, max_length=MAX_TITLE)
    if "description" in changes:
        values["description"] = _clean_text(changes["description"], "description")
    if "owner_partner" in changes:
        new_owner = changes["owner_partner"]
        if getattr(new_owner, "pk", None) != activity.owner_partner_id:
            values["owner_partner"] = _active_partner(partnership, new_owner, "owner_partner")
    if "objective" in changes:
        values["objective"] = _objective(actor, partnership, changes["objective"])
    start = _clean_date(changes.get("start_date", activity.start_date), "start_date")
    due = _clean_date(changes.get("due_date", activity.due_date), "due_date")
    if due < start:
        raise ValidationError({"due_date": _("The due date cannot be before the start.")})
    values["start_date"], values["due_date"] = start, due
    dependencies = None
    if "depends_on" in changes:
        dependencies = _clean_dependencies(partnership, activity, changes["depends_on"])
    status = _clean_status(changes["status"]) if "status" in changes else None
    for key, value in values.items():
        setattr(activity, key, value)
    if status is not None:
        _apply_status(activity, status)
    activity.save()
    if dependencies is not None:
        activity.depends_on.set(dependencies)
    audit_record_changes(
        actor=actor,
        action="continuity.activity.updated",
        target=activity,
        partnership=partnership,
        before=before,
        after=_activity_snapshot(activity),
    )
    return activity


@transaction.atomic
def activity_set_status(*, actor, activity: Activity, status: str) -> Activity:
    """Coordinators for any activity; members for the activities their own partner owns."""
    activity = _lock_activity(actor, activity, write=True)
    permissions.ensure_can_set_activity_status(activity.partnership.membership, activity)
    status = _clean_status(status)
    if status == activity.status:
        return activity
    before = {"status": activity.status}
    _apply_status(activity, status)
    activity.save(update_fields=["status", "done_at"])
    audit_record(
        actor=actor,
        action="continuity.activity.status_changed",
        target=activity,
        partnership=activity.partnership,
        before=before,
        after={"status": status},
    )
    return activity


@transaction.atomic
def activity_delete(*, actor, activity: Activity) -> None:
    activity = _lock_activity(actor, activity, write=True, manage=True)
    # Deleting it also removes it from the dependencies of the activities that depend on it: record them.
    dependents = sorted(str(code) for code in activity.dependents.values_list("code", flat=True))
    audit_record(
        actor=actor,
        action="continuity.activity.deleted",
        target=activity,
        partnership=activity.partnership,
        before={**_activity_snapshot(activity), "dependents": dependents},
    )
    activity.delete()


# Reports -------------------------------------------------------------------------------------------


def _schedule_snapshot(schedule: ReportSchedule) -> dict:
    return {
        "frequency": schedule.frequency,
        "starts_on": schedule.starts_on.isoformat() if schedule.starts_on else None,
        "days_to_contribute": schedule.days_to_contribute,
        "remind_days_before": schedule.remind_days_before,
        "active": schedule.active,
    }


@transaction.atomic
def schedule_set(
    *,
    actor,
    partnership: Partnership,
    frequency: str,
    starts_on: date,
    days_to_contribute: int = 14,
    remind_days_before: int = 3,
    active: bool = True,
) -> ReportSchedule:
    partnership = _scope(actor, partnership, write=True)
    permissions.ensure_can_manage_reports(partnership.membership)
    if frequency not in Frequency.values:
        raise ValidationError({"frequency": _("Unknown frequency.")})
    starts_on = _clean_date(starts_on, "starts_on")
    days_to_contribute = _clean_int(days_to_contribute, "days_to_contribute", 1, 180)
    remind_days_before = _clean_int(remind_days_before, "remind_days_before", 0, 90)
    if remind_days_before > days_to_contribute:
        raise ValidationError(
            {"remind_days_before": _("Remind at most as many days before the deadline as partners have.")}
        )
    # Lock the partnership first: with no schedule yet there is no row to lock, and two first saves at once
    # would both insert (a unique-constraint error, a 500 on PostgreSQL).
    Partnership.objects.select_for_update().filter(pk=partnership.pk).first()
    schedule = ReportSchedule.objects.select_for_update().filter(partnership=partnership).first()
    created = schedule is None
    if created:
        schedule = ReportSchedule(partnership=partnership)
    before = {} if created else _schedule_snapshot(schedule)
    schedule.frequency, schedule.starts_on = frequency, starts_on
    schedule.days_to_contribute, schedule.remind_days_before = days_to_contribute, remind_days_before
    schedule.active = bool(active)
    schedule.updated_by, schedule.updated_at = actor, clock.now()
    schedule.save()
    after = _schedule_snapshot(schedule)
    if created:
        audit_record(
            actor=actor,
            action="continuity.schedule.changed",
            target=partnership,
            partnership=partnership,
            after=after,
        )
    else:
        audit_record_changes(
            actor=actor,
            action="continuity.schedule.changed",
            target=partnership,
            partnership=partnership,
            before=before,
            after=after,
        )
    return schedule


@transaction.atomic
def report_open(
    *, partnership: Partnership, period_start: date, period_end: date, due_date: date, actor=None
) -> ProgressReport:
    """Open the report of one period (idempotent: an existing report of that period is returned as is).

    With ``actor`` (a coordinator opening it by hand) the actor's role is checked; without, it is the
    daily job. Creates an empty section for every active partner and asks each partner's members with a
    write role to fill in theirs.
    """
    if actor is not None:
        partnership = _scope(actor, partnership, write=True)
        permissions.ensure_can_manage_reports(partnership.membership)
    period_start = _clean_date(period_start, "period_start")
    period_end = _clean_date(period_end, "period_end")
    due_date = _clean_date(due_date, "due_date")
    if period_end < period_start:
        raise ValidationError({"period_end": _("The period cannot end before it starts.")})
    if due_date < period_start:
        raise ValidationError({"due_date": _("The deadline cannot be before the period starts.")})
    existing = ProgressReport.objects.filter(partnership=partnership, period_start=period_start).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            report = ProgressReport.objects.create(
                partnership=partnership, period_start=period_start, period_end=period_end, due_date=due_date
            )
    except IntegrityError:
        # Opened at the same moment by another run.
        return ProgressReport.objects.get(partnership=partnership, period_start=period_start)
    partners = list(
        Partner.objects.filter(partnership=partnership, status=PartnerStatus.ACTIVE)
        .select_related("organisation")
        .order_by("id")
    )
    sections = ReportSection.objects.bulk_create(
        [ReportSection(report=report, partner=partner) for partner in partners]
    )
    audit_record(
        actor=actor,
        actor_label="" if actor is not None else SYSTEM,
        action="continuity.report.opened",
        target=report,
        partnership=partnership,
        after={
            "period_start": period_start.isoformat(),
            "period_end": period_end.isoformat(),
            "due_date": due_date.isoformat(),
            "sections": sorted(str(partner.code) for partner in partners),
        },
    )
    people = _write_members(partner.pk for partner in partners)
    title = _("Progress report %(period)s: please fill in your section") % {
        "period": period_text(period_start, period_end)
    }
    body = _("Your organisation's section is due on %(date)s.") % {
        "date": formats.date_format(due_date, "DATE_FORMAT")
    }
    for section in sections:
        recipients = people.get(section.partner_id, [])
        if recipients:
            notify(
                recipients=recipients,
                kind="continuity.report_open",
                title=title,
                body=body,
                url=section_url(report, section, partnership),
                tlp="green",
                partnership=partnership,
            )
    return report


def _section_snapshot(section: ReportSection) -> dict:
    return {
        **{key: getattr(section, key) for key in SECTION_TEXT_FIELDS},
        **{key: str(getattr(section, key)) for key in SECTION_NUMBER_FIELDS},
        "submitted": section.submitted_at is not None,
    }


@transaction.atomic
def section_save(*, actor, section: ReportSection, submit: bool = False, **fields) -> ReportSection:
    """A partner's own people write its section until the report is signed off. ``submit`` marks it
    delivered (saving again later keeps it submitted and records who submitted last)."""
    unknown = set(fields) - set(SECTION_TEXT_FIELDS) - set(SECTION_NUMBER_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed here.")})
    partnership = get_partnership_for_user(actor, section.report.partnership.code, write=True)
    report = ProgressReport.objects.select_for_update().filter(pk=section.report_id).first()
    section = (
        ReportSection.objects.select_for_update()
        .filter(pk=section.pk, report__partnership=partnership)
        .select_related("partner")
        .first()
    )
    if report is None or section is None:
        raise Http404(_("Report section not found."))
    permissions.ensure_can_edit_section(partnership.membership, section)
    if report.status == ReportStatus.SIGNED_OFF or report.signed_off_at is not None:
        raise ValidationError({"status": _("The report is signed off.")})
    values = {}
    for key in SECTION_TEXT_FIELDS:
        if key in fields:
            values[key] = _clean_text(fields[key], key)
    for key, places in SECTION_NUMBER_FIELDS.items():
        if key in fields:
            values[key] = _clean_decimal(fields[key], key, places=places, maximum=Decimal("9999999999"))
    before = _section_snapshot(section)
    was_submitted = section.submitted_at is not None
    for key, value in values.items():
        setattr(section, key, value)
    now = clock.now()
    section.updated_at = now
    if submit:
        section.submitted_at, section.submitted_by = now, actor
    section.save()
    after = _section_snapshot(section)
    event = {
        "actor": actor,
        "action": "continuity.section.submitted" if submit else "continuity.section.saved",
        "target": section,
        "partnership": partnership,
    }
    if submit:
        # Always recorded: submitting (again) is an event even when no text changed.
        changed = [key for key in after if before[key] != after[key]]
        audit_record(
            before={key: before[key] for key in changed},
            after={
                "report": str(report.code),
                "resubmitted": was_submitted,
                **{k: after[k] for k in changed},
            },
            **event,
        )
    else:
        audit_record_changes(before=before, after=after, **event)
    return section


@transaction.atomic
def report_sign_off(*, actor, report: ProgressReport, summary: str) -> ProgressReport:
    """A coordinator compiles the report with a summary and signs it off; it is frozen afterwards."""
    partnership = get_partnership_for_user(actor, report.partnership.code, write=True)
    permissions.ensure_can_manage_reports(partnership.membership)
    report = ProgressReport.objects.select_for_update().filter(pk=report.pk, partnership=partnership).first()
    if report is None:
        raise Http404(_("Report not found."))
    if report.status == ReportStatus.SIGNED_OFF or report.signed_off_at is not None:
        raise ValidationError({"status": _("The report is already signed off.")})
    summary = _clean_text(summary, "summary", required=True)
    report.summary = summary
    report.status = ReportStatus.SIGNED_OFF
    report.signed_off_by, report.signed_off_at = actor, clock.now()
    report.save()
    missing = list(report.sections.filter(submitted_at__isnull=True).values_list("partner__code", flat=True))
    audit_record(
        actor=actor,
        action="continuity.report.signed_off",
        target=report,
        partnership=partnership,
        before={"status": ReportStatus.COLLECTING},
        after={
            "status": ReportStatus.SIGNED_OFF,
            "summary_length": len(summary),
            "sections_missing": sorted(str(code) for code in missing),
        },
    )
    notify(
        recipients=_members(partnership),
        kind="continuity.report_signed_off",
        title=_("Progress report %(period)s signed off")
        % {"period": period_text(report.period_start, report.period_end)},
        url=report_url(report, partnership),
        tlp="green",
        partnership=partnership,
    )
    return report


# The daily job -------------------------------------------------------------------------------------


@dataclass
class DailyResult:
    reports_opened: int = 0
    reminders_sent: int = 0
    escalations: int = 0
    opened: list = field(default_factory=list)
    #: Partnerships whose part of the job failed (logged; tried again on the next run).
    failed: list = field(default_factory=list)


def periods(schedule: ReportSchedule, *, until: date):
    """``(start, end)`` of every period of ``schedule`` that ended before ``until``, oldest first."""
    step = MONTHS[Frequency(schedule.frequency)]
    index = 0
    while True:
        start = add_months(schedule.starts_on, step * index)
        end = add_months(schedule.starts_on, step * (index + 1)) - timedelta(days=1)
        if end >= until:
            return
        yield start, end
        index += 1


def _open_due_reports(schedule: ReportSchedule, on: date) -> list[ProgressReport]:
    horizon = on - timedelta(days=BACKFILL_DAYS)
    wanted = [(start, end) for start, end in periods(schedule, until=on) if end >= horizon]
    if not wanted:
        return []
    existing = set(
        ProgressReport.objects.filter(
            partnership_id=schedule.partnership_id, period_start__in=[start for start, _end in wanted]
        ).values_list("period_start", flat=True)
    )
    opened = []
    for start, end in wanted:
        if start in existing:
            continue
        report = report_open(
            partnership=schedule.partnership,
            period_start=start,
            period_end=end,
            due_date=end + timedelta(days=schedule.days_to_contribute),
        )
        opened.append(report)
    return opened


def _remind_report(report: ProgressReport, schedule: ReportSchedule, on: date, result: DailyResult) -> None:
    """Remind the partners whose section of ``report`` is not submitted, and tell the coordinators once
    when sections are late. One transaction per report; the report row is locked so two runs at once
    cannot both send."""
    with transaction.atomic():
        report = (
            ProgressReport.objects.select_for_update()
            .select_related("partnership")
            .filter(pk=report.pk, status=ReportStatus.COLLECTING)
            .first()
        )
        if report is None:
            return
        partnership = report.partnership
        due = report.due_date
        if timezone.localdate(report.created_at) > due:
            return  # opened after its deadline (a schedule set with past periods): its opening told them
        if on > due:
            kind = "late"
        elif on >= due - timedelta(days=schedule.remind_days_before):
            kind = "before"
        else:
            return
        open_sections = list(
            report.sections.filter(submitted_at__isnull=True, partner__status=PartnerStatus.ACTIVE)
            .select_related("partner__organisation")
            .order_by("partner_id")
        )
        if not open_sections:
            return
        already = set(ReportReminder.objects.filter(report=report).values_list("partner_id", "kind"))
        to_remind = [s for s in open_sections if (s.partner_id, kind) not in already]
        people = _write_members(s.partner_id for s in to_remind)
        date_text = formats.date_format(due, "DATE_FORMAT")
        period = period_text(report.period_start, report.period_end)
        if kind == "late":
            title = _("Progress report %(period)s: your section was due on %(date)s") % {
                "period": period,
                "date": date_text,
            }
        else:
            title = _("Progress report %(period)s: your section is due on %(date)s") % {
                "period": period,
                "date": date_text,
            }
        reminded = []
        for section in to_remind:
            recipients = people.get(section.partner_id, [])
            try:
                with transaction.atomic():
                    ReportReminder.objects.create(
                        report=report,
                        partner=section.partner,
                        kind=kind,
                        sent_at=clock.now(),
                        recipients=len(recipients),
                    )
            except IntegrityError:
                continue
            if recipients:
                notify(
                    recipients=recipients,
                    kind="continuity.report_reminder",
                    title=title,
                    url=section_url(report, section, partnership),
                    tlp="green",
                    partnership=partnership,
                )
            reminded.append((section, len(recipients)))
        if reminded:
            result.reminders_sent += len(reminded)
            audit_record(
                actor=None,
                actor_label=SYSTEM,
                action="continuity.report.reminded",
                target=report,
                partnership=partnership,
                after={
                    "kind": kind,
                    "due_date": due.isoformat(),
                    "partners": [str(section.partner.code) for section, _n in reminded],
                    "recipients": sum(n for _section, n in reminded),
                },
            )
        if kind == "late" and not any(k == ESCALATED for _p, k in already):
            coordinators = _members(partnership, roles=[Role.COORDINATOR])
            ReportReminder.objects.create(
                report=report,
                partner=open_sections[0].partner,
                kind=ESCALATED,
                sent_at=clock.now(),
                recipients=len(coordinators),
            )
            names = ", ".join(section.partner.organisation.name for section in open_sections)
            if coordinators:
                notify(
                    recipients=coordinators,
                    kind="continuity.report_late",
                    title=_("Progress report %(period)s: sections are late") % {"period": period},
                    body=_("Sections still missing (due %(date)s): %(names)s.")
                    % {"date": date_text, "names": names},
                    url=report_url(report, partnership),
                    tlp="green",
                    partnership=partnership,
                )
            result.escalations += 1
            audit_record(
                actor=None,
                actor_label=SYSTEM,
                action="continuity.report.escalated",
                target=report,
                partnership=partnership,
                after={
                    "due_date": due.isoformat(),
                    "partners": [str(section.partner.code) for section in open_sections],
                    "recipients": len(coordinators),
                },
            )


def run_daily(*, on: date | None = None) -> DailyResult:
    """For every active schedule: open the report of each period that ended (each once, at most
    ``BACKFILL_DAYS`` back), remind partners whose section is due soon or late (each once per kind), and
    tell the coordinators once per report when sections are late. Safe to run any number of times."""
    on = on or clock.today()
    result = DailyResult()
    schedules = (
        ReportSchedule.objects.filter(active=True)
        .exclude(partnership__status=PartnershipStatus.ENDED)
        .select_related("partnership")
        .order_by("id")
    )
    for schedule in schedules:
        # One partnership's trouble (bad data, a mail server refusing a reminder) must not stop the job for
        # every other partnership: log it, go on, and let the next run try it again.
        try:
            opened = _open_due_reports(schedule, on)
            result.reports_opened += len(opened)
            result.opened.extend(opened)
            collecting = ProgressReport.objects.filter(
                partnership_id=schedule.partnership_id,
                status=ReportStatus.COLLECTING,
                period_end__lt=on,
                due_date__gte=on - timedelta(days=BACKFILL_DAYS),
            ).order_by("period_start")
            for report in collecting:
                _remind_report(report, schedule, on, result)
        except Exception:
            logger.exception(
                "Continuity daily job failed for the schedule of partnership %s", schedule.partnership_id
            )
            result.failed.append(schedule.partnership_id)
    return result


# Resources -----------------------------------------------------------------------------------------


def _commitment_snapshot(commitment: Commitment) -> dict:
    return {
        "partner": str(commitment.partner.code),
        "kind": commitment.kind,
        "amount": str(commitment.amount),
        "starts_on": commitment.starts_on.isoformat(),
        "ends_on": commitment.ends_on.isoformat() if commitment.ends_on else None,
        "source": commitment.source,
        "note": commitment.note,
    }


def _clean_commitment(kind: str, values: dict) -> None:
    if values["ends_on"] is not None and values["ends_on"] < values["starts_on"]:
        raise ValidationError({"ends_on": _("The end cannot be before the start.")})
    if kind == ResourceKind.FUNDING and not values["source"]:
        raise ValidationError({"source": _("Say where the funding comes from.")})


def _lock_commitment(actor, commitment: Commitment) -> Commitment:
    partnership = get_partnership_for_user(actor, commitment.partnership.code, write=True)
    locked = (
        Commitment.objects.select_for_update()
        .filter(pk=commitment.pk, partnership=partnership)
        .select_related("partner")
        .first()
    )
    if locked is None:
        raise Http404(_("Commitment not found."))
    permissions.ensure_can_manage_commitments_of(partnership.membership, locked.partner_id)
    locked.partnership = partnership
    return locked


@transaction.atomic
def commitment_create(
    *,
    actor,
    partnership: Partnership,
    partner: Partner,
    kind: str,
    amount,
    starts_on: date,
    ends_on: date | None = None,
    source: str = "",
    note: str = "",
) -> Commitment:
    """Hours a month, staff (head count, may be fractional) or funding (euros in total, with its source)."""
    partnership = _scope(actor, partnership, write=True)
    partner = _active_partner(partnership, partner, "partner")
    permissions.ensure_can_manage_commitments_of(partnership.membership, partner)
    if kind not in ResourceKind.values:
        raise ValidationError({"kind": _("Unknown kind of resource.")})
    values = {
        "amount": _clean_decimal(amount, "amount", maximum=Decimal("9999999999")),
        "starts_on": _clean_date(starts_on, "starts_on"),
        "ends_on": _clean_date(ends_on, "ends_on", required=False),
        "source": _clean_text(source, "source", max_length=200),
        "note": _clean_text(note, "note", max_length=300),
    }
    _clean_commitment(kind, values)
    commitment = Commitment.objects.create(
        partnership=partnership, partner=partner, kind=kind, created_by=actor, **values
    )
    audit_record(
        actor=actor,
        action="continuity.commitment.created",
        target=commitment,
        partnership=partnership,
        after=_commitment_snapshot(commitment),
    )
    return commitment


@transaction.atomic
def commitment_update(*, actor, commitment: Commitment, **changes) -> Commitment:
    """Amount, dates, source and note (the partner and kind stay: add a new commitment instead)."""
    unknown = set(changes) - set(COMMITMENT_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed here.")})
    commitment = _lock_commitment(actor, commitment)
    before = _commitment_snapshot(commitment)
    values = {
        "amount": commitment.amount,
        "starts_on": commitment.starts_on,
        "ends_on": commitment.ends_on,
        "source": commitment.source,
        "note": commitment.note,
    }
    if "amount" in changes:
        values["amount"] = _clean_decimal(changes["amount"], "amount", maximum=Decimal("9999999999"))
    if "starts_on" in changes:
        values["starts_on"] = _clean_date(changes["starts_on"], "starts_on")
    if "ends_on" in changes:
        values["ends_on"] = _clean_date(changes["ends_on"], "ends_on", required=False)
    if "source" in changes:
        values["source"] = _clean_text(changes["source"], "source", max_length=200)
    if "note" in changes:
        values["note"] = _clean_text(changes["note"], "note", max_length=300)
    _clean_commitment(commitment.kind, values)
    for key, value in values.items():
        setattr(commitment, key, value)
    commitment.save()
    audit_record_changes(
        actor=actor,
        action="continuity.commitment.updated",
        target=commitment,
        partnership=commitment.partnership,
        before=before,
        after=_commitment_snapshot(commitment),
    )
    return commitment


@transaction.atomic
def commitment_delete(*, actor, commitment: Commitment) -> None:
    commitment = _lock_commitment(actor, commitment)
    audit_record(
        actor=actor,
        action="continuity.commitment.deleted",
        target=commitment,
        partnership=commitment.partnership,
        before={**_commitment_snapshot(commitment), "actuals": commitment.actuals.count()},
    )
    commitment.delete()


@transaction.atomic
def actual_record(*, actor, commitment: Commitment, month: date, amount, note: str = "") -> Actual:
    """What was used of ``commitment`` in ``month`` (normalised to the 1st; recording it again replaces
    the earlier figure)."""
    commitment = _lock_commitment(actor, commitment)
    month = _clean_date(month, "month")
    month = first_of_month(month)
    if month > first_of_month(clock.today()):
        raise ValidationError({"month": _("The month cannot be in the future.")})
    if month < first_of_month(commitment.starts_on) or (
        commitment.ends_on is not None and month > commitment.ends_on
    ):
        raise ValidationError({"month": _("The month is outside the commitment's period.")})
    amount = _clean_decimal(amount, "amount", maximum=Decimal("9999999999"))
    note = _clean_text(note, "note", max_length=300)
    actual = Actual.objects.select_for_update().filter(commitment=commitment, month=month).first()
    before = None
    if actual is None:
        actual = Actual(commitment=commitment, month=month)
    else:
        before = {"amount": str(actual.amount), "note": actual.note}
    actual.amount, actual.note = amount, note
    actual.reported_by, actual.reported_at = actor, clock.now()
    actual.save()
    audit_record(
        actor=actor,
        action="continuity.actual.recorded",
        target=actual,
        partnership=commitment.partnership,
        before=before,
        after={
            "commitment": str(commitment.code),
            "month": month.isoformat(),
            "amount": str(amount),
            "note": note,
        },
    )
    return actual


# Settings ------------------------------------------------------------------------------------------


@transaction.atomic
def settings_update(*, actor, partnership: Partnership, **fields) -> ContinuitySettings:
    """The thresholds of the early warnings (coordinators)."""
    unknown = set(fields) - set(SETTINGS_LIMITS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed here.")})
    partnership = _scope(actor, partnership, write=True)
    permissions.ensure_can_manage_settings(partnership.membership)
    values = {key: _clean_int(value, key, *SETTINGS_LIMITS[key]) for key, value in fields.items()}
    row, _created = ContinuitySettings.objects.select_for_update().get_or_create(partnership=partnership)
    before = {key: getattr(row, key) for key in SETTINGS_LIMITS}
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_by, row.updated_at = actor, clock.now()
    row.save()
    audit_record_changes(
        actor=actor,
        action="continuity.settings.changed",
        target=partnership,
        partnership=partnership,
        before=before,
        after={key: getattr(row, key) for key in SETTINGS_LIMITS},
    )
    return row
