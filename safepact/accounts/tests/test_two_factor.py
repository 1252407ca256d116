"""Two-factor authentication: the login's second step, set-up, the requirement, removal."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from safepact.accounts.tests.conftest import code_for, wrong_code
from safepact.audit.models import AuditEvent
from safepact.lib import clock

LOGIN = "/account/login/"
CODE = "/account/login/code/"
SETUP = "/account/2fa/setup/"


def _password_step(client, user, **extra):
    return client.post(LOGIN, {"username": user.email, "password": PASSWORD, **extra})


def _user_id(client):
    return client.session.get("_auth_user_id")


# The second step of the login ------------------------------------------------------------------


def test_password_alone_does_not_log_in_a_person_with_a_device(client, world, device_for):
    device_for(world.member)
    response = _password_step(client, world.member)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login_code")
    assert _user_id(client) is None
    page = client.get(CODE)
    assert page.status_code == 200
    assert '<label for="id_token">Six-digit code' in page.content.decode()


def test_right_code_logs_in_and_verifies_the_session(client, world, device_for):
    device = device_for(world.member)
    _password_step(client, world.member, next="/account/profile/")
    response = client.post(CODE, {"token": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == "/account/profile/"
    assert _user_id(client) == str(world.member.pk)
    assert client.session["otp_device_id"] == device.persistent_id
    event = AuditEvent.objects.get(action="accounts.user.logged_in")
    assert event.after == {"2fa": True}
    # The pending login is used up.
    assert client.get(CODE)["Location"] == reverse("accounts:login")


def test_code_with_spaces_is_accepted(client, world, device_for):
    device = device_for(world.member)
    _password_step(client, world.member)
    code = code_for(device)
    response = client.post(CODE, {"token": f"{code[:3]} {code[3:]}"})
    assert response.status_code == 302
    assert _user_id(client) == str(world.member.pk)


def test_wrong_code_is_refused_then_right_code_works(client, world, device_for, no_otp_throttle):
    device = device_for(world.member)
    _password_step(client, world.member)
    response = client.post(CODE, {"token": wrong_code(device)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "That code is not right" in html
    assert 'id="id_token_error"' in html
    assert _user_id(client) is None
    response = client.post(CODE, {"token": code_for(device)})
    assert response.status_code == 302
    assert _user_id(client) == str(world.member.pk)


def test_malformed_code_names_the_field(client, world, device_for):
    device_for(world.member)
    _password_step(client, world.member)
    response = client.post(CODE, {"token": "12ab"})
    assert response.status_code == 200
    assert "Enter the six digits your authenticator app shows" in response.content.decode()


def test_django_otp_throttles_quick_retries(client, world, device_for, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # a slow test run must not outlast the wait
    device = device_for(world.member)
    _password_step(client, world.member)
    client.post(CODE, {"token": wrong_code(device)})
    response = client.post(CODE, {"token": code_for(device)})
    assert response.status_code == 200
    assert "Wait a moment" in response.content.decode()
    assert _user_id(client) is None


def test_too_many_wrong_codes_send_back_to_the_password(client, world, device_for, no_otp_throttle):
    device = device_for(world.member)
    _password_step(client, world.member)
    for _attempt in range(2):
        assert client.post(CODE, {"token": wrong_code(device)}).status_code == 200
    response = client.post(CODE, {"token": wrong_code(device)})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    # The pending login is gone: even the right code does not log in now.
    response = client.post(CODE, {"token": code_for(device)})
    assert response["Location"] == reverse("accounts:login")
    assert _user_id(client) is None


def test_wrong_codes_count_towards_the_lockout(client, world, device_for, no_otp_throttle):
    device = device_for(world.member)
    _password_step(client, world.member)
    for _attempt in range(3):
        client.post(CODE, {"token": wrong_code(device)})
    _password_step(client, world.member)
    client.post(CODE, {"token": wrong_code(device)})
    response = client.post(CODE, {"token": wrong_code(device)})
    assert response.status_code == 429
    assert _password_step(client, world.member).status_code == 429


def test_pending_login_expires_after_five_minutes(client, world, device_for):
    device = device_for(world.member)
    start = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    with clock.frozen(start):
        _password_step(client, world.member)
        clock.advance(timedelta(minutes=5, seconds=1))
        response = client.post(CODE, {"token": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert _user_id(client) is None
    follow = client.get(response["Location"])
    assert "Your login took too long" in follow.content.decode()


def test_pending_login_within_five_minutes_still_works(client, world, device_for):
    device = device_for(world.member)
    with clock.frozen(datetime(2030, 1, 1, 9, 0, tzinfo=UTC)):
        _password_step(client, world.member)
        clock.advance(timedelta(minutes=4, seconds=50))
        response = client.post(CODE, {"token": code_for(device)})
    assert response.status_code == 302
    assert _user_id(client) == str(world.member.pk)


def test_code_page_without_password_step_goes_to_login(client, db):
    response = client.get(CODE)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")


# Set-up ------------------------------------------------------------------------------------------


def test_setup_shows_an_accessible_qr_code_and_the_secret(client_for, world):
    client = client_for(world.member)
    response = client.get(SETUP)
    assert response.status_code == 200
    html = response.content.decode()
    device = TOTPDevice.objects.get(user=world.member, confirmed=False)
    assert "<svg" in html
    assert "<title>QR code to add SafePact to your authenticator app</title>" in html
    import base64

    assert base64.b32encode(device.bin_key).decode().rstrip("=") in html
    # Reloading the page keeps the same key (the person may have scanned it already).
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=world.member).count() == 1
    assert TOTPDevice.objects.get(user=world.member).pk == device.pk


def test_setup_with_a_wrong_code_stores_nothing(client_for, world):
    client = client_for(world.member)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=world.member)
    response = client.post(SETUP, {"token": wrong_code(device), "action": "confirm"})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=world.member, confirmed=True).exists()
    assert not AuditEvent.objects.filter(action="accounts.2fa.enabled").exists()


def test_setup_with_the_right_code_turns_2fa_on(client_for, world):
    client = client_for(world.member)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=world.member)
    response = client.post(SETUP, {"token": code_for(device), "action": "confirm"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    device.refresh_from_db()
    assert device.confirmed
    assert client.session["otp_device_id"] == device.persistent_id
    event = AuditEvent.objects.get(action="accounts.2fa.enabled")
    assert event.actor_code == str(world.member.code)
    # Afterwards the page shows the status instead of a new key.
    page = client.get(SETUP)
    assert "You log in with your password and a code" in page.content.decode()


def test_setup_restart_makes_a_new_key(client_for, world):
    client = client_for(world.member)
    client.get(SETUP)
    first = TOTPDevice.objects.get(user=world.member)
    client.post(SETUP, {"action": "restart"})
    client.get(SETUP)
    second = TOTPDevice.objects.get(user=world.member)
    assert second.pk != first.pk
    assert second.key != first.key


def test_replacing_the_app_needs_sudo_then_shows_a_new_key(client, world, device_for):
    device = device_for(world.member)
    _password_step(client, world.member)
    client.post(CODE, {"token": code_for(device)})
    response = client.get(SETUP + "?replace=1")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sudo"))
    client.post(reverse("accounts:sudo"), {"password": PASSWORD, "token": code_for(device, 1)})
    page = client.get(SETUP + "?replace=1")
    assert page.status_code == 200
    new = TOTPDevice.objects.get(user=world.member, confirmed=False)
    client.post(SETUP, {"token": code_for(new), "action": "confirm", "replace": "1"})
    assert list(TOTPDevice.objects.filter(user=world.member).values_list("pk", "confirmed")) == [
        (new.pk, True)
    ]


# The requirement ----------------------------------------------------------------------------------


def test_required_coordinator_without_device_is_sent_to_setup(client_for, world, require_2fa):
    client = client_for(world.coordinator)
    response = client.get(reverse("partnerships:dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:2fa_setup")
    response = client.get(reverse("accounts:profile"))
    assert response["Location"] == reverse("accounts:2fa_setup")
    page = client.get(SETUP)
    assert page.status_code == 200
    assert "Your role requires two-factor authentication" in page.content.decode()


def test_required_coordinator_can_set_up_and_then_pass(client_for, world, require_2fa):
    client = client_for(world.coordinator)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=world.coordinator)
    client.post(SETUP, {"token": code_for(device), "action": "confirm"})
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_required_coordinator_with_verified_session_passes(client, world, require_2fa, device_for):
    device = device_for(world.coordinator)
    client.post(LOGIN, {"username": world.coordinator.email, "password": PASSWORD})
    client.post(CODE, {"token": code_for(device)})
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_required_coordinator_with_device_but_unverified_session_enters_a_code(
    client_for, world, require_2fa, device_for
):
    device = device_for(world.coordinator)
    client = client_for(world.coordinator)  # e.g. a session that predates the requirement
    assert client.get(reverse("accounts:profile"))["Location"] == reverse("accounts:2fa_setup")
    page = client.get(SETUP)
    assert "Type the six-digit code your authenticator app shows" in page.content.decode()
    response = client.post(SETUP, {"token": code_for(device), "action": "verify"})
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200


@pytest.mark.parametrize("persona", ["member", "viewer", "outsider"])
def test_others_are_not_forced(client_for, world, require_2fa, persona):
    client = client_for(getattr(world, persona))
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_law_enforcement_officer_is_forced(client_for, world, require_2fa):
    membership = world.member.organisation_memberships.get()
    membership.is_law_enforcement_officer = True
    membership.save(update_fields=["is_law_enforcement_officer"])
    client = client_for(world.member)
    assert client.get(reverse("accounts:profile"))["Location"] == reverse("accounts:2fa_setup")


def test_not_forced_when_the_setting_is_off(client_for, world, settings):
    settings.SAFEPACT_REQUIRE_2FA = False
    client = client_for(world.coordinator)
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_api_call_with_an_unverified_session_gets_403_json(client_for, world, require_2fa):
    client = client_for(world.coordinator)
    response = client.get("/api/v1/partnerships")
    assert response.status_code == 403
    assert response.json()["code"] == "2fa_required"


def test_logout_stays_reachable_when_forced(client_for, world, require_2fa):
    client = client_for(world.coordinator)
    response = client.post(reverse("accounts:logout"))
    assert response["Location"] == reverse("accounts:login")


# Removal ------------------------------------------------------------------------------------------


def _grant_sudo(client, user, device=None):
    data = {"password": PASSWORD, "next": "/account/profile/"}
    if device is not None:
        data["token"] = code_for(device)
    response = client.post(reverse("accounts:sudo"), data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_remove_needs_sudo(client_for, world, device_for):
    device_for(world.member)
    client = client_for(world.member)
    response = client.post(reverse("accounts:2fa_remove"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sudo"))
    assert TOTPDevice.objects.filter(user=world.member).exists()


def test_remove_is_get_proof(client_for, world, device_for):
    device_for(world.member)
    client = client_for(world.member)
    assert client.get(reverse("accounts:2fa_remove")).status_code == 405


def test_member_can_remove_2fa(client_for, world, device_for):
    device = device_for(world.member)
    client = client_for(world.member)
    _grant_sudo(client, world.member, device)
    response = client.post(reverse("accounts:2fa_remove"))
    assert response["Location"] == reverse("accounts:profile")
    assert not TOTPDevice.objects.filter(user=world.member).exists()
    assert AuditEvent.objects.filter(
        action="accounts.2fa.disabled", actor_code=str(world.member.code)
    ).exists()


def test_coordinator_cannot_remove_2fa_while_required(client, world, device_for, require_2fa):
    device = device_for(world.coordinator)
    client.post(LOGIN, {"username": world.coordinator.email, "password": PASSWORD})
    client.post(CODE, {"token": code_for(device)})
    # The login used this step's code; a code is accepted once, so confirm with the next step's.
    response = client.post(reverse("accounts:sudo"), {"password": PASSWORD, "token": code_for(device, 1)})
    assert response.status_code == 302
    response = client.post(reverse("accounts:2fa_remove"), follow=True)
    assert "you cannot turn off two-factor authentication" in response.content.decode().lower()
    assert TOTPDevice.objects.filter(user=world.coordinator, confirmed=True).exists()
    assert not AuditEvent.objects.filter(action="accounts.2fa.disabled").exists()
