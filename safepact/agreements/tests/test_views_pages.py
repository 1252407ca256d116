"""The agreement pages one by one: forms and their errors, the preview (with and without HTMX), versions,
comparison, parties, comments, settings, documents and verification."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from safepact.agreements import documents, services
from safepact.agreements.models import (
    Agreement,
    AgreementSettings,
    AgreementVersion,
    Comment,
    DocumentExport,
    Party,
    Status,
)
from safepact.agreements.tests import support
from safepact.partnerships.models import Partner

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(world, name, *args):
    return reverse(f"agreements:{name}", args=[world.partnership_a.code, *args])


def text(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def partner(world, organisation) -> Partner:
    return Partner.objects.get(partnership=world.partnership_a, organisation=organisation)


# List ----------------------------------------------------------------------------------------------


def test_list_shows_each_agreement_and_explains_types_and_formality(client, world):
    support.draft(world, title="Our covenant")
    support.in_force(world, kind="confidentiality", expiry_date=None)
    client.force_login(world.viewer)
    html = text(client.get(url(world, "list")))
    assert "Our covenant" in html and "Confidentiality agreement" in html
    assert re.search(r'data-status="draft">Draft<.*?not final yet', html, re.S)
    assert re.search(r'data-status="in_force">In force<.*?2 of 2', html, re.S)
    for words in ("How formal?", "Fixed: goals", "Data-sharing agreement", "Joint mission statement"):
        assert words in html
    assert url(world, "verify") in html
    assert url(world, "create") not in html and url(world, "settings") not in html  # viewers
    client.force_login(world.coordinator)
    html = text(client.get(url(world, "list")))
    assert url(world, "create") in html and url(world, "settings") in html


def test_list_explains_the_gate_when_it_is_required(client, world):
    services.agreement_settings_update(
        actor=world.coordinator, partnership=world.partnership_a, require_confidentiality=True
    )
    client.force_login(world.member)
    html = text(client.get(url(world, "list")))
    assert 'id="gate-status"' in html and "no confidentiality agreement is in force yet" in html


# Create --------------------------------------------------------------------------------------------


def test_create_form_errors_are_shown_by_the_field(client, world):
    client.force_login(world.coordinator)
    response = client.post(
        url(world, "create"),
        {
            "kind": "covenant",
            "formality": "specified",
            "language": "en",
            "parties": [],
            "quorum": "0",
        },
    )
    assert response.status_code == 200
    html = text(response)
    assert 'href="#id_parties"' in html and 'href="#id_quorum"' in html
    response = client.post(
        url(world, "create"),
        {
            "kind": "covenant",
            "formality": "specified",
            "language": "en",
            "parties": [str(partner(world, world.org_police_a).code)],
            "effective_from": "2030-06-01",
            "expiry_date": "2030-01-01",
        },
    )
    html = text(response)
    assert 'href="#id_expiry_date"' in html and "must be after the date it enters into force" in html
    assert not Agreement.objects.exists()


def test_create_in_dutch_with_chosen_parties_and_a_replaced_agreement(client, world):
    old = support.in_force(world)
    client.force_login(world.coordinator)
    form = text(client.get(url(world, "create")))
    assert f'value="{old.code}"' in form  # an agreement in force can be replaced
    response = client.post(
        url(world, "create"),
        {
            "kind": "covenant",
            "formality": "fixed",
            "language": "nl",
            "title": "Convenant Sofielund 2031",
            "parties": [str(partner(world, o).code) for o in (world.org_police_a, world.org_city_a)],
            "quorum": "2",
            "supersedes": str(old.code),
        },
    )
    assert response.status_code == 302
    new = Agreement.objects.exclude(pk=old.pk).get()
    assert (new.language, new.formality, new.title, new.quorum) == (
        "nl",
        "fixed",
        "Convenant Sofielund 2031",
        2,
    )
    assert new.supersedes == old
    assert set(new.parties.values_list("partner__organisation__name", flat=True)) == {
        "Polisen Malmö",
        "Malmö stad",
    }
    assert "\n## Partijen\n" in new.versions.get().body  # the Dutch template


def test_create_form_lists_the_sections_each_type_requires(client, world):
    client.force_login(world.coordinator)
    html = text(client.get(url(world, "create")))
    assert html.count('<details class="template-sections">') == 6
    assert re.search(r"<th scope=\"row\">Disputes</th>\s*<td>Fixed</td>", html)


# Details -------------------------------------------------------------------------------------------


def test_update_details_while_drafting_and_only_the_review_date_once_final(client, world):
    agreement = support.draft(world)
    client.force_login(world.coordinator)
    response = client.post(
        url(world, "update", agreement.code),
        {"title": "Renamed", "formality": "general", "quorum": "", "review_date": "2031-05-01"},
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert (agreement.title, agreement.formality, str(agreement.review_date)) == (
        "Renamed",
        "general",
        "2031-05-01",
    )
    services.agreement_finalise(actor=world.coordinator, agreement=support.reload(agreement))
    form = text(client.get(url(world, "update", agreement.code)))
    assert 'name="review_date"' in form and 'name="title"' not in form and "only the review date" in form
    client.post(url(world, "update", agreement.code), {"review_date": "2032-01-01", "title": "Sneaky"})
    agreement.refresh_from_db()
    assert str(agreement.review_date) == "2032-01-01" and agreement.title == "Renamed"


# Editor and preview --------------------------------------------------------------------------------


def test_preview_without_javascript_renders_without_saving(client, world):
    agreement = support.draft(world)
    client.force_login(world.coordinator)
    body = "# My covenant\n\n## Parties\n\n**Everyone** here.\n"
    response = client.post(
        url(world, "edit", agreement.code), {"body": body, "note": "", "action": "preview"}
    )
    assert response.status_code == 200
    html = text(response)
    assert "<strong>Everyone</strong>" in html
    assert agreement.versions.count() == 1
    assert ">\n# My covenant" in html  # the textarea keeps what was typed


def test_htmx_preview_returns_the_fragment_with_the_section_check(client, world):
    agreement = support.draft(world)  # specified: “Purpose and mission” required, “Disputes” (fixed) not
    client.force_login(world.coordinator)
    body = "# T\n\n## Parties\n\nUs.\n\n## Purpose and mission\n\n## Disputes\n\n<script>alert(1)</script>\n"
    response = client.post(url(world, "preview", agreement.code), {"body": body}, **HTMX)
    html = text(response)
    assert "<html" not in html and html.lstrip().startswith('<div id="preview-body">')
    assert "<script>" not in html  # raw HTML is never passed through
    assert re.search(r'data-section="Parties" data-state="present" data-required="true"', html)
    assert re.search(r'data-section="Purpose and mission" data-state="empty" data-required="true"', html)
    assert re.search(r'data-section="Disputes" data-state="present" data-required="false"', html)
    assert re.search(r'data-section="Resources and funding" data-state="missing" data-required="false"', html)
    assert "Required section “Priorities and objectives” is missing." in html
    assert agreement.versions.count() == 1


def test_edit_page_shows_required_sections_and_markers(client, world):
    agreement = support.draft(world)
    client.force_login(world.coordinator)
    html = text(client.get(url(world, "edit", agreement.code)))
    assert 'data-section="Parties" data-state="present" data-required="true"' in html
    assert "Still to be agreed:" in html
    assert 'name="note"' in html and 'value="preview"' in html


def test_an_empty_text_is_refused_by_the_field(client, world):
    agreement = support.draft(world)
    client.force_login(world.coordinator)
    response = client.post(url(world, "edit", agreement.code), {"body": "   ", "note": ""})
    assert response.status_code == 200 and 'href="#id_body"' in text(response)
    assert agreement.versions.count() == 1


# Versions and compare ------------------------------------------------------------------------------


def test_version_page_shows_text_hash_and_signatures(client, world):
    agreement = support.in_force(world)
    client.force_login(world.viewer)
    html = text(client.get(url(world, "version", agreement.code, 1)))
    assert f'value="{agreement.final_sha256}"' in html and "This is the final text" in html
    assert html.count("data-signature=") == 2 and "Polisen Malmö" in html and "Malmö stad" in html
    assert url(world, "pdf", agreement.code, 1) in html and url(world, "docx", agreement.code, 1) in html


def test_compare_defaults_to_the_last_two_and_refuses_unknown_numbers(client, world):
    agreement = support.draft(world)
    body = agreement.versions.get().body
    services.version_save(
        actor=world.coordinator, agreement=support.reload(agreement), body=body + "\nExtra.\n"
    )
    client.force_login(world.viewer)
    html = text(client.get(url(world, "compare", agreement.code)))
    assert "Changes from version 1 to version 2" in html and "<ins>Extra.</ins>" in html
    response = client.get(url(world, "compare", agreement.code), {"from": "1", "to": "7"})
    assert (
        response.status_code == 200
        and 'href="#id_to"' in text(response)
        and '<table class="diff"' not in text(response)
    )
    reverse_html = text(client.get(url(world, "compare", agreement.code), {"from": "2", "to": "1"}))
    assert "<del>Extra.</del>" in reverse_html and "2 lines removed" in reverse_html
    same = text(client.get(url(world, "compare", agreement.code), {"from": "2", "to": "2"}))
    assert "The two versions have the same text." in same
    fragment = text(client.get(url(world, "compare", agreement.code), {"from": "1", "to": "2"}, **HTMX))
    assert fragment.startswith('<div id="compare-result"') and "<html" not in fragment


# Parties -------------------------------------------------------------------------------------------


def test_parties_add_make_optional_and_remove_while_drafting(client, world):
    agreement = support.draft(
        world, partner_codes=[partner(world, o).code for o in (world.org_police_a, world.org_city_a)]
    )
    client.force_login(world.coordinator)
    detail = text(client.get(url(world, "detail", agreement.code)))
    assert 'class="party-add"' in detail and "Sofielund Fastighetsägare" in detail
    response = client.post(
        url(world, "party_add", agreement.code), {"partner": str(partner(world, world.org_shop_a).code)}
    )
    assert response.status_code == 302
    shop = agreement.parties.get(partner__organisation=world.org_shop_a)
    assert shop.required is False  # the box was not ticked
    client.post(url(world, "party_update", agreement.code, shop.code), {"required": "true"})
    shop.refresh_from_db()
    assert shop.required is True
    client.post(url(world, "party_remove", agreement.code, shop.code))
    assert not agreement.parties.filter(pk=shop.pk).exists()


def test_parties_are_fixed_once_final(client, world):
    agreement = support.to_signing(world, support.draft(world))
    shop = agreement.parties.get(partner__organisation=world.org_shop_a)
    client.force_login(world.coordinator)
    detail = text(client.get(url(world, "detail", agreement.code)))
    assert (
        'class="party-add"' not in detail
        and url(world, "party_remove", agreement.code, shop.code) not in detail
    )
    response = client.post(url(world, "party_remove", agreement.code, shop.code), follow=True)
    assert any("Parties are fixed once the text is final" in m for m in messages_of(response))
    assert Party.objects.filter(pk=shop.pk).exists()
    response = client.post(
        url(world, "party_update", agreement.code, shop.code), {"required": "true"}, follow=True
    )
    assert any("Parties are fixed" in m for m in messages_of(response))


# Comments ------------------------------------------------------------------------------------------


def test_comments_only_while_in_review(client, world):
    agreement = support.draft(world)
    client.force_login(world.member)
    detail = text(client.get(url(world, "detail", agreement.code)))
    assert "Comments are open while the agreement is in review." in detail and 'id="id_body"' not in detail
    response = client.post(url(world, "comment_add", agreement.code), {"section": "", "body": "Early!"})
    assert response.status_code == 200 and "Comments are open while the agreement is in review." in text(
        response
    )
    assert not Comment.objects.exists()


def test_comment_page_preselects_a_section_and_rejects_an_empty_comment(client, world):
    agreement = support.draft(world)
    services.agreement_submit_for_review(actor=world.coordinator, agreement=support.reload(agreement))
    client.force_login(world.member)
    page = text(client.get(url(world, "comment_add", agreement.code), {"section": "Disputes"}))
    assert '<option value="Disputes" selected>' in page
    response = client.post(url(world, "comment_add", agreement.code), {"section": "Disputes", "body": ""})
    assert 'href="#id_body"' in text(response) and not Comment.objects.exists()


def test_only_the_author_or_a_coordinator_resolves_a_comment(client, world):
    from conftest import add_member, make_user

    agreement = support.draft(world)
    services.agreement_submit_for_review(actor=world.coordinator, agreement=support.reload(agreement))
    other = make_user("other@city.example", "Olle Other")
    add_member(
        coordinator=world.coordinator,
        partnership=world.partnership_a,
        user=other,
        role="member",
        organisation=world.org_city_a,
    )
    client.force_login(world.member)
    client.post(url(world, "comment_add", agreement.code), {"section": "", "body": "Mine."})
    comment = Comment.objects.get()
    client.force_login(other)
    detail = text(client.get(url(world, "detail", agreement.code)))
    assert url(world, "comment_resolve", agreement.code, comment.code) not in detail
    assert client.post(url(world, "comment_resolve", agreement.code, comment.code)).status_code == 403
    comment.refresh_from_db()
    assert comment.resolved_at is None
    client.force_login(world.coordinator)
    client.post(url(world, "comment_resolve", agreement.code, comment.code))
    comment.refresh_from_db()
    assert comment.resolved_by == world.coordinator
    detail = text(client.get(url(world, "detail", agreement.code)))
    assert "0 open comments." in detail and "Resolved" in detail


# Settings ------------------------------------------------------------------------------------------


def test_settings_explain_the_gate_and_save(client, world):
    client.force_login(world.coordinator)
    page = text(client.get(url(world, "settings")))
    assert "TLP:AMBER+STRICT" in page and 'value="30"' in page and 'value="60"' in page
    response = client.post(url(world, "settings"), {"review_notice_days": "0", "expiry_notice_days": "9999"})
    assert 'href="#id_review_notice_days"' in text(response) and 'href="#id_expiry_notice_days"' in text(
        response
    )
    assert not AgreementSettings.objects.exists()
    client.post(
        url(world, "settings"),
        {"require_confidentiality": "on", "review_notice_days": "14", "expiry_notice_days": "90"},
    )
    saved = AgreementSettings.objects.get()
    assert (saved.require_confidentiality, saved.review_notice_days, saved.expiry_notice_days) == (
        True,
        14,
        90,
    )
    page = text(client.get(url(world, "settings")))
    assert "no confidentiality agreement is in force yet" in page and "checked" in page


# Documents -----------------------------------------------------------------------------------------


@pytest.fixture
def fake_exports(monkeypatch):
    calls = []

    def export(fmt):
        def fake(*, actor, agreement, version):
            calls.append((fmt, actor, agreement.pk, version.number))
            return b"%PDF-fake" if fmt == "pdf" else b"PK-fake", f"covenant-v{version.number}.{fmt}"

        return fake

    monkeypatch.setattr(documents, "export_pdf", export("pdf"))
    monkeypatch.setattr(documents, "export_docx", export("docx"))
    return calls


def test_downloads_pass_the_version_and_return_an_attachment(client, world, fake_exports):
    agreement = support.draft(world)
    client.force_login(world.viewer)
    response = client.get(url(world, "pdf", agreement.code, 1))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="covenant-v1.pdf"'
    assert response.content == b"%PDF-fake"
    response = client.get(url(world, "docx", agreement.code, 1))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"] == 'attachment; filename="covenant-v1.docx"'
    assert fake_exports == [("pdf", world.viewer, agreement.pk, 1), ("docx", world.viewer, agreement.pk, 1)]
    assert client.get(url(world, "pdf", agreement.code, 2)).status_code == 404


def test_verify_shows_the_limit_and_refuses_a_file_that_is_not_a_pdf(client, world):
    client.force_login(world.viewer)
    page = text(client.get(url(world, "verify")))
    assert 'accept=".pdf' in page and f"{documents.MAX_VERIFY_BYTES // (1024 * 1024)} MB" in page
    response = client.post(url(world, "verify"), {"file": SimpleUploadedFile("a.pdf", b"hello")})
    assert response.status_code == 200
    assert 'href="#id_file"' in text(response) and 'id="verdict"' not in text(response)


def test_verify_refuses_a_file_over_the_limit_before_reading_it(client, world, monkeypatch):
    monkeypatch.setattr(documents, "MAX_VERIFY_BYTES", 1024 * 1024)
    called = []
    monkeypatch.setattr(documents, "verify_pdf", lambda **kw: called.append(kw))
    client.force_login(world.member)
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (1024 * 1024), content_type="application/pdf")
    response = client.post(url(world, "verify"), {"file": big})
    assert "too large" in text(response) and not called


def test_a_downloaded_pdf_of_the_signed_version_verifies_and_a_changed_one_does_not(client, world):
    agreement = support.in_force(world)
    client.force_login(world.member)
    response = client.get(url(world, "pdf", agreement.code, 1))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert DocumentExport.objects.filter(agreement=agreement, format="pdf").count() == 1
    docx = client.get(url(world, "docx", agreement.code, 1))
    assert docx.content.startswith(b"PK") and docx["Content-Disposition"].startswith("attachment;")
    pdf = response.content
    response = client.post(url(world, "verify"), {"file": SimpleUploadedFile("c.pdf", pdf)})
    html = text(response)
    assert 'data-ok="true"' in html and "Verified" in html
    assert url(world, "version", agreement.code, 1) in html
    assert "Polisen Malmö" in html and "Malmö stad" in html
    changed = pdf.replace(b"/Producer", b"/Producex", 1) if b"/Producer" in pdf else pdf + b"\n% changed\n"
    response = client.post(url(world, "verify"), {"file": SimpleUploadedFile("d.pdf", changed)})
    html = text(response)
    assert 'data-ok="false"' in html and "Not verified" in html


def test_ended_agreement_details_cannot_change(client, world):
    agreement = support.in_force(world)
    services.agreement_terminate(actor=world.coordinator, agreement=support.reload(agreement), reason="Done.")
    client.force_login(world.coordinator)
    response = client.get(url(world, "update", agreement.code), follow=True)
    assert any("An ended agreement cannot change." in m for m in messages_of(response))
    assert Agreement.objects.get().status == Status.TERMINATED
    assert AgreementVersion.objects.filter(agreement=agreement).count() == 1
