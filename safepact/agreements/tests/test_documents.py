"""Agreement PDFs: what they show and carry, who may export them, and the verdicts of verification.

PDF rendering costs about a quarter of a second, so each test renders one or two PDFs at most.
"""

import copy
import hashlib
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from pypdf import PdfReader, PdfWriter

from safepact.agreements import documents, selectors, services, texts
from safepact.agreements.models import DocumentExport
from safepact.agreements.tests import support
from safepact.audit.models import AuditEvent


def read(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def page_texts(data: bytes) -> list[str]:
    """Each page's text, whitespace collapsed (table cells and long lines wrap)."""
    return [" ".join(page.extract_text().split()) for page in read(data).pages]


def squeeze(text: str) -> str:
    """Text without whitespace (a long hash may be extracted with a line break in it)."""
    return "".join(text.split())


def resave(data: bytes) -> bytes:
    """What a PDF editor does: read the file and write it again (same content, other bytes)."""
    out = io.BytesIO()
    PdfWriter(clone_from=read(data)).write(out)
    return out.getvalue()


def replace_embedded_text(data: bytes, text: str) -> bytes:
    writer = PdfWriter(clone_from=read(data))
    for attachment in writer.attachment_list:
        if attachment.name == documents.TEXT_ATTACHMENT:
            attachment.content = text.encode("utf-8")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def one_word_changed(text: str) -> str:
    changed = text.replace("realistic", "ambitious", 1)
    assert changed != text, "the covenant template should contain the word 'realistic'"
    return changed


@pytest.fixture
def signed(world):
    """A covenant in force (police and city signed) and a PDF of its final text exported by the viewer."""
    agreement = support.in_force(world)
    data, filename = documents.export_pdf(
        actor=world.viewer, agreement=agreement, version=agreement.final_version
    )
    return agreement, data, filename


# Verification of a signed version -----------------------------------------------------------------


def test_a_pdf_of_a_signed_version_verifies(world, signed):
    agreement, data, filename = signed
    version = agreement.final_version

    result = documents.verify_pdf(user=world.member, data=data)

    assert result.ok is True
    assert result.verdict == "signed"
    assert (result.agreement, result.version) == (agreement, version)
    assert [s.organisation_name for s in result.signatures] == ["Polisen Malmö", "Malmö stad"]
    assert f"version {version.number} of “{agreement.title}”" in result.message
    assert "Polisen Malmö (Cora Coordinator)" in result.message
    assert "Malmö stad (Mats Member)" in result.message
    assert version.sha256 in result.message
    assert result.file_sha256 == hashlib.sha256(data).hexdigest()
    assert result.text_sha256 == version.sha256
    assert documents.verify_pdf_any(data).ok is True
    assert filename == f"covenant-of-sofielund-safety-partnership-v{version.number}.pdf"


def test_the_signature_page_lists_signers_hashes_times_and_who_has_not_signed(world, signed):
    agreement, data, _filename = signed
    version = agreement.final_version
    pages = page_texts(data)
    title_page, signature_page = pages[0], pages[-1]

    for fact in (
        "Sofielund safety partnership",
        agreement.title,
        "Covenant",
        "In force",
        "1 (the final text)",
    ):
        assert fact in title_page
    assert version.sha256 in squeeze(title_page)

    assert "Signatures" in signature_page
    for signature in agreement.signatures.all():
        assert signature.organisation_name in signature_page
        assert signature.signer_name in signature_page
        assert documents.iso_utc(signature.signed_at) in signature_page
        assert signature.text_sha256 == version.sha256
    assert squeeze(signature_page).count(version.sha256) == 3, "the text's hash, then one per signature"
    assert squeeze("Signed in the browser after re-authentication") in squeeze(signature_page), "method"
    not_signed = signature_page.split("Parties that have not signed", 1)[1]
    assert "Sofielund Fastighetsägare" in not_signed
    assert "Polisen Malmö" not in not_signed
    assert all("NOT THE FINAL TEXT" not in page for page in pages)


def test_the_pdf_carries_the_exact_text_a_manifest_and_metadata(world, signed):
    agreement, data, _filename = signed
    version = agreement.final_version
    reader = read(data)

    embedded = reader.attachments[documents.TEXT_ATTACHMENT][0]
    assert embedded.decode("utf-8") == texts.normalise(version.body)
    assert hashlib.sha256(embedded).hexdigest() == version.sha256

    manifest = json.loads(reader.attachments[documents.JSON_ATTACHMENT][0])
    assert manifest["agreement"] == str(agreement.code)
    assert manifest["version"] == version.number
    assert manifest["text_sha256"] == version.sha256
    assert [(s["organisation"], s["signer"], s["text_sha256"]) for s in manifest["signatures"]] == [
        ("Polisen Malmö", "Cora Coordinator", version.sha256),
        ("Malmö stad", "Mats Member", version.sha256),
    ]

    meta = reader.metadata
    assert meta.title.startswith(agreement.title)
    assert f"agreement:{agreement.code}" in meta["/Keywords"]
    assert f"version:{version.number}" in meta["/Keywords"]
    assert f"sha256:{version.sha256}" in meta["/Keywords"]
    assert meta["/safepactagreement"] == str(agreement.code)
    assert meta["/safepacttextsha256"] == version.sha256
    assert meta["/CreationDate"] == version.created_at.astimezone(documents.UTC).strftime("D:%Y%m%d%H%M%SZ")


def test_the_same_state_gives_the_same_bytes_and_an_older_copy_still_verifies(world):
    support.signatories(world)
    agreement = support.sign(world.coordinator, support.to_signing(world, support.draft(world)))
    version = agreement.final_version

    first, _name = documents.export_pdf(actor=world.member, agreement=agreement, version=version)
    again, _name = documents.export_pdf(actor=world.viewer, agreement=agreement, version=version)
    assert first == again, "no export time, exporter or random identifier inside the file"
    assert "signing is in progress: 1 signature, 2 needed" in page_texts(first)[0]

    support.sign(world.member, agreement)  # the city signs: the agreement enters into force
    result = documents.verify_pdf(user=world.viewer, data=first)
    assert result.ok is True
    assert len(result.signatures) == 2
    assert "its signature page lists 1 of the 2 signatures" in result.message


def test_a_withdrawal_is_shown_and_a_signed_pdf_still_verifies_after_the_agreement_ended(world):
    agreement = support.in_force(world)
    city = agreement.parties.get(partner__organisation=world.org_city_a)
    city.agreement = agreement
    services.party_withdraw(
        actor=world.coordinator, party=city, on_date=selectors.today(), reason="The city reorganised."
    )
    data, _name = documents.export_pdf(
        actor=world.member, agreement=agreement, version=agreement.final_version
    )
    signature_page = page_texts(data)[-1]
    withdrew = signature_page.split("Parties that withdrew", 1)[1]
    assert "Malmö stad withdrew on" in withdrew and "The city reorganised." in withdrew
    assert "The organisation withdrew on" in signature_page, "noted beside its signature"

    services.agreement_terminate(actor=world.coordinator, agreement=support.reload(agreement), reason="Done.")
    result = documents.verify_pdf(user=world.member, data=data)
    assert result.ok is True, "it is still the signed text"
    assert "The agreement has since ended: it is terminated." in result.message


def test_the_pdf_chrome_is_in_the_agreements_language(world):
    agreement = support.draft(world, language="nl")
    data, _name = documents.export_pdf(
        actor=world.member, agreement=agreement, version=agreement.versions.get()
    )
    title_page = page_texts(data)[0]
    assert "Partnerschap" in title_page
    assert "Partnership " not in title_page


# Changed, altered and unsigned PDFs ---------------------------------------------------------------


def test_a_pdf_of_a_text_with_one_word_changed_does_not_verify(world, signed):
    agreement, _data, _filename = signed
    version = agreement.final_version
    # A forgery: the signed version's title page, signatures and hash, but one word changed in the text.
    forged = copy.copy(version)
    forged.body = one_word_changed(version.body)
    forged_pdf = documents.render_pdf(documents.sheet_for(agreement, forged))

    result = documents.verify_pdf(user=world.member, data=forged_pdf)

    assert result.ok is False
    assert result.verdict == "unknown"
    assert "does not correspond to any signed version" in result.message
    assert result.text_sha256 == texts.sha256(forged.body) != version.sha256


def test_a_pdf_of_a_second_agreement_with_one_word_changed_is_an_unsigned_draft(world, signed):
    agreement, _data, _filename = signed
    other = support.draft(world, title="Covenant, second edition")
    changed, created = services.version_save(
        actor=world.coordinator, agreement=other, body=one_word_changed(agreement.final_version.body)
    )
    assert created
    data, _name = documents.export_pdf(actor=world.coordinator, agreement=other, version=changed)

    result = documents.verify_pdf(user=world.member, data=data)

    assert result.ok is False
    assert result.verdict == "unsigned"
    assert "draft/unsigned version" in result.message
    assert result.version == changed
    assert all("NOT THE FINAL TEXT" in text for text in page_texts(data))


def test_changing_bytes_of_a_verified_pdf_makes_it_altered(world, signed):
    _agreement, data, _filename = signed
    assert documents.verify_pdf(user=world.member, data=data).ok
    # One byte of the binary-marker comment on line 2: same length, so the file still reads.
    tampered = data.replace(b"%\xf0\x9f\x96\xa4", b"%\xf0\x9f\x96\xa5", 1)
    assert tampered != data and len(read(tampered).pages) == len(read(data).pages)

    result = documents.verify_pdf(user=world.member, data=tampered)

    assert result.ok is False
    assert result.verdict == "altered"
    assert "not one SafePact produced" in result.message


def test_a_pdf_re_saved_by_another_program_is_altered_not_verified(world, signed):
    agreement, data, _filename = signed
    resaved = resave(data)
    assert (
        read(resaved).attachments[documents.TEXT_ATTACHMENT][0]
        == read(data).attachments[documents.TEXT_ATTACHMENT][0]
    ), "the embedded text survives the re-save"

    result = documents.verify_pdf(user=world.member, data=resaved)

    assert result.ok is False
    assert result.verdict == "altered"
    assert result.version == agreement.final_version
    assert "Polisen Malmö" in result.message, "it names what the text was signed by"
    assert "altered or re-saved" in result.message


def test_replacing_or_removing_the_embedded_text_does_not_correspond(world, signed):
    agreement, data, _filename = signed
    replaced = replace_embedded_text(data, one_word_changed(texts.normalise(agreement.final_version.body)))

    result = documents.verify_pdf(user=world.member, data=replaced)
    assert (result.ok, result.verdict) == (False, "unknown")
    assert "does not correspond to any signed version" in result.message

    writer = PdfWriter(clone_from=read(data))
    for attachment in list(writer.attachment_list):
        attachment.delete()
    out = io.BytesIO()
    writer.write(out)
    result = documents.verify_pdf(user=world.member, data=out.getvalue())
    assert (result.ok, result.verdict) == (False, "unknown")
    assert "holds no agreement text" in result.message


def test_a_pdf_of_a_draft_is_not_ok(world):
    agreement = support.draft(world)
    version = agreement.versions.get()
    data, _name = documents.export_pdf(actor=world.viewer, agreement=agreement, version=version)

    result = documents.verify_pdf(user=world.viewer, data=data)

    assert (result.ok, result.verdict) == (False, "unsigned")
    assert "draft/unsigned version" in result.message
    pages = page_texts(data)
    assert all("NOT THE FINAL TEXT" in page for page in pages), "the mark is on every page"
    assert "1 (not the final text)" in pages[0]
    assert "carries no signature" in pages[-1]
    assert "Parties that have not signed" not in pages[-1]
    for organisation in ("Polisen Malmö", "Malmö stad", "Sofielund Fastighetsägare"):
        assert f"{organisation} – signature required" in pages[-1]  # noqa: RUF001


def test_a_pdf_of_a_final_text_nobody_signed_yet_is_not_ok(world):
    support.signatories(world)
    agreement = support.to_signing(world, support.draft(world))
    data, _name = documents.export_pdf(
        actor=world.member, agreement=agreement, version=agreement.final_version
    )

    result = documents.verify_pdf(user=world.member, data=data)

    assert (result.ok, result.verdict) == (False, "unsigned")
    assert "no party has signed yet" in result.message
    assert "No party has signed this text yet." in page_texts(data)[-1]


# Scope --------------------------------------------------------------------------------------------


def test_another_partnership_cannot_learn_anything_from_verifying_a_pdf(world, signed):
    agreement, data, _filename = signed

    for user in (world.coordinator_b, world.outsider):
        for sample in (data, resave(data)):
            result = documents.verify_pdf(user=user, data=sample)
            assert (result.ok, result.verdict) == (False, "unknown")
            assert result.agreement is None and result.version is None and result.signatures == []
            assert agreement.title not in result.message
            assert "Polisen" not in result.message
            assert "does not correspond to any signed version" in result.message
    assert documents.verify_pdf_any(resave(data)).verdict == "altered", "operators see every partnership"


# Export: access, records, audit -------------------------------------------------------------------


def test_export_is_recorded_by_its_hash_and_audited(world, signed):
    agreement, data, _filename = signed
    export = DocumentExport.objects.get()
    assert export.agreement == agreement
    assert export.version == agreement.final_version
    assert export.format == "pdf"
    assert export.file_sha256 == hashlib.sha256(data).hexdigest()
    assert export.text_sha256 == agreement.final_sha256
    assert export.signature_count == 2
    assert export.exported_by == world.viewer
    event = AuditEvent.objects.filter(action="agreements.document.exported").get()
    assert event.actor_label and event.partnership_code == str(world.partnership_a.code)
    assert event.after["file_sha256"] == export.file_sha256
    assert event.after["format"] == "pdf"


@pytest.mark.parametrize("export", [documents.export_pdf, documents.export_docx])
def test_export_respects_access(world, export):
    agreement = support.draft(world)
    version = agreement.versions.get()
    for user in (world.outsider, world.coordinator_b):
        with pytest.raises(Http404):
            export(actor=user, agreement=agreement, version=version)
    other = support.draft(world, title="Another covenant")
    with pytest.raises(Http404):
        export(actor=world.member, agreement=other, version=version)  # a version of another agreement
    assert not DocumentExport.objects.exists()
    assert not AuditEvent.objects.filter(action="agreements.document.exported").exists()


# Uploads that are not a PDF SafePact can read ------------------------------------------------------


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "empty"),
        (b"Hello, this is a text file.\n", "not a PDF"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nthis is not a pdf\n", "cannot be read"),
        (b"%PDF-1.7\n" + b"0" * documents.MAX_VERIFY_BYTES, "larger than 20 MB"),
        (None, "encrypted"),
    ],
    ids=["empty", "text", "damaged", "oversize", "encrypted"],
)
def test_unreadable_uploads_give_a_file_field_error(world, data, expected):
    data = encrypted_pdf() if data is None else data
    for verify in (lambda d: documents.verify_pdf(user=world.member, data=d), documents.verify_pdf_any):
        with pytest.raises(ValidationError) as error:
            verify(data)
        assert list(error.value.message_dict) == ["file"]
        assert expected in error.value.message_dict["file"][0]
