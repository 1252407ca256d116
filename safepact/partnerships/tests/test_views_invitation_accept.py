"""The invitation link: sign up, log in, accept; and every way a link can be unusable."""

from datetime import timedelta

import pytest
from django.urls import reverse

from conftest import PASSWORD, make_user
from safepact.accounts.models import User
from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.partnerships.models import Membership
from safepact.partnerships.services import invitation_create, invitation_revoke


def accept_url(token):
    return reverse("partnerships:invitation_accept", kwargs={"token": token})


def overview_url(partnership):
    return reverse("partnerships:overview", kwargs={"code": partnership.code})


def invite(world, email="newbie@city.example", role="member"):
    invitation, token = invitation_create(
        actor=world.coordinator,
        partnership=world.partnership_a,
        email=email,
        role=role,
        organisation=world.org_city_a,
    )
    return invitation, token


def memberships_of(email):
    return Membership.objects.filter(user__email=email, partner__partnership__name__startswith="Sofielund")


SIGN_UP = {"full_name": "Nina Newbie", "password1": PASSWORD, "password2": PASSWORD}


# Unusable links -------------------------------------------------------------------------------------


def test_unknown_token_is_404_with_an_explanation(db, client):
    response = client.get(accept_url("not-a-real-token"))
    assert response.status_code == 404
    assert "This invitation link is not valid." in response.content.decode()


def test_expired_invitation_is_410(world, client):
    invitation, token = invite(world)
    with clock.frozen(invitation.expires_at + timedelta(seconds=1)):
        response = client.get(accept_url(token))
        assert response.status_code == 410
        assert "This invitation has expired." in response.content.decode()
        response = client.post(accept_url(token), SIGN_UP)
        assert response.status_code == 410
    assert not User.objects.filter(email="newbie@city.example").exists()


def test_expired_invitation_is_410_for_the_invited_person_too(world, client_for):
    invitation, token = invite(world, email=world.outsider.email)
    with clock.frozen(invitation.expires_at + timedelta(days=1)):
        client = client_for(world.outsider)
        assert client.post(accept_url(token)).status_code == 410
    assert not memberships_of(world.outsider.email).exists()


def test_revoked_invitation_is_410_and_reveals_nothing(world, client):
    invitation, token = invite(world)
    invitation_revoke(actor=world.coordinator, invitation=invitation)
    response = client.get(accept_url(token))
    assert response.status_code == 410
    body = response.content.decode()
    assert "This invitation has been revoked" in body
    assert world.partnership_a.name not in body
    assert client.post(accept_url(token), SIGN_UP).status_code == 410
    assert not User.objects.filter(email="newbie@city.example").exists()


def test_accepted_invitation_cannot_be_used_again(world, client, client_for):
    _invitation, token = invite(world, email=world.outsider.email)
    outsider = client_for(world.outsider)
    assert outsider.post(accept_url(token)).status_code == 302
    # the person who accepted is sent to the partnership
    response = outsider.get(accept_url(token))
    assert response.status_code == 302 and response.url == overview_url(world.partnership_a)
    outsider.logout()
    response = client.get(accept_url(token))
    assert response.status_code == 410
    assert "already been accepted" in response.content.decode()


def test_logged_in_as_someone_else(world, client_for):
    _invitation, token = invite(world, email=world.outsider.email)
    client = client_for(world.coordinator_b)
    response = client.get(accept_url(token))
    assert response.status_code == 403
    body = response.content.decode()
    assert world.outsider.email in body and world.coordinator_b.email in body
    assert client.post(accept_url(token)).status_code == 403
    assert not memberships_of(world.outsider.email).exists()
    assert not Membership.objects.filter(
        user=world.coordinator_b, partner__partnership=world.partnership_a
    ).exists()


# New account -------------------------------------------------------------------------------------


def test_new_person_sees_the_invitation_and_a_sign_up_form(world, client):
    _invitation, token = invite(world, role="viewer")
    response = client.get(accept_url(token))
    assert response.status_code == 200
    body = response.content.decode()
    for text in (
        world.partnership_a.name,
        "Malmö stad",
        "Viewer (read-only)",
        "Cora Coordinator",
        "newbie@city.example",
    ):
        assert text in body
    assert '<label for="id_full_name">' in body and '<label for="id_password2">' in body
    assert response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]


def test_sign_up_creates_the_account_accepts_and_logs_in(world, client):
    invitation, token = invite(world, role="viewer")
    response = client.post(accept_url(token), SIGN_UP)
    assert response.status_code == 302
    assert response.url == overview_url(world.partnership_a)
    user = User.objects.get(email="newbie@city.example")
    assert user.full_name == "Nina Newbie" and user.check_password(PASSWORD)
    membership = memberships_of(user.email).get()
    assert membership.role == "viewer" and membership.partner.organisation == world.org_city_a
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert AuditEvent.objects.filter(action="accounts.user.created", target_code=str(user.code)).exists()
    assert AuditEvent.objects.filter(
        action="partnerships.invitation.accepted", target_code=str(invitation.code)
    ).exists()
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get(overview_url(world.partnership_a)).status_code == 200


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({**SIGN_UP, "password2": "something-else-entirely"}, "id_password2", "The two passwords differ."),
        (
            {**SIGN_UP, "password1": "short", "password2": "short"},
            "id_password1",
            "This password is too short.",
        ),
        ({**SIGN_UP, "full_name": ""}, "id_full_name", "This field is required."),
    ],
)
def test_bad_sign_up_names_the_field_and_stores_nothing(world, client, data, field, message):
    invitation, token = invite(world)
    events = AuditEvent.objects.count()
    response = client.post(accept_url(token), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert f'href="#{field}"' in body
    assert not User.objects.filter(email="newbie@city.example").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert AuditEvent.objects.count() == events
    assert "_auth_user_id" not in client.session


# Existing account ------------------------------------------------------------------------------------


def test_existing_account_is_asked_to_log_in_and_come_back(world, client):
    _invitation, token = invite(world, email=world.outsider.email)
    response = client.get(accept_url(token))
    assert response.status_code == 200
    body = response.content.decode()
    login = reverse("accounts:login")
    assert f'href="{login}?next=%2Finvitations%2F{token}%2F"' in body
    assert 'id="id_password1"' not in body
    # posting a sign-up form does not create or take over the account
    response = client.post(accept_url(token), SIGN_UP)
    assert response.status_code == 200
    assert not memberships_of(world.outsider.email).exists()
    assert User.objects.get(email=world.outsider.email).full_name == "Otto Outsider"


def test_logged_in_invited_person_accepts(world, client_for):
    invitation, token = invite(world, email=world.outsider.email.upper())
    client = client_for(world.outsider)
    response = client.get(accept_url(token))
    assert response.status_code == 200
    assert "Accept the invitation" in response.content.decode()
    assert not memberships_of(world.outsider.email).exists()  # a GET never accepts
    response = client.post(accept_url(token), follow=True)
    assert response.redirect_chain[-1][0] == overview_url(world.partnership_a)
    assert "Welcome to Sofielund safety partnership." in response.content.decode()
    membership = memberships_of(world.outsider.email).get()
    assert membership.role == "member"
    assert AuditEvent.objects.filter(
        action="partnerships.invitation.accepted", target_code=str(invitation.code)
    ).exists()


def test_accepting_when_already_a_member_is_a_message(world, client_for):
    # an invitation for someone who joins by another invitation meanwhile
    _first, first_token = invite(world, email="twice@city.example")
    second, second_token = invite(world, email="twice@city.example")
    user = make_user("twice@city.example", "Tina Twice")
    client = client_for(user)
    client.post(accept_url(first_token))
    response = client.post(accept_url(second_token))
    assert response.status_code == 200
    assert "You are already a member of this partnership." in response.content.decode()
    assert memberships_of(user.email).count() == 1
    second.refresh_from_db()
    assert second.accepted_at is None
