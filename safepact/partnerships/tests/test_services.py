"""Services and selectors behind the partnership pages."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from conftest import PASSWORD
from safepact.accounts.models import User, hash_token
from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.partnerships.models import Invitation, Membership
from safepact.partnerships.selectors import (
    dashboard_for,
    invitation_account_exists,
    invitation_open_list,
    invite_organisation_choices,
)
from safepact.partnerships.services import (
    invitation_accept,
    invitation_accept_with_signup,
    invitation_create,
    invitation_revoke,
    invitation_url,
    member_set_role,
    member_set_status,
    partner_set_status,
)


def invite(world, email="newbie@city.example", **extra):
    return invitation_create(
        actor=world.coordinator,
        partnership=world.partnership_a,
        email=email,
        organisation=world.org_city_a,
        **extra,
    )


def coordinator_membership(world):
    return Membership.objects.get(user=world.coordinator, partner__partnership=world.partnership_a)


# Invitation secrets ------------------------------------------------------------------------------


def test_only_the_hash_of_the_token_is_stored(world):
    invitation, token = invite(world)
    assert len(token) >= 40
    invitation.refresh_from_db()
    assert invitation.token_hash == hash_token(token) != token
    assert token in invitation_url(token)
    assert not Invitation.objects.filter(token_hash=token).exists()


def test_invitation_email_is_sent_after_commit(world, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invitation, token = invite(world, message="See you at the next meeting.")
    assert len(mailoutbox) == 1
    assert invitation_url(token) in mailoutbox[0].body
    assert "See you at the next meeting." in mailoutbox[0].body


def test_no_email_when_the_invitation_is_refused(world, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        invite(world, email=world.member.email)
    assert mailoutbox == []


# Sign up and accept -------------------------------------------------------------------------------


def test_sign_up_and_accept(world):
    invitation, token = invite(world, role="viewer")
    membership = invitation_accept_with_signup(
        token=token, full_name="Nina Newbie", password=PASSWORD, language="nl"
    )
    assert membership.user.email == "newbie@city.example"
    assert membership.user.language == "nl"
    assert membership.role == "viewer"
    invitation.refresh_from_db()
    assert invitation.accepted_by == membership.user


def test_sign_up_with_a_weak_password_leaves_nothing_behind(world):
    invitation, token = invite(world)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        invitation_accept_with_signup(token=token, full_name="Nina", password="password")
    assert "password" in exc.value.error_dict
    assert not User.objects.filter(email="newbie@city.example").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("how", ["expired", "revoked", "unknown"])
def test_sign_up_for_an_unusable_invitation_creates_no_account(world, how):
    invitation, token = invite(world)
    if how == "revoked":
        invitation_revoke(actor=world.coordinator, invitation=invitation)
    if how == "unknown":
        token = "nope"
    at = invitation.expires_at + timedelta(minutes=1) if how == "expired" else clock.now()
    with clock.frozen(at), pytest.raises(ValidationError):
        invitation_accept_with_signup(token=token, full_name="Nina", password=PASSWORD)
    assert not User.objects.filter(email="newbie@city.example").exists()


def test_wrong_person_cannot_accept(world):
    _invitation, token = invite(world)
    with pytest.raises(ValidationError):
        invitation_accept(user=world.outsider, token=token)
    assert not Membership.objects.filter(user=world.outsider).exists()


# The last coordinator -----------------------------------------------------------------------------


def test_last_coordinator_cannot_be_demoted(world):
    with pytest.raises(ValidationError, match="at least one active coordinator"):
        member_set_role(actor=world.coordinator, membership=coordinator_membership(world), role="member")
    assert coordinator_membership(world).role == "coordinator"
    assert not AuditEvent.objects.filter(action="partnerships.member.role_changed").exists()


def test_last_coordinator_cannot_be_suspended(world):
    with pytest.raises(ValidationError, match="at least one active coordinator"):
        member_set_status(
            actor=world.coordinator, membership=coordinator_membership(world), status="suspended", reason="x"
        )
    assert coordinator_membership(world).status == "active"


def test_last_coordinators_organisation_cannot_be_suspended(world):
    partner = coordinator_membership(world).partner
    with pytest.raises(ValidationError, match="at least one active coordinator"):
        partner_set_status(actor=world.coordinator, partner=partner, status="suspended", reason="x")
    partner.refresh_from_db()
    assert partner.status == "active"


def test_with_two_coordinators_one_may_step_down(world):
    member_set_role(actor=world.coordinator, membership=world.membership_member, role="coordinator")
    member_set_role(actor=world.coordinator, membership=coordinator_membership(world), role="member")
    assert coordinator_membership(world).role == "member"


@pytest.mark.parametrize(
    ("persona", "error"), [("member", PermissionDenied), ("viewer", PermissionDenied), ("outsider", Http404)]
)
def test_non_coordinators_cannot_change_roles(world, persona, error):
    with pytest.raises(error):
        member_set_role(actor=getattr(world, persona), membership=world.membership_viewer, role="coordinator")
    world.membership_viewer.refresh_from_db()
    assert world.membership_viewer.role == "viewer"


# Selectors ---------------------------------------------------------------------------------------------


def test_open_invitations_are_pending_and_expired_only(world):
    pending, _ = invite(world, email="pending@city.example")
    expired, _ = invite(world, email="expired@city.example")
    revoked, _ = invite(world, email="revoked@city.example")
    Invitation.objects.filter(pk=expired.pk).update(expires_at=clock.now() - timedelta(days=1))
    invitation_revoke(actor=world.coordinator, invitation=revoked)
    a = world.partnership_a
    assert set(invitation_open_list(user=world.coordinator, partnership=a)) == {pending, expired}
    with pytest.raises(PermissionDenied):
        invitation_open_list(user=world.member, partnership=a)


def test_invite_choices_are_active_partners_of_the_partnership(world):
    a = world.partnership_a
    names = {o.name for o in invite_organisation_choices(user=world.coordinator, partnership=a)}
    assert names == {"Polisen Malmö", "Malmö stad", "Sofielund Fastighetsägare"}
    partner_set_status(
        actor=world.coordinator, partner=world.membership_viewer.partner, status="suspended", reason="x"
    )
    names = {o.name for o in invite_organisation_choices(user=world.coordinator, partnership=a)}
    assert "Sofielund Fastighetsägare" not in names
    assert not invite_organisation_choices(user=world.outsider, partnership=a).exists()


def test_invitation_account_exists(world):
    new, _ = invite(world)
    existing, _ = invite(world, email=world.outsider.email.upper())
    assert not invitation_account_exists(invitation=new)
    assert invitation_account_exists(invitation=existing)


def test_dashboard_attention_only_for_coordinators(world):
    invite(world)
    [coordinator_card], _ = dashboard_for(user=world.coordinator)
    assert ("invitations_open", 1) in coordinator_card["attention"]
    [member_card], _ = dashboard_for(user=world.member)
    assert member_card["attention"] == []
    assert dashboard_for(user=world.outsider) == ([], [])
