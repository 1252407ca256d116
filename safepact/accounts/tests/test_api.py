"""The accounts side of the API: /me, the organisations a person may see, and how one authenticates."""

import json

import pytest
from django.test import Client

from conftest import make_org
from safepact.accounts.services import api_token_create, api_token_revoke
from safepact.audit.models import AuditEvent
from safepact.partnerships.models import Partnership

API = "/api/v1"


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


# /me ------------------------------------------------------------------------------------------


def test_me(client, world):
    client.force_login(world.member)
    data = client.get(f"{API}/me").json()
    assert data["code"] == str(world.member.code)
    assert data["email"] == "member@city.example"
    assert data["full_name"] == "Mats Member"
    assert data["language"] == "en"
    assert data["two_factor_enabled"] is False
    [mine] = data["organisations"]
    assert mine["organisation"] == {
        "code": str(world.org_city_a.code),
        "name": "Malmö stad",
        "kind": "municipality",
        "country": "SE",
    }
    assert mine["is_authorised_signatory"] is False
    assert mine["is_law_enforcement_officer"] is False
    assert "id" not in data and "password" not in data


def test_me_shows_flags_and_two_factor(client, world):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from safepact.accounts.models import OrganisationMembership

    OrganisationMembership.objects.filter(user=world.coordinator, organisation=world.org_police_a).update(
        is_law_enforcement_officer=True, is_authorised_signatory=True, job_title="Inspector"
    )
    TOTPDevice.objects.create(user=world.coordinator, name="phone", confirmed=True)
    client.force_login(world.coordinator)
    data = client.get(f"{API}/me").json()
    assert data["two_factor_enabled"] is True
    [police] = [o for o in data["organisations"] if o["organisation"]["code"] == str(world.org_police_a.code)]
    assert police["is_law_enforcement_officer"] is True
    assert police["is_authorised_signatory"] is True
    assert police["job_title"] == "Inspector"


def test_me_needs_authentication(client, world):
    response = client.get(f"{API}/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


# /organisations -------------------------------------------------------------------------------


def _names(client):
    return {o["name"] for o in client.get(f"{API}/organisations").json()["items"]}


def test_organisations_visible_to_a_member(client, world):
    client.force_login(world.viewer)
    assert _names(client) == {"Polisen Malmö", "Malmö stad", "Sofielund Fastighetsägare"}


def test_organisations_visible_to_the_outsider_are_their_own(client, world):
    client.force_login(world.outsider)
    assert _names(client) == {"Elsewhere BV"}


def test_organisations_visible_to_coordinator_b(client, world):
    client.force_login(world.coordinator_b)
    assert _names(client) == {"Gemeente Parkstad"}


def test_organisation_detail(client, world):
    umbrella = make_org(world.coordinator, "Svensk Handel", "umbrella", "SE")
    shop = make_org(world.coordinator, "Butik AB", "business", "SE", member_of=umbrella, sector="retail")
    client.force_login(world.coordinator)
    data = client.get(f"{API}/organisations/{shop.code}").json()
    assert data["name"] == "Butik AB"
    assert data["sector"] == "retail"
    assert data["country"] == "SE"
    assert data["member_of"] == {
        "code": str(umbrella.code),
        "name": "Svensk Handel",
        "kind": "umbrella",
        "country": "SE",
    }


@pytest.mark.parametrize("persona", ["outsider", "member", "viewer", "coordinator"])
def test_organisation_of_b_is_not_found(client, world, persona):
    client.force_login(getattr(world, persona))
    response = client.get(f"{API}/organisations/{world.org_b.code}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_organisation_needs_authentication(client, world):
    assert client.get(f"{API}/organisations").status_code == 401
    assert client.get(f"{API}/organisations/{world.org_police_a.code}").status_code == 401


def test_organisation_list_queries_do_not_grow(client, world, django_assert_max_num_queries):
    from safepact.partnerships.services import partner_add

    def grow(start, n):
        for i in range(start, start + n):
            org = make_org(world.coordinator, f"Org {i:02d}", "ngo", "SE")
            partner_add(actor=world.coordinator, partnership=world.partnership_a, organisation=org)

    client.force_login(world.viewer)
    grow(0, 3)
    with django_assert_max_num_queries(4):
        assert client.get(f"{API}/organisations?limit=100").json()["count"] == 6
    grow(3, 27)
    with django_assert_max_num_queries(4):
        assert client.get(f"{API}/organisations?limit=100").json()["count"] == 33


# Authentication ---------------------------------------------------------------------------------


def test_bearer_token(world):
    _token, secret = api_token_create(user=world.member, name="script")
    client = Client()
    response = client.get(f"{API}/me", **bearer(secret))
    assert response.status_code == 200
    assert response.json()["email"] == world.member.email
    assert client.get(f"{API}/partnerships/{world.partnership_a.code}", **bearer(secret)).status_code == 200
    assert client.get(f"{API}/partnerships/{world.partnership_b.code}", **bearer(secret)).status_code == 404


def test_bearer_token_write_needs_no_csrf(world):
    _token, secret = api_token_create(user=world.coordinator, name="script")
    client = Client(enforce_csrf_checks=True)
    body = {
        "organisation": str(world.org_police_a.code),
        "name": "Via token",
        "purpose": "p",
        "country": "SE",
    }
    response = client.post(
        f"{API}/partnerships", data=json.dumps(body), content_type="application/json", **bearer(secret)
    )
    assert response.status_code == 201, response.content


def test_revoked_token_is_refused(world):
    token, secret = api_token_create(user=world.member, name="script")
    api_token_revoke(user=world.member, token=token)
    response = Client().get(f"{API}/me", **bearer(secret))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "header",
    ["Bearer sp_not-a-real-token", "Bearer ", "Bearer", "Basic dXNlcjpwYXNz", "sp_x", "Token sp_abc"],
)
def test_bad_credentials_are_refused(world, header):
    response = Client().get(f"{API}/me", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401


def test_token_of_an_inactive_person_is_refused(world):
    _token, secret = api_token_create(user=world.member, name="script")
    world.member.is_active = False
    world.member.save(update_fields=["is_active"])
    assert Client().get(f"{API}/me", **bearer(secret)).status_code == 401


def test_session_write_without_csrf_token_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.coordinator)
    before = (Partnership.objects.count(), AuditEvent.objects.count())
    body = {"organisation": str(world.org_police_a.code), "name": "CSRF", "purpose": "p", "country": "SE"}
    response = client.post(f"{API}/partnerships", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf"
    assert (Partnership.objects.count(), AuditEvent.objects.count()) == before
    # A patch too.
    response = client.patch(
        f"{API}/partnerships/{world.partnership_a.code}",
        data=json.dumps({"region": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    # Reads need no token.
    assert client.get(f"{API}/me").status_code == 200


def test_session_write_with_csrf_token_works(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.coordinator)
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    body = {
        "organisation": str(world.org_police_a.code),
        "name": "With CSRF",
        "purpose": "p",
        "country": "SE",
    }
    response = client.post(
        f"{API}/partnerships",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=_mask_cipher_secret(secret),
    )
    assert response.status_code == 201, response.content


def test_anonymous_write_is_401_not_csrf(world):
    client = Client(enforce_csrf_checks=True)
    body = {"organisation": str(world.org_police_a.code), "name": "X", "purpose": "p", "country": "SE"}
    response = client.post(f"{API}/partnerships", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 401
