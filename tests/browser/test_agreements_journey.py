"""Agreements, in a real browser, on the demo: the Sofielund coordinator drafts a covenant from the
partnership's own data, edits it (version 2), compares the two versions, sends it for review, makes it final
and opens it for signature; she signs for Malmö stad after confirming her password, the police signatory
signs for Polisen Region Syd, the covenant enters into force, and the PDF of the signed text downloads and
verifies. axe finds no serious accessibility problem on any page of the journey."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from safepact.agreements.documents import verify_pdf_any
from safepact.agreements.models import Agreement, Status
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_PASSWORD = "safepact-demo"
KARIN = "karin.lindqvist@malmo-stad.example"  # coordinator, signatory for Malmö stad
ANDERS = "anders.nilsson@polisen.example"  # signatory for the police
TITLE = "Sofielund covenant 2027"


def log_in(page, email):
    page.goto("/account/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("partnerships", ignore_case=True)


def log_out(page):
    page.get_by_role("button", name=re.compile("log out", re.I)).click()


def sign(page, email, *, agreement_url):
    log_in(page, email)
    page.goto(agreement_url)
    page.get_by_role("link", name="Sign", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sign")
    assert_accessible(page)
    page.get_by_role("button", name="Sign", exact=True).click()
    # Signing needs re-authentication: confirm the password, come back, sign.
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    assert_accessible(page)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    if page.get_by_role("button", name="Sign", exact=True).count():
        page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("signed", ignore_case=True)


def test_draft_compare_finalise_sign_by_two_organisations_and_download_the_pdf(page):
    call_command("demo", verbosity=0)
    log_in(page, KARIN)

    # The partnership's page links to its agreements; the demo's covenant is in force there.
    page.get_by_role("link", name="Sofielund", exact=False).first.click()
    page.get_by_role("link", name="Agreements").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Agreements")
    expect(page.locator("main")).to_contain_text("In force")
    assert_accessible(page)

    # Draft a covenant: pre-filled from the partnership's data.
    page.get_by_role("link", name=re.compile("Draft a new agreement", re.I)).click()
    assert_accessible(page)
    page.locator("#id_kind").select_option("covenant")
    page.get_by_role("radio", name=re.compile("^Specified")).check()
    page.locator("#id_language").select_option("en")
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_quorum").fill("2")
    page.get_by_role("button", name="Draft the agreement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    main = page.locator("main")
    expect(main).to_contain_text("Malmö stad")  # a party, from the partnership's partners
    expect(main).to_contain_text("Polisen")
    assert_accessible(page)
    agreement_url = page.url

    # Edit the text: version 2.
    page.get_by_role("link", name="Edit the text").click()
    assert_accessible(page)
    text = page.locator("textarea[name=body]")
    body = text.input_value()
    assert "## Parties" in body
    text.fill(
        body.replace(
            "## Disputes", "## Disputes\n\nThe steering group meets within two weeks of a dispute.", 1
        )
    )
    page.get_by_label(re.compile("What changed", re.I)).fill("Dispute handling within two weeks")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)

    # Compare version 1 with version 2: the added sentence shows as an addition.
    page.locator("#compare-from").select_option("1")
    page.locator("#compare-to").select_option("2")
    page.get_by_role("button", name="Compare").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Compare versions")
    expect(page.locator("main")).to_contain_text("The steering group meets within two weeks of a dispute.")
    expect(page.locator("#diff-counts")).to_contain_text("2 lines added, 0 lines removed")
    assert_accessible(page)

    # Review, make final (the hash is shown), open for signature.
    page.goto(agreement_url)
    page.get_by_role("button", name=re.compile("Send for review", re.I)).click()
    page.get_by_role("button", name=re.compile("Make final", re.I)).click()
    final_hash = page.locator("#final-hash").input_value()
    assert re.fullmatch(r"[0-9a-f]{64}", final_hash)
    page.get_by_role("button", name=re.compile("Open for signature", re.I)).click()
    expect(page.locator("#signing-progress")).to_contain_text("0 of 2")
    assert_accessible(page)

    # Two organisations sign: Malmö stad (Karin), then the police (Anders).
    # Karin is logged in already.
    page.get_by_role("link", name="Sign", exact=True).first.click()
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    assert_accessible(page)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    if page.get_by_role("button", name="Sign", exact=True).count():
        page.get_by_role("button", name="Sign", exact=True).click()
    page.goto(agreement_url)
    expect(page.locator("#signing-progress")).to_contain_text("1 of 2")
    log_out(page)

    sign(page, ANDERS, agreement_url=agreement_url)
    page.goto(agreement_url)
    expect(page.locator("[aria-current=step]")).to_contain_text("In force")
    expect(page.locator("#parties")).to_contain_text(final_hash[:12])
    assert_accessible(page)

    # Download the PDF of the final version; it verifies as the signed text.
    agreement = Agreement.objects.get(title=TITLE)
    assert agreement.status == Status.IN_FORCE
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(f"PDF of version {agreement.final_version.number}")).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    data = Path(download.path()).read_bytes()
    verdict = verify_pdf_any(data)
    assert verdict.ok, verdict.message
    assert verdict.version.number == agreement.final_version.number
