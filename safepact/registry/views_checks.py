"""Partner pages of the registry: the home page (what the registry is, the check form, the counts), a single
check (the answer as an HTMX fragment or the whole page), my check log, and batch checks (upload, progress
that polls itself, the hits as CSV).

Thin: every page starts from ``get_partnership_for_user`` (404 for outsiders) and the membership it attaches;
the role rules come from ``permissions`` (viewers get 403 on checks and uploads); the selectors narrow to
the person's own checks and their organisation's batches (another organisation's batch is a 404); the
services check, log and rate-limit. A check answers "no hit" or "hit" with the partnership's reference and
the action, never anything else about the alert.
"""

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from safepact.lib import clock
from safepact.lib.csv_export import csv_lines
from safepact.partnerships.forms import apply_service_errors
from safepact.partnerships.selectors import get_partnership_for_user
from safepact.registry import permissions, selectors, services
from safepact.registry.forms_checks import PART_FIELDS, BatchForm, CheckForm, kinds_needing
from safepact.registry.models import (
    BatchStatus,
    CheckContext,
    DocumentType,
    Hit,
    HitAction,
    HitStatus,
    IdentifierKind,
)

__all__ = ["batch", "batch_new", "batch_results", "batches", "check", "checks", "home"]

PER_PAGE = 50
#: Seconds between two polls of a batch's progress page.
POLL_SECONDS = 2
#: The batch's hits as the partner downloads them: what a single check tells, for each line that hit (the
#: police unit's note for partners, e.g. whom to call, included) and the outcome so far.
RESULT_HEADER = ("line", "kind", "value", "reference", "action", "note", "outcome")
KIND_LABELS = dict(IdentifierKind.choices)
CONTEXT_LABELS = dict(CheckContext.choices)


def _partnership(request, code):
    """The partnership (404 for outsiders) with the person's membership attached."""
    return get_partnership_for_user(request.user, code)


def _rate_limited_text(exc) -> str:
    seconds = max(1, math.ceil(getattr(exc, "retry_after", 1) or 1))
    if getattr(exc, "scope", "") == "organisation":
        return ngettext(
            "Too many checks from your organisation; try again in %(seconds)s second.",
            "Too many checks from your organisation; try again in %(seconds)s seconds.",
            seconds,
        ) % {"seconds": seconds}
    if getattr(exc, "scope", "") == "batch":
        return str(exc)  # the daily quota of identifiers checked in bulk: "try again tomorrow"
    return ngettext(
        "Too many checks; try again in %(seconds)s second.",
        "Too many checks; try again in %(seconds)s seconds.",
        seconds,
    ) % {"seconds": seconds}


def _retry_after(response, exc) -> HttpResponse:
    response["Retry-After"] = str(max(1, math.ceil(getattr(exc, "retry_after", 1) or 1)))
    return response


def _links(partnership, membership) -> list[dict]:
    """The registry's pages this person may open, for the home page."""
    code = partnership.code
    links = []
    if permissions.can_check(membership):
        links += [
            {"label": _("My checks"), "url": reverse("registry:checks", args=[code])},
            {"label": _("Batch checks"), "url": reverse("registry:batches", args=[code])},
        ]
    if permissions.can_see_alerts(membership):
        links.append({"label": _("Alerts"), "url": reverse("registry:alerts", args=[code])})
        links.append({"label": _("Hits"), "url": reverse("registry:hits", args=[code])})
        links.append({"label": _("Overlaps"), "url": reverse("registry:overlaps", args=[code])})
    if permissions.can_search(membership):
        links.append({"label": _("Close identifiers"), "url": reverse("registry:search", args=[code])})
    if permissions.can_import(membership):
        links.append({"label": _("Import alerts"), "url": reverse("registry:import", args=[code])})
    if permissions.can_change_settings(membership):
        links.append({"label": _("Registry settings"), "url": reverse("registry:settings", args=[code])})
    return links


def _home_context(request, partnership, *, form=None, result=None, rate_limited="", failed=False) -> dict:
    membership = partnership.membership
    may_check = permissions.can_check(membership)
    if may_check and form is None:
        form = CheckForm()
    return {
        "partnership": partnership,
        "membership": membership,
        "may_check": may_check,
        "form": form if may_check else None,
        "summary": selectors.registry_summary(user=request.user, partnership=partnership),
        "links": _links(partnership, membership),
        "result": result,
        "rate_limited": rate_limited,
        "failed": failed,
        "answered": bool(result or rate_limited or failed),
    }


# Home and a single check ----------------------------------------------------------------------------------


@login_required
@require_safe
def home(request, code):
    partnership = _partnership(request, code)
    return render(request, "registry/home.html", _home_context(request, partnership))


@login_required
@require_POST
def check(request, code):
    """Check one identifier: the answer as a fragment (HTMX, into the page's live region) or the whole home
    page. 422 with the error next to its field on bad input, 429 when a rate limit is reached."""
    partnership = _partnership(request, code)
    membership = partnership.membership
    permissions.ensure_check(membership)
    form = CheckForm(request.POST)
    result, limited, status = None, None, 200
    if form.is_valid():
        try:
            result = services.check_identifier(
                user=request.user, membership=membership, **form.service_values()
            )
        except services.RateLimited as exc:
            limited, status = exc, 429
        except ValidationError as exc:
            apply_service_errors(form, exc)
            status = 422
    else:
        status = 422
    context = _home_context(
        request,
        partnership,
        form=form,
        result=result,
        rate_limited=_rate_limited_text(limited) if limited else "",
        failed=status == 422,
    )
    if result is not None:
        context["result_kind"] = KIND_LABELS.get(result.kind, result.kind)
    template = "registry/check_result.html" if request.htmx else "registry/home.html"
    response = render(request, template, context, status=status)
    return _retry_after(response, limited) if limited else response


# My checks ------------------------------------------------------------------------------------------------


@login_required
@require_safe
def checks(request, code):
    partnership = _partnership(request, code)
    entries = selectors.check_list(user=request.user, partnership=partnership)
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    rows = [_check_row(entry) for entry in page.object_list]
    context = {
        "partnership": partnership,
        "page": page,
        "rows": rows,
        "may_check": permissions.can_check(partnership.membership),
    }
    template = "registry/checks_results.html" if request.htmx else "registry/checks.html"
    return render(request, template, context)


def _check_row(entry) -> dict:
    """One line of my check log: the kind, the identifier as stored (the key without its kind), the context,
    and for a hit the reference and what I am told of its outcome (``checker_outcome``)."""
    _kind, _sep, identifier = entry.key.partition(":")
    return {
        "check": entry,
        "kind": KIND_LABELS.get(entry.kind, entry.kind),
        "identifier": identifier or entry.key,
        "context": CONTEXT_LABELS.get(entry.context, entry.context),
        "in_batch": entry.batch_id is not None,
        "hit": entry.hit,
        "reference": getattr(entry, "hit_reference", None) or "",
        "outcome": getattr(entry, "hit_outcome", None) or "",
    }


# Batches --------------------------------------------------------------------------------------------------


@login_required
@require_safe
def batches(request, code):
    partnership = _partnership(request, code)
    items = selectors.batch_list(user=request.user, partnership=partnership)
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "partnership": partnership,
        "page": page,
        "may_check": permissions.can_check(partnership.membership),
    }
    template = "registry/batches_results.html" if request.htmx else "registry/batches.html"
    return render(request, template, context)


@login_required
def batch_new(request, code):
    partnership = _partnership(request, code)
    membership = partnership.membership
    permissions.ensure_check(membership)
    posted = request.method == "POST"
    form = BatchForm(request.POST if posted else None, request.FILES if posted else None)
    status, limited = 200, None
    if posted:
        if form.is_valid():
            try:
                batch = services.batch_create(
                    user=request.user,
                    membership=membership,
                    file=form.cleaned_data["file"],
                    context=form.cleaned_data["context"],
                )
            except services.RateLimited as exc:
                limited = exc
                form.add_error(None, _rate_limited_text(exc))
            except ValidationError as exc:
                apply_service_errors(form, exc, rename={"header": "file", "rows": "file", "line": "file"})
            else:
                messages.success(request, _("The file was uploaded; its identifiers are being checked."))
                return redirect("registry:batch", code=partnership.code, batch=batch.code)
        status = 429 if limited else 422
    context = {
        "partnership": partnership,
        "form": form,
        "max_rows": settings.SAFEPACT_REGISTRY_BATCH_MAX_ROWS,
        "max_mb": settings.SAFEPACT_REGISTRY_BATCH_MAX_MB,
        "kinds": _kind_table(),
        "document_types": DocumentType.choices,
    }
    response = render(request, "registry/batch_new.html", context, status=status)
    return _retry_after(response, limited) if limited else response


def _kind_table() -> list[dict]:
    """Each kind with the columns it needs besides ``value``, for the format explained on the upload page."""
    needs = kinds_needing()
    return [
        {
            "value": value,
            "label": label,
            "needs": [part for part in PART_FIELDS if value in needs[part]["needed"]]
            + [
                _("%(column)s (optional)") % {"column": part}
                for part in PART_FIELDS
                if value in needs[part]["optional"]
            ],
        }
        for value, label in IdentifierKind.choices
    ]


@login_required
@require_safe
def batch(request, code, batch):
    partnership = _partnership(request, code)
    item = selectors.get_batch(user=request.user, partnership=partnership, code=batch)
    running = item.status in (BatchStatus.QUEUED, BatchStatus.RUNNING)
    context = {
        "partnership": partnership,
        "batch": item,
        "running": running,
        "poll_seconds": POLL_SECONDS,
        "percent": math.floor(100 * item.processed / item.total) if item.total else 0,
        "problems": (item.problems or [])[:1000],
    }
    template = "registry/batch_progress.html" if request.htmx else "registry/batch.html"
    return render(request, template, context)


@login_required
@require_safe
def batch_results(request, code, batch):
    """The batch's hits as CSV: line, kind, the value as checked, the reference, the action with the
    police unit's note for partners, and the outcome (``checker_outcome``). Nothing else about the
    alerts."""
    partnership = _partnership(request, code)
    item = selectors.get_batch(user=request.user, partnership=partnership, code=batch)
    item.partnership = partnership
    hits = selectors.batch_hits(user=request.user, batch=item)
    actions = dict(HitAction.choices)
    outcomes = {status: str(selectors.checker_outcome(Hit(status=status))) for status in HitStatus.values}
    found = hits.values_list(
        "batch_line",
        "key",
        "checked_value",
        "alert__reference",
        "alert__action",
        "alert__action_note",
        "status",
    ).iterator(chunk_size=2000)
    rows = (
        (
            line or "",
            key.split(":", 1)[0],
            value,
            reference,
            actions.get(action, action),
            note,
            outcomes.get(status, ""),
        )
        for line, key, value, reference, action, note, status in found
    )
    response = HttpResponse(
        "".join(csv_lines([RESULT_HEADER, *rows])), content_type="text/csv; charset=utf-8"
    )
    filename = f"safepact-registry-batch-{item.code}-{clock.today():%Y%m%d}.csv"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
