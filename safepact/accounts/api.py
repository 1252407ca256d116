"""Accounts endpoints: who am I.

The organisation endpoints (``/organisations``) live in ``partnerships.api``: which organisations a
person may see depends on their partnerships (floor 2), and accounts (floor 1) must not import upwards.
"""

from ninja import Router

from safepact.accounts.policy import has_confirmed_device
from safepact.accounts.schemas import MeOut
from safepact.accounts.selectors import organisation_memberships

router = Router(tags=["accounts"])


@router.get("/me", response=MeOut, summary="The current person")
def me(request):
    """Me: my profile, my organisations (with my flags there) and whether I use two-factor authentication."""
    user = request.auth
    return {
        "code": user.code,
        "email": user.email,
        "full_name": user.full_name,
        "language": user.language,
        "organisations": list(organisation_memberships(user=user).order_by("organisation__name")),
        "two_factor_enabled": has_confirmed_device(user),
    }
