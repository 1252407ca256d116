from django.db.models import QuerySet

from safepact.accounts.models import ApiToken, Organisation, OrganisationMembership, User


def organisation_list_for_user_memberships(*, user) -> QuerySet[Organisation]:
    """The organisations ``user`` belongs to."""
    if not getattr(user, "is_authenticated", False):
        return Organisation.objects.none()
    return Organisation.objects.filter(people__user=user)


def organisation_memberships(*, user) -> QuerySet[OrganisationMembership]:
    return OrganisationMembership.objects.filter(user=user).select_related("organisation")


def law_enforcement_officers() -> QuerySet[OrganisationMembership]:
    """Organisation memberships that platform staff flagged as law-enforcement officers (set in the admin)."""
    return OrganisationMembership.objects.filter(is_law_enforcement_officer=True)


def is_law_enforcement(*, user) -> bool:
    return OrganisationMembership.objects.filter(user=user, is_law_enforcement_officer=True).exists()


def api_token_list(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def user_pending_login(*, user_id) -> User | None:
    """The active person half-way through a two-step login (id taken from our own session)."""
    if user_id is None:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def totp_device_confirmed(*, user):
    """The person's confirmed authenticator app, or None."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def totp_device_pending(*, user):
    """An authenticator app the person started to set up but did not confirm yet, or None."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def api_token_for_user(*, user, code):
    """One of the person's own tokens; another person's token or a bad code is 404."""
    from uuid import UUID

    from django.http import Http404

    try:
        code = UUID(str(code))
    except (TypeError, ValueError):
        raise Http404("Token not found.") from None
    token = ApiToken.objects.filter(user=user, code=code).first()
    if token is None:
        raise Http404("Token not found.")
    return token
