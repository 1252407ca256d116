"""Agreement DOCX exports: the text as headings, paragraphs, lists and tables; the signatures; properties."""

import hashlib
import io

import docx
from docx.shared import Cm

from safepact.agreements import documents, services, texts
from safepact.agreements.models import DocumentExport
from safepact.agreements.tests import support
from safepact.audit.models import AuditEvent

BODY = """# Covenant of Sofielund safety partnership

The parties agree, with **bold**, *careful* and `exact` words and a [link](https://example.org/rules).

## Parties

- Malmö stad
- Polisen Malmö
  - its community police officer

## Objectives

3. Fewer burglaries
4. Safer streets

> A remark the parties quote.

| Task | Polisen Malmö | Malmö stad |
|---|---|---|
| Night patrols | R | C |

## Duration

Until further notice.
"""


def open_docx(data: bytes):
    return docx.Document(io.BytesIO(data))


def styled(document, style: str) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == style]


def test_the_docx_of_a_signed_version_has_the_headings_signatures_and_properties(world):
    agreement = support.in_force(world)
    version = agreement.final_version

    data, filename = documents.export_docx(actor=world.viewer, agreement=agreement, version=version)

    assert filename == f"covenant-of-sofielund-safety-partnership-v{version.number}.docx"
    document = open_docx(data)
    assert styled(document, "Title") == [agreement.title]
    sections = [section.heading for section in texts.parse(version.body).sections]
    assert len(sections) > 5
    assert styled(document, "Heading 1") == [*sections, "Signatures", "About this document"]

    signatures = document.tables[-1]
    rows = [[cell.text for cell in row.cells] for row in signatures.rows]
    assert rows[0] == ["Organisation", "Signed by", "Signed at (UTC)", "SHA-256 signed", "Method"]
    assert [row[:2] for row in rows[1:]] == [
        ["Polisen Malmö", "Cora Coordinator"],
        ["Malmö stad", "Mats Member"],
    ]
    assert all(row[3] == version.sha256 for row in rows[1:])
    assert [row[2] for row in rows[1:]] == [
        documents.iso_utc(s.signed_at) for s in agreement.signatures.order_by("signed_at", "id")
    ]
    assert "NOT THE FINAL TEXT – not signed" not in [p.text for p in document.paragraphs]  # noqa: RUF001

    properties = document.core_properties
    assert properties.title == agreement.title
    assert version.sha256 in properties.subject
    assert f"agreement:{agreement.code}" in properties.keywords

    export = DocumentExport.objects.get(format="docx")
    assert export.file_sha256 == hashlib.sha256(data).hexdigest()
    assert (export.version, export.signature_count, export.exported_by) == (version, 2, world.viewer)
    assert AuditEvent.objects.filter(action="agreements.document.exported", after__format="docx").count() == 1

    again, _name = documents.export_docx(actor=world.member, agreement=agreement, version=version)
    assert again == data, "the same state gives the same bytes (fixed dates, also inside the zip)"


def test_the_markdown_becomes_word_structure(world):
    agreement = support.draft(world)
    version, created = services.version_save(actor=world.coordinator, agreement=agreement, body=BODY)
    assert created

    data, _name = documents.export_docx(actor=world.member, agreement=agreement, version=version)
    document = open_docx(data)

    assert styled(document, "Title") == ["Covenant of Sofielund safety partnership"]
    assert styled(document, "Heading 1")[:3] == ["Parties", "Objectives", "Duration"]
    assert styled(document, "List Bullet") == ["Malmö stad", "Polisen Malmö"]
    assert styled(document, "List Bullet 2") == ["its community police officer"]
    numbered = styled(document, "List Paragraph")
    assert numbered == ["3.\tFewer burglaries", "4.\tSafer streets"], "numbered from the list's own start"
    numbered_paragraph = next(p for p in document.paragraphs if p.text.startswith("3.\t"))
    assert numbered_paragraph.paragraph_format.first_line_indent < 0 < Cm(0.5), "a hanging indent"
    assert styled(document, "Quote") == ["A remark the parties quote."]

    intro = next(p for p in document.paragraphs if p.text.startswith("The parties agree"))
    assert intro.text.endswith("a link (https://example.org/rules).")
    runs = {run.text: run for run in intro.runs}
    assert runs["bold"].bold is True
    assert runs["careful"].italic is True
    assert runs["exact"].font.name == "Courier New"

    text_table = document.tables[0]
    assert [[cell.text for cell in row.cells] for row in text_table.rows] == [
        ["Task", "Polisen Malmö", "Malmö stad"],
        ["Night patrols", "R", "C"],
    ]
    assert all(run.bold for run in text_table.rows[0].cells[0].paragraphs[0].runs), "header row in bold"

    paragraphs = [p.text for p in document.paragraphs]
    assert "NOT THE FINAL TEXT – not signed" in paragraphs  # noqa: RUF001
    assert "Nobody has signed this version." in paragraphs
    assert len(document.tables) == 1, "no signature table for a draft"
