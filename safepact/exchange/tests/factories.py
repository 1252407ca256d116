"""Shared test helpers for the exchange: tiny valid files, uploads, posts and documents made through the
services (the real path), and fixtures.

Keep the names stable: other test modules import them.

* ``pdf_bytes()``, ``png_bytes()``, ``jpeg_bytes()``, ``gif_bytes()``, ``webp_bytes()``, ``docx_bytes()``,
  ``xlsx_bytes()``, ``pptx_bytes()``, ``odt_bytes()``, ``zip_bytes()``, ``exe_bytes()``, ``elf_bytes()``,
  ``svg_bytes()``, ``html_bytes()``, ``text_bytes()``: file contents.
* ``upload(name, content=None, content_type=None)``: a ``SimpleUploadedFile``; without ``content`` the bytes
  follow the extension (``upload("report.pdf")``).
* ``make_post(world, author, tlp="green", orgs=(), people=(), **fields)`` and
  ``make_document(world, author, tlp="green", orgs=(), people=(), **fields)``: through ``post_create`` /
  ``document_create``, in ``world.partnership_a`` unless ``partnership=`` is given.
* Fixtures (import them into a test module to use them): ``media_root`` (MEDIA_ROOT in a temporary folder),
  ``search_stub`` (a no-op ``safepact.exchange.search`` while that module does not exist yet).
"""

import io
import struct
import sys
import types
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from safepact.lib.tlp import TLP

# File contents ------------------------------------------------------------------------------------


def pdf_bytes(text: str = "SafePact") -> bytes:
    """A minimal, valid one-page PDF."""
    stream = f"BT /F1 12 Tf 20 20 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 50] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def png_bytes() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def gif_bytes() -> bytes:
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
        b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )


def webp_bytes() -> bytes:
    return (
        b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
    )


def zip_bytes(files: dict | None = None, *, mimetype: str | None = None) -> bytes:
    """A zip archive; ``mimetype`` first and stored, as OpenDocument files have it."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if mimetype is not None:
            archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        for name, content in (files if files is not None else {"readme.txt": "hello"}).items():
            archive.writestr(name, content)
    return out.getvalue()


CONTENT_TYPES_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)


def docx_bytes(text: str = "SafePact") -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": CONTENT_TYPES_XML,
            "_rels/.rels": "<Relationships/>",
            "word/document.xml": f"<w:document><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body>"
            "</w:document>",
        }
    )


def xlsx_bytes() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": CONTENT_TYPES_XML,
            "_rels/.rels": "<Relationships/>",
            "xl/workbook.xml": "<w/>",
        }
    )


def pptx_bytes() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": CONTENT_TYPES_XML,
            "_rels/.rels": "<Relationships/>",
            "ppt/presentation.xml": "<p/>",
        }
    )


def odt_bytes() -> bytes:
    return zip_bytes(
        {"content.xml": "<office:document-content/>", "META-INF/manifest.xml": "<manifest/>"},
        mimetype="application/vnd.oasis.opendocument.text",
    )


def ods_bytes() -> bytes:
    return zip_bytes(
        {"content.xml": "<office:document-content/>", "META-INF/manifest.xml": "<manifest/>"},
        mimetype="application/vnd.oasis.opendocument.spreadsheet",
    )


def exe_bytes() -> bytes:
    """The start of a Windows program (MZ header)."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"


def elf_bytes() -> bytes:
    return b"\x7fELF\x02\x01\x01" + b"\x00" * 57


def svg_bytes() -> bytes:
    return b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def html_bytes() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def text_bytes(text: str = "Stolen engine, serial 12345.\n") -> bytes:
    return text.encode()


BY_EXTENSION = {
    "pdf": pdf_bytes,
    "png": png_bytes,
    "jpg": jpeg_bytes,
    "jpeg": jpeg_bytes,
    "gif": gif_bytes,
    "webp": webp_bytes,
    "docx": docx_bytes,
    "xlsx": xlsx_bytes,
    "pptx": pptx_bytes,
    "odt": odt_bytes,
    "ods": ods_bytes,
    "txt": text_bytes,
    "md": lambda: b"# Heading\n\nSome *text*.\n",
    "csv": lambda: b"plate,seen\nABC123,2025-01-01\n",
    "zip": zip_bytes,
    "exe": exe_bytes,
    "svg": svg_bytes,
    "html": html_bytes,
}


def upload(name: str, content: bytes | None = None, content_type: str | None = None) -> SimpleUploadedFile:
    """An uploaded file as a form or the API hands it over. Without ``content``: valid bytes for the
    extension of ``name`` (``upload("a.pdf")``)."""
    if content is None:
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else "txt"
        content = BY_EXTENSION.get(extension, text_bytes)()
    return SimpleUploadedFile(name, content, content_type=content_type or "application/octet-stream")


# Items ---------------------------------------------------------------------------------------------


def _label(tlp) -> str:
    return TLP(tlp).value


def make_post(world, author, tlp=TLP.GREEN, orgs=(), people=(), **fields):
    """A post by ``author`` through ``post_create``. For AMBER/AMBER+STRICT without ``orgs`` the recipient
    is the author's own organisation in that partnership; for RED without ``people``, the author."""
    from safepact.exchange.services import post_create

    partnership = fields.pop("partnership", None) or world.partnership_a
    label = _label(tlp)
    orgs, people = list(orgs), list(people)
    if label in (TLP.AMBER, TLP.AMBER_STRICT) and not orgs:
        orgs = [_own_organisation(author, partnership)]
    if label == TLP.RED and not people:
        people = [author]
    return post_create(
        actor=author,
        partnership=partnership,
        kind=fields.pop("kind", "news"),
        title=fields.pop("title", f"Post ({label})"),
        body=fields.pop("body", "Text of the post."),
        tlp=label,
        recipient_organisations=orgs,
        recipient_people=people,
        files=fields.pop("files", ()),
        **fields,
    )


def make_document(world, author, tlp=TLP.GREEN, orgs=(), people=(), **fields):
    """A document (version 1 is a small PDF unless ``upload=`` is given) through ``document_create``."""
    from safepact.exchange.services import document_create

    partnership = fields.pop("partnership", None) or world.partnership_a
    label = _label(tlp)
    orgs, people = list(orgs), list(people)
    if label in (TLP.AMBER, TLP.AMBER_STRICT) and not orgs:
        orgs = [_own_organisation(author, partnership)]
    if label == TLP.RED and not people:
        people = [author]
    return document_create(
        actor=author,
        partnership=partnership,
        title=fields.pop("title", f"Document ({label})"),
        description=fields.pop("description", "What this document is about."),
        tlp=label,
        recipient_organisations=orgs,
        recipient_people=people,
        upload=fields.pop("upload", None) or upload("document.pdf"),
        note=fields.pop("note", ""),
        **fields,
    )


def add_person(world, email, *, role="member", organisation=None, new_organisation=None, partnership=None):
    """A new active member: through ``organisation`` (an existing partner's organisation) or a new one
    (``new_organisation`` dict, or a business named after the e-mail address). In ``world.partnership_a``
    unless ``partnership=`` is given (its coordinator invites). Returns the user."""
    from conftest import add_member, make_user

    partnership = partnership or world.partnership_a
    coordinator = world.coordinator if partnership.pk == world.partnership_a.pk else world.coordinator_b
    user = make_user(email)
    if organisation is None and new_organisation is None:
        new_organisation = {
            "name": email.split("@")[1].split(".")[0].title(),
            "kind": "business",
            "country": "SE",
        }
    add_member(
        coordinator=coordinator,
        partnership=partnership,
        user=user,
        role=role,
        organisation=organisation,
        new_organisation=new_organisation,
    )
    return user


def join(world, user, partnership, *, role="member", new_organisation=None):
    """Let an existing ``user`` join another ``partnership`` too (through a new organisation there)."""
    from conftest import add_member

    coordinator = world.coordinator if partnership.pk == world.partnership_a.pk else world.coordinator_b
    add_member(
        coordinator=coordinator,
        partnership=partnership,
        user=user,
        role=role,
        new_organisation=new_organisation
        or {"name": f"{user.full_name} organisation", "kind": "business", "country": "NL"},
    )
    return user


def _own_organisation(user, partnership):
    from safepact.partnerships.selectors import membership_in

    membership = membership_in(user, partnership)
    assert membership is not None, f"{user} is not an active member of {partnership}"
    return membership.partner.organisation


def audit_events(action: str):
    """The audit events with ``action``, oldest first."""
    from safepact.audit.models import AuditEvent

    return list(AuditEvent.objects.filter(action=action).order_by("occurred_at", "seq"))


# Fixtures ------------------------------------------------------------------------------------------


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded files go to a temporary folder for this test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def search_stub(monkeypatch):
    """The real ``safepact.exchange.search`` when it exists; otherwise a recording no-op stand-in.

    Yields the module (real or stand-in); the stand-in has ``indexed`` and ``unindexed`` lists.
    """
    try:
        from safepact.exchange import search

        yield search
        return
    except ImportError:
        pass
    stub = types.ModuleType("safepact.exchange.search")
    stub.indexed, stub.unindexed = [], []
    stub.index_item = lambda item: stub.indexed.append(item)
    stub.unindex_item = lambda item: stub.unindexed.append(item)
    import safepact.exchange

    monkeypatch.setitem(sys.modules, "safepact.exchange.search", stub)
    monkeypatch.setattr(safepact.exchange, "search", stub, raising=False)
    yield stub
