"""Audit trail endpoints, for the coordinators of a partnership.

Reads the partnership's chain directly (a small read-only query, starting from the access helper):
the list newest first, the export oldest first and verifiable offline. An export is itself recorded
in the trail, in the same transaction.
"""

import csv
import io
import json
from uuid import UUID

from django.db import transaction
from django.http import HttpResponse, JsonResponse
from ninja import Query, Router
from ninja.pagination import LimitOffsetPagination, paginate

from safepact.accounts.schemas import with_errors
from safepact.audit.chain import HASHED_FIELDS
from safepact.audit.models import AuditEvent
from safepact.audit.schemas import AuditEventOut, AuditExportOut, AuditFilter, ExportParams
from safepact.audit.services import audit_record_export
from safepact.partnerships.selectors import get_partnership_for_user

router = Router(tags=["audit"])

EXPORT_COLUMNS = ("code", *HASHED_FIELDS, "hash")
# Cells a spreadsheet would run as a formula; the CSV prefixes them with an apostrophe.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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


def _csv_cell(value) -> str:
    if value is None or isinstance(value, dict | list):
        value = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    value = str(value)
    return "'" + value if value.startswith(FORMULA_START) else value


@router.get(
    "/{code}/audit/export",
    response={200: AuditExportOut, **with_errors(403, 422)},
    summary="Export the whole audit trail, oldest first (coordinator)",
)
def audit_export(request, code: UUID, params: Query[ExportParams]):
    """``format=json`` (default) gives ``{"partnership": code, "events": [...]}`` with every hashed field,
    verifiable offline with ``python safepact/audit/chain.py``; ``format=csv`` gives the same columns
    (``before``/``after`` as JSON; a cell starting with ``= + - @`` is prefixed with an apostrophe so a
    spreadsheet does not run it). The export is recorded in the trail."""
    user, fmt = request.auth, params.format
    partnership = get_partnership_for_user(user, code, manage=True)
    with transaction.atomic():
        events = [event.chain_fields() for event in _trail(partnership).order_by("seq")]
        audit_record_export(actor=user, partnership=partnership, fmt=fmt, count=len(events))
    filename = f"safepact-audit-{partnership.code}.{fmt}"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_COLUMNS)
        for event in events:
            writer.writerow([_csv_cell(event[column]) for column in EXPORT_COLUMNS])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        response = JsonResponse(
            {"partnership": str(partnership.code), "events": events},
            json_dumps_params={"ensure_ascii": False},
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
