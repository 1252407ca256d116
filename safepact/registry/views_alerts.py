"""Law-enforcement pages of the registry: alerts and their identifiers, hits, overlaps, the close-identifier
search, import, export and the registry's settings.

Thin: every page starts from ``get_partnership_for_user`` (404 for outsiders) and the membership it attaches,
then the role rule of ``permissions`` (403 for members who are not law enforcement; only the owning unit
changes an alert or decides its hits; only coordinators keep the settings); the selectors read, the services
validate, write and audit. The lists answer with the whole page or, to HTMX, with their results only.
"""

import json
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.forms.utils import ErrorDict, ErrorList
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from safepact.accounts.sudo import sudo_active
from safepact.lib import clock
from safepact.partnerships.forms import apply_service_errors
from safepact.partnerships.permissions import can_manage
from safepact.partnerships.selectors import get_partnership_for_user
from safepact.registry import permissions as perms
from safepact.registry import selectors, services
from safepact.registry.forms import (
    MAX_IDENTIFIERS,
    AlertFilterForm,
    AlertForm,
    AlertStatusForm,
    HitDecideForm,
    HitFilterForm,
    IdentifierForm,
    IdentifierFormSet,
    IdentifierRemoveForm,
    ImportForm,
    OverlapFilterForm,
    OverlapResolveForm,
    SearchForm,
    SettingsForm,
    apply_identifier_errors,
)
from safepact.registry.models import Hit, HitStatus, Identifier, OverlapStatus

PER_PAGE = 25
#: Hits of one alert shown on its page (all of them are on the hits page).
ALERT_HITS = 50
IDENTIFIER_PREFIX = "identifiers"
BUILT_IN_MAPPING = "safepact"


# Helpers ------------------------------------------------------------------------------------------


def _law_enforcement(request, code):
    """The partnership (404 for outsiders) and the membership, for law-enforcement members only (403)."""
    partnership = get_partnership_for_user(request.user, code)
    membership = partnership.membership
    perms.ensure(perms.is_law_enforcement(membership))
    return partnership, membership


def _context(partnership, membership, **extra) -> dict:
    return {
        "partnership": partnership,
        "membership": membership,
        "is_coordinator": can_manage(membership),
        "is_law_enforcement": perms.is_law_enforcement(membership),
        **extra,
    }


def _fragment(request) -> bool:
    return bool(request.htmx) and not request.htmx.boosted


def _alert_url(partnership, alert) -> str:
    return reverse("registry:alert", kwargs={"code": partnership.code, "alert": alert.code})


def _hit_url(partnership, hit) -> str:
    return reverse("registry:hit", kwargs={"code": partnership.code, "hit": hit.code})


def _owner_only(membership, alert) -> None:
    perms.ensure(
        perms.can_change_alert(membership, alert),
        _("Only members of the unit that owns the alert can change it."),
    )


def _messages_of(exc: ValidationError, name: str) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for error in exc.error_dict.get(name, []) for m in error.messages]
    return []


def _without(exc: ValidationError, *names: str) -> ValidationError | None:
    """The service's error without the fields in ``names`` (None when nothing is left)."""
    if not hasattr(exc, "error_dict"):
        return exc
    rest = {name: errors for name, errors in exc.error_dict.items() if name not in names}
    return ValidationError(rest) if rest else None


def _quiet(form) -> None:
    """A bound form that shows what was typed but no errors yet (a row was added, nothing was sent)."""
    form._errors = ErrorDict()
    form.cleaned_data = {}


def _warned(request, warnings) -> None:
    for warning in warnings:
        messages.warning(request, _("Warning: %(warning)s") % {"warning": warning})


# Alerts: list ------------------------------------------------------------------------------------------


def _open_hit_totals():
    return Coalesce(
        Subquery(
            Hit.objects.filter(alert=OuterRef("pk"), status=HitStatus.OPEN)
            .order_by()
            .values("alert")
            .annotate(n=Count("id"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


@login_required
@require_safe
def alerts(request, code):
    partnership, membership = _law_enforcement(request, code)
    form = AlertFilterForm(request.GET or None)
    filters = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "status": data["status"] or None,
            "category": data["category"] or None,
            "mine": data["mine"],
            "q": data["q"],
        }
    found = (
        selectors.alert_list(user=request.user, partnership=partnership, **filters)
        .annotate(open_hit_total=_open_hit_totals())
        .order_by("-created_at", "-id")
    )
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    context = _context(
        partnership,
        membership,
        form=form,
        page=page,
        filtered=any(filters.values()),
        may_create=perms.can_create_alert(membership),
    )
    if _fragment(request):
        return render(request, "registry/alerts_results.html", context)
    return render(request, "registry/alerts.html", context)


# Alerts: new and edit -----------------------------------------------------------------------------------


def _identifier_row(request, partnership):
    """HTMX: one more empty identifier row (``?row=<index>``), with the button and the row count out of band."""
    try:
        index = int(request.GET.get("row", ""))
    except ValueError as exc:
        raise Http404(_("Not found.")) from exc
    if not 0 < index < MAX_IDENTIFIERS:
        raise Http404(_("Not found."))
    row = IdentifierForm(
        auto_id="id_%s",
        prefix=f"{IDENTIFIER_PREFIX}-{index}",
        use_required_attribute=False,
        empty_permitted=True,
    )
    context = {
        "partnership": partnership,
        "row": row,
        "number": index + 1,
        "max_rows": MAX_IDENTIFIERS,
        "total_name": f"{IDENTIFIER_PREFIX}-TOTAL_FORMS",
        "total_id": f"id_{IDENTIFIER_PREFIX}-TOTAL_FORMS",
    }
    return render(request, "registry/alert_identifier_more.html", context)


def _one_more_row(data):
    """The posted form with one more (empty) identifier row: the "add another identifier" button without
    JavaScript."""
    data = data.copy()
    name = f"{IDENTIFIER_PREFIX}-TOTAL_FORMS"
    try:
        total = int(data.get(name, 0))
    except (TypeError, ValueError):
        total = 0
    data[name] = str(max(0, min(total + 1, MAX_IDENTIFIERS)))
    return data


def _apply_alert_errors(form, formset, exc: ValidationError) -> None:
    rest = apply_identifier_errors(formset, _messages_of(exc, "identifiers"))
    if rest:
        formset._non_form_errors = ErrorList(rest)
    remaining = _without(exc, "identifiers")
    if remaining is not None:
        apply_service_errors(form, remaining)


@login_required
def alert_new(request, code):
    partnership, membership = _law_enforcement(request, code)
    perms.ensure(perms.can_create_alert(membership))
    if request.method == "GET" and request.htmx and "row" in request.GET:
        return _identifier_row(request, partnership)
    posted = request.method == "POST"
    adding = posted and "add_identifier" in request.POST
    data = _one_more_row(request.POST) if adding else (request.POST if posted else None)
    default_days = selectors.settings_for(partnership).default_alert_days
    form = AlertForm(data, default_days=default_days)
    formset = IdentifierFormSet(data, prefix=IDENTIFIER_PREFIX)
    status = 200
    if adding:
        _quiet(form)
        for row in formset.forms:
            _quiet(row)
        formset._errors, formset._non_form_errors = [], ErrorList()
    elif posted:
        if form.is_valid() and formset.is_valid():
            try:
                alert = services.alert_create(
                    user=request.user,
                    partnership=partnership,
                    identifiers=formset.identifiers(),
                    **form.service_values(),
                )
            except ValidationError as exc:
                _apply_alert_errors(form, formset, exc)
            else:
                messages.success(
                    request,
                    ngettext(
                        "Alert %(reference)s was registered with %(count)s identifier.",
                        "Alert %(reference)s was registered with %(count)s identifiers.",
                        len(formset.identifiers()),
                    )
                    % {"reference": alert.reference, "count": len(formset.identifiers())},
                )
                return redirect(_alert_url(partnership, alert))
        status = 422
    context = _context(
        partnership,
        membership,
        form=form,
        formset=formset,
        row_errors=any(row.errors for row in formset.forms) if posted else False,
        alert=None,
        max_rows=MAX_IDENTIFIERS,
    )
    return render(request, "registry/alert_form.html", context, status=status)


@login_required
def alert_edit(request, code, alert):
    partnership, membership = _law_enforcement(request, code)
    item = selectors.get_alert(user=request.user, partnership=partnership, code=alert)
    _owner_only(membership, item)
    posted = request.method == "POST"
    form = AlertForm(request.POST if posted else None, initial=AlertForm.initial_for(item), editing=True)
    status = 200
    if posted:
        if form.is_valid():
            try:
                item = services.alert_update(user=request.user, alert=item, **form.service_values())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Alert %(reference)s was saved.") % {"reference": item.reference})
                return redirect(_alert_url(partnership, item))
        status = 422
    context = _context(partnership, membership, form=form, formset=None, alert=item)
    return render(request, "registry/alert_form.html", context, status=status)


# Alerts: the alert page and its actions ------------------------------------------------------------------


def _alert_context(request, partnership, membership, item, *, identifier_form=None) -> dict:
    hits = list(
        selectors.hit_list(user=request.user, partnership=partnership)
        .filter(alert=item)
        .order_by("-created_at", "-id")[:ALERT_HITS]
    )
    for hit in hits:
        hit.is_escalated = bool(hit.escalated_at) and hit.status == HitStatus.OPEN
    overlaps = list(
        selectors.overlap_list(user=request.user, partnership=partnership).filter(
            Q(first=item) | Q(second=item)
        )
    )
    for overlap in overlaps:
        overlap.other = overlap.second if overlap.first_id == item.pk else overlap.first
    return _context(
        partnership,
        membership,
        alert=item,
        identifiers=list(item.identifiers.all()),
        hits=hits,
        overlaps=overlaps,
        is_owner=perms.can_change_alert(membership, item),
        status_form=AlertStatusForm(initial={"status": item.status}),
        identifier_form=identifier_form or IdentifierForm(),
    )


@login_required
@require_safe
def alert(request, code, alert):
    partnership, membership = _law_enforcement(request, code)
    item = selectors.get_alert(user=request.user, partnership=partnership, code=alert)
    return render(request, "registry/alert.html", _alert_context(request, partnership, membership, item))


@login_required
def alert_status(request, code, alert):
    partnership, membership = _law_enforcement(request, code)
    item = selectors.get_alert(user=request.user, partnership=partnership, code=alert)
    _owner_only(membership, item)
    posted = request.method == "POST"
    form = AlertStatusForm(request.POST if posted else None, initial={"status": item.status})
    status = 200
    if posted:
        if form.is_valid():
            try:
                item = services.alert_set_status(
                    user=request.user,
                    alert=item,
                    status=form.cleaned_data["status"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Alert %(reference)s is now “%(status)s”.")
                    % {"reference": item.reference, "status": item.get_status_display()},
                )
                return redirect(_alert_url(partnership, item))
        status = 422
    context = _context(partnership, membership, alert=item, form=form)
    return render(request, "registry/alert_status.html", context, status=status)


@login_required
def identifier_new(request, code, alert):
    partnership, membership = _law_enforcement(request, code)
    item = selectors.get_alert(user=request.user, partnership=partnership, code=alert)
    _owner_only(membership, item)
    posted = request.method == "POST"
    form = IdentifierForm(request.POST if posted else None)
    status = 200
    if posted:
        if form.is_valid():
            try:
                identifier = services.identifier_add(user=request.user, alert=item, **form.identifier())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(value)s was added to alert %(reference)s.")
                    % {"value": identifier.value, "reference": item.reference},
                )
                _warned(request, identifier.warnings or ())
                return redirect(_alert_url(partnership, item) + "#identifiers")
        status = 422
    context = _context(partnership, membership, alert=item, form=form)
    return render(request, "registry/alert_identifier_new.html", context, status=status)


def _get_identifier(user, partnership, code) -> Identifier:
    """One identifier of an alert of the partnership (the caller has checked the law-enforcement role)."""
    try:
        parsed = UUID(str(code))
    except (TypeError, ValueError) as exc:
        raise Http404(_("Not found.")) from exc
    found = (
        Identifier.objects.filter(partnership=partnership, code=parsed)
        .select_related("alert__owner__organisation")
        .first()
    )
    if found is None:
        raise Http404(_("Not found."))
    found.alert.partnership = partnership
    found.partnership = partnership
    return found


@login_required
def identifier_delete(request, code, identifier):
    partnership, membership = _law_enforcement(request, code)
    item = _get_identifier(request.user, partnership, identifier)
    alert = item.alert
    _owner_only(membership, alert)
    posted = request.method == "POST"
    form = IdentifierRemoveForm(request.POST if posted else None)
    status = 200
    if posted:
        if form.is_valid():
            try:
                services.identifier_remove(user=request.user, identifier=item)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(value)s was removed from alert %(reference)s.")
                    % {"value": item.value, "reference": alert.reference},
                )
                return redirect(_alert_url(partnership, alert) + "#identifiers")
        status = 422
    context = _context(partnership, membership, alert=alert, identifier=item, form=form)
    return render(request, "registry/alert_identifier_delete.html", context, status=status)


# Hits ---------------------------------------------------------------------------------------------------


@login_required
@require_safe
def hits(request, code):
    partnership, membership = _law_enforcement(request, code)
    form = HitFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    found = selectors.hit_list(user=request.user, partnership=partnership, status=status or None).order_by(
        Case(When(status=HitStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()),
        "-created_at",
        "-id",
    )
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for item in page.object_list:
        item.is_escalated = bool(item.escalated_at) and item.status == HitStatus.OPEN
    context = _context(partnership, membership, form=form, page=page, status=status)
    if _fragment(request):
        return render(request, "registry/hits_results.html", context)
    return render(request, "registry/hits.html", context)


def _hit_context(partnership, membership, item, **extra) -> dict:
    item.is_escalated = bool(item.escalated_at) and item.status == HitStatus.OPEN
    return _context(
        partnership,
        membership,
        hit=item,
        is_owner=perms.can_decide_hit(membership, item),
        checker_outcome=selectors.checker_outcome(item),
        **extra,
    )


@login_required
@require_safe
def hit(request, code, hit):
    partnership, membership = _law_enforcement(request, code)
    item = selectors.get_hit(user=request.user, partnership=partnership, code=hit)
    context = _hit_context(partnership, membership, item, form=HitDecideForm())
    return render(request, "registry/hit.html", context)


@login_required
def hit_decide(request, code, hit):
    partnership, membership = _law_enforcement(request, code)
    item = selectors.get_hit(user=request.user, partnership=partnership, code=hit)
    perms.ensure(
        perms.can_decide_hit(membership, item), _("Only the unit that owns the alert can decide on this hit.")
    )
    posted = request.method == "POST"
    form = HitDecideForm(request.POST if posted else None)
    status = 200
    if posted:
        if form.is_valid():
            try:
                item = services.hit_decide(
                    user=request.user,
                    hit=item,
                    status=form.cleaned_data["status"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                if item.status == HitStatus.CONFIRMED:
                    messages.success(request, _("The hit is confirmed; the checking partner is told."))
                else:
                    messages.success(request, _("The hit is rejected; the checking partner is told."))
                return redirect(_hit_url(partnership, item))
        status = 422
    context = _hit_context(partnership, membership, item, form=form)
    return render(request, "registry/hit_decide.html", context, status=status)


# Overlaps -----------------------------------------------------------------------------------------------


@login_required
@require_safe
def overlaps(request, code):
    partnership, membership = _law_enforcement(request, code)
    form = OverlapFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    found = selectors.overlap_list(user=request.user, partnership=partnership, status=status or None)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for item in page.object_list:
        item.may_resolve = item.status == OverlapStatus.OPEN and perms.can_resolve_overlap(membership, item)
    context = _context(
        partnership,
        membership,
        form=form,
        page=page,
        status=status,
        resolve_choices=OverlapResolveForm.base_fields["status"].choices,
    )
    if _fragment(request):
        return render(request, "registry/overlaps_results.html", context)
    return render(request, "registry/overlaps.html", context)


@login_required
def overlap_resolve(request, code, overlap):
    partnership, membership = _law_enforcement(request, code)
    item = selectors.get_overlap(user=request.user, partnership=partnership, code=overlap)
    perms.ensure(
        perms.can_resolve_overlap(membership, item),
        _("Only the units that own one of the two alerts can resolve the overlap."),
    )
    posted = request.method == "POST"
    initial = {"status": item.status} if item.status != OverlapStatus.OPEN else {}
    form = OverlapResolveForm(request.POST if posted else None, initial=initial)
    status = 200
    if posted:
        if form.is_valid():
            try:
                item = services.overlap_resolve(
                    user=request.user, overlap=item, status=form.cleaned_data["status"]
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("The overlap of %(first)s and %(second)s is resolved: %(status)s.")
                    % {
                        "first": item.first.reference,
                        "second": item.second.reference,
                        "status": item.get_status_display(),
                    },
                )
                return redirect(reverse("registry:overlaps", kwargs={"code": partnership.code}))
        status = 422
    context = _context(partnership, membership, overlap=item, form=form)
    return render(request, "registry/overlap_resolve.html", context, status=status)


# Close identifiers --------------------------------------------------------------------------------------


@login_required
@require_safe
def search(request, code):
    partnership, membership = _law_enforcement(request, code)
    perms.ensure(perms.can_search(membership))
    asked = "value" in request.GET or "kind" in request.GET
    form = SearchForm(request.GET if asked else None)
    matches = None
    status = 200
    if asked:
        if form.is_valid():
            try:
                matches = services.close_identifier_search(
                    user=request.user,
                    partnership=partnership,
                    kind=form.cleaned_data["kind"],
                    value=form.cleaned_data["value"],
                    max_distance=form.cleaned_data["max_distance"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
                status = 400
        else:
            status = 400
    context = _context(partnership, membership, form=form, matches=matches)
    if _fragment(request):
        # HTMX swaps a 200 only: the results carry the error summary themselves.
        return render(request, "registry/search_results.html", context)
    return render(request, "registry/search.html", context, status=status)


# Import and export --------------------------------------------------------------------------------------


def _report_lines(report) -> list[dict]:
    """Each line of the import report with what happens to it (creates an alert, merged, rejected), in line
    order. An object of several lines is created at its first line; its other lines are merged into it."""
    lines = []
    for entry in report.created:
        message = ngettext(
            "Case %(case)s, %(count)s identifier", "Case %(case)s, %(count)s identifiers", entry.identifiers
        ) % {"case": entry.case_reference, "count": entry.identifiers}
        if entry.reference:
            message += " (" + entry.reference + ")"
        lines.append(
            {"line": entry.line, "outcome": "created", "label": _("creates an alert"), "message": message}
        )
        for line in entry.lines[1:]:
            lines.append(
                {
                    "line": line,
                    "outcome": "merged",
                    "label": _("merged"),
                    "message": _("the same object as line %(line)s") % {"line": entry.line},
                }
            )
    for entry in report.merged:
        if not entry.into:
            continue  # an object of several lines: listed above
        message = ngettext(
            "into %(reference)s, the active alert of case %(case)s: %(count)s new identifier",
            "into %(reference)s, the active alert of case %(case)s: %(count)s new identifiers",
            entry.identifiers,
        ) % {"reference": entry.into, "case": entry.case_reference, "count": entry.identifiers}
        for line in entry.lines:
            lines.append({"line": line, "outcome": "merged", "label": _("merged"), "message": message})
    for line, message in report.rejected:
        lines.append({"line": line, "outcome": "rejected", "label": _("rejected"), "message": message})
    order = {"rejected": 0, "created": 1, "merged": 2}
    return sorted(lines, key=lambda item: (item["line"], order[item["outcome"]]))


@login_required
def import_alerts(request, code):
    partnership, membership = _law_enforcement(request, code)
    perms.ensure(perms.can_import(membership))
    posted = request.method == "POST"
    form = ImportForm(request.POST if posted else None, request.FILES if posted else None)
    status = 200
    report = None
    if posted:
        status = 422
        if form.is_valid():
            upload = form.cleaned_data["file"]
            mapping_upload = form.cleaned_data["mapping_file"]
            try:
                report = services.import_alerts(
                    actor=request.user,
                    partnership=partnership,
                    owner=membership.partner,
                    data=upload,
                    file_name=upload.name,
                    mapping=services.load_mapping(mapping_upload or BUILT_IN_MAPPING),
                    dry_run=form.cleaned_data["dry_run"],
                )
            except services.ImportRejected as exc:
                report = exc.report
            except ValidationError as exc:
                apply_service_errors(form, exc, rename={"mapping": "mapping_file", "data": "file"})
            else:
                if not report.dry_run:
                    status = 200
                    counts = report.counts
                    messages.success(
                        request,
                        _(
                            "Imported %(file)s: %(created)s new alerts, %(merged)s merged, %(identifiers)s identifiers."
                        )
                        % {"file": report.file_name, **counts},
                    )
                    form = ImportForm()
                elif not report.rejected:
                    status = 200
                    # The files cannot be kept in the form: they are chosen again for the import.
                    form = ImportForm(initial={"dry_run": False})
    context = _context(
        partnership,
        membership,
        form=form,
        report=report,
        report_counts=report.counts if report is not None else {},
        report_lines=_report_lines(report) if report is not None else [],
    )
    return render(request, "registry/import.html", context, status=status)


@login_required
@require_safe
def export(request, code):
    partnership, membership = _law_enforcement(request, code)
    perms.ensure(perms.can_export(membership))
    if not sudo_active(request):
        # Every alert of the partnership leaves the platform: confirm the password first.
        back = reverse("registry:export", kwargs={"code": partnership.code})
        return redirect(reverse("accounts:sudo") + "?" + urlencode({"next": back}))
    data = services.alerts_export(user=request.user, partnership=partnership)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    filename = f"registry-alerts-{clock.today().isoformat()}.json"
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# Settings -----------------------------------------------------------------------------------------------


@login_required
def registry_settings(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    membership = partnership.membership
    perms.ensure(perms.can_change_settings(membership), _("Only coordinators can change the settings."))
    current = selectors.settings_for(partnership)
    posted = request.method == "POST"
    form = SettingsForm(request.POST if posted else None, initial=SettingsForm.initial_for(current))
    status = 200
    if posted:
        if form.is_valid():
            try:
                services.settings_update(user=request.user, partnership=partnership, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The registry settings were saved."))
                return redirect(reverse("registry:settings", kwargs={"code": partnership.code}))
        status = 422
    context = _context(partnership, membership, form=form)
    return render(request, "registry/settings.html", context, status=status)
