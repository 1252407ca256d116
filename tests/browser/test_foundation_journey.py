"""The foundation's main journey, in a real browser: log in with 2FA, open a partnership,
invite a member, switch to Dutch; axe finds no serious accessibility problem on any page."""

import re

import pytest
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from conftest import PASSWORD
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)


def current_code(device: TOTPDevice) -> str:
    return str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(
        device.digits
    )


def test_coordinator_logs_in_with_2fa_invites_a_member_and_switches_to_dutch(page, world, settings):
    settings.SAFEPACT_REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=world.coordinator, name="Authenticator app", confirmed=True)

    # Log in: password, then the code from the authenticator app.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/account/login/"))
    assert_accessible(page)
    page.get_by_label("Email address").fill(world.coordinator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    expect(page).to_have_url(re.compile(r"/account/login/code/"))
    assert_accessible(page)
    page.get_by_label("Six-digit code").fill(current_code(device))
    page.get_by_role("button", name=re.compile("verify|log in|continue", re.I)).click()

    # Dashboard: my partnerships, and nothing of partnership B.
    expect(page.get_by_role("heading", level=1)).to_contain_text("partnerships", ignore_case=True)
    assert world.partnership_a.name in page.content()
    assert world.partnership_b.name not in page.content()
    assert_accessible(page)

    # Open the partnership.
    page.get_by_role("link", name=world.partnership_a.name).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(world.partnership_a.name)
    expect(page.get_by_role("rowheader", name=world.member.full_name)).to_be_visible()
    assert_accessible(page)

    # Invite a member on behalf of an organisation that already takes part.
    page.get_by_role("link", name=re.compile("invite", re.I)).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invite")
    assert_accessible(page)
    page.get_by_label("Email address").fill("new.member@city.example")
    page.get_by_label("Role").select_option("member")
    page.get_by_label("Existing partner organisation").select_option(label=world.org_city_a.name)
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(world.partnership_a.name)
    expect(page.get_by_text("new.member@city.example").first).to_be_visible()
    assert_accessible(page)
    invitation_mails = [m for m in mail.outbox if "new.member@city.example" in m.to]
    assert len(invitation_mails) == 1
    assert "/invitations/" in invitation_mails[0].body

    # Switch the language to Dutch: the same page, now in Dutch, and remembered on the profile.
    page.get_by_label("Language").select_option("nl")
    page.get_by_role("button", name="Switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("link", name="Mijn partnerschappen")).to_be_visible()
    assert_accessible(page)
    world.coordinator.refresh_from_db()
    assert world.coordinator.language == "nl"
    page.goto("/account/profile/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    assert_accessible(page)
