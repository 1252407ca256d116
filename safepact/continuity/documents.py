"""The PDF of a progress report (WeasyPrint): a title page (partnership, period, status, who signed it off
and when), the coordinator's summary, each partner's section and the sections that are missing.

Like the agreement PDFs (``safepact.agreements.documents``): nothing outside is fetched (links in the
Markdown summary never make the server request a URL), fonts are the system's (DejaVu), and the output is
deterministic: the dates inside the file are the report's (its sign-off, or its latest change), never the
moment of export. Every export is audited ("continuity.report.exported", with the file's SHA-256).
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.template.loader import render_to_string
from django.utils.text import slugify
from django.utils.translation import get_language

from safepact.audit.services import audit_record
from safepact.continuity import selectors
from safepact.continuity.models import ProgressReport, ReportSection, ReportStatus
from safepact.lib import markdown

logger = logging.getLogger(__name__)
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PDF_CONTENT_TYPE = "application/pdf"


@dataclass
class ReportSheet:
    """Everything the PDF shows, read once."""

    report: ProgressReport
    sections: list[ReportSection]
    missing: list[ReportSection]
    created: datetime
    modified: datetime


def iso_utc(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def sheet_for(report: ProgressReport) -> ReportSheet:
    sections = selectors.section_list(report)
    moments = [report.created_at, report.signed_off_at, *(s.updated_at for s in sections)]
    return ReportSheet(
        report=report,
        sections=sections,
        missing=[s for s in sections if s.submitted_at is None],
        created=report.created_at.astimezone(UTC),
        modified=max(m for m in moments if m is not None).astimezone(UTC),
    )


def filename_for(report: ProgressReport) -> str:
    slug = slugify(report.partnership.name)[:60].strip("-") or "partnership"
    return f"{slug}-progress-report-{report.period_start:%Y-%m-%d}-{report.period_end:%Y-%m-%d}.pdf"


def _no_fetch_fetcher():
    from weasyprint.urls import URLFetcher

    class NoFetch(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"SafePact documents load no external resources ({url[:60]})")

    return NoFetch()


def render_report_pdf(sheet: ReportSheet) -> bytes:
    """The PDF of ``sheet`` (no access check, nothing recorded: ``export_report_pdf`` does both)."""
    from weasyprint import CSS, HTML

    report = sheet.report
    context = {
        "sheet": sheet,
        "submitted": len(sheet.sections) - len(sheet.missing),
        "report": report,
        "partnership": report.partnership,
        "signed_off": report.status == ReportStatus.SIGNED_OFF,
        "summary_html": markdown.render(report.summary or "", heading_offset=2),
        "created": iso_utc(sheet.created),
        "modified": iso_utc(sheet.modified),
        "signed_off_at": iso_utc(report.signed_off_at),
        "language": get_language() or "en",
        "keywords": f"progress-report:{report.code}, partnership:{report.partnership.code}",
    }
    html = render_to_string("continuity/pdf/report.html", context)
    css = render_to_string("continuity/pdf/report.css", context)
    fetcher = _no_fetch_fetcher()
    document = HTML(string=html, url_fetcher=fetcher, base_url="about:blank")
    return document.write_pdf(
        stylesheets=[CSS(string=css, url_fetcher=fetcher)], custom_metadata=True, pdf_tags=True
    )


@transaction.atomic
def _record_export(*, actor, report: ProgressReport, file_sha256: str, sections: int, missing: int) -> None:
    audit_record(
        actor=actor,
        action="continuity.report.exported",
        target=report,
        partnership=report.partnership,
        after={
            "format": "pdf",
            "file_sha256": file_sha256,
            "status": report.status,
            "sections": sections,
            "missing": missing,
        },
    )


def export_report_pdf(*, actor, report: ProgressReport) -> tuple[bytes, str]:
    """The PDF of ``report`` for ``actor`` (any member who may read it; 404 otherwise), audited.
    Returns ``(bytes, filename)``."""
    report = selectors.get_report_for_user(actor, report.partnership.code, report.code)  # re-check access
    sheet = sheet_for(report)
    data = render_report_pdf(sheet)
    _record_export(
        actor=actor,
        report=report,
        file_sha256=hashlib.sha256(data).hexdigest(),
        sections=len(sheet.sections),
        missing=len(sheet.missing),
    )
    return data, filename_for(report)
