"""The progress report PDF: what it shows, that it is deterministic, who may export it, and the audit."""

import hashlib
import io
from datetime import timedelta

import pytest
from django.http import Http404
from django.urls import reverse
from pypdf import PdfReader

from safepact.audit.models import AuditEvent
from safepact.continuity import documents, services
from safepact.continuity.tests.services_support import at
from safepact.continuity.tests.views_support import TODAY, make_things
from safepact.lib import clock


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(at(TODAY)):
        yield


@pytest.fixture
def report(world):
    things = make_things(world)
    section = things.city_section
    section.report = things.report
    services.section_save(
        actor=world.member,
        section=section,
        submit=True,
        activities_done="Surveyed forty streets.",
        outputs="A map of dark spots.",
        problems="Two broken lamps.",
        next_steps="Ask the utility to repair them.",
        hours_used="12.5",
        money_used="250",
    )
    return things.report


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def test_the_pdf_holds_title_page_sections_and_missing_sections(world, report):
    data, filename = documents.export_report_pdf(actor=world.viewer, report=report)
    assert data.startswith(b"%PDF")
    assert filename == "sofielund-safety-partnership-progress-report-2026-01-01-2026-03-31.pdf"
    content = pdf_text(data)
    for fact in (
        "Sofielund safety partnership",
        "Progress report",
        "2026-01-01",
        "2026-03-31",
        "NOT SIGNED OFF",
        "Surveyed forty streets.",
        "A map of dark spots.",
        "Two broken lamps.",
        "Ask the utility to repair them.",
        "12.5 hours",
        "Sections not submitted",
        "Polisen Malmö",
        "Sofielund Fastighetsägare",
        "1 of 3",
    ):
        assert fact in content, fact


def test_a_signed_off_pdf_names_who_signed_and_carries_the_summary(world, report):
    services.report_sign_off(actor=world.coordinator, report=report, summary="A **steady** quarter.")
    report.refresh_from_db()
    data, _name = documents.export_report_pdf(actor=world.member, report=report)
    content = pdf_text(data)
    assert "Signed off by Cora Coordinator" in content
    assert "A steady quarter." in content
    assert "NOT SIGNED OFF" not in content


def test_the_same_state_gives_the_same_bytes(world, report):
    first, _ = documents.export_report_pdf(actor=world.member, report=report)
    clock.advance(timedelta(days=3))
    second, _ = documents.export_report_pdf(actor=world.coordinator, report=report)
    assert first == second


def test_export_is_audited_with_the_files_hash(world, report):
    data, _ = documents.export_report_pdf(actor=world.viewer, report=report)
    event = AuditEvent.objects.get(action="continuity.report.exported")
    assert event.actor_label == world.viewer.email
    assert event.partnership_code == str(world.partnership_a.code)
    assert event.after["file_sha256"] == hashlib.sha256(data).hexdigest()
    assert event.after["missing"] == 2


def test_export_respects_access(world, report):
    for user in (world.outsider, world.coordinator_b):
        with pytest.raises(Http404):
            documents.export_report_pdf(actor=user, report=report)
    assert not AuditEvent.objects.filter(action="continuity.report.exported").exists()


def test_links_in_the_summary_are_not_fetched(world, report, monkeypatch):
    services.report_sign_off(
        actor=world.coordinator,
        report=report,
        summary="![x](http://example.invalid/pixel.png) and [a link](http://example.invalid/)",
    )
    report.refresh_from_db()
    data, _ = documents.export_report_pdf(actor=world.member, report=report)
    assert data.startswith(b"%PDF")


def test_the_pdf_page_downloads_it(client_for, world, report):
    response = client_for(world.viewer).get(
        reverse("continuity:report_pdf", args=[world.partnership_a.code, report.code])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "Surveyed forty streets." in pdf_text(response.content)
