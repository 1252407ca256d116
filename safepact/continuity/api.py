"""API for continuity: the signals (with evidence and trend), the action plan's activities, progress reports
with each partner's section, sign-off and PDF, the report schedule, resource commitments and their actual
use, and the thresholds of the warnings.

Same access rules as the pages: every active member reads; coordinators manage the plan, the schedule,
the sign-off, the settings and any partner's commitments; members change the status of their own
partner's activities, fill in their own partner's section and manage their own partner's commitments and
actuals; viewers read only.

Paths nest under ``/partnerships/{code}/``; objects are named by their ``code``.
"""

from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import paginate

from safepact.accounts.schemas import with_errors
from safepact.continuity import selectors, services
from safepact.continuity.models import Commitment, ReportSchedule
from safepact.continuity.schemas import (
    ActivityIn,
    ActivityOut,
    ActivityPatch,
    ActualIn,
    ActualOut,
    CommitmentIn,
    CommitmentOut,
    CommitmentPatch,
    ContinuityOut,
    ReportDetail,
    ReportOut,
    ScheduleIn,
    ScheduleOut,
    SectionOut,
    SectionPatch,
    SettingsIn,
    SettingsOut,
    SignOffIn,
)
from safepact.formation.selectors.objectives import objective_list
from safepact.lib import clock
from safepact.lib.pagination import LimitOffsetPagination
from safepact.partnerships.permissions import can_manage
from safepact.partnerships.selectors import get_partnership_for_user, partner_list

router = Router(tags=["continuity"])

READ = with_errors()
WRITE = with_errors(403, 422)
P = "/{code}"


def _partner(user, partnership, code, field: str):
    partner = partner_list(user=user, partnership=partnership).filter(code=code).first()
    if partner is None:
        raise ValidationError({field: _("This partnership has no partner with this code.")})
    return partner


# Signals --------------------------------------------------------------------------------------------


def _engagement_row(row) -> dict:
    partner = getattr(row, "partner", None)
    return {
        "partner": getattr(partner, "code", partner),
        "organisation": getattr(row, "organisation", "") or getattr(row, "organisation_name", ""),
        "last_attended": getattr(row, "last_attended", None),
        "attendance_rate": getattr(row, "attendance_rate", None),
        "reports_delivered": getattr(row, "reports_delivered", 0),
        "reports_due": getattr(row, "reports_due", 0),
        "actions_done": getattr(row, "actions_done", 0),
        "actions_open": getattr(row, "actions_open", 0),
        "last_participation": getattr(row, "last_participation", None),
        "drifting": getattr(row, "drifting", False),
    }


@router.get(
    f"{P}/continuity",
    response={200: ContinuityOut, **READ},
    summary="Is this partnership healthy and will it last? Each signal with its evidence and trend",
    description=(
        "Signals: engagement, meeting_load, meeting_rhythm, overdue_actions, overdue_reports, "
        "funding_runway, underspend, agreements; each `ok`, `warning` or `danger`, with the trend against "
        "30 days ago. Also the partners' engagement, this month's meeting load per person and the meeting "
        "rhythm."
    ),
)
def continuity_detail(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    on = clock.today()
    overview = selectors.continuity_overview(user=request.auth, partnership=partnership, on=on)
    return {
        "on": on,
        "signals": overview.signals,
        "partners": [_engagement_row(row) for row in overview.partners],
        "load": overview.load,
        "monthly_hours_limit": getattr(overview, "monthly_hours_limit", None),
        "rhythm": overview.rhythm,
    }


# Activities -----------------------------------------------------------------------------------------


def _objective(user, partnership, code):
    if code is None:
        return None
    objective = objective_list(user=user, partnership=partnership).filter(code=code).first()
    if objective is None:
        raise ValidationError({"objective": _("This partnership has no objective with this code.")})
    return objective


def _dependencies(user, partnership, codes) -> list:
    codes = list(dict.fromkeys(codes))
    found = list(selectors.activity_list(user=user, partnership=partnership).filter(code__in=codes))
    if len(found) != len(codes):
        raise ValidationError({"depends_on": _("This partnership has no activity with this code.")})
    return found


def _activity_out(user, partnership, activity):
    return (
        selectors.activity_list(user=user, partnership=partnership)
        .select_related("created_by")
        .get(pk=activity.pk)
    )


@router.get(
    f"{P}/activities",
    response=list[ActivityOut],
    summary="The action plan's activities, by start date (meetings' action items: see action-items)",
)
@paginate(LimitOffsetPagination)
def activity_index(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    return (
        selectors.activity_list(user=request.auth, partnership=partnership)
        .select_related("created_by")
        .order_by("start_date", "due_date", "id")
    )


@router.post(
    f"{P}/activities",
    response={201: ActivityOut, **WRITE},
    summary="Add an activity to the action plan (coordinator)",
)
def activity_new(request, code: UUID, payload: ActivityIn):
    user = request.auth
    partnership = get_partnership_for_user(user, code, manage=True)
    activity = services.activity_create(
        actor=user,
        partnership=partnership,
        title=payload.title,
        description=payload.description,
        objective=_objective(user, partnership, payload.objective),
        owner_partner=_partner(user, partnership, payload.owner_partner, "owner_partner"),
        start_date=payload.start_date,
        due_date=payload.due_date,
        depends_on=_dependencies(user, partnership, payload.depends_on),
    )
    return Status(201, _activity_out(user, partnership, activity))


@router.get(f"{P}/activities/{{activity_code}}", response={200: ActivityOut, **READ}, summary="One activity")
def activity_detail(request, code: UUID, activity_code: UUID):
    activity = selectors.get_activity_for_user(request.auth, code, activity_code)
    return _activity_out(request.auth, activity.partnership, activity)


@router.patch(
    f"{P}/activities/{{activity_code}}",
    response={200: ActivityOut, **WRITE},
    summary="Change an activity (coordinator), or only its status (also members of the owner partner)",
)
def activity_edit(request, code: UUID, activity_code: UUID, payload: ActivityPatch):
    user = request.auth
    activity = selectors.get_activity_for_user(user, code, activity_code, write=True)
    partnership = activity.partnership
    changes = payload.dict(exclude_unset=True)
    status = changes.pop("status", None)
    if "status" in payload.model_fields_set and status is None:
        raise ValidationError({"status": _("This field cannot be empty.")})
    for name in ("title", "owner_partner", "start_date", "due_date"):
        if name in changes and changes[name] is None:
            raise ValidationError({name: _("This field cannot be empty.")})
    if changes:
        if not can_manage(partnership.membership):
            raise PermissionDenied(_("Only coordinators can change the action plan."))
        if "description" in changes and changes["description"] is None:
            changes["description"] = ""
        if "objective" in changes:
            changes["objective"] = _objective(user, partnership, changes["objective"])
        if "owner_partner" in changes:
            changes["owner_partner"] = _partner(user, partnership, changes["owner_partner"], "owner_partner")
        if "depends_on" in changes:
            changes["depends_on"] = _dependencies(user, partnership, changes["depends_on"] or [])
        activity = services.activity_update(actor=user, activity=activity, **changes)
    if status is not None:
        activity = services.activity_set_status(actor=user, activity=activity, status=status)
    return _activity_out(user, partnership, activity)


@router.delete(
    f"{P}/activities/{{activity_code}}",
    response={204: None, **WRITE},
    summary="Remove an activity from the action plan (coordinator)",
)
def activity_delete(request, code: UUID, activity_code: UUID):
    activity = selectors.get_activity_for_user(request.auth, code, activity_code, manage=True)
    services.activity_delete(actor=request.auth, activity=activity)
    return Status(204, None)


# Reports --------------------------------------------------------------------------------------------


@router.get(f"{P}/reports", response=list[ReportOut], summary="Every progress report, newest period first")
@paginate(LimitOffsetPagination)
def report_index(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    return selectors.report_list(user=request.auth, partnership=partnership)


def _report_detail(user, report):
    fresh = selectors.report_list(user=user, partnership=report.partnership).get(pk=report.pk)
    fresh.partnership = report.partnership
    detail = selectors.report_detail(user=user, report=fresh)
    fresh.sections_out = detail.sections
    fresh.missing_out = [section.partner.organisation.name for section in detail.missing]
    return fresh


# Registered before ``{report_code}`` so that "<code>.pdf" is never taken for a report's code.
@router.get(
    f"{P}/reports/{{report_code}}.pdf",
    response={200: None, **READ},
    summary="The report as PDF: the coordinator's summary and every partner's section",
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}, "description": "PDF file"}}},
)
def report_pdf(request, code: UUID, report_code: UUID):
    from safepact.continuity import documents

    report = selectors.get_report_for_user(request.auth, code, report_code)
    data, filename = documents.export_report_pdf(actor=request.auth, report=report)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@router.get(
    f"{P}/reports/{{report_code}}",
    response={200: ReportDetail, **READ},
    summary="One progress report with every partner's section and the ones still missing",
)
def report_detail(request, code: UUID, report_code: UUID):
    report = selectors.get_report_for_user(request.auth, code, report_code)
    return _report_detail(request.auth, report)


@router.patch(
    f"{P}/reports/{{report_code}}/sections/{{section_code}}",
    response={200: SectionOut, **WRITE},
    summary="Fill in your own partner's section; `submit: true` hands it in (until sign-off)",
)
def section_edit(request, code: UUID, report_code: UUID, section_code: UUID, payload: SectionPatch):
    user = request.auth
    section = selectors.get_section_for_user(user, code, report_code, section_code, write=True)
    fields = payload.dict(exclude_unset=True)
    submit = bool(fields.pop("submit", False))
    for name in ("activities_done", "outputs", "problems", "next_steps"):
        if name in fields and fields[name] is None:
            fields[name] = ""
    for name in ("hours_used", "money_used"):
        if name in fields and fields[name] is None:
            raise ValidationError({name: _("This field cannot be empty.")})
    section = services.section_save(actor=user, section=section, submit=submit, **fields)
    return selectors.get_section_for_user(user, code, report_code, section_code)


@router.post(
    f"{P}/reports/{{report_code}}/sign-off",
    response={200: ReportDetail, **WRITE},
    summary="Compile and sign off the report with a summary (coordinator); it is frozen afterwards",
)
def report_sign_off(request, code: UUID, report_code: UUID, payload: SignOffIn):
    user = request.auth
    report = selectors.get_report_for_user(user, code, report_code, manage=True)
    services.report_sign_off(actor=user, report=report, summary=payload.summary)
    return _report_detail(user, selectors.get_report_for_user(user, code, report_code))


def _schedule_out(schedule: ReportSchedule | None) -> dict:
    if schedule is None:
        return {"exists": False}
    return {
        "exists": True,
        "frequency": schedule.frequency,
        "starts_on": schedule.starts_on,
        "days_to_contribute": schedule.days_to_contribute,
        "remind_days_before": schedule.remind_days_before,
        "active": schedule.active,
    }


@router.get(
    f"{P}/report-schedule",
    response={200: ScheduleOut, **READ},
    summary="When progress reports are due and when late partners are reminded",
)
def schedule_detail(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    return _schedule_out(selectors.schedule_for(partnership=partnership))


@router.put(
    f"{P}/report-schedule",
    response={200: ScheduleOut, **WRITE},
    summary="Set the report schedule (coordinator); reports open when each period ends",
)
def schedule_put(request, code: UUID, payload: ScheduleIn):
    partnership = get_partnership_for_user(request.auth, code, manage=True)
    return _schedule_out(services.schedule_set(actor=request.auth, partnership=partnership, **payload.dict()))


# Commitments and actuals ----------------------------------------------------------------------------


def _commitments(partnership):
    """The partnership's commitments (``partnership`` opened through the access helper), with ``used_total``."""
    return (
        Commitment.objects.filter(partnership=partnership)
        .select_related("partner__organisation", "created_by")
        .annotate(used_total=Sum("actuals__amount"))
        .order_by("partner__organisation__name", "kind", "starts_on", "id")
    )


@router.get(
    f"{P}/commitments",
    response=list[CommitmentOut],
    summary="What each partner commits (hours a month, staff, funding) and what was used so far",
)
@paginate(LimitOffsetPagination)
def commitment_index(request, code: UUID):
    return _commitments(get_partnership_for_user(request.auth, code))


@router.post(
    f"{P}/commitments",
    response={201: CommitmentOut, **WRITE},
    summary="Add a commitment (coordinators for any partner, members for their own)",
)
def commitment_new(request, code: UUID, payload: CommitmentIn):
    user = request.auth
    partnership = get_partnership_for_user(user, code, write=True)
    data = payload.dict()
    data["partner"] = _partner(user, partnership, data["partner"], "partner")
    commitment = services.commitment_create(actor=user, partnership=partnership, **data)
    return Status(201, _commitments(partnership).get(pk=commitment.pk))


@router.patch(
    f"{P}/commitments/{{commitment_code}}",
    response={200: CommitmentOut, **WRITE},
    summary="Change a commitment (coordinators; members their own partner's)",
)
def commitment_edit(request, code: UUID, commitment_code: UUID, payload: CommitmentPatch):
    user = request.auth
    commitment = selectors.get_commitment_for_user(user, code, commitment_code, write=True)
    changes = payload.dict(exclude_unset=True)
    for name in ("amount", "starts_on"):
        if name in changes and changes[name] is None:
            raise ValidationError({name: _("This field cannot be empty.")})
    for name in ("source", "note"):
        if name in changes and changes[name] is None:
            changes[name] = ""
    services.commitment_update(actor=user, commitment=commitment, **changes)
    return _commitments(commitment.partnership).get(pk=commitment.pk)


@router.delete(
    f"{P}/commitments/{{commitment_code}}",
    response={204: None, **WRITE},
    summary="Remove a commitment and its recorded use (coordinators; members their own partner's)",
)
def commitment_delete(request, code: UUID, commitment_code: UUID):
    commitment = selectors.get_commitment_for_user(request.auth, code, commitment_code, write=True)
    services.commitment_delete(actor=request.auth, commitment=commitment)
    return Status(204, None)


@router.get(
    f"{P}/commitments/{{commitment_code}}/actuals",
    response=list[ActualOut],
    summary="What was actually used of a commitment, month by month (latest first)",
)
@paginate(LimitOffsetPagination)
def actual_index(request, code: UUID, commitment_code: UUID):
    commitment = selectors.get_commitment_for_user(request.auth, code, commitment_code)
    return selectors.actual_list(commitment=commitment)


@router.post(
    f"{P}/commitments/{{commitment_code}}/actuals",
    response={200: ActualOut, **WRITE},
    summary="Record the use of one month (replaces what was recorded for that month)",
)
def actual_new(request, code: UUID, commitment_code: UUID, payload: ActualIn):
    commitment = selectors.get_commitment_for_user(request.auth, code, commitment_code, write=True)
    actual = services.actual_record(actor=request.auth, commitment=commitment, **payload.dict())
    return selectors.actual_list(commitment=commitment).get(pk=actual.pk)


# Settings -------------------------------------------------------------------------------------------


@router.get(
    f"{P}/continuity-settings",
    response={200: SettingsOut, **READ},
    summary="The thresholds of the continuity warnings",
)
def settings_detail(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    return selectors.settings_for(partnership=partnership)


@router.put(
    f"{P}/continuity-settings",
    response={200: SettingsOut, **WRITE},
    summary="Change the thresholds of the continuity warnings (coordinator)",
)
def settings_put(request, code: UUID, payload: SettingsIn):
    partnership = get_partnership_for_user(request.auth, code, manage=True)
    return services.settings_update(actor=request.auth, partnership=partnership, **payload.dict())
