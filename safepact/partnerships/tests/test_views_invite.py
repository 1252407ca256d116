"""Inviting people, the invitation email, and revoking invitations."""

import re

import pytest
from django.urls import reverse

from safepact.accounts.models import Organisation, hash_token
from safepact.audit.models import AuditEvent
from safepact.partnerships.models import Invitation, Partner
from safepact.partnerships.services import invitation_create


def invite_url(partnership):
    return reverse("partnerships:invite", kwargs={"code": partnership.code})


def new_org_data(**overrides):
    data = {
        "email": "Anna@Shop.example",
        "role": "member",
        "organisation": "",
        "new_name": "Sofielund Kiosk",
        "new_kind": "business",
        "new_country": "SE",
        "message": "Welcome aboard!",
    }
    data.update(overrides)
    return data


def _state():
    return (
        Invitation.objects.count(),
        Organisation.objects.count(),
        Partner.objects.count(),
        AuditEvent.objects.count(),
    )


def test_anonymous_is_sent_to_login(world, client):
    for method in (client.get, client.post):
        response = method(invite_url(world.partnership_a))
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("persona", "status"), [("outsider", 404), ("coordinator_b", 404), ("viewer", 403), ("member", 403)]
)
def test_only_coordinators_may_invite(world, client_for, mailoutbox, persona, status):
    client = client_for(getattr(world, persona))
    before = _state()
    assert client.get(invite_url(world.partnership_a)).status_code == status
    assert client.post(invite_url(world.partnership_a), new_org_data()).status_code == status
    assert _state() == before
    assert mailoutbox == []


def test_form_offers_the_partner_organisations(world, client_for):
    response = client_for(world.coordinator).get(invite_url(world.partnership_a))
    body = response.content.decode()
    assert response.status_code == 200
    for name in ("Polisen Malmö", "Malmö stad", "Sofielund Fastighetsägare"):
        assert name in body
    assert "Gemeente Parkstad" not in body and "Elsewhere BV" not in body
    assert '<label for="id_email">' in body and "<legend>" in body


def test_invite_for_a_new_organisation_sends_the_link_and_stores_only_a_hash(
    world, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    a = world.partnership_a
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.coordinator).post(invite_url(a), new_org_data())
    assert response.status_code == 302
    assert response.url == reverse("partnerships:overview", kwargs={"code": a.code}) + "#invitations"

    invitation = Invitation.objects.get(email="anna@shop.example")
    assert invitation.role == "member" and invitation.invited_by == world.coordinator
    assert invitation.partner.organisation.name == "Sofielund Kiosk"
    assert invitation.partner.status == "invited"
    assert AuditEvent.objects.filter(
        action="partnerships.invitation.sent", target_code=str(invitation.code)
    ).exists()

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["anna@shop.example"]
    assert a.name in mail.subject
    assert (
        "Cora Coordinator" in mail.body and "Sofielund Kiosk" in mail.body and "Welcome aboard!" in mail.body
    )
    match = re.search(r"/invitations/([A-Za-z0-9_-]+)/", mail.body)
    assert match, mail.body
    token = match.group(1)
    assert invitation.token_hash == hash_token(token)
    assert token not in invitation.token_hash
    assert not Invitation.objects.filter(token_hash=token).exists()
    for event in AuditEvent.objects.all():
        assert token not in str(event.before) + str(event.after) + event.reason + event.target_label

    followed = client_for(world.coordinator).get(response.url)
    assert "Invitation sent to anna@shop.example." in followed.content.decode()


def test_invite_for_an_existing_partner(world, client_for, mailoutbox, django_capture_on_commit_callbacks):
    data = new_org_data(organisation=str(world.org_city_a.code), new_name="", new_kind="", new_country="")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.coordinator).post(invite_url(world.partnership_a), data)
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="anna@shop.example")
    assert invitation.partner == world.membership_member.partner
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "not-an-email"}, "id_email", "Enter a valid email address."),
        ({"role": "boss"}, "id_role", "Select a valid choice."),
        (
            {"new_name": ""},
            "id_organisation",
            "Choose an existing organisation, or give the name of a new one.",
        ),
        ({"new_kind": ""}, "id_new_kind", "Choose the kind of the new organisation."),
        ({"new_country": ""}, "id_new_country", "Choose the country of the new organisation."),
        ({"email": "member@city.example"}, "id_email", "This person is already a member of the partnership."),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(
    world, client_for, mailoutbox, overrides, field, message
):
    before = _state()
    response = client_for(world.coordinator).post(invite_url(world.partnership_a), new_org_data(**overrides))
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert f'href="#{field}"' in body
    assert _state() == before
    assert mailoutbox == []


def test_both_an_existing_and_a_new_organisation_is_refused(world, client_for):
    before = _state()
    data = new_org_data(organisation=str(world.org_city_a.code))
    response = client_for(world.coordinator).post(invite_url(world.partnership_a), data)
    assert "Choose an existing organisation or describe a new one, not both." in response.content.decode()
    assert _state() == before


def test_organisation_of_another_partnership_is_refused(world, client_for):
    before = _state()
    data = new_org_data(organisation=str(world.org_b.code), new_name="")
    response = client_for(world.coordinator).post(invite_url(world.partnership_a), data)
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert _state() == before


# Revoke --------------------------------------------------------------------------------------------


@pytest.fixture
def pending(world):
    invitation, _token = invitation_create(
        actor=world.coordinator,
        partnership=world.partnership_a,
        email="pending@city.example",
        organisation=world.org_city_a,
    )
    return invitation


def revoke_url(partnership, invitation):
    return reverse(
        "partnerships:invitation_revoke", kwargs={"code": partnership.code, "inv_code": invitation.code}
    )


def test_anonymous_revoke_is_sent_to_login(world, client, pending):
    response = client.post(revoke_url(world.partnership_a, pending))
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.revoked_at is None


@pytest.mark.parametrize(
    ("persona", "status"), [("outsider", 404), ("coordinator_b", 404), ("viewer", 403), ("member", 403)]
)
def test_only_coordinators_may_revoke(world, client_for, pending, persona, status):
    assert (
        client_for(getattr(world, persona)).post(revoke_url(world.partnership_a, pending)).status_code
        == status
    )
    pending.refresh_from_db()
    assert pending.revoked_at is None


def test_coordinator_revokes(world, client_for, pending):
    client = client_for(world.coordinator)
    response = client.post(revoke_url(world.partnership_a, pending), follow=True)
    assert response.status_code == 200
    assert "The invitation to pending@city.example has been revoked." in response.content.decode()
    pending.refresh_from_db()
    assert pending.revoked_at is not None
    assert AuditEvent.objects.filter(
        action="partnerships.invitation.revoked", target_code=str(pending.code)
    ).exists()
    # revoked invitations leave the open list; revoking again is a message, not a 500
    assert "pending@city.example" not in response.content.decode().split('id="invitations"')[1]
    again = client.post(revoke_url(world.partnership_a, pending), follow=True)
    assert again.status_code == 200
    assert "This invitation is no longer open." in again.content.decode()
    assert AuditEvent.objects.filter(action="partnerships.invitation.revoked").count() == 1


def test_revoke_through_another_partnership_is_404(world, client_for):
    invitation, _token = invitation_create(
        actor=world.coordinator_b,
        partnership=world.partnership_b,
        email="x@b.example",
        organisation=world.org_b,
    )
    response = client_for(world.coordinator).post(revoke_url(world.partnership_a, invitation))
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
