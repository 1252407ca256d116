"""Registry of stolen objects, in a real browser: a police officer registers a stolen boat with two hull
numbers (the builder's US HIN and the Swedish CIN) and an engine number; a marina checks the *second* hull
number, written differently, and sees "hit" with only the reference and the action; the police unit gets
the hit, sees who checked it and why, and confirms it; the marina's check log then says the police will
contact them. The marina never sees the alert's description or case reference. axe finds no serious
accessibility problem on any page."""

import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD, add_member, make_user
from safepact.registry.models import Alert, Hit, HitStatus
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)

DESCRIPTION = "Bayliner VR5 Bowrider, white hull with a blue stripe"
CASE = "5000-K123456-26"


def log_in(page, user):
    page.goto("/account/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("partnerships", ignore_case=True)


def log_out(page):
    page.get_by_role("button", name=re.compile("log out", re.I)).click()
    expect(page.get_by_label("Email address")).to_be_visible()


def identifier(page, number: int, kind: str, value: str, manufacturer: str = ""):
    row = page.get_by_role("group", name=f"Identifier {number}")
    row.get_by_label("Kind").select_option(label=kind)
    row.get_by_label(re.compile(r"^Identifier")).fill(value)
    if manufacturer:
        row.get_by_label("Manufacturer").fill(manufacturer)


def test_police_register_a_boat_with_two_hull_numbers_a_marina_hits_the_second_the_unit_confirms(page, world):
    a = world.partnership_a
    base = f"/p/{a.code}/registry"
    officer = make_user("olle@polisen.example", "Olle Officer")
    add_member(
        coordinator=world.coordinator,
        partnership=a,
        user=officer,
        role="member",
        organisation=world.org_police_a,
    )
    # Platform staff flag the officer (the registry's law-enforcement role needs it besides the kind).
    world.org_police_a.people.filter(user=officer).update(is_law_enforcement_officer=True)
    marina = make_user("hanna@marina.example", "Hanna Harbour")
    add_member(
        coordinator=world.coordinator,
        partnership=a,
        user=marina,
        role="member",
        new_organisation={"name": "Limhamn Marina", "kind": "business", "country": "SE"},
    )

    # The police officer registers the stolen boat with two hull numbers and the engine number.
    log_in(page, officer)
    page.goto(f"{base}/")
    assert_accessible(page)
    page.goto(f"{base}/alerts/new/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Report a stolen object")
    assert_accessible(page)
    page.get_by_label("Category").select_option(label="Boat")
    page.get_by_label("Description").fill(DESCRIPTION + "; stolen from Limhamn harbour.")
    page.get_by_label("Case reference").fill(CASE)
    page.get_by_label("Legal basis").fill("Rättegångsbalken 27 kap.")
    page.get_by_label("Jurisdiction").select_option("SE")
    identifier(page, 1, "Hull identification number (HIN/CIN)", "BAYA1234L920")
    identifier(page, 2, "Hull identification number (HIN/CIN)", "SE-BAYA1234L920")
    identifier(page, 3, "Engine number", "2B-301744", manufacturer="Mercury")
    page.get_by_role("button", name="Report the object", exact=True).last.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("REG-")
    assert_accessible(page)
    alert = Alert.objects.get(case_reference=CASE)
    assert alert.identifiers.count() == 3
    expect(page.locator("main")).to_contain_text("SEBAYA1234L920")
    log_out(page)

    # The marina checks the second hull number, typed its own way: a hit, with the reference and the action.
    log_in(page, marina)
    page.goto(f"{base}/")
    expect(page.get_by_label("Kind of identifier")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Kind of identifier").select_option(label="Hull identification number (HIN/CIN)")
    page.get_by_label(re.compile(r"^Identifier")).fill("se bay a1234 l9 20")
    page.get_by_label("Why are you checking?").select_option(label="Storage or mooring")
    page.get_by_role("button", name="Check", exact=True).click()
    result = page.get_by_role("status")
    expect(result).to_contain_text(re.compile("hit", re.I))
    expect(result).to_contain_text(alert.reference)
    main = page.locator("main")
    expect(main).not_to_contain_text(DESCRIPTION)
    expect(main).not_to_contain_text(CASE)
    expect(main).not_to_contain_text("2B301744")  # the alert's other identifiers
    expect(main).not_to_contain_text("Mercury")
    assert_accessible(page)
    log_out(page)

    # The police unit sees the hit (who checked, why) and confirms it.
    hit = Hit.objects.get(alert=alert)
    log_in(page, officer)
    page.goto(f"{base}/hits/")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(alert.reference)).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Hit on {alert.reference}")
    expect(page.locator("main")).to_contain_text("Limhamn Marina")
    expect(page.locator("main")).to_contain_text("Storage or mooring")
    assert_accessible(page)
    page.get_by_label("Confirm: it is the object of the alert").check()
    page.get_by_label("Note for your unit").fill("Boat is at the marina's winter storage; patrol on its way.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("main")).to_contain_text("Confirmed")
    hit.refresh_from_db()
    assert hit.status == HitStatus.CONFIRMED and hit.decided_by == officer
    log_out(page)

    # The marina's check log tells it the outcome it needs, and nothing of the police's note.
    log_in(page, marina)
    page.goto(f"{base}/checks/")
    expect(page.locator("main")).to_contain_text("Confirmed: the police will contact you.")
    expect(page.locator("main")).not_to_contain_text("winter storage")
    assert_accessible(page)
