"""Agreement documents: a PDF (WeasyPrint) and a DOCX (python-docx) of any version, and the check that
a PDF someone hands in corresponds to a signed version.

A PDF carries, besides the pages people read:

* the exact canonical Markdown of the version (``texts.normalise(version.body)``) as the attachment
  ``agreement.md``, so its SHA-256 can be recomputed by anyone (``sha256sum``) and compared with the
  hash on the title page and in every signature;
* ``safepact.json``: the agreement, version, text hash and the signatures listed on the signature page;
* metadata (title, keywords and custom keys with the agreement code, version number and text hash).

Every file produced is recorded by the SHA-256 of its bytes (``services.document_record_export``, which
also audits the disclosure). Verification reads a PDF and gives one of four verdicts:

1. ``signed``: the bytes are a file SafePact produced, its embedded text hashes to that file's version,
   and that version is the final text with at least one signature: ok;
2. ``unsigned``: a file SafePact produced, of a draft or of a final text nobody has signed yet;
3. ``altered``: the embedded text is a signed version, but the bytes are not a file SafePact produced
   (changed or re-saved after export): what the pages show cannot be vouched for;
4. ``unknown``: no embedded text, or one whose hash matches no version (that the person may see).

Output is deterministic: the dates inside the file are the version's and its latest signature's (or
status change's), never the time of export, and WeasyPrint writes no random identifier; so the same
state gives the same bytes on the same installation (another WeasyPrint, Pango or font version gives
other bytes, which is why verification uses the recorded hashes, not a re-rendering).
"""

import hashlib
import io
import json
import logging
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import formats
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override
from markdown_it import MarkdownIt

from safepact.agreements import services, texts
from safepact.agreements.models import (
    ENDED,
    Agreement,
    AgreementVersion,
    DocumentExport,
    DocumentFormat,
    Party,
    Signature,
    Status,
)
from safepact.agreements.selectors import get_agreement_for_user, party_list, signature_list
from safepact.lib import markdown
from safepact.partnerships.selectors import partnerships_for

logger = logging.getLogger(__name__)
# WeasyPrint logs a dozen INFO "Step n" lines per PDF; keep its warnings (a missing font), not the steps.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

MAX_VERIFY_BYTES = 20 * 1024 * 1024
TEXT_ATTACHMENT = "agreement.md"
JSON_ATTACHMENT = "safepact.json"
PDF_CONTENT_TYPE = "application/pdf"
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# What a document shows ------------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def iso_utc(value: datetime | None) -> str:
    """``2025-05-01T09:30:12Z``: the one way documents and the verifier write a moment."""
    return _utc(value).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


@dataclass
class SignatureRow:
    signature: Signature
    signed_at: str
    matches: bool  # the hash signed is the hash of this version's text
    withdrawn_on: date | None = None  # the party withdrew later (it stays a signature of this text)


@dataclass
class Sheet:
    """Everything a PDF or DOCX shows about one version, read once (a fixed number of queries)."""

    agreement: Agreement
    version: AgreementVersion
    text: str
    is_final: bool
    signatures: list[SignatureRow]
    not_signed: list[Party]
    withdrawn: list[Party]
    needed: int
    created: datetime
    modified: datetime


def sheet_for(agreement: Agreement, version: AgreementVersion) -> Sheet:
    is_final = agreement.final_version_id == version.pk
    signatures = list(signature_list(agreement=agreement, version=version)) if is_final else []
    parties = list(party_list(agreement=agreement))
    withdrawn_on = {p.pk: p.withdrawn_on for p in parties}
    signed_parties = {s.party_id for s in signatures}
    rows = [
        SignatureRow(
            signature=s,
            signed_at=iso_utc(s.signed_at),
            matches=s.text_sha256 == version.sha256,
            withdrawn_on=withdrawn_on.get(s.party_id),
        )
        for s in signatures
    ]
    required = [p for p in parties if p.required and p.withdrawn_on is None]
    needed = min(agreement.quorum, len(required)) if agreement.quorum else len(required)
    moments = [version.created_at, agreement.updated_at, *(s.signed_at for s in signatures)]
    return Sheet(
        agreement=agreement,
        version=version,
        text=texts.normalise(version.body),
        is_final=is_final,
        signatures=rows,
        not_signed=[p for p in parties if p.pk not in signed_parties and p.withdrawn_on is None],
        withdrawn=[p for p in parties if p.withdrawn_on is not None],
        needed=needed,
        created=_utc(version.created_at),
        modified=_utc(max(m for m in moments if m is not None)),
    )


def _state_line(sheet: Sheet) -> str:
    """One sentence on where this version stands (the PDF's title page, the DOCX)."""
    agreement = sheet.agreement
    if not sheet.is_final:
        return _(
            "This is not the final text. Nobody signed it: only the final version of an agreement is signed."
        )
    if agreement.status in ENDED:
        ended = formats.date_format(agreement.ended_at, "DATE_FORMAT") if agreement.ended_at else "—"
        return _("The agreement is %(status)s (since %(date)s).") % {
            "status": agreement.get_status_display().lower(),
            "date": ended,
        }
    if agreement.status == Status.IN_FORCE:
        since = agreement.effective_from or (agreement.in_force_at and agreement.in_force_at.date())
        return _("The agreement is in force since %(date)s.") % {
            "date": formats.date_format(since, "DATE_FORMAT") if since else "—"
        }
    if not sheet.signatures:
        return _("This is the final text. No party has signed it yet.")
    return ngettext(
        "This is the final text; signing is in progress: %(signed)s signature, %(needed)s needed.",
        "This is the final text; signing is in progress: %(signed)s signatures, %(needed)s needed.",
        len(sheet.signatures),
    ) % {"signed": len(sheet.signatures), "needed": sheet.needed}


def _filename(sheet: Sheet, extension: str) -> str:
    slug = slugify(sheet.agreement.title)[:80].strip("-") or "agreement"
    return f"{slug}-v{sheet.version.number}.{extension}"


def _manifest(sheet: Sheet) -> str:
    """The JSON attachment: what the signature page lists, for machines."""
    data = {
        "agreement": str(sheet.agreement.code),
        "partnership": str(sheet.agreement.partnership.code),
        "title": sheet.agreement.title,
        "version": sheet.version.number,
        "final": sheet.is_final,
        "status": sheet.agreement.status,
        "text_sha256": sheet.version.sha256,
        "text_attachment": TEXT_ATTACHMENT,
        "signatures": [
            {
                "organisation": row.signature.organisation_name,
                "signer": row.signature.signer_name,
                "signed_at": row.signed_at,
                "text_sha256": row.signature.text_sha256,
                "method": row.signature.method,
            }
            for row in sheet.signatures
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


# PDF ------------------------------------------------------------------------------------------------


def _no_fetch_fetcher():
    """A WeasyPrint URL fetcher that fetches nothing: a document needs no outside resource, and a link
    in an agreement text must never make the server request a URL (or read a local file)."""
    from weasyprint.urls import URLFetcher

    class NoFetch(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"SafePact documents load no external resources ({url[:60]})")

    return NoFetch()


def render_pdf(sheet: Sheet) -> bytes:
    """The PDF of ``sheet`` (no access check, nothing recorded: ``export_pdf`` does both)."""
    from weasyprint import CSS, HTML, Attachment

    agreement, version = sheet.agreement, sheet.version
    with override(agreement.language):
        context = {
            "sheet": sheet,
            "agreement": agreement,
            "partnership": agreement.partnership,
            "version": version,
            "body_html": markdown.render(sheet.text),
            "state_line": _state_line(sheet),
            "created": iso_utc(sheet.created),
            "modified": iso_utc(sheet.modified),
            "saved": iso_utc(version.created_at),
            "finalised": iso_utc(agreement.finalised_at) if sheet.is_final else "",
            "text_attachment": TEXT_ATTACHMENT,
            "json_attachment": JSON_ATTACHMENT,
            "keywords": ", ".join(
                [
                    f"agreement:{agreement.code}",
                    f"version:{version.number}",
                    f"sha256:{version.sha256}",
                    agreement.get_kind_display(),
                ]
            ),
        }
        html = render_to_string("agreements/pdf/agreement.html", context)
        css = render_to_string("agreements/pdf/agreement.css", context)
        description = _("The exact text of version %(number)s (Markdown, UTF-8), SHA-256 %(sha256)s") % {
            "number": version.number,
            "sha256": version.sha256,
        }
        manifest_description = _("The agreement, version, text hash and signatures, for machines (JSON)")
    fetcher = _no_fetch_fetcher()
    moment = sheet.modified.replace(tzinfo=None)  # WeasyPrint writes these as UTC ("Z")
    attachments = [
        Attachment(
            string=sheet.text.encode("utf-8"),
            name=TEXT_ATTACHMENT,
            description=description,
            created=sheet.created.replace(tzinfo=None),
            modified=sheet.created.replace(tzinfo=None),
            relationship="Source",
            url_fetcher=fetcher,
        ),
        Attachment(
            string=_manifest(sheet).encode("utf-8"),
            name=JSON_ATTACHMENT,
            description=manifest_description,
            created=moment,
            modified=moment,
            relationship="Data",
            url_fetcher=fetcher,
        ),
    ]
    document = HTML(string=html, url_fetcher=fetcher, base_url="about:blank")
    return document.write_pdf(
        stylesheets=[CSS(string=css, url_fetcher=fetcher)],
        attachments=attachments,
        custom_metadata=True,
        pdf_tags=True,
    )


def _checked(actor, agreement: Agreement, version: AgreementVersion) -> tuple[Agreement, AgreementVersion]:
    """Re-check that ``actor`` may see the agreement (404 otherwise) and that the version is its own."""
    agreement = get_agreement_for_user(actor, agreement.partnership.code, agreement.code)
    if version.agreement_id != agreement.pk:
        raise Http404(_("Version not found."))
    version = agreement.versions.get(pk=version.pk)  # the stored text, not a caller's copy
    version.agreement = agreement
    return agreement, version


def export_pdf(*, actor, agreement: Agreement, version: AgreementVersion) -> tuple[bytes, str]:
    """The PDF of ``version`` for ``actor`` (any member who may read the agreement), recorded by its
    hash and audited. Returns ``(bytes, filename)``."""
    agreement, version = _checked(actor, agreement, version)
    sheet = sheet_for(agreement, version)
    data = render_pdf(sheet)
    services.document_record_export(
        actor=actor,
        agreement=agreement,
        version=version,
        fmt=DocumentFormat.PDF,
        file_sha256=hashlib.sha256(data).hexdigest(),
        signature_count=len(sheet.signatures),
    )
    return data, _filename(sheet, "pdf")


# DOCX -----------------------------------------------------------------------------------------------


# Characters XML 1.0 cannot hold (python-docx refuses them: a form feed in a title made every DOCX a 500).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str) -> str:
    """``text`` without the control characters a DOCX (XML) cannot contain."""
    return _NOT_XML.sub("", text or "")


# The same parser settings as ``safepact.lib.markdown`` (CommonMark with tables, raw HTML as text).
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


class _DocxWriter:
    """Markdown (markdown-it tokens, the same parser the pages use) to python-docx paragraphs.

    Headings (``#`` is the title, ``##`` a level-1 heading, ...), paragraphs with bold, italic, code and
    links, bullet and numbered lists (numbered by hand, so each list starts where its Markdown says),
    block quotes, code blocks and tables.
    """

    def __init__(self, document):
        self.document = document
        self.lists: list[dict] = []  # stack: {"ordered": bool, "next": int}
        self.quote = 0

    def write(self, text: str) -> None:
        tokens = _MARKDOWN.parse(text)
        index = 0
        while index < len(tokens):
            index = self._block(tokens, index)

    # blocks

    def _block(self, tokens, index: int) -> int:
        token = tokens[index]
        kind = token.type
        if kind == "heading_open":
            level = int(token.tag[1]) - 1
            heading = self.document.add_heading("", level=min(level, 9))
            self._inline(heading, tokens[index + 1])
            return index + 3
        if kind in ("bullet_list_open", "ordered_list_open"):
            start = int(token.attrGet("start") or 1)
            self.lists.append({"ordered": kind == "ordered_list_open", "next": start, "fresh": False})
            return index + 1
        if kind in ("bullet_list_close", "ordered_list_close"):
            self.lists.pop()
            return index + 1
        if kind == "list_item_open":
            self.lists[-1]["fresh"] = True
            return index + 1
        if kind == "blockquote_open":
            self.quote += 1
            return index + 1
        if kind == "blockquote_close":
            self.quote -= 1
            return index + 1
        if kind == "paragraph_open":
            self._paragraph(tokens[index + 1])
            return index + 3
        if kind in ("fence", "code_block"):
            paragraph = self.document.add_paragraph(style="No Spacing")
            run = paragraph.add_run(_xml(token.content.rstrip("\n")))
            run.font.name = "Courier New"
            return index + 1
        if kind == "table_open":
            return self._table(tokens, index)
        if kind == "hr":
            self.document.add_paragraph("—" * 3)
            return index + 1
        if kind == "inline":  # a tight list item's text (paragraph tokens hidden) is still a paragraph
            self._paragraph(token)
            return index + 1
        return index + 1

    def _paragraph(self, inline) -> None:
        from docx.shared import Cm

        if self.lists and self.lists[-1]["fresh"]:
            current = self.lists[-1]
            current["fresh"] = False
            depth = min(len(self.lists), 3)
            if current["ordered"]:
                paragraph = self.document.add_paragraph(style="List Paragraph")
                paragraph.paragraph_format.left_indent = Cm(0.9 * depth)
                paragraph.paragraph_format.first_line_indent = Cm(-0.7)
                paragraph.add_run(f"{current['next']}.\t")
                current["next"] += 1
            else:
                style = "List Bullet" if depth == 1 else f"List Bullet {depth}"
                paragraph = self.document.add_paragraph(style=style)
        elif self.lists:  # a further paragraph inside a list item
            paragraph = self.document.add_paragraph(style="List Continue")
        elif self.quote:
            paragraph = self.document.add_paragraph(style="Quote")
        else:
            paragraph = self.document.add_paragraph()
        self._inline(paragraph, inline)

    def _table(self, tokens, index: int) -> int:
        rows: list[list] = []
        header_rows = 0
        in_head = False
        while tokens[index].type != "table_close":
            token = tokens[index]
            if token.type == "thead_open":
                in_head = True
            elif token.type == "thead_close":
                in_head = False
            elif token.type == "tr_open":
                rows.append([])
                header_rows += 1 if in_head else 0
            elif token.type == "inline":
                rows[-1].append(token)
            index += 1
        columns = max((len(row) for row in rows), default=0)
        if rows and columns:
            table = self.document.add_table(rows=len(rows), cols=columns)
            table.style = "Table Grid"
            for r, row in enumerate(rows):
                for c, inline in enumerate(row):
                    paragraph = table.cell(r, c).paragraphs[0]
                    self._inline(paragraph, inline, bold=r < header_rows)
            self.document.add_paragraph()
        return index + 1

    # inline

    def _inline(self, paragraph, inline, *, bold: bool = False) -> None:
        state = {"bold": bold, "italic": False, "strike": False}
        href = None
        for child in inline.children or []:
            kind = child.type
            if kind == "text" or kind == "html_inline":
                self._run(paragraph, child.content, state)
            elif kind == "code_inline":
                self._run(paragraph, child.content, state).font.name = "Courier New"
            elif kind == "softbreak":
                self._run(paragraph, " ", state)
            elif kind == "hardbreak":
                paragraph.add_run().add_break()
            elif kind == "strong_open":
                state["bold"] = True
            elif kind == "strong_close":
                state["bold"] = bold
            elif kind == "em_open":
                state["italic"] = True
            elif kind == "em_close":
                state["italic"] = False
            elif kind == "s_open":
                state["strike"] = True
            elif kind == "s_close":
                state["strike"] = False
            elif kind == "link_open":
                href = child.attrGet("href")
            elif kind == "link_close":
                if href:
                    self._run(paragraph, f" ({href})", state)
                href = None
            elif kind == "image":
                self._run(paragraph, child.content, state)

    @staticmethod
    def _run(paragraph, text: str, state: dict):
        run = paragraph.add_run(_xml(text))
        run.bold = state["bold"] or None
        run.italic = state["italic"] or None
        if state["strike"]:
            run.font.strike = True
        return run


def _fixed_zip(data: bytes, moment: datetime) -> bytes:
    """Rewrite a DOCX (a zip) with every entry dated ``moment``, so the same state gives the same bytes."""
    stamp = _utc(moment).timetuple()[:6]
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=max(stamp, (1980, 1, 1, 0, 0, 0)))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            out.writestr(entry, source.read(info.filename))
    return target.getvalue()


def render_docx(sheet: Sheet) -> bytes:
    """The DOCX of ``sheet``: the text for editing elsewhere, then the signatures and the text's hash."""
    from docx import Document

    agreement, version = sheet.agreement, sheet.version
    document = Document()
    with override(agreement.language):
        properties = document.core_properties
        properties.title = _xml(agreement.title)
        properties.subject = _("Version %(number)s, text SHA-256 %(sha256)s") % {
            "number": version.number,
            "sha256": version.sha256,
        }
        properties.keywords = f"agreement:{agreement.code}, version:{version.number}, sha256:{version.sha256}"
        properties.author = _xml(agreement.partnership.name)
        properties.last_modified_by = "SafePact"
        properties.comments = _state_line(sheet)
        properties.category = agreement.get_kind_display()
        properties.language = agreement.language
        properties.revision = version.number
        properties.created = sheet.created.replace(tzinfo=None)
        properties.modified = sheet.modified.replace(tzinfo=None)

        if not texts.parse(sheet.text).title:
            document.add_heading(_xml(agreement.title), level=0)
        if not sheet.is_final:
            warning = document.add_paragraph()
            warning.add_run(_("NOT THE FINAL TEXT – not signed")).bold = True  # noqa: RUF001
        _DocxWriter(document).write(sheet.text)

        document.add_heading(_("Signatures"), level=1)
        if sheet.signatures:
            headers = [
                _("Organisation"),
                _("Signed by"),
                _("Signed at (UTC)"),
                _("SHA-256 signed"),
                _("Method"),
            ]
            table = document.add_table(rows=1, cols=len(headers))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, headers, strict=True):
                cell.paragraphs[0].add_run(text).bold = True
            for row in sheet.signatures:
                s = row.signature
                cells = table.add_row().cells
                values = [
                    s.organisation_name,
                    s.signer_name,
                    row.signed_at,
                    s.text_sha256,
                    s.get_method_display(),
                ]
                for cell, text in zip(cells, values, strict=True):
                    cell.text = _xml(text)
        else:
            document.add_paragraph(_("Nobody has signed this version."))
        if sheet.not_signed and sheet.is_final:
            document.add_paragraph(_("Not signed (yet):"))
            for party in sheet.not_signed:
                document.add_paragraph(_xml(party.partner.organisation.name), style="List Bullet")
        for party in sheet.withdrawn:
            document.add_paragraph(
                _("%(organisation)s withdrew on %(date)s.")
                % {
                    "organisation": _xml(party.partner.organisation.name),
                    "date": formats.date_format(party.withdrawn_on, "DATE_FORMAT"),
                }
            )
        document.add_heading(_("About this document"), level=1)
        about = document.add_paragraph()
        about.add_run(
            _(
                "Version %(number)s of “%(title)s” (%(partnership)s), exported from SafePact for editing. "
                "The text SHA-256 of this version is %(sha256)s. %(state)s Changes made in this file are "
                "not part of the agreement until they are saved as a new version in SafePact and signed."
            )
            % {
                "number": version.number,
                "title": _xml(agreement.title),
                "partnership": _xml(agreement.partnership.name),
                "sha256": version.sha256,
                "state": _state_line(sheet),
            }
        )
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip(buffer.getvalue(), sheet.modified)


def export_docx(*, actor, agreement: Agreement, version: AgreementVersion) -> tuple[bytes, str]:
    """The DOCX of ``version`` for ``actor``, recorded by its hash and audited. ``(bytes, filename)``."""
    agreement, version = _checked(actor, agreement, version)
    sheet = sheet_for(agreement, version)
    data = render_docx(sheet)
    services.document_record_export(
        actor=actor,
        agreement=agreement,
        version=version,
        fmt=DocumentFormat.DOCX,
        file_sha256=hashlib.sha256(data).hexdigest(),
        signature_count=len(sheet.signatures),
    )
    return data, _filename(sheet, "docx")


# Verification ---------------------------------------------------------------------------------------


@dataclass
class Verification:
    """The verdict on one PDF. ``verdict``: ``signed`` (ok), ``unsigned``, ``altered`` or ``unknown``."""

    ok: bool
    message: str
    verdict: str
    agreement: Agreement | None = None
    version: AgreementVersion | None = None
    signatures: list[Signature] = field(default_factory=list)
    file_sha256: str = ""
    text_sha256: str = ""  # of the embedded text; "" when the PDF holds none


#: The uploaded PDF is parsed in a child process under these limits. pypdf inflates (and keeps) every
#: compressed stream it reads, up to 75 MB each, so a 100 KB file can make a parser hold gigabytes; in
#: its own process the damage stops at the limit and the web process holds nothing of it.
PARSE_MEMORY_BYTES = 512 * 1024 * 1024
PARSE_CPU_SECONDS = 20
PARSE_TIMEOUT_SECONDS = 30

# Run as ``python -I -c _PARSE_CHILD memory cpu name`` with the PDF on stdin. Exit 0 with ``+`` and the
# SHA-256 of the first attachment called ``name`` (or ``-``: none), 3 encrypted, anything else unreadable.
_PARSE_CHILD = r"""
import hashlib, io, sys
try:
    import resource
except ImportError:
    resource = None
if resource is not None:
    for limit, value in ((resource.RLIMIT_AS, int(sys.argv[1])), (resource.RLIMIT_CPU, int(sys.argv[2]))):
        _soft, hard = resource.getrlimit(limit)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (value, value))
name, data = sys.argv[3], sys.stdin.buffer.read()
try:
    from pypdf import PdfReader
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        sys.exit(3)
    len(reader.pages)  # parse the page tree: a damaged file fails here
    found = None
    for entry in reader.attachment_list:  # lazily: only the first one called ``name`` is inflated
        if name in (entry.name, entry.alternative_name):
            found = hashlib.sha256(entry.content).hexdigest()
            break
except Exception as error:  # an untrusted file can fail in any way (MemoryError too): all mean damaged
    sys.stderr.write(f"{type(error).__name__}: {error}"[:300])
    sys.exit(2)
sys.stdout.write("-" if found is None else "+" + found)
"""


def _unreadable() -> ValidationError:
    return ValidationError({"file": _("This PDF cannot be read: it is damaged or not a PDF.")})


def _embedded_text_sha256(data: bytes) -> str | None:
    """The SHA-256 of the text embedded in a PDF (``None`` when it has none). ``ValidationError({"file":
    ...})`` for a file that is too large, not a PDF, damaged, encrypted or too costly to read."""
    if data is None or len(data) == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if len(data) > MAX_VERIFY_BYTES:
        raise ValidationError(
            {
                "file": _("The file is larger than %(limit)s MB, the limit for verification.")
                % {"limit": MAX_VERIFY_BYTES // (1024 * 1024)}
            }
        )
    if b"%PDF-" not in data[:1024]:
        raise ValidationError({"file": _("This file is not a PDF.")})
    command = [
        sys.executable,
        "-I",
        "-c",
        _PARSE_CHILD,
        str(PARSE_MEMORY_BYTES),
        str(PARSE_CPU_SECONDS),
        TEXT_ATTACHMENT,
    ]
    try:
        result = subprocess.run(  # noqa: S603 - our own script and arguments; the PDF goes to stdin
            command, input=data, capture_output=True, timeout=PARSE_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        logger.info("agreement verification: reading the PDF took too long")
        raise _unreadable() from None
    if result.returncode == 3:
        raise ValidationError(
            {"file": _("This PDF is encrypted (password-protected); SafePact produces no such files.")}
        )
    answer = result.stdout.decode("ascii", "replace")
    if result.returncode != 0 or not answer:
        logger.info(
            "agreement verification: unreadable PDF (exit %s: %s)",
            result.returncode,
            result.stderr.decode("utf-8", "replace")[:300],
        )
        raise _unreadable()
    return answer[1:] if answer.startswith("+") else None


def _signers(signatures: list[Signature]) -> str:
    return ", ".join(f"{s.organisation_name} ({s.signer_name})" for s in signatures)


def _ended_note(agreement: Agreement) -> str:
    if agreement.status in ENDED:
        return " " + _("The agreement has since ended: it is %(status)s.") % {
            "status": agreement.get_status_display().lower()
        }
    return ""


def _valid_signatures(version: AgreementVersion) -> list[Signature]:
    """Signatures on ``version`` whose recorded hash is the version's (a signature on another hash
    would be a corrupted record, and vouches for nothing)."""
    if version.agreement.final_version_id != version.pk:
        return []
    return [
        s
        for s in Signature.objects.filter(version=version).select_related("party").order_by("signed_at", "id")
        if s.text_sha256 == version.sha256
    ]


def _verify(data: bytes, agreements, *, scoped: bool) -> Verification:
    embedded = _embedded_text_sha256(data)
    file_sha = hashlib.sha256(data).hexdigest()
    text_sha = embedded or ""
    base = {"file_sha256": file_sha, "text_sha256": text_sha}

    export = (
        DocumentExport.objects.filter(
            format=DocumentFormat.PDF, file_sha256=file_sha, agreement__in=agreements
        )
        .select_related("agreement", "version")
        .order_by("-exported_at", "-id")
        .first()
    )
    if export is not None and text_sha and text_sha == export.text_sha256:
        agreement, version = export.agreement, export.version
        version.agreement = agreement
        signatures = _valid_signatures(version)
        names = {"number": version.number, "title": agreement.title}
        if signatures and version.sha256 == text_sha:
            message = _(
                "This PDF is an unaltered copy of version %(number)s of “%(title)s”, signed by "
                "%(signers)s (text SHA-256 %(sha256)s)."
            ) % {**names, "signers": _signers(signatures), "sha256": text_sha}
            if export.signature_count < len(signatures):
                message += " " + _(
                    "More parties signed after this copy was made: its signature page lists %(listed)s of "
                    "the %(count)s signatures now recorded."
                ) % {"listed": export.signature_count, "count": len(signatures)}
            message += _ended_note(agreement)
            return Verification(True, message, "signed", agreement, version, signatures, **base)
        if agreement.final_version_id == version.pk:
            message = (
                _(
                    "This PDF is an unaltered copy SafePact made of version %(number)s of “%(title)s”, but it "
                    "is an unsigned version: the final text, which no party has signed yet."
                )
                % names
            )
        else:
            message = (
                _(
                    "This PDF is an unaltered copy SafePact made of version %(number)s of “%(title)s”, but it "
                    "is a draft/unsigned version: not the final text, and nobody signed it."
                )
                % names
            )
        return Verification(False, message, "unsigned", agreement, version, [], **base)

    versions = (
        list(
            AgreementVersion.objects.filter(sha256=text_sha, agreement__in=agreements)
            .select_related("agreement")
            .order_by("-created_at", "-id")
        )
        if text_sha
        else []
    )
    for version in versions:
        signatures = _valid_signatures(version)
        if signatures:
            agreement = version.agreement
            message = _(
                "The text inside this PDF is version %(number)s of “%(title)s”, which was signed by "
                "%(signers)s, but the file itself is not one SafePact produced: it was altered or re-saved "
                "after export, so its pages may show something other than the signed text. Download a "
                "fresh copy from SafePact."
            ) % {"number": version.number, "title": agreement.title, "signers": _signers(signatures)}
            return Verification(False, message, "altered", agreement, version, signatures, **base)
    if versions:
        version = versions[0]
        message = _(
            "This PDF does not correspond to any signed version: its text is version %(number)s of "
            "“%(title)s”, which nobody signed, and the file is not one SafePact produced."
        ) % {"number": version.number, "title": version.agreement.title}
        return Verification(False, message, "unknown", version.agreement, version, [], **base)
    if embedded is None:
        message = _(
            "This PDF does not correspond to any signed version: it holds no agreement text from SafePact "
            "(SafePact embeds the exact text in every PDF it makes)."
        )
    elif scoped:
        message = _(
            "This PDF does not correspond to any signed version: the text inside it (SHA-256 %(sha256)s) "
            "matches no version of an agreement you can see. It may have been changed."
        ) % {"sha256": text_sha}
    else:
        message = _(
            "This PDF does not correspond to any signed version: the text inside it (SHA-256 %(sha256)s) "
            "matches no version of any agreement. It may have been changed."
        ) % {"sha256": text_sha}
    return Verification(False, message, "unknown", **base)


def verify_pdf(*, user, data: bytes) -> Verification:
    """Does this PDF correspond to a signed version of an agreement ``user`` may see? Agreements of other
    partnerships count as unknown (the verdict never reveals them)."""
    return _verify(data, Agreement.objects.filter(partnership__in=partnerships_for(user)), scoped=True)


def verify_pdf_any(data: bytes) -> Verification:
    """The same verdict over every agreement (operators: ``manage.py agreement_verify``)."""
    return _verify(data, Agreement.objects.all(), scoped=False)
