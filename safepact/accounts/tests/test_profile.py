"""Profile page, sudo window, and personal API tokens."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from conftest import PASSWORD
from safepact.accounts.models import ApiToken, hash_token
from safepact.accounts.services import api_token_authenticate, api_token_create
from safepact.accounts.tests.conftest import code_for, wrong_code
from safepact.audit.models import AuditEvent
from safepact.lib import clock

PROFILE = "/account/profile/"
SUDO = "/account/confirm/"
TOKEN_NEW = "/account/tokens/new/"


def _revoke_url(token):
    return reverse("accounts:token_revoke", args=[token.code])


def _sudo(client, password=PASSWORD, next_url=PROFILE, **extra):
    return client.post(SUDO, {"password": password, "next": next_url, **extra})


# Profile ---------------------------------------------------------------------------------------------


def test_profile_shows_details_organisations_and_flags(client_for, world, django_assert_max_num_queries):
    membership = world.coordinator.organisation_memberships.get()
    membership.is_authorised_signatory = True
    membership.save(update_fields=["is_authorised_signatory"])
    for index in range(3):
        api_token_create(user=world.coordinator, name=f"Script {index}")
    client = client_for(world.coordinator)
    with django_assert_max_num_queries(12):
        response = client.get(PROFILE)
    assert response.status_code == 200
    html = response.content.decode()
    assert world.coordinator.email in html
    assert "readonly" in html
    assert "Polisen Malmö" in html
    assert "<caption>Organisations you belong to</caption>" in html
    assert "<caption>Your API tokens</caption>" in html
    assert "Script 2" in html
    assert '<label for="id_language">Language' in html


def test_profile_change_name_and_language(client_for, world):
    client = client_for(world.member)
    response = client.post(PROFILE, {"full_name": "  Mats M. Member ", "language": "nl"})
    assert response.status_code == 302
    world.member.refresh_from_db()
    assert world.member.full_name == "Mats M. Member"
    assert world.member.language == "nl"
    page = client.get(PROFILE)
    assert '<html lang="nl">' in page.content.decode()
    actions = set(
        AuditEvent.objects.filter(actor_code=str(world.member.code)).values_list("action", flat=True)
    )
    assert {"accounts.user.profile_changed", "accounts.user.language_changed"} <= actions


def test_profile_bad_input_names_the_field_and_stores_nothing(client_for, world):
    client = client_for(world.member)
    response = client.post(PROFILE, {"full_name": "", "language": "xx"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_full_name_error"' in html
    assert 'id="id_language_error"' in html
    world.member.refresh_from_db()
    assert world.member.full_name == "Mats Member"
    assert world.member.language == "en"


def test_profile_email_cannot_be_changed(client_for, world):
    client = client_for(world.member)
    client.post(PROFILE, {"full_name": "Mats", "language": "en", "email": "evil@example.org"})
    world.member.refresh_from_db()
    assert world.member.email == "member@city.example"


def test_profile_for_outsider_without_partnerships(client_for, world):
    response = client_for(world.outsider).get(PROFILE)
    assert response.status_code == 200
    assert "Elsewhere BV" in response.content.decode()
    assert "Polisen Malmö" not in response.content.decode()


# Sudo ------------------------------------------------------------------------------------------------


def test_token_creation_needs_sudo(client_for, world):
    client = client_for(world.member)
    response = client.get(TOKEN_NEW)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:sudo") + "?next=%2Faccount%2Ftokens%2Fnew%2F"
    response = client.post(TOKEN_NEW, {"name": "Script"})
    assert response["Location"].startswith(reverse("accounts:sudo"))
    assert not ApiToken.objects.exists()


def test_sudo_wrong_password_is_refused(client_for, world):
    client = client_for(world.member)
    response = _sudo(client, password="nope", next_url=TOKEN_NEW)
    assert response.status_code == 200
    assert "That password is not right" in response.content.decode()
    assert client.get(TOKEN_NEW).status_code == 302


def test_sudo_right_password_opens_the_window_and_returns(client_for, world):
    client = client_for(world.member)
    response = _sudo(client, next_url=TOKEN_NEW)
    assert response.status_code == 302
    assert response["Location"] == TOKEN_NEW
    assert client.get(TOKEN_NEW).status_code == 200


def test_sudo_ignores_an_unsafe_next(client_for, world):
    client = client_for(world.member)
    response = _sudo(client, next_url="https://evil.example/")
    assert response["Location"] == PROFILE


def test_sudo_asks_the_code_of_a_person_with_a_device(client_for, world, device_for, no_otp_throttle):
    device = device_for(world.member)
    client = client_for(world.member)
    assert '<label for="id_token">' in client.get(SUDO).content.decode()
    response = _sudo(client, token=wrong_code(device))
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    response = _sudo(client, token=code_for(device))
    assert response.status_code == 302


def test_sudo_window_expires(client_for, world, settings):
    settings.SAFEPACT_SUDO_SECONDS = 600
    client = client_for(world.member)
    with clock.frozen(datetime(2030, 5, 1, 12, 0, tzinfo=UTC)):
        _sudo(client)
        clock.advance(timedelta(seconds=599))
        assert client.get(TOKEN_NEW).status_code == 200
        clock.advance(timedelta(seconds=2))
        response = client.get(TOKEN_NEW)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:sudo"))


# Tokens ----------------------------------------------------------------------------------------------


def test_create_token_shows_the_secret_once_and_stores_only_its_hash(client_for, world):
    client = client_for(world.member)
    _sudo(client)
    response = client.post(TOKEN_NEW, {"name": "Nightly export"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    token = ApiToken.objects.get(user=world.member)
    secret = html.split('<output id="token-secret" class="secret">', 1)[1].split("</output>", 1)[0]
    assert secret.startswith("sp_")
    assert "shown only once" in html
    assert token.token_hash == hash_token(secret)
    stored = [str(value) for value in ApiToken.objects.values_list(flat=False).get(pk=token.pk)]
    assert not any(secret in value for value in stored)
    assert api_token_authenticate(secret) == world.member
    event = AuditEvent.objects.get(action="accounts.api_token.created")
    assert event.actor_code == str(world.member.code)
    # The profile lists the token by name and hint, never the secret.
    profile_html = client.get(PROFILE).content.decode()
    assert "Nightly export" in profile_html
    assert token.hint in profile_html
    assert secret not in profile_html


def test_create_token_without_a_name_names_the_field(client_for, world):
    client = client_for(world.member)
    _sudo(client)
    response = client.post(TOKEN_NEW, {"name": "   "})
    assert response.status_code == 200
    assert 'id="id_name_error"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_viewer_manages_their_own_tokens(client_for, world):
    """Tokens are personal: a read-only partnership role does not stop a person managing their own."""
    client = client_for(world.viewer)
    _sudo(client)
    assert client.post(TOKEN_NEW, {"name": "Mine"}).status_code == 200
    token = ApiToken.objects.get(user=world.viewer)
    assert client.post(_revoke_url(token)).status_code == 302


def test_revoke_needs_sudo_and_post(client_for, world):
    token, _secret = api_token_create(user=world.member, name="Script")
    client = client_for(world.member)
    response = client.post(_revoke_url(token))
    assert response["Location"].startswith(reverse("accounts:sudo"))
    token.refresh_from_db()
    assert token.revoked_at is None
    _sudo(client)
    confirm = client.get(_revoke_url(token))
    assert confirm.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "Revoke token" in confirm.content.decode()


def test_revoke_token(client_for, world):
    token, secret = api_token_create(user=world.member, name="Script")
    client = client_for(world.member)
    _sudo(client)
    response = client.post(_revoke_url(token))
    assert response.status_code == 302
    assert response["Location"] == PROFILE + "#tokens"
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_token_authenticate(secret) is None
    assert AuditEvent.objects.filter(
        action="accounts.api_token.revoked", target_code=str(token.code)
    ).exists()
    assert "Revoked" in client.get(PROFILE).content.decode()


def test_revoke_with_htmx_returns_the_row(client_for, world):
    token, _secret = api_token_create(user=world.member, name="Script")
    client = client_for(world.member)
    _sudo(client)
    response = client.post(_revoke_url(token), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="token-{token.code}">')
    assert "is revoked" in html


def test_revoke_with_htmx_without_sudo_redirects_the_page(client_for, world):
    token, _secret = api_token_create(user=world.member, name="Script")
    client = client_for(world.member)
    response = client.post(_revoke_url(token), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(reverse("accounts:sudo"))


@pytest.mark.parametrize("method", ["get", "post"])
def test_someone_elses_token_is_404(client_for, world, method):
    token, secret = api_token_create(user=world.member, name="Not yours")
    client = client_for(world.outsider)
    _sudo(client)
    response = getattr(client, method)(_revoke_url(token))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert api_token_authenticate(secret) == world.member


def test_unknown_token_is_404(client_for, world):
    client = client_for(world.member)
    _sudo(client)
    assert client.post("/account/tokens/00000000-0000-0000-0000-000000000000/revoke/").status_code == 404


def test_revoked_token_is_rejected_by_the_api(client, world):
    token, secret = api_token_create(user=world.member, name="Script")
    probe = client.get("/api/v1/partnerships", HTTP_AUTHORIZATION=f"Bearer {secret}")
    if probe.status_code == 404:
        pytest.skip("/api/v1/partnerships is not implemented yet; the service-level check is above")
    assert probe.status_code == 200
    from safepact.accounts.services import api_token_revoke

    api_token_revoke(user=world.member, token=token)
    response = client.get("/api/v1/partnerships", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_revoked_token_is_rejected_by_the_service(world):
    from safepact.accounts.services import api_token_revoke

    token, secret = api_token_create(user=world.member, name="Script")
    assert api_token_authenticate(secret) == world.member
    api_token_revoke(user=world.member, token=token)
    assert api_token_authenticate(secret) is None
