"""Information exchange, in a real browser: the police post a TLP:AMBER warning for two organisations (the
city and a boat dealer); the third organisation (the shop) does not see it, in the list or by its address;
the police ask the dealer for information about a recovered engine, which asks for personal data, so the
Five Safes assessment is filled in and a coordinator (another person) approves it; the request goes out;
the dealer answers; the police read the answer. axe finds no serious accessibility problem on any page."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD, add_member, make_user
from safepact.exchange.models import InformationRequest, Post, RequestStatus
from safepact.lib import clock
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)

WARNING = "Outboard engines stolen from Limhamn marina"
REQUEST = "Recovered Yamaha F150: who was its last owner?"


def log_in(page, user):
    page.goto("/account/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("partnerships", ignore_case=True)


def log_out(page):
    page.get_by_role("button", name=re.compile("log out", re.I)).click()
    # Logging out lands on the login page: wait for it, so the next page.goto does not race the logout.
    expect(page.get_by_label("Email address")).to_be_visible()


def test_amber_warning_for_two_organisations_and_a_request_approved_by_four_eyes_and_answered(page, world):
    a = world.partnership_a
    base = f"/p/{a.code}/exchange"
    officer = make_user("carl@polisen.example", "Carl Officer")
    add_member(
        coordinator=world.coordinator,
        partnership=a,
        user=officer,
        role="member",
        organisation=world.org_police_a,
    )
    dealer = make_user("dana@boats.example", "Dana Dealer")
    dealer_membership = add_member(
        coordinator=world.coordinator,
        partnership=a,
        user=dealer,
        role="member",
        new_organisation={"name": "Limhamn Båt & Motor AB", "kind": "business", "country": "SE"},
    )
    dealer_org = dealer_membership.partner.organisation

    # The police officer posts a TLP:AMBER warning for the city and the dealer.
    log_in(page, officer)
    page.goto(f"{base}/")
    assert_accessible(page)
    page.goto(f"{base}/posts/")
    page.get_by_role("link", name="Write a post").click()
    expect(page.get_by_label("Title")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Warning").check()
    page.get_by_label("Title").fill(WARNING)
    page.get_by_label("Text (Markdown)").fill(
        "Three **outboard engines** were cut loose last night. Watch for offers."
    )
    page.get_by_label("TLP:AMBER", exact=True).check()
    page.get_by_label("Malmö stad").check()
    page.get_by_label(dealer_org.name).check()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(WARNING)
    expect(page.locator("main")).to_contain_text("TLP:AMBER")
    assert_accessible(page)
    post = Post.objects.get(title=WARNING)
    assert set(post.recipient_organisations.values_list("name", flat=True)) == {
        "Polisen Malmö",
        "Malmö stad",
        dealer_org.name,
    }
    log_out(page)

    # The shop (a third organisation) does not see it: not in the list, 404 at its address.
    log_in(page, world.viewer)
    page.goto(f"{base}/posts/")
    assert_accessible(page)
    expect(page.locator("main")).not_to_contain_text(WARNING)
    response = page.goto(f"{base}/posts/{post.code}/")
    assert response.status == 404
    page.goto("/")
    log_out(page)

    # The city sees it.
    log_in(page, world.member)
    page.goto(f"{base}/posts/")
    page.get_by_role("link", name=WARNING).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(WARNING)
    log_out(page)

    # The officer asks the dealer who owned a recovered engine: personal data, so a Five Safes assessment.
    log_in(page, officer)
    page.goto(f"{base}/requests/new/")
    assert_accessible(page)
    page.get_by_label("Subject").fill(REQUEST)
    page.get_by_label("Question (Markdown)").fill("Engine serial 6AW-1029384: to whom did you sell it?")
    page.get_by_label("Purpose").fill("Return a recovered stolen engine to its owner.")
    page.get_by_label("Legal basis (GDPR Art. 6)").select_option("public_task")
    page.get_by_label("National legal provision").fill("Polislagen (1984:387), 2 §")
    page.get_by_label(re.compile("Ownership of objects")).check()
    page.get_by_label("Answer by").fill((clock.today() + timedelta(days=10)).isoformat())
    page.get_by_label("TLP:AMBER", exact=True).check()
    page.get_by_label(dealer_org.name, exact=True).check()
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(REQUEST)
    assert_accessible(page)
    page.get_by_role("button", name="Submit the request").click()
    # It asks for personal data: the officer is taken to its Five Safes assessment.
    expect(page.locator("main")).to_contain_text("waits for a Five Safes assessment")
    request = InformationRequest.objects.get(title=REQUEST)
    assert request.status == RequestStatus.AWAITING_ASSESSMENT

    # The officer fills in the five safes and submits the assessment for a decision.
    expect(page.get_by_label("Safe people: answer")).to_be_visible()
    assert_accessible(page)
    for safe in ("Safe people", "Safe projects", "Safe settings", "Safe data", "Safe outputs"):
        page.get_by_label(f"{safe}: answer").fill(f"{safe}: only Team Water reads the answer.")
        page.get_by_label(f"{safe}: risk").select_option("low")
    page.get_by_role("button", name="Save and submit for a decision").click()
    expect(page.locator("main")).to_contain_text(re.compile("waiting for a decision", re.I))
    # The officer cannot decide their own assessment: no decision form for them.
    expect(page.get_by_role("button", name="Record the decision")).to_have_count(0)
    log_out(page)

    # The coordinator (another person) approves it; the request goes out.
    log_in(page, world.coordinator)
    page.goto(f"/p/{a.code}/exchange/assessments/{request.assessment.code}/")
    assert_accessible(page)
    page.get_by_label("Approved", exact=True).check()
    page.get_by_label("Reasoning").fill("One serial number, a police task, answers stay in SafePact.")
    page.get_by_role("button", name="Record the decision").click()
    # The form is gone once the decision is recorded (its radio buttons also read "Approved").
    expect(page.get_by_role("button", name="Record the decision")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Approved")
    assert InformationRequest.objects.get(pk=request.pk).status == RequestStatus.SENT
    log_out(page)

    # The dealer answers.
    log_in(page, dealer)
    page.goto(f"{base}/requests/")
    assert_accessible(page)
    page.get_by_role("link", name=REQUEST).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(REQUEST)
    assert_accessible(page)
    page.get_by_label("Your answer (Markdown)").fill("Sold new in April 2021 to J. Lindqvist, Limhamn.")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.locator("main")).to_contain_text("J. Lindqvist")
    assert InformationRequest.objects.get(pk=request.pk).status == RequestStatus.ANSWERED
    log_out(page)

    # The officer reads the answer; the shop still sees neither the request nor the answer.
    log_in(page, officer)
    page.goto(f"{base}/requests/{request.code}/")
    expect(page.locator("main")).to_contain_text("J. Lindqvist")
    assert_accessible(page)
    log_out(page)
    log_in(page, world.viewer)
    assert page.goto(f"{base}/requests/{request.code}/").status == 404
