"""Re-authentication without the browser's sudo window (signing through the API): the password, and the
authenticator code when the person has one; wrong passwords count towards the login lockout."""

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from conftest import PASSWORD
from safepact.accounts.services import totp_device_start, user_reauthenticate
from safepact.accounts.tests.conftest import code_for, wrong_code


@pytest.fixture
def request_for():
    def make(user, ip="192.0.2.10"):
        request = RequestFactory().post("/api/v1/anything", REMOTE_ADDR=ip)
        request.user = user
        return request

    return make


def refused(excinfo, field: str) -> str:
    assert set(excinfo.value.message_dict) == {field}
    return excinfo.value.message_dict[field][0]


def test_the_right_password_passes(world, request_for):
    user_reauthenticate(request=request_for(world.member), user=world.member, password=PASSWORD, otp=None)


@pytest.mark.parametrize("password", ["", "wrong-password", PASSWORD.upper()])
def test_a_wrong_or_missing_password_names_the_password(world, request_for, password):
    with pytest.raises(ValidationError) as excinfo:
        user_reauthenticate(request=request_for(world.member), user=world.member, password=password, otp=None)
    assert refused(excinfo, "password")


def test_another_persons_password_does_not_pass(world, request_for):
    """The password is checked for the person acting, whatever account the password belongs to."""
    world.viewer.set_password("viewer-only-password")
    world.viewer.save()
    with pytest.raises(ValidationError) as excinfo:
        user_reauthenticate(
            request=request_for(world.member), user=world.member, password="viewer-only-password", otp=None
        )
    refused(excinfo, "password")


def test_an_inactive_person_cannot_reauthenticate(world, request_for):
    world.member.is_active = False
    world.member.save(update_fields=["is_active"])
    with pytest.raises(ValidationError) as excinfo:
        user_reauthenticate(request=request_for(world.member), user=world.member, password=PASSWORD, otp=None)
    refused(excinfo, "password")


def test_wrong_passwords_count_towards_the_lockout(world, request_for, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _attempt in range(5):
        with pytest.raises(ValidationError):
            user_reauthenticate(
                request=request_for(world.member), user=world.member, password="wrong", otp=None
            )
    attempt = AccessAttempt.objects.get(username=world.member.email)
    assert attempt.failures_since_start == 5
    # Locked: even the right password is refused now (from the same address).
    with pytest.raises(ValidationError) as excinfo:
        user_reauthenticate(request=request_for(world.member), user=world.member, password=PASSWORD, otp=None)
    refused(excinfo, "password")


# With an authenticator app -------------------------------------------------------------------------


def test_with_an_authenticator_the_code_is_required(world, request_for, device_for):
    device_for(world.member)
    with pytest.raises(ValidationError) as excinfo:
        user_reauthenticate(request=request_for(world.member), user=world.member, password=PASSWORD, otp=None)
    assert "code" in refused(excinfo, "otp")
    with pytest.raises(ValidationError) as excinfo:
        user_reauthenticate(request=request_for(world.member), user=world.member, password=PASSWORD, otp="  ")
    refused(excinfo, "otp")


def test_with_an_authenticator_a_wrong_code_is_refused_and_the_right_one_passes(
    world, request_for, device_for, no_otp_throttle
):
    device = device_for(world.member)
    with pytest.raises(ValidationError) as excinfo:
        user_reauthenticate(
            request=request_for(world.member), user=world.member, password=PASSWORD, otp=wrong_code(device)
        )
    assert "not right" in refused(excinfo, "otp")
    device.refresh_from_db()
    spaced = code_for(device)[:3] + " " + code_for(device)[3:]
    user_reauthenticate(request=request_for(world.member), user=world.member, password=PASSWORD, otp=spaced)


def test_the_password_is_checked_before_the_code(world, request_for, device_for):
    device = device_for(world.member)
    with pytest.raises(ValidationError) as excinfo:
        user_reauthenticate(
            request=request_for(world.member), user=world.member, password="wrong", otp=code_for(device)
        )
    refused(excinfo, "password")


def test_codes_are_throttled_after_a_wrong_one(world, request_for, device_for):
    """django-otp's throttle: straight after a wrong code even the right one waits."""
    device = device_for(world.member)
    with pytest.raises(ValidationError):
        user_reauthenticate(
            request=request_for(world.member), user=world.member, password=PASSWORD, otp=wrong_code(device)
        )
    device.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        user_reauthenticate(
            request=request_for(world.member), user=world.member, password=PASSWORD, otp=code_for(device)
        )
    assert "Wait" in refused(excinfo, "otp")


def test_an_unconfirmed_device_asks_for_no_code(world, request_for):
    """Half-way through setting up an authenticator app, the person has no second factor yet."""
    totp_device_start(user=world.member)
    user_reauthenticate(request=request_for(world.member), user=world.member, password=PASSWORD, otp=None)
