"""``manage.py agreement_verify FILE.pdf [FILE ...]``: one verdict per file; exit 0 / 1 / 2."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pypdf import PdfReader, PdfWriter

from safepact.agreements import documents
from safepact.agreements.tests import support


def run(*files) -> tuple[str, int]:
    out = io.StringIO()
    try:
        call_command("agreement_verify", *[str(f) for f in files], stdout=out)
    except CommandError as error:
        return out.getvalue(), error.returncode
    return out.getvalue(), 0


@pytest.fixture
def signed_pdf(world, tmp_path):
    agreement = support.in_force(world)
    data, filename = documents.export_pdf(
        actor=world.member, agreement=agreement, version=agreement.final_version
    )
    path = tmp_path / filename
    path.write_bytes(data)
    return agreement, path


@pytest.fixture
def resaved_pdf(signed_pdf, tmp_path):
    _agreement, path = signed_pdf
    out = io.BytesIO()
    PdfWriter(clone_from=PdfReader(path)).write(out)
    resaved = tmp_path / "resaved.pdf"
    resaved.write_bytes(out.getvalue())
    return resaved


def test_a_pdf_of_a_signed_version_verifies(signed_pdf):
    agreement, path = signed_pdf

    output, code = run(path)

    assert code == 0
    assert f"{path}: VERIFIED: This PDF is an unaltered copy of version 1 of “{agreement.title}”" in output
    assert f"text SHA-256 {agreement.final_sha256}" in output
    assert "signed by Polisen Malmö (Cora Coordinator)" in output
    assert "signed by Malmö stad (Mats Member)" in output
    assert "OK: 1 file(s) verified." in output


def test_an_altered_pdf_exits_1_and_says_why(signed_pdf, resaved_pdf):
    _agreement, path = signed_pdf

    output, code = run(path, resaved_pdf)

    assert code == 1
    assert f"{path}: VERIFIED" in output
    assert f"{resaved_pdf}: NOT VERIFIED (altered): " in output
    assert "altered or re-saved" in output


def test_unreadable_files_exit_2_even_beside_a_failing_one(signed_pdf, resaved_pdf, tmp_path):
    text_file = tmp_path / "notes.pdf"
    text_file.write_text("not a pdf at all")
    missing = tmp_path / "missing.pdf"
    huge = tmp_path / "huge.pdf"
    huge.write_bytes(b"%PDF-1.7\n" + b"0" * documents.MAX_VERIFY_BYTES)

    output, code = run(resaved_pdf, text_file, missing, huge)

    assert code == 2
    assert f"{resaved_pdf}: NOT VERIFIED (altered)" in output
    assert f"{text_file}: UNREADABLE: This file is not a PDF." in output
    assert f"{missing}: UNREADABLE: No such file or directory" in output
    assert f"{huge}: UNREADABLE: The file is larger than 20 MB" in output


def test_a_draft_pdf_does_not_verify(world, tmp_path):
    agreement = support.draft(world)
    data, filename = documents.export_pdf(
        actor=world.coordinator, agreement=agreement, version=agreement.versions.get()
    )
    path = tmp_path / filename
    path.write_bytes(data)

    output, code = run(path)

    assert code == 1
    assert "NOT VERIFIED (unsigned)" in output
    assert "draft/unsigned version" in output
