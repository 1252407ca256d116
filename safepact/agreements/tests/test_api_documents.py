"""Agreements API: PDF and DOCX of a version, verification of an uploaded PDF, the settings, the
confidentiality gate as the caller sees it, and the templates."""

import io
import zipfile

import pytest

from safepact.agreements import documents, texts
from safepact.agreements.models import AgreementSettings, DocumentExport, Formality, Kind
from safepact.agreements.tests import support
from safepact.agreements.tests.test_api_access import base, call, pdf_upload, url
from safepact.audit.models import AuditEvent

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def signed(world):
    """A covenant in force, signed by the police and the city."""
    return support.in_force(world)


# Files ---------------------------------------------------------------------------------------------


def test_pdf_of_a_version_is_a_recorded_download(client, world, signed):
    client.force_login(world.viewer)
    response = client.get(url(world, signed, "/versions/1/pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"].startswith('attachment; filename="')
        and ".pdf" in response["Content-Disposition"]
    )
    assert response["Cache-Control"] == "no-store"
    assert response.content.startswith(b"%PDF-")
    export = DocumentExport.objects.get()
    assert (export.format, export.exported_by, export.signature_count) == ("pdf", world.viewer, 2)
    assert AuditEvent.objects.filter(
        action="agreements.document.exported", actor_code=str(world.viewer.code)
    ).exists()


def test_docx_of_a_version(client, world, signed):
    client.force_login(world.member)
    response = client.get(url(world, signed, "/versions/1/docx"))
    assert response.status_code == 200
    assert response["Content-Type"] == DOCX and ".docx" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert "word/document.xml" in archive.namelist()
    assert DocumentExport.objects.get().format == "docx"


def test_verify_a_signed_pdf_and_a_changed_one(client, world, signed):
    client.force_login(world.member)
    pdf = client.get(url(world, signed, "/versions/1/pdf")).content
    response = client.post(f"{base(world)}/agreements/verify", pdf_upload(pdf))
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["ok"] is True and data["verdict"] == "signed"
    assert data["agreement"]["code"] == str(signed.code) and data["version"]["number"] == 1
    assert data["agreement"]["partnership"] == str(world.partnership_a.code)
    assert data["version"]["sha256"] == signed.final_sha256 == data["text_sha256"]
    assert {s["organisation"] for s in data["signatures"]} == {"Polisen Malmö", "Malmö stad"}
    assert "Polisen Malmö" in data["message"]

    changed = pdf.replace(b"/Producer", b"/Produced", 1) if b"/Producer" in pdf else pdf + b"\n%changed\n"
    assert changed != pdf
    data = client.post(f"{base(world)}/agreements/verify", pdf_upload(changed)).json()
    assert data["ok"] is False and data["verdict"] != "signed"


def test_verify_tells_nothing_of_another_partnerships_pdf(client, world, signed):
    client.force_login(world.member)
    pdf = client.get(url(world, signed, "/versions/1/pdf")).content
    client.force_login(world.coordinator_b)
    data = client.post(f"{base(world, world.partnership_b)}/agreements/verify", pdf_upload(pdf)).json()
    assert data["ok"] is False and data["agreement"] is None and data["signatures"] == []
    assert signed.title not in data["message"]


@pytest.mark.parametrize(
    ("upload", "fragment"),
    [
        (b"", "empty"),
        (b"PK\x03\x04 a zip, not a PDF", "not a PDF"),
        (b"%PDF-1.7\n garbage that is no PDF", "cannot be read"),
    ],
)
def test_verify_refuses_what_is_not_a_pdf_naming_the_file(client, world, upload, fragment):
    client.force_login(world.viewer)
    response = client.post(f"{base(world)}/agreements/verify", pdf_upload(upload))
    assert response.status_code == 422, response.content
    assert response.json()["detail"].startswith("file:") and fragment in response.json()["detail"]


def test_verify_refuses_a_file_too_big(client, world, monkeypatch):
    monkeypatch.setattr(documents, "MAX_VERIFY_BYTES", 1024)
    client.force_login(world.viewer)
    response = client.post(f"{base(world)}/agreements/verify", pdf_upload(b"%PDF-1.7\n" + b"0" * 2048))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("file:") and "too big" in response.json()["detail"]


def test_verify_needs_a_file(client, world):
    client.force_login(world.viewer)
    response = client.post(f"{base(world)}/agreements/verify", {})
    assert response.status_code == 422 and response.json()["detail"].startswith("file")
    response = call(client, "post", f"{base(world)}/agreements/verify", {"file": "JVBERi0="})
    assert response.status_code == 422


# Settings and the gate -----------------------------------------------------------------------------


def test_settings_round_trip(client, world):
    client.force_login(world.coordinator)
    settings_url = f"{base(world)}/agreement-settings"
    assert client.get(settings_url).json() == {
        "require_confidentiality": False,
        "review_notice_days": 30,
        "expiry_notice_days": 60,
    }
    body = {"require_confidentiality": True, "review_notice_days": 14, "expiry_notice_days": 90}
    assert call(client, "put", settings_url, body).json() == body
    client.force_login(world.viewer)
    assert client.get(settings_url).json() == body
    assert AuditEvent.objects.filter(action="agreements.settings.changed").count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"require_confidentiality": True, "review_notice_days": 0, "expiry_notice_days": 60},
            "review_notice_days",
        ),
        (
            {"require_confidentiality": True, "review_notice_days": 30, "expiry_notice_days": 731},
            "expiry_notice_days",
        ),
        (
            {"require_confidentiality": "sometimes", "review_notice_days": 30, "expiry_notice_days": 60},
            "require",
        ),
        ({"review_notice_days": 30, "expiry_notice_days": 60}, "require_confidentiality"),
        ({"require_confidentiality": True, "review_notice_days": 30, "expiry_notice_days": 60, "x": 1}, "x"),
    ],
)
def test_settings_refuse_bad_input(client, world, body, field):
    client.force_login(world.coordinator)
    response = call(client, "put", f"{base(world)}/agreement-settings", body)
    assert response.status_code == 422 and response.json()["detail"].startswith(field)
    assert not AgreementSettings.objects.exists()


def test_gate_follows_the_confidentiality_agreement(client, world):
    gate_url = f"{base(world)}/agreement-gate"
    client.force_login(world.member)
    assert client.get(gate_url).json() == {
        "required": False,
        "passes": True,
        "message": "",
        "agreement": None,
        "url": "",
    }
    AgreementSettings.objects.create(partnership=world.partnership_a, require_confidentiality=True)
    data = client.get(gate_url).json()
    assert (
        data["required"] is True
        and data["passes"] is False
        and "no confidentiality agreement" in data["message"]
    )

    agreement = support.in_force(world, kind=Kind.CONFIDENTIALITY)  # signed by the police and the city
    data = client.get(gate_url).json()
    assert data["passes"] is True and data["agreement"]["code"] == str(agreement.code)
    assert data["agreement"]["kind"] == "confidentiality" and data["url"].endswith(f"{agreement.code}/")
    # The viewer's organisation (the shop) has not signed: withheld, with what to sign.
    client.force_login(world.viewer)
    data = client.get(gate_url).json()
    assert data["passes"] is False and "Sofielund Fastighetsägare" in data["message"]
    assert agreement.title in data["message"]


# Templates -----------------------------------------------------------------------------------------


def test_templates_list_types_levels_and_required_sections(client, world):
    client.force_login(world.viewer)
    data = client.get(f"{base(world)}/agreement-templates").json()
    assert [k["value"] for k in data["kinds"]] == Kind.values
    assert [f["value"] for f in data["formalities"]] == Formality.values
    assert {(t["kind"], t["language"]) for t in data["templates"]} == {
        (kind, language) for kind in Kind.values for language in ("en", "nl")
    }
    covenant = next(t for t in data["templates"] if (t["kind"], t["language"]) == ("covenant", "en"))
    template = texts.get_template("covenant", "en")
    assert [s["heading"] for s in covenant["sections"]] == [s.heading for s in template.sections]
    required = covenant["required_sections"]
    assert set(required) == set(Formality.values)
    assert set(required["general"]) <= set(required["specified"]) <= set(required["fixed"])
    assert required["fixed"] == [s.heading for s in template.required_sections("fixed")]
    assert len(required["general"]) < len(required["fixed"])


def test_templates_in_one_language(client, world):
    client.force_login(world.viewer)
    data = client.get(f"{base(world)}/agreement-templates?lang=nl").json()
    assert {t["language"] for t in data["templates"]} == {"nl"} and len(data["templates"]) == len(Kind.values)
    assert client.get(f"{base(world)}/agreement-templates?lang=xx").status_code == 422
