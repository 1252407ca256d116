"""The audit trail page of a partnership and its exports, for coordinators.

Outsiders get 404 and members or viewers 403, through the partnerships access helper.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from safepact.accounts.sudo import sudo_active
from safepact.audit import exports
from safepact.audit.forms import TrailFilterForm
from safepact.audit.selectors import (
    audit_action_prefixes,
    audit_chain_head,
    audit_event_list,
    audit_export_events,
)
from safepact.audit.services import audit_record_export
from safepact.lib import clock
from safepact.partnerships.selectors import get_partnership_for_user

PER_PAGE = 50
FORMATS = {"json": "application/json; charset=utf-8", "csv": "text/csv; charset=utf-8"}


@login_required
@require_safe
def trail(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    form = TrailFilterForm(
        request.GET or None, action_choices=audit_action_prefixes(user=request.user, partnership=partnership)
    )
    page = None  # invalid filters: show the errors, not an unfiltered table that looks filtered
    if not form.is_bound or form.is_valid():
        filters = form.cleaned_data if form.is_bound else {}
        events = audit_event_list(
            user=request.user,
            partnership=partnership,
            action=filters.get("action") or "",
            who=(filters.get("who") or "").strip(),
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
        )
        page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "partnership": partnership,
        "form": form,
        "page": page,
        "filtered": form.is_bound and any(request.GET.get(name) for name in form.fields),
    }
    template = "audit/_trail_results.html" if request.htmx else "audit/trail.html"
    return render(request, template, context)


@login_required
@require_POST
def export(request, code, fmt):
    """Download the whole chain, oldest first, and record the disclosure in the same chain.

    Needs a recent re-authentication ("sudo"): the trail holds email and IP addresses.
    """
    if fmt not in FORMATS:
        raise Http404
    partnership = get_partnership_for_user(request.user, code, manage=True)
    if not sudo_active(request):
        back = reverse("audit:trail", kwargs={"code": partnership.code})
        return redirect(reverse("accounts:sudo") + "?" + urlencode({"next": back}))
    with transaction.atomic():
        head = audit_chain_head(user=request.user, partnership=partnership) or {"seq": 0, "hash": ""}
        audit_record_export(actor=request.user, partnership=partnership, fmt=fmt, count=head["seq"])
    events = audit_export_events(user=request.user, partnership=partnership, through_seq=head["seq"])
    if fmt == "json":
        chunks = exports.json_chunks(
            partnership_code=str(partnership.code),
            exported_at=clock.now().isoformat(timespec="seconds"),
            head=head,
            events=events,
        )
    else:
        chunks = exports.csv_chunks(events)
    response = StreamingHttpResponse(chunks, content_type=FORMATS[fmt])
    filename = f"safepact-audit-{partnership.code}-{clock.now():%Y%m%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
