"""The partnership API: the role matrix on every endpoint, then each endpoint's own behaviour.

Personas (conftest ``world``): coordinator, member and viewer of partnership A; coordinator_b of B;
outsider in none; plus anonymous.
"""

import json
from dataclasses import dataclass

import pytest

from conftest import PASSWORD, make_org
from safepact.audit.models import AuditEvent
from safepact.partnerships.models import Invitation, Membership, Partner, Partnership
from safepact.partnerships.services import invitation_create

API = "/api/v1"


def call(client, method, path, body=None):
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


@dataclass
class Extra:
    """Objects in partnership A the endpoints need, besides the personas."""

    new_org: object  # the coordinator's own organisation, not yet a partner of A
    invitation: object  # a pending invitation in A


@pytest.fixture
def extra(world):
    new_org = make_org(world.coordinator, "Sofielund Handel AB", "business", "SE")
    invitation, _token = invitation_create(
        actor=world.coordinator,
        partnership=world.partnership_a,
        email="someone@later.example",
        role="member",
        organisation=world.org_city_a,
    )
    return Extra(new_org=new_org, invitation=invitation)


# The role matrix ------------------------------------------------------------------------------
# (method, path, body, who may): "read" = any member, "manage" = coordinators only.


def endpoints(w, x):
    a = f"{API}/partnerships/{w.partnership_a.code}"
    partner = f"{a}/partners/{w.membership_viewer.partner.code}"
    member = f"{a}/members/{w.membership_viewer.code}"
    return {
        "partnership detail": ("get", a, None, "read"),
        "partnership patch": ("patch", a, {"region": "Skåne län", "reason": "official name"}, "manage"),
        "partner list": ("get", f"{a}/partners", None, "read"),
        "partner add": ("post", f"{a}/partners", {"organisation": str(x.new_org.code)}, "manage"),
        "partner detail": ("get", partner, None, "read"),
        "partner patch": ("patch", partner, {"status": "suspended", "reason": "unpaid dues"}, "manage"),
        "member list": ("get", f"{a}/members", None, "read"),
        "member detail": ("get", member, None, "read"),
        "member patch": (
            "patch",
            member,
            {"role": "member", "reason": "now contributes", "password": PASSWORD},
            "manage",
        ),
        "invitation list": ("get", f"{a}/invitations", None, "manage"),
        "invitation create": (
            "post",
            f"{a}/invitations",
            {"email": "new.person@city.example", "role": "viewer", "organisation": str(w.org_city_a.code)},
            "manage",
        ),
        "invitation revoke": ("post", f"{a}/invitations/{x.invitation.code}/revoke", None, "manage"),
    }


ENDPOINTS = [
    "partnership detail",
    "partnership patch",
    "partner list",
    "partner add",
    "partner detail",
    "partner patch",
    "member list",
    "member detail",
    "member patch",
    "invitation list",
    "invitation create",
    "invitation revoke",
]
SUCCESS = {"get": 200, "patch": 200, "post": 201}


def expected_status(persona, method, need):
    if persona == "anonymous":
        return 401
    if persona in ("outsider", "coordinator_b"):
        return 404
    if persona == "viewer":
        return 403 if (method != "get" or need == "manage") else 200
    if persona == "member":
        return 403 if need == "manage" else 200
    return 200 if method != "post" or need == "read" else 201


@pytest.mark.parametrize(
    "persona", ["anonymous", "outsider", "coordinator_b", "viewer", "member", "coordinator"]
)
@pytest.mark.parametrize("name", ENDPOINTS)
def test_role_matrix(client, world, extra, persona, name):
    method, path, body, need = endpoints(world, extra)[name]
    if name == "invitation revoke":
        expected = expected_status(persona, "post", need)
        expected = 200 if expected == 201 else expected
    else:
        expected = expected_status(persona, method, need)
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    before = AuditEvent.objects.count()

    response = call(client, method, path, body)

    assert response.status_code == expected, response.content
    data = response.json()
    if expected >= 400:
        assert set(data) >= {"detail", "code"}
        assert data["code"] == {401: "unauthenticated", 403: "forbidden", 404: "not_found"}[expected]
        assert AuditEvent.objects.count() == before, "a refused request must change nothing"
    elif method != "get":
        assert AuditEvent.objects.count() > before, "every write leaves an audit event"


def test_outsider_learns_nothing_from_404(client, world, extra):
    """An unknown code and someone else's partnership answer exactly alike."""
    client.force_login(world.outsider)
    theirs = client.get(f"{API}/partnerships/{world.partnership_a.code}")
    unknown = client.get(f"{API}/partnerships/00000000-0000-4000-8000-000000000000")
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json() == unknown.json()


# Partnerships -----------------------------------------------------------------------------------


def test_list_shows_my_partnerships_with_my_role(client, world):
    client.force_login(world.viewer)
    data = client.get(f"{API}/partnerships").json()
    assert data["count"] == 1
    [item] = data["items"]
    assert item["code"] == str(world.partnership_a.code)
    assert item["my_role"] == "viewer"
    assert item["active_partner_count"] == 3
    assert item["country"] == "SE"
    assert item["crime_areas"] == ["burglary", "nuisance"]
    assert "id" not in item


def test_list_is_empty_for_the_outsider_and_separate_for_b(client, world):
    client.force_login(world.outsider)
    assert client.get(f"{API}/partnerships").json() == {"items": [], "count": 0}
    client.force_login(world.coordinator_b)
    data = client.get(f"{API}/partnerships").json()
    assert [i["code"] for i in data["items"]] == [str(world.partnership_b.code)]
    assert data["items"][0]["my_role"] == "coordinator"


def test_list_paginates(client, world):
    from safepact.partnerships.services import partnership_create

    for n in range(4):
        partnership_create(
            actor=world.coordinator,
            organisation=world.org_police_a,
            name=f"Extra {n}",
            purpose="p",
            country="SE",
        )
    client.force_login(world.coordinator)
    first = client.get(f"{API}/partnerships?limit=2").json()
    rest = client.get(f"{API}/partnerships?limit=2&offset=2").json()
    assert first["count"] == rest["count"] == 5
    assert len(first["items"]) == 2 and len(rest["items"]) == 2
    assert not {i["code"] for i in first["items"]} & {i["code"] for i in rest["items"]}
    assert client.get(f"{API}/partnerships?limit=0").status_code == 422
    assert client.get(f"{API}/partnerships?offset=-1").status_code == 422


def test_detail_shows_my_role(client, world):
    client.force_login(world.member)
    data = client.get(f"{API}/partnerships/{world.partnership_a.code}").json()
    assert data["my_role"] == "member"
    assert data["name"] == "Sofielund safety partnership"


def test_create_partnership_makes_me_coordinator(client, world):
    client.force_login(world.member)
    body = {
        "organisation": str(world.org_city_a.code),
        "name": "  Möllevången  ",
        "purpose": "Safer nights.",
        "country": "se",
        "crime_areas": ["alcohol_drugs", "nuisance"],
        "listing": "public",
    }
    response = call(client, "post", f"{API}/partnerships", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["name"] == "Möllevången"
    assert data["country"] == "SE"
    assert data["my_role"] == "coordinator"
    assert data["listing"] == "public"
    assert data["active_partner_count"] == 1
    created = Partnership.objects.get(code=data["code"])
    assert AuditEvent.objects.filter(
        partnership_code=str(created.code), action="partnerships.partnership.created"
    ).exists()


def test_viewer_may_start_a_partnership_of_their_own(client, world):
    """Starting a partnership is not a write inside A: any person may, for their own organisation."""
    client.force_login(world.viewer)
    body = {"organisation": str(world.org_shop_a.code), "name": "Shop watch", "purpose": "p", "country": "SE"}
    assert call(client, "post", f"{API}/partnerships", body).status_code == 201


@pytest.mark.parametrize("whose", ["org_city_a", "org_b", "org_outsider"])
def test_create_needs_one_of_my_own_organisations(client, world, whose):
    """A partner organisation I can see, and one I cannot, are refused alike (422 on the field)."""
    client.force_login(world.coordinator)
    before = (Partnership.objects.count(), AuditEvent.objects.count())
    body = {"organisation": str(getattr(world, whose).code), "name": "X", "purpose": "p", "country": "SE"}
    response = call(client, "post", f"{API}/partnerships", body)
    assert response.status_code == 422
    assert response.json()["fields"] == {"organisation": ["Choose one of your own organisations."]}
    assert (Partnership.objects.count(), AuditEvent.objects.count()) == before


def test_anonymous_cannot_create(client, world):
    body = {"organisation": str(world.org_police_a.code), "name": "X", "purpose": "p", "country": "SE"}
    assert call(client, "post", f"{API}/partnerships", body).status_code == 401


GOOD = {"name": "New", "purpose": "Purpose.", "country": "SE"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"purpose": "p", "country": "SE"}, "name"),
        ({**GOOD, "name": ""}, "name"),
        ({**GOOD, "name": "   "}, "name"),
        ({**GOOD, "name": "x" * 201}, "name"),
        ({**GOOD, "name": 12}, "name"),
        ({**GOOD, "purpose": None}, "purpose"),
        ({**GOOD, "country": "XX"}, "country"),
        ({**GOOD, "country": "Sweden"}, "country"),
        ({**GOOD, "crime_areas": "burglary"}, "crime_areas"),
        ({**GOOD, "crime_areas": ["burglary", "arson"]}, "crime_areas.1"),
        ({**GOOD, "listing": "secret"}, "listing"),
        ({**GOOD, "region": "r" * 121}, "region"),
        ({**GOOD, "organisation": "not-a-uuid"}, "organisation"),
    ],
)
def test_create_rejects_bad_input_and_stores_nothing(client, world, body, field):
    client.force_login(world.coordinator)
    body = {"organisation": str(world.org_police_a.code), **body}
    before = (Partnership.objects.count(), AuditEvent.objects.count())
    response = call(client, "post", f"{API}/partnerships", body)
    assert response.status_code == 422, response.content
    data = response.json()
    assert data["code"] == "invalid"
    assert data["detail"].startswith(f"{field}:"), data["detail"]
    assert (Partnership.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize(
    ("raw", "status"),
    [("{not json", 400), ("[1, 2]", 422), ('"a string"', 422), ("", 422)],
)
def test_create_rejects_malformed_bodies(client, world, raw, status):
    client.force_login(world.coordinator)
    before = Partnership.objects.count()
    response = client.post(f"{API}/partnerships", data=raw, content_type="application/json")
    assert response.status_code == status, response.content
    assert response.json()["detail"]
    assert "code" in response.json()
    assert Partnership.objects.count() == before


def test_patch_changes_only_what_is_sent(client, world):
    client.force_login(world.coordinator)
    a = world.partnership_a
    body = {"status": "active", "crime_areas": ["burglary"], "reason": "kick-off held"}
    response = call(client, "patch", f"{API}/partnerships/{a.code}", body)
    assert response.status_code == 200, response.content
    a.refresh_from_db()
    assert (a.status, a.crime_areas, a.name) == ("active", ["burglary"], "Sofielund safety partnership")
    event = AuditEvent.objects.filter(action="partnerships.partnership.updated").latest("seq")
    assert event.reason == "kick-off held"
    assert event.after == {"status": "active", "crime_areas": ["burglary"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "exploded"}, "status"),
        ({"listing": "everyone"}, "listing"),
        ({"name": None}, "name"),
        ({"name": "n" * 201}, "name"),
        ({"crime_areas": ["arson"]}, "crime_areas.0"),
        ({"country": "ZZ"}, "country"),
        ({"reason": 5}, "reason"),
        ({"nmae": "Typo"}, "nmae"),
        ({"code": "00000000-0000-4000-8000-000000000000"}, "code"),
    ],
)
def test_patch_rejects_bad_input(client, world, body, field):
    client.force_login(world.coordinator)
    a = world.partnership_a
    before = AuditEvent.objects.count()
    response = call(client, "patch", f"{API}/partnerships/{a.code}", body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{field}:")
    assert AuditEvent.objects.count() == before
    fresh = Partnership.objects.get(pk=a.pk)
    assert (fresh.status, fresh.listing, fresh.name) == (a.status, a.listing, a.name)


@pytest.mark.parametrize(
    "path",
    [
        "/partnerships/not-a-uuid",
        "/partnerships/{a}/partners/123",
        "/partnerships/{a}/members/zz",
        "/partnerships/{a}/invitations/%20/revoke",
        "/organisations/1",
    ],
)
def test_malformed_codes_never_500(client, world, path):
    client.force_login(world.coordinator)
    path = API + path.format(a=world.partnership_a.code)
    method = "post" if path.endswith("revoke") else "get"
    response = getattr(client, method)(path)
    assert response.status_code in (404, 422)
    assert response.json()["detail"]


# Partners -------------------------------------------------------------------------------------


def test_partner_list_and_detail(client, world):
    client.force_login(world.viewer)
    a = world.partnership_a
    data = client.get(f"{API}/partnerships/{a.code}/partners").json()
    assert data["count"] == 3
    names = [p["organisation"]["name"] for p in data["items"]]
    assert names == sorted(names)
    shop = next(p for p in data["items"] if p["organisation"]["code"] == str(world.org_shop_a.code))
    assert shop["status"] == "active"
    assert shop["member_count"] == 1
    detail = client.get(f"{API}/partnerships/{a.code}/partners/{shop['code']}").json()
    assert detail == shop


def test_partner_of_b_is_not_found_through_a(client, world):
    client.force_login(world.coordinator)
    partner_b = Partner.objects.get(partnership=world.partnership_b)
    response = client.get(f"{API}/partnerships/{world.partnership_a.code}/partners/{partner_b.code}")
    assert response.status_code == 404


def test_add_partner(client, world, extra):
    client.force_login(world.coordinator)
    a = world.partnership_a
    response = call(
        client, "post", f"{API}/partnerships/{a.code}/partners", {"organisation": str(extra.new_org.code)}
    )
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "candidate"
    assert data["member_count"] == 0
    assert data["organisation"]["name"] == "Sofielund Handel AB"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"organisation": "new", "status": "suspended"}, "status"),
        ({"organisation": "new", "status": "bogus"}, "status"),
        ({"organisation": "org_b"}, "organisation"),
        ({"organisation": "00000000-0000-4000-8000-000000000000"}, "organisation"),
        ({"organisation": "org_city_a"}, "organisation"),  # already a partner
        ({}, "organisation"),
    ],
)
def test_add_partner_rejects_bad_input(client, world, extra, body, field):
    client.force_login(world.coordinator)
    codes = {"new": extra.new_org.code, "org_b": world.org_b.code, "org_city_a": world.org_city_a.code}
    if "organisation" in body:
        body = {**body, "organisation": str(codes.get(body["organisation"], body["organisation"]))}
    before = (Partner.objects.count(), AuditEvent.objects.count())
    response = call(client, "post", f"{API}/partnerships/{world.partnership_a.code}/partners", body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{field}:"), response.json()
    assert (Partner.objects.count(), AuditEvent.objects.count()) == before


def test_partner_status_change_and_its_reason(client, world):
    client.force_login(world.coordinator)
    path = f"{API}/partnerships/{world.partnership_a.code}/partners/{world.membership_viewer.partner.code}"
    response = call(client, "patch", path, {"status": "suspended"})
    assert response.status_code == 422
    assert response.json()["fields"] == {"reason": ["Give a reason for suspending or withdrawing a partner."]}
    assert (
        call(client, "patch", path, {"status": "gone", "reason": "x"}).json()["detail"].startswith("status:")
    )
    response = call(client, "patch", path, {"status": "suspended", "reason": "Did not sign."})
    assert response.status_code == 200
    assert response.json()["status"] == "suspended"
    # The viewer's access went with their organisation's.
    client.force_login(world.viewer)
    assert client.get(f"{API}/partnerships/{world.partnership_a.code}").status_code == 404


# Members --------------------------------------------------------------------------------------


def test_member_list_and_detail(client, world):
    client.force_login(world.viewer)
    a = world.partnership_a
    data = client.get(f"{API}/partnerships/{a.code}/members").json()
    assert data["count"] == 3
    assert {m["person"]["email"] for m in data["items"]} == {
        world.coordinator.email,
        world.member.email,
        world.viewer.email,
    }
    viewer = next(m for m in data["items"] if m["code"] == str(world.membership_viewer.code))
    assert viewer["role"] == "viewer"
    assert viewer["organisation"]["code"] == str(world.org_shop_a.code)
    assert viewer["partner_code"] == str(world.membership_viewer.partner.code)
    assert client.get(f"{API}/partnerships/{a.code}/members/{viewer['code']}").json() == viewer


def test_member_role_and_status_in_one_go(client, world):
    client.force_login(world.coordinator)
    path = f"{API}/partnerships/{world.partnership_a.code}/members/{world.membership_member.code}"
    response = call(
        client,
        "patch",
        path,
        {"role": "viewer", "status": "suspended", "reason": "On leave.", "password": PASSWORD},
    )
    assert response.status_code == 200, response.content
    assert (response.json()["role"], response.json()["status"]) == ("viewer", "suspended")


def test_member_patch_is_all_or_nothing(client, world):
    """A valid role with an invalid status change (no reason) changes neither."""
    client.force_login(world.coordinator)
    path = f"{API}/partnerships/{world.partnership_a.code}/members/{world.membership_member.code}"
    before = AuditEvent.objects.count()
    response = call(
        client, "patch", path, {"role": "coordinator", "status": "suspended", "password": PASSWORD}
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {"reason": ["Give a reason for suspending a member."]}
    assert Membership.objects.get(pk=world.membership_member.pk).role == "member"
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "boss"}, "role"),
        ({"status": "banned", "reason": "x"}, "status"),
        ({}, "role"),
        ({"reason": "x"}, "role"),
    ],
)
def test_member_patch_rejects_bad_input(client, world, body, field):
    client.force_login(world.coordinator)
    path = f"{API}/partnerships/{world.partnership_a.code}/members/{world.membership_member.code}"
    response = call(client, "patch", path, body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{field}:"), response.json()


def test_last_coordinator_cannot_step_down(client, world):
    client.force_login(world.coordinator)
    mine = Membership.objects.get(user=world.coordinator, partner__partnership=world.partnership_a)
    path = f"{API}/partnerships/{world.partnership_a.code}/members/{mine.code}"
    response = call(client, "patch", path, {"role": "member", "password": PASSWORD})
    assert response.status_code == 422
    assert "coordinator" in response.json()["detail"]
    assert Membership.objects.get(pk=mine.pk).role == "coordinator"


# Invitations ----------------------------------------------------------------------------------


def test_invitation_create_never_returns_the_token(
    client, world, monkeypatch, django_capture_on_commit_callbacks
):
    from safepact.partnerships import services

    sent = []
    monkeypatch.setattr(
        services, "_send_invitation_email", lambda invitation, token, language: sent.append(token)
    )
    client.force_login(world.coordinator)
    body = {
        "email": "  Nina.New@Fastighet.example ",
        "role": "member",
        "message": "Welcome!",
        "new_organisation": {"name": "Fastighet AB", "kind": "business", "country": "SE"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = call(client, "post", f"{API}/partnerships/{world.partnership_a.code}/invitations", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["email"] == "nina.new@fastighet.example"
    assert data["state"] == "pending"
    assert data["organisation"]["name"] == "Fastighet AB"
    assert data["invited_by"]["code"] == str(world.coordinator.code)
    assert not {"token", "token_hash", "id"} & set(data)
    [token] = sent
    assert token not in response.content.decode()
    listing = client.get(f"{API}/partnerships/{world.partnership_a.code}/invitations")
    assert token not in listing.content.decode()
    invitation = Invitation.objects.get(code=data["code"])
    assert invitation.token_hash not in listing.content.decode()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "organisation": "city"}, "email"),
        ({"organisation": "city"}, "email"),
        ({"email": "a@" + "b" * 260 + ".example", "organisation": "city"}, "email"),
        ({"email": "x@y.example", "role": "admin", "organisation": "city"}, "role"),
        ({"email": "x@y.example"}, "organisation"),
        (
            {
                "email": "x@y.example",
                "organisation": "city",
                "new_organisation": {"name": "N", "kind": "ngo", "country": "SE"},
            },
            "organisation",
        ),
        (
            {"email": "x@y.example", "new_organisation": {"name": "N", "kind": "pirate", "country": "SE"}},
            "new_organisation.kind",
        ),
        (
            {"email": "x@y.example", "new_organisation": {"name": "", "kind": "ngo", "country": "SE"}},
            "new_organisation.name",
        ),
        (
            {"email": "x@y.example", "new_organisation": {"kind": "ngo", "country": "SE"}},
            "new_organisation.name",
        ),
        ({"email": "x@y.example", "organisation": "org_b"}, "organisation"),
        ({"email": "x@y.example", "organisation": "city", "message": "m" * 5001}, "message"),
        ({"email": "member@city.example", "organisation": "city"}, "email"),  # already a member
    ],
)
def test_invitation_create_rejects_bad_input(client, world, body, field):
    client.force_login(world.coordinator)
    codes = {"city": str(world.org_city_a.code), "org_b": str(world.org_b.code)}
    if "organisation" in body:
        body = {**body, "organisation": codes[body["organisation"]]}
    from safepact.accounts.models import Organisation

    before = (
        Invitation.objects.count(),
        Organisation.objects.count(),
        Partner.objects.count(),
        AuditEvent.objects.count(),
    )
    response = call(client, "post", f"{API}/partnerships/{world.partnership_a.code}/invitations", body)
    assert response.status_code == 422, response.content
    assert response.json()["detail"].startswith(f"{field}:"), response.json()
    after = (
        Invitation.objects.count(),
        Organisation.objects.count(),
        Partner.objects.count(),
        AuditEvent.objects.count(),
    )
    assert after == before


def test_revoke_then_revoke_again(client, world, extra):
    client.force_login(world.coordinator)
    path = f"{API}/partnerships/{world.partnership_a.code}/invitations/{extra.invitation.code}/revoke"
    response = client.post(path)
    assert response.status_code == 200
    assert response.json()["state"] == "revoked"
    again = client.post(path)
    assert again.status_code == 422
    assert again.json()["detail"] == "This invitation is no longer open."


def test_invitation_of_b_cannot_be_revoked_through_a(client, world):
    invitation_b, _token = invitation_create(
        actor=world.coordinator_b,
        partnership=world.partnership_b,
        email="b@b.example",
        new_organisation={"name": "B shop", "kind": "business", "country": "NL"},
    )
    client.force_login(world.coordinator)
    response = client.post(
        f"{API}/partnerships/{world.partnership_a.code}/invitations/{invitation_b.code}/revoke"
    )
    assert response.status_code == 404
    assert Invitation.objects.get(pk=invitation_b.pk).revoked_at is None


# Query counts: a list costs the same for 3 items as for 30 ------------------------------------


def _grow_partners(world, n, start=0):
    for i in range(start, start + n):
        org = make_org(world.coordinator, f"Shop {i:02d}", "business", "SE")
        from safepact.partnerships.services import partner_add

        partner_add(
            actor=world.coordinator, partnership=world.partnership_a, organisation=org, status="active"
        )


def _grow_members(world, n, start=0):
    from conftest import add_member, make_user

    for i in range(start, start + n):
        user = make_user(f"extra{i:02d}@city.example", f"Extra Person {i:02d}", password=None)
        add_member(
            coordinator=world.coordinator,
            partnership=world.partnership_a,
            user=user,
            role="member",
            organisation=world.org_city_a,
        )


def _grow_invitations(world, n, start=0):
    for i in range(start, start + n):
        invitation_create(
            actor=world.coordinator,
            partnership=world.partnership_a,
            email=f"invitee{i:02d}@x.example",
            organisation=world.org_city_a,
        )


def _grow_partnerships(world, n, start=0):
    from safepact.partnerships.services import partnership_create

    for i in range(start, start + n):
        partnership_create(
            actor=world.coordinator,
            organisation=world.org_police_a,
            name=f"P {i:02d}",
            purpose="p",
            country="SE",
        )


@pytest.mark.parametrize(
    ("path", "grow", "total", "bound"),
    [
        ("/partnerships", _grow_partnerships, lambda n: n + 1, 4),
        ("/partnerships/{a}/partners", _grow_partners, lambda n: n + 3, 5),
        ("/partnerships/{a}/members", _grow_members, lambda n: n + 3, 5),
        ("/partnerships/{a}/invitations", _grow_invitations, lambda n: n + 2, 5),
    ],
)
def test_list_queries_do_not_grow(client, world, django_assert_max_num_queries, path, grow, total, bound):
    client.force_login(world.coordinator)
    url = API + path.format(a=world.partnership_a.code) + "?limit=100"
    grow(world, 3)
    with django_assert_max_num_queries(bound):
        assert client.get(url).json()["count"] == total(3)
    grow(world, 27, start=3)
    with django_assert_max_num_queries(bound):
        assert client.get(url).json()["count"] == total(30)


def test_member_changes_need_the_password(client, world):
    """Like the page's sudo window: a token or session alone does not change roles, status or the flag."""
    client.force_login(world.coordinator)
    path = f"{API}/partnerships/{world.partnership_a.code}/members/{world.membership_member.code}"
    before = AuditEvent.objects.count()
    for body in ({"role": "viewer"}, {"is_signatory": True}, {"role": "viewer", "password": "guess"}):
        response = call(client, "patch", path, body)
        assert response.status_code == 422, body
        assert response.json()["detail"].startswith("password:")
    membership = Membership.objects.get(pk=world.membership_member.pk)
    assert (membership.role, membership.is_signatory) == ("member", False)
    assert AuditEvent.objects.count() == before
