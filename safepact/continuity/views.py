"""Pages of continuity: the overview (is this partnership healthy and will it last?), the action plan with
its Gantt chart, progress reports (schedule, history, each partner's section, sign-off, PDF), resources
(commitments, actuals, funding runway) and the warning thresholds; and the dashboard panel that puts the
continuity of every partnership a coordinator runs side by side.

Thin: fetch through an access helper (404 outsider, 403 role), parse with a form, call a service, render.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from safepact.continuity import permissions, selectors, services
from safepact.continuity.forms import (
    ActivityForm,
    ActivityStatusForm,
    ActualForm,
    CommitmentForm,
    ScheduleForm,
    SectionForm,
    SettingsForm,
    SignOffForm,
)
from safepact.continuity.models import (
    ReportStatus,
)
from safepact.lib import clock
from safepact.lib.markdown import render as render_markdown
from safepact.partnerships.forms import apply_service_errors
from safepact.partnerships.hooks import AttentionItem, Panel
from safepact.partnerships.models import PartnerStatus, Role
from safepact.partnerships.permissions import can_manage, can_write
from safepact.partnerships.selectors import active_memberships, get_partnership_for_user, partner_list

SVG_CONTENT_TYPE = "image/svg+xml; charset=utf-8"

# How a signal's level and trend read, in words and a symbol (never colour alone).
LEVELS = {
    "ok": (gettext_lazy("OK"), "✓", "badge-active"),
    "warning": (gettext_lazy("Warning"), "⚠", "badge-warn"),
    "danger": (gettext_lazy("Act now"), "✖", "badge-suspended"),
}
TRENDS = {
    "better": (gettext_lazy("better than 30 days ago"), "↗"),
    "worse": (gettext_lazy("worse than 30 days ago"), "↘"),
    "same": (gettext_lazy("the same as 30 days ago"), "→"),
}
SIGNAL_KEYS = [
    ("engagement", gettext_lazy("Engagement")),
    ("meeting_load", gettext_lazy("Meeting load")),
    ("meeting_rhythm", gettext_lazy("Meeting rhythm")),
    ("overdue_actions", gettext_lazy("Overdue actions")),
    ("overdue_reports", gettext_lazy("Progress reports")),
    ("funding_runway", gettext_lazy("Funding runway")),
    ("underspend", gettext_lazy("Time spent")),
    ("agreements", gettext_lazy("Agreements")),
]


@dataclass(frozen=True)
class Shown:
    """A signal with the words and symbols the pages show for its level and trend."""

    signal: object
    level_label: str
    level_symbol: str
    level_class: str
    trend_label: str
    trend_symbol: str

    def __getattr__(self, name):
        return getattr(self.signal, name)


def shown(signal) -> Shown:
    label, symbol, css = LEVELS.get(signal.level, LEVELS["ok"])
    trend_label, trend_symbol = TRENDS.get(signal.trend, TRENDS["same"])
    return Shown(signal, str(label), symbol, css, str(trend_label), trend_symbol)


# Helpers ------------------------------------------------------------------------------------------


def _url(name: str, partnership, *args) -> str:
    return reverse(f"continuity:{name}", args=[partnership.code, *args])


def _report_errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _html(text: str) -> str:
    return mark_safe(render_markdown(text or "", heading_offset=2))  # noqa: S308 - sanitised in lib.markdown


def _svg_response(picture) -> HttpResponse:
    response = HttpResponse(picture.render(), content_type=SVG_CONTENT_TYPE)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _base(partnership, **extra) -> dict:
    membership = partnership.membership
    return {
        "partnership": partnership,
        "membership": membership,
        "is_coordinator": can_manage(membership),
        "can_write": can_write(membership),
        **extra,
    }


def _active_partners(request, partnership):
    return partner_list(user=request.user, partnership=partnership).filter(status=PartnerStatus.ACTIVE)


def _percent(value) -> int | None:
    """A rate (a fraction 0..1) as a whole percentage."""
    return None if value is None else round(float(value) * 100)


# Overview -----------------------------------------------------------------------------------------


@login_required
def overview(request, code):
    partnership = get_partnership_for_user(request.user, code)
    today = clock.today()
    data = selectors.continuity_overview(user=request.user, partnership=partnership, on=today)
    limit = selectors.settings_for(partnership=partnership).disengagement_days
    partners = []
    for row in data.partners:
        drifting = row.drifting
        partners.append({"row": row, "rate": _percent(row.attendance_rate), "drifting": drifting})
    context = _base(
        partnership,
        signals=[shown(s) for s in data.signals],
        partners=partners,
        load=data.load,
        rhythm=data.rhythm,
        today=today,
        disengagement_days=limit,
    )
    return render(request, "continuity/overview.html", context)


# Action plan --------------------------------------------------------------------------------------


@login_required
def plan(request, code):
    partnership = get_partnership_for_user(request.user, code)
    membership = partnership.membership
    today = clock.today()
    found = selectors.action_plan(user=request.user, partnership=partnership, on=today)
    rows = [
        {
            "row": row,
            # coordinators for any activity, members for their own partner's
            "can_status": row.kind == "activity" and permissions.can_set_activity_status(membership, row),
        }
        for row in found.rows
    ]
    context = _base(
        partnership,
        plan=found,
        rows=rows,
        gantt=selectors.gantt_svg(found, on=today).render(),
        statuses=ActivityStatusForm.base_fields["status"].choices,
        today=today,
    )
    return render(request, "continuity/plan.html", context)


@login_required
def plan_svg(request, code):
    partnership = get_partnership_for_user(request.user, code)
    today = clock.today()
    found = selectors.action_plan(user=request.user, partnership=partnership, on=today)
    return _svg_response(selectors.gantt_svg(found, on=today))


def _activity_form(request, partnership, *, activity=None, initial=None):
    from safepact.formation.models import ObjectiveStatus
    from safepact.formation.selectors.objectives import objective_list

    others = selectors.activity_list(user=request.user, partnership=partnership).order_by("start_date", "id")
    if activity is not None:
        others = others.exclude(pk=activity.pk)
    return ActivityForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        objectives=objective_list(user=request.user, partnership=partnership, status=ObjectiveStatus.ACTIVE),
        partners=_active_partners(request, partnership),
        activities=others,
    )


def _activity_values(form) -> dict:
    values = dict(form.cleaned_data)
    values["depends_on"] = list(values.get("depends_on") or [])
    return values


@login_required
def activity_create(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    form = _activity_form(request, partnership)
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.activity_create(
                actor=request.user, partnership=partnership, **_activity_values(form)
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, _("“%(title)s” was added to the action plan.") % {"title": activity.title}
            )
            return redirect(_url("plan", partnership))
    return render(request, "continuity/activity_form.html", _base(partnership, form=form, activity=None))


@login_required
def activity_update(request, code, activity_code):
    activity = selectors.get_activity_for_user(request.user, code, activity_code, manage=True)
    partnership = activity.partnership
    initial = {
        "title": activity.title,
        "description": activity.description,
        "objective": activity.objective.code if activity.objective_id else None,
        "owner_partner": activity.owner_partner.code,
        "start_date": activity.start_date,
        "due_date": activity.due_date,
        "depends_on": [a.code for a in activity.depends_on.all()],
    }
    form = _activity_form(request, partnership, activity=activity, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(actor=request.user, activity=activity, **_activity_values(form))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("“%(title)s” was saved.") % {"title": form.cleaned_data["title"]})
            return redirect(_url("plan", partnership))
    context = _base(partnership, form=form, activity=activity)
    return render(request, "continuity/activity_form.html", context)


@login_required
@require_POST
def activity_status(request, code, activity_code):
    activity = selectors.get_activity_for_user(request.user, code, activity_code, write=True)
    partnership = activity.partnership
    permissions.ensure_can_set_activity_status(partnership.membership, activity)
    form = ActivityStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
    else:
        try:
            changed = services.activity_set_status(
                actor=request.user, activity=activity, status=form.cleaned_data["status"]
            )
        except ValidationError as exc:
            _report_errors(request, exc)
        else:
            messages.success(
                request,
                _("“%(title)s” is now %(status)s.")
                % {"title": changed.title, "status": changed.get_status_display().lower()},
            )
    return redirect(_url("plan", partnership))


@login_required
def activity_delete(request, code, activity_code):
    activity = selectors.get_activity_for_user(request.user, code, activity_code, manage=True)
    partnership = activity.partnership
    if request.method == "POST":
        title = activity.title
        try:
            services.activity_delete(actor=request.user, activity=activity)
        except ValidationError as exc:
            _report_errors(request, exc)
        else:
            messages.success(request, _("“%(title)s” was removed from the action plan.") % {"title": title})
        return redirect(_url("plan", partnership))
    dependents = list(activity.dependents.order_by("start_date", "id"))
    context = _base(partnership, activity=activity, dependents=dependents)
    return render(request, "continuity/activity_delete.html", context)


# Progress reports ---------------------------------------------------------------------------------


@login_required
def reports(request, code):
    partnership = get_partnership_for_user(request.user, code)
    found = list(selectors.report_list(user=request.user, partnership=partnership))
    context = _base(
        partnership,
        reports=found,
        schedule=selectors.schedule_for(partnership=partnership),
        today=clock.today(),
    )
    return render(request, "continuity/reports.html", context)


@login_required
def schedule(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    current = selectors.schedule_for(partnership=partnership)
    if current is not None:
        initial = {
            "frequency": current.frequency,
            "starts_on": current.starts_on,
            "days_to_contribute": current.days_to_contribute,
            "remind_days_before": current.remind_days_before,
            "active": current.active,
        }
    else:
        today = clock.today()
        initial = {
            "frequency": "quarterly",
            "starts_on": today.replace(day=1),
            "days_to_contribute": 14,
            "remind_days_before": 3,
            "active": True,
        }
    form = ScheduleForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_set(actor=request.user, partnership=partnership, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The report schedule was saved."))
            return redirect(_url("reports", partnership))
    return render(request, "continuity/schedule.html", _base(partnership, form=form, schedule=current))


@login_required
def report_detail(request, code, report_code):
    report = selectors.get_report_for_user(request.user, code, report_code)
    partnership = report.partnership
    detail = selectors.report_detail(user=request.user, report=report, on=clock.today())
    context = _base(
        partnership,
        report=report,
        sections=detail.sections,
        missing=detail.missing,
        submitted=len(detail.sections) - len(detail.missing),
        mine=None if detail.signed_off else detail.my_section,
        late=detail.late,
        summary_html=_html(report.summary),
        signed_off=detail.signed_off,
    )
    return render(request, "continuity/report_detail.html", context)


@login_required
def section_edit(request, code, report_code, section_code):
    section = selectors.get_section_for_user(request.user, code, report_code, section_code, write=True)
    report = section.report
    partnership = report.partnership
    initial = {name: getattr(section, name) for name in SectionForm.FIELDS}
    form = SectionForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        submit = "submit" in request.POST
        try:
            services.section_save(actor=request.user, section=section, submit=submit, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Your section was submitted.") if submit else _("Your section was saved as a draft."),
            )
            return redirect(_url("report_detail", partnership, report.code))
    context = _base(
        partnership,
        report=report,
        section=section,
        form=form,
        signed_off=report.status == ReportStatus.SIGNED_OFF,
    )
    return render(request, "continuity/section_edit.html", context)


@login_required
def report_sign_off(request, code, report_code):
    report = selectors.get_report_for_user(request.user, code, report_code, manage=True)
    partnership = report.partnership
    form = SignOffForm(
        request.POST if request.method == "POST" else None, initial={"summary": report.summary}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.report_sign_off(actor=request.user, report=report, summary=form.cleaned_data["summary"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The report was signed off. It can no longer change."))
            return redirect(_url("report_detail", partnership, report.code))
    context = _base(
        partnership,
        report=report,
        form=form,
        missing=selectors.missing_sections(report),
        signed_off=report.status == ReportStatus.SIGNED_OFF,
    )
    return render(request, "continuity/report_sign_off.html", context)


@login_required
def report_pdf(request, code, report_code):
    report = selectors.get_report_for_user(request.user, code, report_code)
    from safepact.continuity import documents

    data, filename = documents.export_report_pdf(actor=request.user, report=report)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Resources ----------------------------------------------------------------------------------------


@login_required
def resources(request, code):
    partnership = get_partnership_for_user(request.user, code)
    membership = partnership.membership
    found = selectors.resources(user=request.user, partnership=partnership, on=clock.today())
    rows = [
        {
            "row": row,
            "can_change": permissions.can_edit_commitment(membership, row.commitment),
        }
        for row in found.rows
    ]
    context = _base(
        partnership,
        resources=found,
        rows=rows,
        chart=selectors.resources_svg(found).render(),
        actual_form=ActualForm(initial={"month": clock.today().replace(day=1)}),
    )
    return render(request, "continuity/resources.html", context)


@login_required
def resources_svg(request, code):
    partnership = get_partnership_for_user(request.user, code)
    found = selectors.resources(user=request.user, partnership=partnership, on=clock.today())
    return _svg_response(selectors.resources_svg(found))


def _commitment_partners(request, partnership):
    partners = _active_partners(request, partnership)
    membership = partnership.membership
    if not can_manage(membership):
        partners = partners.filter(pk=membership.partner_id)
    return partners


@login_required
def commitment_create(request, code):
    partnership = get_partnership_for_user(request.user, code, write=True)
    partners = _commitment_partners(request, partnership)
    form = CommitmentForm(
        request.POST if request.method == "POST" else None,
        partners=partners,
        initial={"partner": partnership.membership.partner.code, "starts_on": clock.today()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.commitment_create(actor=request.user, partnership=partnership, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The commitment was added."))
            return redirect(_url("resources", partnership))
    context = _base(partnership, form=form, commitment=None)
    return render(request, "continuity/commitment_form.html", context)


@login_required
def commitment_update(request, code, commitment_code):
    commitment = selectors.get_commitment_for_user(request.user, code, commitment_code, write=True)
    partnership = commitment.partnership
    initial = {
        "amount": commitment.amount,
        "source": commitment.source,
        "starts_on": commitment.starts_on,
        "ends_on": commitment.ends_on,
        "note": commitment.note,
    }
    form = CommitmentForm(
        request.POST if request.method == "POST" else None,
        partners=None,
        editing=True,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.commitment_update(actor=request.user, commitment=commitment, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The commitment was saved."))
            return redirect(_url("resources", partnership))
    context = _base(partnership, form=form, commitment=commitment)
    return render(request, "continuity/commitment_form.html", context)


@login_required
@require_POST
def commitment_delete(request, code, commitment_code):
    commitment = selectors.get_commitment_for_user(request.user, code, commitment_code, write=True)
    partnership = commitment.partnership
    try:
        services.commitment_delete(actor=request.user, commitment=commitment)
    except ValidationError as exc:
        _report_errors(request, exc)
    else:
        messages.success(request, _("The commitment was removed."))
    return redirect(_url("resources", partnership))


@login_required
def actual_record(request, code, commitment_code):
    commitment = selectors.get_commitment_for_user(request.user, code, commitment_code, write=True)
    partnership = commitment.partnership
    form = ActualForm(
        request.POST if request.method == "POST" else None,
        initial={"month": clock.today().replace(day=1)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.actual_record(actor=request.user, commitment=commitment, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("What was used was recorded."))
            return redirect(_url("resources", partnership))
    actuals = list(selectors.actual_list(commitment=commitment)[:24])
    context = _base(partnership, form=form, commitment=commitment, actuals=actuals)
    return render(request, "continuity/actual_form.html", context)


# Settings -----------------------------------------------------------------------------------------


@login_required
def continuity_settings(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    current = selectors.settings_for(partnership=partnership)
    initial = {name: getattr(current, name) for name in SettingsForm.FIELDS}
    form = SettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.settings_update(actor=request.user, partnership=partnership, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The continuity settings were saved."))
            return redirect(_url("overview", partnership))
    return render(request, "continuity/settings.html", _base(partnership, form=form))


# Dashboard (registered in services.register) --------------------------------------------------------


def _coordinated(memberships) -> list:
    return [m for m in memberships if m.role == Role.COORDINATOR]


def _health_table(*, user, memberships) -> list[dict]:
    """One row per partnership the person coordinates: its signals' levels and trends."""
    rows = selectors.dashboard_health(user=user, memberships=memberships) if _coordinated(memberships) else []
    table = []
    for partnership, signals in rows:
        by_key = {s.key: shown(s) for s in signals}
        table.append(
            {
                "partnership": partnership,
                # One reverse per row, not per cell: 400 cells at 50 partnerships (bench/continuity.py).
                "url": reverse("continuity:overview", args=[partnership.code]),
                "cells": [by_key.get(key) for key, _label in SIGNAL_KEYS],
            }
        )
    return table


def dashboard_panel(*, user, memberships) -> list[Panel]:
    """The continuity of every partnership the person coordinates, side by side. The dashboard shows at
    once and the table loads into it (HTMX, from ``continuity:mine``): computing every signal of fifty
    partnerships takes a few hundred milliseconds the rest of the dashboard should not wait for. Without
    JavaScript the panel is a link to the same table."""
    if not _coordinated(memberships):
        return []
    return [Panel("continuity/_dashboard_panel_lazy.html", {"url": reverse("continuity:mine")})]


@login_required
def mine(request):
    """The continuity of the partnerships I coordinate, side by side (a page, or the dashboard's panel)."""
    memberships = list(
        active_memberships(request.user).select_related("partner__partnership", "partner__organisation")
    )
    context = {
        "panel": {
            "rows": _health_table(user=request.user, memberships=memberships),
            "keys": [label for _key, label in SIGNAL_KEYS],
        },
        "coordinates": bool(_coordinated(memberships)),
    }
    if request.htmx:
        return render(request, "continuity/_dashboard_panel_rows.html", context)
    return render(request, "continuity/mine.html", context)


def _attention_texts(actions: int, reports: int) -> list[tuple[str, str]]:
    found = []
    if actions:
        found.append(
            (
                ngettext("%(count)s overdue action", "%(count)s overdue actions", actions)
                % {"count": actions},
                "overdue_actions",
            )
        )
    if reports:
        found.append(
            (
                ngettext("%(count)s progress report overdue", "%(count)s progress reports overdue", reports)
                % {"count": reports},
                "overdue_reports",
            )
        )
    return found


def dashboard_attention(*, user, memberships) -> dict[int, list[AttentionItem]]:
    """Overdue actions and reports of the partnerships the person coordinates, as "needs your attention"
    items: three counting queries for any number of partnerships (the full signals load with the panel)."""
    coordinated = {m.partner.partnership_id: m.partner.partnership for m in _coordinated(memberships)}
    if not coordinated:
        return {}
    found: dict[int, list[AttentionItem]] = {}
    for pid, (actions, reports) in selectors.attention_counts(coordinated).items():
        url = reverse("continuity:overview", args=[coordinated[pid].code])
        items = [
            AttentionItem(text=text, url=f"{url}#signal-{key}")
            for text, key in _attention_texts(actions, reports)
        ]
        if items:
            found[pid] = items
    return found


P = "p/<uuid:code>/continuity/"
R = P + "reports/<uuid:report_code>/"
C = P + "resources/<uuid:commitment_code>/"
urlpatterns = [
    path("continuity/", mine, name="mine"),
    path(P, overview, name="overview"),
    path(f"{P}plan/", plan, name="plan"),
    path(f"{P}plan.svg", plan_svg, name="plan_svg"),
    path(f"{P}plan/new/", activity_create, name="activity_create"),
    path(f"{P}plan/<uuid:activity_code>/edit/", activity_update, name="activity_update"),
    path(f"{P}plan/<uuid:activity_code>/status/", activity_status, name="activity_status"),
    path(f"{P}plan/<uuid:activity_code>/delete/", activity_delete, name="activity_delete"),
    path(f"{P}reports/", reports, name="reports"),
    path(f"{P}reports/schedule/", schedule, name="schedule"),
    path(R, report_detail, name="report_detail"),
    path(f"{R}sections/<uuid:section_code>/", section_edit, name="section_edit"),
    path(f"{R}sign-off/", report_sign_off, name="report_sign_off"),
    path(f"{P}reports/<uuid:report_code>.pdf", report_pdf, name="report_pdf"),
    path(f"{P}resources/", resources, name="resources"),
    path(f"{P}resources.svg", resources_svg, name="resources_svg"),
    path(f"{P}resources/new/", commitment_create, name="commitment_create"),
    path(f"{C}edit/", commitment_update, name="commitment_update"),
    path(f"{C}delete/", commitment_delete, name="commitment_delete"),
    path(f"{C}actuals/", actual_record, name="actual_record"),
    path(f"{P}settings/", continuity_settings, name="settings"),
]
