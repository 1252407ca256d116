"""Helpers for agreement tests: signatories and agreements brought to a given state through the services.

Usage (with the ``world`` fixture of the root conftest)::

    coordinator_signs, member_signs = signatories(world)       # both flagged as authorised signatories
    agreement = draft(world)                                    # a covenant of partnership A, version 1
    agreement = to_signing(world, agreement)                    # finalised and open for signature
    agreement = sign(world.coordinator, agreement)              # police signs (re-authenticated)
"""

from django.db import transaction

from safepact.agreements import services
from safepact.agreements.models import Agreement, Kind
from safepact.partnerships.models import Membership


def make_signatory(membership: Membership) -> Membership:
    """Flag a membership as authorised signatory (directly: the partnerships service has its own tests)."""
    Membership.objects.filter(pk=membership.pk).update(is_signatory=True)
    membership.refresh_from_db()
    return membership


def coordinator_membership(world) -> Membership:
    return Membership.objects.get(user=world.coordinator, partner__partnership=world.partnership_a)


def signatories(world) -> tuple[Membership, Membership]:
    """The coordinator (Polisen Malmö) and the member (Malmö stad) as signatories of partnership A."""
    return make_signatory(coordinator_membership(world)), make_signatory(world.membership_member)


def draft(world, kind: str = Kind.COVENANT, **kwargs) -> Agreement:
    """A draft of partnership A by its coordinator, parties: the active partners (police, city, shop)."""
    kwargs.setdefault("formality", "specified")
    kwargs.setdefault("language", "en")
    return services.agreement_create(
        actor=world.coordinator, partnership=world.partnership_a, kind=kind, **kwargs
    )


def reload(agreement: Agreement) -> Agreement:
    return Agreement.objects.select_related("partnership", "final_version").get(pk=agreement.pk)


def to_signing(world, agreement: Agreement, *, required_codes=None) -> Agreement:
    """Finalise and open for signature. ``required_codes``: only these partners' signatures are required
    (others become optional); by default the shop (viewer's organisation, no signatory) is made optional
    so the police and the city can bring the agreement into force."""
    agreement = reload(agreement)
    optional_org = world.org_shop_a.pk if required_codes is None else None
    for party in agreement.parties.select_related("partner"):
        required = (
            str(party.partner.code) in {str(c) for c in required_codes}
            if required_codes is not None
            else party.partner.organisation_id != optional_org
        )
        if party.required != required:
            party.agreement = agreement
            services.party_set_required(actor=world.coordinator, party=party, required=required)
    services.agreement_finalise(actor=world.coordinator, agreement=reload(agreement))
    services.agreement_open_signing(actor=world.coordinator, agreement=reload(agreement))
    return reload(agreement)


def sign(user, agreement: Agreement) -> Agreement:
    services.agreement_sign(actor=user, agreement=reload(agreement), reauthenticated=True)
    return reload(agreement)


def in_force(world, kind: str = Kind.COVENANT, **kwargs) -> Agreement:
    """An agreement in force, signed by the police (coordinator) and the city (member)."""
    signatories(world)
    agreement = to_signing(world, draft(world, kind, **kwargs))
    sign(world.coordinator, agreement)
    return sign(world.member, agreement)


def atomic(fn, *args, **kwargs):
    with transaction.atomic():
        return fn(*args, **kwargs)
