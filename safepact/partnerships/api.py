"""Partnership endpoints: partnerships, partners, members, invitations; and the organisations I may see.

Thin: parse, fetch through an access helper (404 outsider, 403 wrong role), call a service, answer.
Every object is named by its UUID ``code``.
"""

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _
from ninja import Router, Status
from ninja.pagination import paginate

from safepact.accounts.schemas import OrganisationOut, with_errors
from safepact.accounts.selectors import organisation_list_for_user_memberships
from safepact.accounts.services import user_reauthenticate
from safepact.lib.pagination import LimitOffsetPagination
from safepact.partnerships import services
from safepact.partnerships.models import PartnerStatus
from safepact.partnerships.schemas import (
    InvitationIn,
    InvitationOut,
    MemberOut,
    MemberPatch,
    PartnerIn,
    PartnerOut,
    PartnerPatch,
    PartnershipIn,
    PartnershipOut,
    PartnershipPatch,
)
from safepact.partnerships.selectors import (
    active_memberships,
    get_invitation_for_user,
    get_membership_for_user,
    get_organisation_for_user,
    get_partner_for_user,
    get_partnership_for_user,
    invitation_list,
    member_list,
    organisations_visible_to,
    partner_list,
    partnership_list,
)

router = Router(tags=["partnerships"])
organisations_router = Router(tags=["organisations"])

READ = with_errors()
WRITE = with_errors(403, 422)


# Organisations -------------------------------------------------------------------------------


@organisations_router.get("", response=list[OrganisationOut], summary="Organisations I may see")
@paginate(LimitOffsetPagination)
def organisation_list(request):
    """My own organisations and the organisations taking part in my partnerships."""
    return organisations_visible_to(request.auth).select_related("member_of").order_by("name", "pk")


@organisations_router.get("/{code}", response={200: OrganisationOut, **READ}, summary="One organisation")
def organisation_detail(request, code: UUID):
    return get_organisation_for_user(request.auth, code)


def _organisation(queryset, code: UUID | None, field: str = "organisation", message=None):
    """An organisation from ``queryset`` by code, or a 422 naming ``field`` (one answer for missing and not yours)."""
    organisation = queryset.filter(code=code).first() if code else None
    if organisation is None:
        raise ValidationError({field: message or _("Organisation not found.")})
    return organisation


# Partnerships --------------------------------------------------------------------------------


def _my_partnerships(user):
    my_role = active_memberships(user).filter(partner__partnership=OuterRef("pk")).values("role")[:1]
    return partnership_list(user=user).annotate(my_role=Subquery(my_role))


def _partnership_out(user, code):
    partnership = get_partnership_for_user(user, code)
    partnership.active_partner_count = partnership.partners.filter(status=PartnerStatus.ACTIVE).count()
    return partnership


@router.get("", response=list[PartnershipOut], summary="My partnerships, with my role")
@paginate(LimitOffsetPagination)
def partnership_index(request):
    return _my_partnerships(request.auth).order_by("name", "pk")


@router.post("", response={201: PartnershipOut, **WRITE}, summary="Start a partnership")
def partnership_new(request, payload: PartnershipIn):
    """Start a partnership on behalf of one of your own organisations; you become its coordinator."""
    user = request.auth
    organisation = _organisation(
        organisation_list_for_user_memberships(user=user),
        payload.organisation,
        message=_("Choose one of your own organisations."),
    )
    data = payload.dict(exclude={"organisation"})
    partnership = services.partnership_create(actor=user, organisation=organisation, **data)
    return Status(201, _partnership_out(user, partnership.code))


@router.get("/{code}", response={200: PartnershipOut, **READ}, summary="One partnership")
def partnership_detail(request, code: UUID):
    return _partnership_out(request.auth, code)


@router.patch(
    "/{code}", response={200: PartnershipOut, **WRITE}, summary="Change a partnership (coordinator)"
)
def partnership_edit(request, code: UUID, payload: PartnershipPatch):
    user = request.auth
    partnership = get_partnership_for_user(user, code, manage=True)
    changes = payload.dict(exclude_unset=True, exclude={"reason"})
    services.partnership_update(actor=user, partnership=partnership, reason=payload.reason, **changes)
    return _partnership_out(user, code)


# Partners ------------------------------------------------------------------------------------


def _partner_out(user, partner):
    return partner_list(user=user, partnership=partner.partnership).get(pk=partner.pk)


@router.get("/{code}/partners", response=list[PartnerOut], summary="Partner organisations")
@paginate(LimitOffsetPagination)
def partner_index(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    return partner_list(user=request.auth, partnership=partnership).order_by("organisation__name", "pk")


@router.post("/{code}/partners", response={201: PartnerOut, **WRITE}, summary="Add a partner (coordinator)")
def partner_new(request, code: UUID, payload: PartnerIn):
    user = request.auth
    partnership = get_partnership_for_user(user, code, manage=True)
    organisation = _organisation(organisations_visible_to(user), payload.organisation)
    partner = services.partner_add(
        actor=user, partnership=partnership, organisation=organisation, status=payload.status
    )
    return Status(201, _partner_out(user, partner))


@router.get("/{code}/partners/{partner_code}", response={200: PartnerOut, **READ}, summary="One partner")
def partner_detail(request, code: UUID, partner_code: UUID):
    partner = get_partner_for_user(request.auth, code, partner_code)
    return _partner_out(request.auth, partner)


@router.patch(
    "/{code}/partners/{partner_code}",
    response={200: PartnerOut, **WRITE},
    summary="Change a partner's status (coordinator)",
)
def partner_edit(request, code: UUID, partner_code: UUID, payload: PartnerPatch):
    user = request.auth
    partner = get_partner_for_user(user, code, partner_code, manage=True)
    services.partner_set_status(actor=user, partner=partner, status=payload.status, reason=payload.reason)
    return _partner_out(user, partner)


# Members -------------------------------------------------------------------------------------


@router.get("/{code}/members", response=list[MemberOut], summary="Members")
@paginate(LimitOffsetPagination)
def member_index(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    return member_list(user=request.auth, partnership=partnership).order_by("user__full_name", "pk")


@router.get("/{code}/members/{member_code}", response={200: MemberOut, **READ}, summary="One member")
def member_detail(request, code: UUID, member_code: UUID):
    return get_membership_for_user(request.auth, code, member_code)


@router.patch(
    "/{code}/members/{member_code}",
    response={200: MemberOut, **WRITE},
    summary="Change a member's role, status or signatory flag (coordinator)",
)
def member_edit(request, code: UUID, member_code: UUID, payload: MemberPatch):
    user = request.auth
    membership = get_membership_for_user(user, code, member_code, manage=True)
    if payload.role is None and payload.status is None and payload.is_signatory is None:
        raise ValidationError({"role": _("Send a role, a status, the signatory flag or several of them.")})
    # As on the pages (the sudo window): a token alone does not change who may do what.
    user_reauthenticate(request=request, user=user, password=payload.password, otp=payload.otp)
    with transaction.atomic():
        if payload.is_signatory is not None:
            services.member_set_signatory(
                actor=user, membership=membership, value=payload.is_signatory, reason=payload.reason
            )
        if payload.role is not None:
            membership = get_membership_for_user(user, code, member_code)
            membership = services.member_set_role(
                actor=user, membership=membership, role=payload.role, reason=payload.reason
            )
        if payload.status is not None:
            membership = get_membership_for_user(user, code, member_code)
            services.member_set_status(
                actor=user, membership=membership, status=payload.status, reason=payload.reason
            )
    return get_membership_for_user(user, code, member_code)


# Invitations ---------------------------------------------------------------------------------


@router.get("/{code}/invitations", response=list[InvitationOut], summary="Invitations (coordinator)")
@paginate(LimitOffsetPagination)
def invitation_index(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code, manage=True)
    return invitation_list(user=request.auth, partnership=partnership).order_by("-created_at", "-pk")


@router.post(
    "/{code}/invitations", response={201: InvitationOut, **WRITE}, summary="Invite a person (coordinator)"
)
def invitation_new(request, code: UUID, payload: InvitationIn):
    """Invite a person on behalf of an existing organisation (``organisation``) or a new one
    (``new_organisation``). The answer never carries the invitation's token: it goes only by email."""
    user = request.auth
    partnership = get_partnership_for_user(user, code, manage=True)
    organisation = None
    if payload.organisation is not None:
        organisation = _organisation(organisations_visible_to(user), payload.organisation)
    invitation, _token = services.invitation_create(
        actor=user,
        partnership=partnership,
        email=payload.email,
        role=payload.role,
        organisation=organisation,
        new_organisation=payload.new_organisation.dict() if payload.new_organisation else None,
        message=payload.message,
    )
    return Status(201, get_invitation_for_user(user, code, invitation.code))


@router.post(
    "/{code}/invitations/{invitation_code}/revoke",
    response={200: InvitationOut, **WRITE},
    summary="Revoke an open invitation (coordinator)",
)
def invitation_revoke(request, code: UUID, invitation_code: UUID):
    user = request.auth
    invitation = get_invitation_for_user(user, code, invitation_code)
    services.invitation_revoke(actor=user, invitation=invitation)
    return get_invitation_for_user(user, code, invitation_code)
