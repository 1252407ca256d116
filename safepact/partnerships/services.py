"""Writes. Every service is keyword-only, atomic, validates, re-checks scope and writes an audit event."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from safepact.accounts.models import Organisation, hash_token
from safepact.accounts.services import organisation_create, organisation_membership_ensure
from safepact.audit.services import audit_record, audit_record_changes
from safepact.lib import clock
from safepact.partnerships import hooks
from safepact.partnerships.models import (
    CrimeArea,
    Invitation,
    Membership,
    MembershipStatus,
    Partner,
    Partnership,
    PartnerStatus,
    Role,
)
from safepact.partnerships.selectors import get_partnership_for_user, membership_in, organisations_visible_to

PARTNERSHIP_FIELDS = (
    "name",
    "purpose",
    "crime_areas",
    "country",
    "region",
    "municipality",
    "status",
    "listing",
)


def _snapshot(obj, fields) -> dict:
    return {name: str(getattr(obj, name)) if name == "country" else getattr(obj, name) for name in fields}


def _clean_crime_areas(crime_areas) -> list[str]:
    areas = list(dict.fromkeys(crime_areas or []))
    unknown = [a for a in areas if a not in CrimeArea.values]
    if unknown:
        raise ValidationError(
            {"crime_areas": _("Unknown crime area: %(areas)s.") % {"areas": ", ".join(unknown)}}
        )
    return areas


def _recheck(actor, partnership: Partnership, *, manage: bool = False) -> None:
    """After a write, inside the same transaction: the actor must still be within scope."""
    get_partnership_for_user(actor, partnership.code, manage=manage)


def _active_coordinators(partnership: Partnership):
    return Membership.objects.filter(
        partner__partnership=partnership,
        role=Role.COORDINATOR,
        status=MembershipStatus.ACTIVE,
        partner__status=PartnerStatus.ACTIVE,
    )


def _lock_partnership(actor, partnership: Partnership) -> None:
    """Serialise changes that could remove the last coordinator (two coordinators demoting each other),
    then check again that the actor is still a coordinator: a concurrent change may have demoted them."""
    Partnership.objects.select_for_update().filter(pk=partnership.pk).values_list("pk", flat=True).first()
    get_partnership_for_user(actor, partnership.code, manage=True)


def _ensure_a_coordinator_remains(partnership: Partnership) -> None:
    if not _active_coordinators(partnership).exists():
        raise ValidationError(_("A partnership needs at least one active coordinator."))


@transaction.atomic
def partnership_create(
    *,
    actor,
    organisation: Organisation,
    name: str,
    purpose: str,
    country: str,
    crime_areas: list[str] | None = None,
    region: str = "",
    municipality: str = "",
    listing: str = "private",
) -> Partnership:
    """Start a partnership: ``organisation`` (the actor's own) is its first partner, the actor its coordinator."""
    if not organisation.people.filter(user=actor).exists():
        raise PermissionDenied(_("You can only start a partnership on behalf of your own organisation."))
    partnership = Partnership(
        name=name,
        purpose=purpose,
        crime_areas=_clean_crime_areas(crime_areas),
        country=country,
        region=region,
        municipality=municipality,
        listing=listing,
    )
    partnership.full_clean()
    partnership.save()
    partner = Partner.objects.create(
        partnership=partnership, organisation=organisation, status=PartnerStatus.ACTIVE, joined_at=clock.now()
    )
    membership = Membership.objects.create(partner=partner, user=actor, role=Role.COORDINATOR)
    audit_record(
        actor=actor,
        action="partnerships.partnership.created",
        target=partnership,
        partnership=partnership,
        after=_snapshot(partnership, PARTNERSHIP_FIELDS),
    )
    audit_record(
        actor=actor,
        action="partnerships.member.added",
        target=membership,
        partnership=partnership,
        after={"user": actor.email, "organisation": organisation.name, "role": membership.role},
    )
    _recheck(actor, partnership, manage=True)
    return partnership


@transaction.atomic
def partnership_update(*, actor, partnership: Partnership, reason: str = "", **changes) -> Partnership:
    get_partnership_for_user(actor, partnership.code, manage=True)
    partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
    unknown = set(changes) - set(PARTNERSHIP_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown field: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    if "crime_areas" in changes:
        changes["crime_areas"] = _clean_crime_areas(changes["crime_areas"])
    before = _snapshot(partnership, changes)
    for name, value in changes.items():
        setattr(partnership, name, value)
    partnership.updated_at = clock.now()
    partnership.full_clean()
    partnership.save()
    after = _snapshot(partnership, changes)
    audit_record_changes(
        actor=actor,
        action="partnerships.partnership.updated",
        target=partnership,
        partnership=partnership,
        reason=reason,
        before=before,
        after=after,
    )
    _recheck(actor, partnership, manage=True)
    return partnership


@transaction.atomic
def partner_add(
    *, actor, partnership: Partnership, organisation: Organisation, status: str = PartnerStatus.CANDIDATE
) -> Partner:
    get_partnership_for_user(actor, partnership.code, manage=True)
    if status not in (PartnerStatus.CANDIDATE, PartnerStatus.INVITED, PartnerStatus.ACTIVE):
        raise ValidationError({"status": _("A new partner starts as candidate, invited or active.")})
    if not organisations_visible_to(actor).filter(pk=organisation.pk).exists():
        raise ValidationError({"organisation": _("Organisation not found.")})
    if Partner.objects.filter(partnership=partnership, organisation=organisation).exists():
        raise ValidationError({"organisation": _("This organisation is already a partner.")})
    partner = Partner.objects.create(
        partnership=partnership,
        organisation=organisation,
        status=status,
        joined_at=clock.now() if status == PartnerStatus.ACTIVE else None,
    )
    audit_record(
        actor=actor,
        action="partnerships.partner.added",
        target=partner,
        partnership=partnership,
        after={"organisation": organisation.name, "status": status},
    )
    if status == PartnerStatus.ACTIVE:
        hooks.partner_activated(partner=partner, actor=actor)
    _recheck(actor, partnership, manage=True)
    return partner


@transaction.atomic
def partner_set_status(*, actor, partner: Partner, status: str, reason: str = "") -> Partner:
    partnership = get_partnership_for_user(actor, partner.partnership.code, manage=True)
    _lock_partnership(actor, partnership)
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    if status not in PartnerStatus.values:
        raise ValidationError({"status": _("Unknown partner status.")})
    if status in (PartnerStatus.SUSPENDED, PartnerStatus.WITHDRAWN) and not reason.strip():
        raise ValidationError({"reason": _("Give a reason for suspending or withdrawing a partner.")})
    before = partner.status
    if before == status:
        return partner
    partner.status = status
    if status == PartnerStatus.ACTIVE and partner.joined_at is None:
        partner.joined_at = clock.now()
    partner.save(update_fields=["status", "joined_at"])
    _ensure_a_coordinator_remains(partnership)
    if status == PartnerStatus.ACTIVE:
        hooks.partner_activated(partner=partner, actor=actor)
    audit_record(
        actor=actor,
        action="partnerships.partner.status_changed",
        target=partner,
        partnership=partnership,
        before={"status": before},
        after={"status": status},
        reason=reason,
    )
    _recheck(actor, partnership)
    return partner


@transaction.atomic
def member_set_role(*, actor, membership: Membership, role: str, reason: str = "") -> Membership:
    partnership = get_partnership_for_user(actor, membership.partner.partnership.code, manage=True)
    _lock_partnership(actor, partnership)
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    before = membership.role
    if before == role:
        return membership
    membership.role = role
    membership.save(update_fields=["role"])
    _ensure_a_coordinator_remains(partnership)
    audit_record(
        actor=actor,
        action="partnerships.member.role_changed",
        target=membership,
        partnership=partnership,
        before={"role": before},
        after={"role": role},
        reason=reason,
    )
    _recheck(actor, partnership)
    return membership


@transaction.atomic
def member_set_signatory(*, actor, membership: Membership, value: bool, reason: str = "") -> Membership:
    """Mark (or unmark) a member as authorised signatory: they may then sign agreements on behalf of the
    organisation they take part through. Coordinators only (pages ask for re-authentication first)."""
    partnership = get_partnership_for_user(actor, membership.partner.partnership.code, manage=True)
    _lock_partnership(actor, partnership)
    membership = (
        Membership.objects.select_for_update()
        .select_related("user", "partner__organisation")
        .get(pk=membership.pk)
    )
    if not isinstance(value, bool):
        raise ValidationError({"is_signatory": _("Choose yes or no.")})
    before = membership.is_signatory
    if before == value:
        return membership
    membership.is_signatory = value
    membership.save(update_fields=["is_signatory"])
    audit_record(
        actor=actor,
        action="partnerships.member.signatory_changed",
        target=membership,
        partnership=partnership,
        before={"is_signatory": before},
        after={"is_signatory": value, "organisation": membership.partner.organisation.name},
        reason=reason,
    )
    _recheck(actor, partnership)
    return membership


@transaction.atomic
def member_set_status(*, actor, membership: Membership, status: str, reason: str = "") -> Membership:
    partnership = get_partnership_for_user(actor, membership.partner.partnership.code, manage=True)
    _lock_partnership(actor, partnership)
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if status not in MembershipStatus.values:
        raise ValidationError({"status": _("Unknown member status.")})
    if status == MembershipStatus.SUSPENDED and not reason.strip():
        raise ValidationError({"reason": _("Give a reason for suspending a member.")})
    before = membership.status
    if before == status:
        return membership
    membership.status = status
    membership.save(update_fields=["status"])
    _ensure_a_coordinator_remains(partnership)
    audit_record(
        actor=actor,
        action="partnerships.member.status_changed",
        target=membership,
        partnership=partnership,
        before={"status": before},
        after={"status": status},
        reason=reason,
    )
    _recheck(actor, partnership)
    return membership


# Invitations ----------------------------------------------------------------------------------


def invitation_url(token: str) -> str:
    return settings.SITE_URL + reverse("partnerships:invitation_accept", kwargs={"token": token})


def _send_invitation_email(invitation: Invitation, token: str, language: str) -> None:
    with translation.override(language):
        context = {"invitation": invitation, "url": invitation_url(token)}
        subject = _("Invitation to join %(partnership)s on SafePact") % {
            "partnership": invitation.partnership.name
        }
        body = render_to_string("partnerships/email/invitation.txt", context)
    send_mail(subject, body, None, [invitation.email])


@transaction.atomic
def invitation_create(
    *,
    actor,
    partnership: Partnership,
    email: str,
    role: str = Role.MEMBER,
    organisation: Organisation | None = None,
    new_organisation: dict | None = None,
    message: str = "",
) -> tuple[Invitation, str]:
    """Invite a person, on behalf of an existing or a new organisation. Returns the invitation and its secret."""
    partnership = get_partnership_for_user(actor, partnership.code, manage=True)
    email = email.strip().lower()
    errors = {}
    if role not in Role.values:
        errors["role"] = _("Unknown role.")
    if (organisation is None) == (not new_organisation):
        errors["organisation"] = _("Choose an existing organisation or describe a new one, not both.")
    if organisation is not None and not organisations_visible_to(actor).filter(pk=organisation.pk).exists():
        errors["organisation"] = _("Organisation not found.")
    if Membership.objects.filter(partner__partnership=partnership, user__email__iexact=email).exists():
        errors["email"] = _("This person is already a member of the partnership.")
    if errors:
        raise ValidationError(errors)
    if organisation is None:
        organisation = organisation_create(actor=actor, join=False, **new_organisation)
    partner = Partner.objects.filter(partnership=partnership, organisation=organisation).first()
    if partner is None:
        partner = Partner.objects.create(
            partnership=partnership, organisation=organisation, status=PartnerStatus.INVITED
        )
        audit_record(
            actor=actor,
            action="partnerships.partner.added",
            target=partner,
            partnership=partnership,
            after={"organisation": organisation.name, "status": partner.status},
        )
    elif partner.status in (PartnerStatus.SUSPENDED, PartnerStatus.WITHDRAWN):
        raise ValidationError({"organisation": _("This partner is suspended or has withdrawn.")})
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        partnership=partnership,
        partner=partner,
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by=actor,
        message=message,
        expires_at=clock.now() + timedelta(days=settings.SAFEPACT_INVITATION_DAYS),
    )
    invitation.full_clean(exclude=["token_hash"])
    invitation.save()
    audit_record(
        actor=actor,
        action="partnerships.invitation.sent",
        target=invitation,
        partnership=partnership,
        after={"email": email, "organisation": organisation.name, "role": role},
    )
    language = translation.get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(lambda: _send_invitation_email(invitation, token, language))
    return invitation, token


@transaction.atomic
def invitation_revoke(*, actor, invitation: Invitation) -> Invitation:
    get_partnership_for_user(actor, invitation.partnership.code, manage=True)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise ValidationError(_("This invitation is no longer open."))
    invitation.revoked_at = clock.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="partnerships.invitation.revoked",
        target=invitation,
        partnership=invitation.partnership,
        before={"state": "pending"},
        after={"state": "revoked"},
    )
    return invitation


def invitation_by_token(token: str) -> Invitation | None:
    """Find an invitation by its secret; the secret itself is the credential."""
    return (
        Invitation.objects.filter(token_hash=hash_token(token or ""))
        .select_related("partnership", "partner__organisation", "invited_by")
        .first()
    )


@transaction.atomic
def invitation_accept(*, user, token: str) -> Membership:
    invitation = invitation_by_token(token)
    if invitation is None:
        raise ValidationError(_("This invitation link is not valid."))
    invitation = (
        Invitation.objects.select_for_update().select_related("partner", "partnership").get(pk=invitation.pk)
    )
    if invitation.state != "pending":
        raise ValidationError(
            _("This invitation has expired or is no longer open. Ask the coordinator for a new one.")
        )
    if invitation.email.lower() != user.email.lower():
        raise ValidationError(
            _("This invitation was sent to %(email)s. Log in with that address to accept it.")
            % {"email": invitation.email}
        )
    partner = Partner.objects.select_for_update().get(pk=invitation.partner_id)
    if partner.status in (PartnerStatus.SUSPENDED, PartnerStatus.WITHDRAWN):
        raise ValidationError(_("Your organisation's participation is suspended or withdrawn."))
    organisation_membership_ensure(actor=user, user=user, organisation=partner.organisation)
    if partner.status != PartnerStatus.ACTIVE:
        before = partner.status
        partner.status = PartnerStatus.ACTIVE
        partner.joined_at = clock.now()
        partner.save(update_fields=["status", "joined_at"])
        audit_record(
            actor=user,
            action="partnerships.partner.status_changed",
            target=partner,
            partnership=invitation.partnership,
            before={"status": before},
            after={"status": partner.status},
            reason="invitation accepted",
        )
        hooks.partner_activated(partner=partner, actor=user)
    if (
        membership_in(user, invitation.partnership) is not None
        or Membership.objects.filter(partner__partnership=invitation.partnership, user=user).exists()
    ):
        raise ValidationError(_("You are already a member of this partnership."))
    membership = Membership.objects.create(partner=partner, user=user, role=invitation.role)
    invitation.accepted_at = clock.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        actor=user,
        action="partnerships.invitation.accepted",
        target=invitation,
        partnership=invitation.partnership,
        after={"email": user.email, "organisation": partner.organisation.name, "role": membership.role},
    )
    return membership


@transaction.atomic
def invitation_accept_with_signup(
    *, token: str, full_name: str, password: str, language: str = "en"
) -> Membership:
    """Create the invited person's account and accept the invitation, all or nothing."""
    from safepact.accounts.services import user_create

    invitation = invitation_by_token(token)
    if invitation is None or invitation.state != "pending":
        raise ValidationError(
            _("This invitation has expired or is no longer open. Ask the coordinator for a new one.")
        )
    user = user_create(email=invitation.email, full_name=full_name, password=password, language=language)
    return invitation_accept(user=user, token=token)
