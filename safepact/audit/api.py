"""Audit trail endpoints, for the coordinators of a partnership.

The list reads the partnership's chain with a small query of its own (newest first, filters for the
API); the export is the same file as the trail page's (``audit.exports``): oldest first, every hashed
field, verifiable offline, and recorded in the trail before it is streamed. Unlike the page, the API
asks for no re-authentication ("sudo"): a token is already a deliberate, revocable credential.
"""

from uuid import UUID

from django.db import transaction
from django.http import StreamingHttpResponse
from ninja import Query, Router
from ninja.pagination import paginate

from safepact.accounts.schemas import with_errors
from safepact.audit import exports
from safepact.audit.models import AuditEvent
from safepact.audit.schemas import AuditEventOut, AuditExportOut, AuditFilter, ExportParams
from safepact.audit.selectors import audit_chain_head, audit_export_events
from safepact.audit.services import audit_record_export
from safepact.lib import clock
from safepact.lib.pagination import LimitOffsetPagination
from safepact.partnerships.selectors import get_partnership_for_user

router = Router(tags=["audit"])

CONTENT_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8"}


def _trail(partnership):
    return AuditEvent.objects.filter(partnership_code=str(partnership.code))


@router.get(
    "/{code}/audit",
    response={200: list[AuditEventOut], **with_errors(403, 422)},
    summary="Audit trail, newest first (coordinator)",
)
@paginate(LimitOffsetPagination)
def audit_index(request, code: UUID, filters: Query[AuditFilter]):
    partnership = get_partnership_for_user(request.auth, code, manage=True)
    events = _trail(partnership)
    if filters.action:
        if filters.action.endswith("."):
            events = events.filter(action__startswith=filters.action)
        else:
            events = events.filter(action=filters.action)
    if filters.since:
        events = events.filter(occurred_at__gte=filters.since)
    if filters.until:
        events = events.filter(occurred_at__lt=filters.until)
    return events.order_by("-occurred_at", "-seq")


@router.get(
    "/{code}/audit/export",
    response={200: AuditExportOut, **with_errors(403, 422)},
    summary="Export the whole audit trail, oldest first (coordinator)",
)
def audit_export(request, code: UUID, params: Query[ExportParams]):
    """``format=json`` (default) gives ``{"partnership": code, "head": {...}, "events": [...], ...}`` with
    every hashed field, verifiable offline with ``python safepact/audit/chain.py FILE``; ``format=csv`` gives
    the same columns (``before``/``after`` as JSON; a cell a spreadsheet would run as a formula gets an
    apostrophe in front). The export is recorded in the trail first; the file runs up to the event before."""
    user, fmt = request.auth, params.format
    partnership = get_partnership_for_user(user, code, manage=True)
    with transaction.atomic():
        head = audit_chain_head(user=user, partnership=partnership) or {"seq": 0, "hash": ""}
        audit_record_export(actor=user, partnership=partnership, fmt=fmt, count=head["seq"])
    events = audit_export_events(user=user, partnership=partnership, through_seq=head["seq"])
    if fmt == "csv":
        chunks = exports.csv_chunks(events)
    else:
        chunks = exports.json_chunks(
            partnership_code=str(partnership.code),
            exported_at=clock.now().isoformat(timespec="seconds"),
            head=head,
            events=events,
        )
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="safepact-audit-{partnership.code}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response
