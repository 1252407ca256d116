"""Who must use two-factor authentication."""

from django.conf import settings


def two_factor_required(user) -> bool:
    """Coordinators and law-enforcement officers, when the setting is on (always in production)."""
    if not settings.SAFEPACT_REQUIRE_2FA or not getattr(user, "is_authenticated", False):
        return False
    if user.organisation_memberships.filter(is_law_enforcement_officer=True).exists():
        return True
    # Reverse relation owned by the partnerships app (floor 2); named, not imported, to keep floors.
    return user.partnership_memberships.filter(role="coordinator", status="active").exists()


def has_confirmed_device(user) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()
