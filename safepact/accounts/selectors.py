from django.db.models import QuerySet

from safepact.accounts.models import ApiToken, Organisation, OrganisationMembership


def organisation_list_for_user_memberships(*, user) -> QuerySet[Organisation]:
    """The organisations ``user`` belongs to."""
    if not getattr(user, "is_authenticated", False):
        return Organisation.objects.none()
    return Organisation.objects.filter(people__user=user)


def organisation_memberships(*, user) -> QuerySet[OrganisationMembership]:
    return OrganisationMembership.objects.filter(user=user).select_related("organisation")


def is_law_enforcement(*, user) -> bool:
    return OrganisationMembership.objects.filter(user=user, is_law_enforcement_officer=True).exists()


def api_token_list(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)
