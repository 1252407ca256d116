"""Upload checks: size, type by content and extension, programs, markup, fake office files, names."""

import hashlib

import pytest
from django.core.exceptions import ValidationError

from safepact.exchange.models import ExchangeSettings
from safepact.exchange.tests.factories import (
    docx_bytes,
    elf_bytes,
    exe_bytes,
    gif_bytes,
    html_bytes,
    jpeg_bytes,
    ods_bytes,
    odt_bytes,
    pdf_bytes,
    png_bytes,
    pptx_bytes,
    svg_bytes,
    upload,
    webp_bytes,
    xlsx_bytes,
    zip_bytes,
)
from safepact.exchange.uploads import FILE_TYPES, check_upload, clean_file_name, content_type_for, is_inline


def limits(**fields) -> ExchangeSettings:
    return ExchangeSettings(**{"max_upload_mb": 20, "allowed_types": [], **fields})


def refused(file, **fields) -> str:
    with pytest.raises(ValidationError) as caught:
        check_upload(file, limits=limits(**fields))
    assert set(caught.value.message_dict) == {"file"}
    (message,) = caught.value.message_dict["file"]
    return message


def test_file_types_contract():
    assert set(FILE_TYPES) == {"pdf", "image", "office", "text"}
    assert FILE_TYPES["image"].extensions == ("png", "jpg", "jpeg", "gif", "webp")
    assert set(FILE_TYPES["office"].extensions) == {"docx", "xlsx", "pptx", "odt", "ods", "odp"}
    assert set(FILE_TYPES["text"].extensions) == {"txt", "csv", "md"}
    assert [key for key, t in FILE_TYPES.items() if t.inline] == ["pdf", "image", "text"]
    assert "application/pdf" in FILE_TYPES["pdf"].mime_types


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("report.pdf", pdf_bytes(), "application/pdf"),
        ("photo.png", png_bytes(), "image/png"),
        ("photo.JPG", jpeg_bytes(), "image/jpeg"),
        ("photo.jpeg", jpeg_bytes(), "image/jpeg"),
        ("anim.gif", gif_bytes(), "image/gif"),
        ("pic.webp", webp_bytes(), "image/webp"),
        (
            "letter.docx",
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("sheet.xlsx", xlsx_bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (
            "slides.pptx",
            pptx_bytes(),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        ("text.odt", odt_bytes(), "application/vnd.oasis.opendocument.text"),
        ("sheet.ods", ods_bytes(), "application/vnd.oasis.opendocument.spreadsheet"),
        ("notes.txt", "Häst och vagn\n".encode(), "text/plain"),
        ("plates.csv", b"plate,seen\nABC123,2025-01-01\n", "text/csv"),
        ("readme.md", b"# Title\n\nSome *text* and <b>bold</b>.\n", "text/markdown"),
        ("mail.txt", b"Subject: hello\nFrom: someone\n", "text/plain"),
    ],
)
def test_good_files_are_accepted(name, content, content_type):
    checked = check_upload(upload(name, content), limits=limits())
    assert checked.name == name
    assert checked.content_type == content_type
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()


def test_the_upload_can_be_read_again_after_the_check():
    file = upload("report.pdf")
    check_upload(file, limits=limits())
    assert file.read() == pdf_bytes()


def test_empty_file_is_refused():
    assert refused(upload("empty.pdf", b"")) == "empty.pdf: the file is empty."


def test_missing_file():
    with pytest.raises(ValidationError) as caught:
        check_upload(None, limits=limits())
    assert "file" in caught.value.message_dict


def test_oversize_file_is_refused():
    big = pdf_bytes() + b"%" + b"x" * (1024 * 1024)
    message = refused(upload("big.pdf", big), max_upload_mb=1)
    assert message == "big.pdf: the file is larger than 1 MB."
    # Exactly at the limit is fine.
    at_limit = pdf_bytes() + b"\n%" + b"x" * (1024 * 1024 - len(pdf_bytes()) - 2)
    assert len(at_limit) == 1024 * 1024
    assert check_upload(upload("limit.pdf", at_limit), limits=limits(max_upload_mb=1)).size == 1024 * 1024


def test_size_is_measured_not_trusted():
    file = upload("big.pdf", pdf_bytes() + b"x" * (1024 * 1024))
    file.size = 10  # a lying client
    assert "larger than 1 MB" in refused(file, max_upload_mb=1)


def test_platform_ceiling_caps_the_partnership_limit(settings):
    settings.SAFEPACT_EXCHANGE_MAX_UPLOAD_MB = 1
    assert "larger than 1 MB" in refused(
        upload("big.pdf", pdf_bytes() + b"x" * (1024 * 1024)), max_upload_mb=50
    )


@pytest.mark.parametrize(
    "name",
    ["invoice.exe", "invoice.pdf", "invoice.docx", "invoice.txt", "invoice.png", "invoice"],
)
def test_windows_program_is_refused_whatever_its_name(name):
    assert refused(upload(name, exe_bytes())).endswith("programs and scripts are not allowed.")


def test_linux_program_and_script_are_refused():
    assert "programs and scripts" in refused(upload("tool.txt", elf_bytes()))
    assert "programs and scripts" in refused(upload("run.txt", b"#!/bin/sh\nrm -rf /\n"))


@pytest.mark.parametrize("name", ["setup.exe", "run.sh", "page.html", "drawing.svg", "archive.zip", "x.js"])
def test_extensions_outside_the_list_are_refused(name):
    message = refused(upload(name, b"harmless text\n"))
    assert message.startswith(f"{name}: files of this type are not allowed")
    assert "pdf" in message


def test_no_extension_is_refused():
    assert "not allowed" in refused(upload("README", b"hello"))


def test_double_extension_counts_the_last_one():
    assert "not allowed" in refused(upload("invoice.pdf.js", pdf_bytes()))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.txt", html_bytes()),
        ("drawing.md", svg_bytes()),
        ("page.csv", b"\n\n  <html><body>hi</body></html>"),
        ("x.txt", b"<script>alert(1)</script>"),
    ],
)
def test_markup_is_refused_as_text(name, content):
    assert "web pages and SVG images are not allowed" in refused(upload(name, content))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.png", pdf_bytes()),
        ("report.pdf", png_bytes()),
        ("photo.jpg", png_bytes()),
        ("report.pdf", b"just some text pretending"),
        ("photo.png", svg_bytes()),
        ("letter.docx", pdf_bytes()),
        ("notes.txt", pdf_bytes()),
        ("notes.txt", docx_bytes()),
    ],
)
def test_content_must_match_the_extension(name, content):
    message = refused(upload(name, content))
    assert message.startswith(f"{name}: ")
    assert "does not match" in message or "not a text file" in message or "UTF-8" in message


def test_zip_renamed_to_docx_is_refused():
    message = refused(upload("letter.docx", zip_bytes({"readme.txt": "hi"})))
    assert message == (
        "letter.docx: this is a zip archive, not an office document ([Content_Types].xml is missing)."
    )


def test_spreadsheet_renamed_to_docx_is_refused():
    assert "does not match the .docx extension" in refused(upload("letter.docx", xlsx_bytes()))


def test_zip_renamed_to_odt_is_refused():
    assert "not an OpenDocument file" in refused(upload("text.odt", zip_bytes({"content.xml": "<x/>"})))
    # a spreadsheet is not a text document
    assert "not an OpenDocument file" in refused(upload("text.odt", ods_bytes()))


def test_office_document_with_macros_is_refused():
    content = zip_bytes(
        {
            "[Content_Types].xml": "<Types/>",
            "word/document.xml": "<w/>",
            "word/vbaProject.bin": "macro",
        }
    )
    assert "macros" in refused(upload("letter.docx", content))


def test_broken_zip_is_refused():
    assert "not a valid office document" in refused(upload("letter.docx", b"PK\x03\x04" + b"\x00" * 40))


def test_binary_and_non_utf8_text_are_refused():
    assert "not a text file" in refused(upload("data.txt", b"abc\x00def"))
    assert "UTF-8" in refused(upload("data.csv", "blåbär".encode("latin-1")))


def test_allowed_types_of_the_partnership():
    only_pdf = {"allowed_types": ["pdf"]}
    assert check_upload(upload("report.pdf"), limits=limits(**only_pdf)).content_type == "application/pdf"
    message = refused(upload("photo.png"), **only_pdf)
    assert message.startswith("photo.png: this partnership does not allow")
    assert "allowed: pdf" in message


def test_name_is_cleaned():
    checked = check_upload(upload("../../etc/pass\x00wd.txt", b"hello"), limits=limits())
    assert checked.name == "pass_wd.txt"
    assert clean_file_name("C:\\Users\\me\\report.pdf") == "report.pdf"
    assert clean_file_name('a<b>c:"d|e?.pdf') == "a_b_c__d_e_.pdf"
    assert clean_file_name("...") == "file"
    assert clean_file_name("  spaced   out .pdf ") == "spaced out .pdf"
    long = clean_file_name("x" * 400 + ".pdf")
    assert len(long) == 255 and long.endswith(".pdf")


def test_content_type_helpers():
    assert content_type_for("a.PDF") == "application/pdf"
    assert content_type_for("a.exe") == "application/octet-stream"
    assert is_inline("application/pdf") and is_inline("image/png") and is_inline("text/plain")
    assert not is_inline(content_type_for("a.docx"))
    assert not is_inline("text/html")
