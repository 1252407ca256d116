"""Helpers for the account tests: authenticator devices and their codes."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def code_for(device: TOTPDevice, offset_steps: int = 0) -> str:
    """The code the person's app shows now (or ``offset_steps`` steps later)."""
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset_steps)
    return str(value).zfill(device.digits)


def wrong_code(device: TOTPDevice) -> str:
    """A code that is not valid now (nor one step either side)."""
    valid = {code_for(device, step) for step in (-1, 0, 1)}
    for candidate in ("000000", "111111", "222222", "333333"):
        if candidate not in valid:
            return candidate
    raise AssertionError("unreachable")


@pytest.fixture
def device_for(db):
    """Give a person a confirmed authenticator app: ``device_for(world.member)``."""

    def make(user) -> TOTPDevice:
        return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)

    return make


@pytest.fixture
def no_otp_throttle(settings):
    """Let a right code through straight after a wrong one (django-otp normally waits a second)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture
def require_2fa(settings):
    settings.SAFEPACT_REQUIRE_2FA = True
