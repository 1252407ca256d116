"""Files the exchange produces: the GDPR Art. 30 records of processing of one organisation (CSV and PDF) and
the subject-access export (JSON).

Nothing here checks access or audits: the caller reads through the selectors (``art30_records``,
``subject_access_items``), which start from the user, and records the export
(``services.art30_export_record``, ``services.subject_access_export``).

* CSV cells go through ``safepact.lib.csv_export`` (no spreadsheet formulas: a cell starting with ``=``,
  ``+``, ``-``, ``@`` gets an apostrophe in front).
* The PDF is rendered by WeasyPrint from ``exchange/pdf/art30.html``; nothing outside is fetched and the
  fonts are the system's (DejaVu).
* The subject-access JSON holds items labelled TLP:CLEAR, TLP:GREEN and TLP:AMBER in full. Items labelled
  TLP:AMBER+STRICT or TLP:RED never leave the platform: they are listed by kind, code, date and label, with
  the advice to consult their author.
"""

import json
import logging
from datetime import UTC, date, datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from safepact.exchange.models import (
    Answer,
    Document,
    InformationRequest,
    ItemKind,
    Post,
)
from safepact.lib import clock
from safepact.lib.csv_export import csv_text
from safepact.lib.tlp import TLP, may_export

logger = logging.getLogger(__name__)
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

__all__ = [
    "CSV_CONTENT_TYPE",
    "JSON_CONTENT_TYPE",
    "PDF_CONTENT_TYPE",
    "art30_columns",
    "art30_csv",
    "art30_filename",
    "art30_pdf",
    "art30_rows",
    "subject_access_filename",
    "subject_access_json",
]

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
PDF_CONTENT_TYPE = "application/pdf"
JSON_CONTENT_TYPE = "application/json"


# GDPR Art. 30 --------------------------------------------------------------------------------------


def art30_columns() -> list[str]:
    """The header of the CSV (in the active language)."""
    return [
        _("Record (GDPR article)"),
        _("Data flow"),
        _("Data flow code"),
        _("Organisation"),
        _("Role of the organisation"),
        _("Part in the flow"),
        _("Controllers and joint controllers"),
        _("Other parties (role)"),
        _("Purpose"),
        _("Legal basis (GDPR Art. 6)"),
        _("National legal provision"),
        _("Categories of data subjects"),
        _("Categories of personal data"),
        _("Recipients"),
        _("Retention"),
        _("Security measures"),
        _("Five Safes assessment"),
        _("Assessment decision"),
        _("Assessment valid until"),
        _("Assessment valid"),
        _("Data-sharing agreement"),
        _("Next review"),
    ]


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def art30_rows(records) -> list[list[str]]:
    """One row per record, in the order of ``art30_columns``."""
    return [
        [
            f"Art. {record.article}",
            record.title,
            str(record.code),
            record.organisation,
            record.role_label,
            record.part,
            "; ".join(record.controllers),
            record.other_parties_text,
            record.purpose,
            record.legal_basis_label,
            record.national_provision,
            record.data_subjects,
            "; ".join(record.data_category_labels),
            "; ".join(record.recipients),
            record.retention,
            record.security_measures,
            record.assessment_title,
            record.assessment_decision_label,
            record.assessment_valid_until.isoformat() if record.assessment_valid_until else "",
            _yes_no(record.assessment_valid) if record.assessment_code else "",
            record.agreement_title,
            record.review_on.isoformat(),
        ]
        for record in records
    ]


def art30_csv(records, organisation) -> str:
    """The records of processing of ``organisation`` as CSV: a header row, then one row per data flow."""
    return csv_text([art30_columns(), *art30_rows(records)])


def art30_filename(organisation, fmt: str, on: date | None = None) -> str:
    slug = slugify(organisation.name)[:60].strip("-") or "organisation"
    return f"{slug}-records-of-processing-art30-{(on or clock.today()):%Y-%m-%d}.{fmt}"


def _no_fetch_fetcher():
    from weasyprint.urls import URLFetcher

    class NoFetch(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"SafePact documents load no external resources ({url[:60]})")

    return NoFetch()


def art30_pdf(records, organisation, *, partnership, on: date | None = None) -> bytes:
    """The records of processing of ``organisation`` in ``partnership`` as a PDF (A4 landscape): a cover
    with the organisation, the partnership and the date, then one section per data flow."""
    from weasyprint import HTML

    on = on or clock.today()
    context = {
        "records": records,
        "organisation": organisation,
        "partnership": partnership,
        "on": on,
        "language": get_language() or "en",
        "controller_count": sum(1 for record in records if record.is_controller),
        "processor_count": sum(1 for record in records if not record.is_controller),
        "created": datetime.combine(on, datetime.min.time(), tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    html = render_to_string("exchange/pdf/art30.html", context)
    fetcher = _no_fetch_fetcher()
    return HTML(string=html, url_fetcher=fetcher, base_url="about:blank").write_pdf(
        custom_metadata=True, pdf_tags=True
    )


# Subject access ------------------------------------------------------------------------------------


def _files(stored) -> list[dict]:
    """Files are listed (name, type, size, SHA-256), not embedded: the coordinator adds them by hand."""
    return [
        {"name": f.name, "content_type": f.content_type, "size": f.size, "sha256": f.sha256} for f in stored
    ]


def _person(user) -> str:
    return (user.full_name or user.email) if user is not None else ""


def _post(post: Post) -> dict:
    return {
        "kind_of_post": post.kind,
        "title": post.title,
        "text": post.body,
        "author": _person(post.created_by),
        "updated_at": post.updated_at,
        "files": _files(post.attachments.all()),
    }


def _document(document: Document) -> dict:
    return {
        "title": document.title,
        "description": document.description,
        "author": _person(document.created_by),
        "created_at": document.created_at,
        "versions": [
            {"number": v.number, "note": v.note, **_files([v])[0]}
            for v in document.versions.order_by("number")
        ],
    }


def _request(request: InformationRequest) -> dict:
    return {
        "title": request.title,
        "question": request.question,
        "purpose": request.purpose,
        "legal_basis": request.legal_basis,
        "national_provision": request.national_provision,
        "data_categories": list(request.data_categories),
        "deadline": request.deadline,
        "status": request.status,
        "author": _person(request.created_by),
        "files": _files(request.attachments.all()),
    }


def _answer(answer: Answer) -> dict:
    return {
        "request": str(answer.request.code),
        "organisation": answer.recipient.partner.organisation.name,
        "declined": answer.declined,
        "text": answer.text,
        "author": _person(answer.created_by),
        "files": _files(answer.attachments.all()),
    }


CONTENT = {
    ItemKind.POST: _post,
    ItemKind.DOCUMENT: _document,
    ItemKind.REQUEST: _request,
    ItemKind.ANSWER: _answer,
}
DATE_FIELD = {
    ItemKind.POST: "created_at",
    ItemKind.DOCUMENT: "updated_at",
    ItemKind.REQUEST: "created_at",
    ItemKind.ANSWER: "created_at",
}


def subject_access_json(
    *, partnership, term: str, items: dict, actor, exported_at: datetime
) -> tuple[bytes, dict]:
    """The export of the matching items (``items``: per kind, a queryset the caller narrowed to what the
    coordinator may see). Returns ``(bytes, summary)``; ``summary`` has the counts and the item codes."""
    exported, withheld = [], []
    prefetch = {
        ItemKind.POST: ("attachments",),
        ItemKind.DOCUMENT: ("versions",),
        ItemKind.REQUEST: ("attachments",),
        ItemKind.ANSWER: ("attachments",),
    }
    for kind, queryset in items.items():
        for item in queryset.select_related("created_by").prefetch_related(*prefetch[kind]):
            entry = {
                "kind": str(kind),
                "code": str(item.code),
                "date": getattr(item, DATE_FIELD[kind]),
                "tlp": TLP(item.tlp).value,
                "label": str(TLP(item.tlp).label),
            }
            if may_export(item.tlp):
                exported.append({**entry, **CONTENT[kind](item)})
            else:
                entry["note"] = _(
                    "%(label)s: this item cannot leave the platform. Read it in SafePact and consult its "
                    "author (%(author)s) about what may be disclosed to the person."
                ) % {"label": entry["label"], "author": _person(item.created_by)}
                withheld.append(entry)
    exported.sort(key=lambda entry: entry["date"], reverse=True)
    withheld.sort(key=lambda entry: entry["date"], reverse=True)
    document = {
        "export": "subject-access",
        "partnership": {"name": partnership.name, "code": str(partnership.code)},
        "term": term,
        "exported_at": exported_at,
        "exported_by": _person(actor),
        "note": _(
            "Everything in this partnership's information exchange that names the person and that the "
            "coordinator who made this export may see. Items labelled TLP:AMBER+STRICT or TLP:RED are only "
            "listed: they cannot leave the platform."
        ),
        "items": exported,
        "withheld": withheld,
    }
    content = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()
    summary = {
        "items": len(exported),
        "withheld": len(withheld),
        "codes": [entry["code"] for entry in exported] + [entry["code"] for entry in withheld],
    }
    return content, summary


def subject_access_filename(partnership, on: date | None = None) -> str:
    slug = slugify(partnership.name)[:60].strip("-") or "partnership"
    return f"{slug}-subject-access-{(on or clock.today()):%Y-%m-%d}.json"
