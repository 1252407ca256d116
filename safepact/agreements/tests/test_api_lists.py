"""Agreements API: list pagination and query counts that do not grow with the data, malformed bodies
refused cleanly (never 500), and CSRF for browser-session writes (a bearer token needs none)."""

import json

import pytest
from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
from django.test import Client

from conftest import PASSWORD, add_member, make_user
from safepact.accounts.services import api_token_create
from safepact.agreements import services
from safepact.agreements.models import Agreement, Signature
from safepact.agreements.tests import support
from safepact.agreements.tests.test_api_access import Things, base, call, endpoints, things, url  # noqa: F401
from safepact.audit.models import AuditEvent
from safepact.formation.tests.objectives_support import add_partners

# Query counts --------------------------------------------------------------------------------------


def newcomers(world, n: int) -> list:
    """``n`` new partner organisations of A, each with an authorised signatory (a member)."""
    people = []
    for i in range(n):
        person = make_user(f"signatory{i}@newcomer{i}.example", f"Signatory {i}")
        membership = add_member(
            coordinator=world.coordinator,
            partnership=world.partnership_a,
            user=person,
            role="member",
            new_organisation={"name": f"Newcomer {i:02d}", "kind": "business", "country": "SE"},
        )
        support.make_signatory(membership)
        people.append(person)
    return people


@pytest.mark.parametrize("size", [1, 6])
def test_agreement_list_query_count_does_not_grow(client, world, django_assert_max_num_queries, size):
    support.signatories(world)
    for i in range(size):
        agreement = support.draft(world, title=f"Agreement {i}")
        services.version_save(actor=world.coordinator, agreement=support.reload(agreement), body=f"# A {i}\n")
        if i % 2:
            support.sign(world.coordinator, support.to_signing(world, support.draft(world)))
    client.force_login(world.viewer)
    with django_assert_max_num_queries(6):
        response = client.get(f"{base(world)}/agreements")
    data = response.json()
    assert data["count"] == Agreement.objects.count() >= size
    assert all(item["counts"]["parties"] == 3 for item in data["items"])


@pytest.mark.parametrize("size", [1, 10])
def test_version_list_query_count_does_not_grow(client, world, django_assert_max_num_queries, size):
    agreement = support.draft(world)
    for i in range(size - 1):
        services.version_save(actor=world.coordinator, agreement=support.reload(agreement), body=f"# V{i}\n")
    client.force_login(world.viewer)
    with django_assert_max_num_queries(7):
        response = client.get(url(world, agreement, "/versions"))
    assert response.json()["count"] == size
    assert {v["created_by"] for v in response.json()["items"]} == {"Cora Coordinator"}


@pytest.mark.parametrize("extra", [0, 8])
def test_party_list_query_count_does_not_grow(client, world, django_assert_max_num_queries, extra):
    add_partners(world, extra)
    support.signatories(world)
    agreement = support.to_signing(world, support.draft(world))
    support.sign(world.coordinator, agreement)
    client.force_login(world.viewer)
    with django_assert_max_num_queries(7):
        response = client.get(url(world, agreement, "/parties"))
    items = response.json()["items"]
    assert len(items) == 3 + extra
    assert [p["organisation"] for p in items if p["signed_at"]] == ["Polisen Malmö"]


@pytest.mark.parametrize("extra", [0, 4])
def test_signature_list_query_count_does_not_grow(client, world, django_assert_max_num_queries, extra):
    agreement = support.in_force(world)
    for person in newcomers(world, extra):
        services.agreement_accede(actor=person, agreement=support.reload(agreement), reauthenticated=True)
    client.force_login(world.viewer)
    with django_assert_max_num_queries(7):
        response = client.get(url(world, agreement, "/signatures"))
    assert response.json()["count"] == 2 + extra == Signature.objects.count()


@pytest.mark.parametrize("size", [1, 10])
def test_comment_list_query_count_does_not_grow(client, world, django_assert_max_num_queries, size):
    agreement = support.draft(world)
    services.agreement_submit_for_review(actor=world.coordinator, agreement=support.reload(agreement))
    for i in range(size):
        author = world.member if i % 2 else world.coordinator
        services.comment_add(
            actor=author, agreement=support.reload(agreement), section="", body=f"Remark {i}"
        )
    client.force_login(world.viewer)
    with django_assert_max_num_queries(7):
        response = client.get(url(world, agreement, "/comments"))
    assert response.json()["count"] == size
    assert {c["organisation"] for c in response.json()["items"]} == (
        {"Polisen Malmö"} if size == 1 else {"Polisen Malmö", "Malmö stad"}
    )


def test_lists_paginate(client, world):
    for i in range(3):
        support.draft(world, title=f"Agreement {i}")
    client.force_login(world.viewer)
    page = client.get(f"{base(world)}/agreements?limit=2&offset=1").json()
    assert page["count"] == 3 and [a["title"] for a in page["items"]] == ["Agreement 1", "Agreement 0"]
    assert client.get(f"{base(world)}/agreements?limit=0").status_code == 422


# Malformed bodies ----------------------------------------------------------------------------------

WRITES = [
    "create", "patch", "transition", "version save", "party add", "party patch", "withdraw", "sign", "accede",
    "comment add", "settings put",
]  # fmt: skip


@pytest.mark.parametrize("name", WRITES)
def test_malformed_bodies_are_refused_not_500(client, world, things, name):  # noqa: F811
    method, path, _body, _allowed = endpoints(world, things)[name]
    client.raise_request_exception = False
    client.force_login(world.coordinator)
    before = AuditEvent.objects.count()
    for body, statuses in [
        ("{not json", {400}),
        ("[1, 2]", {422}),
        ('"a string"', {422}),
        ("null", {422}),
        (json.dumps({"password": 12345, "kind": ["mou"], "action": None, "on_date": 5}), {422}),
        (json.dumps({"unknown_field": "x"}), {422}),
    ]:
        response = getattr(client, method)(path, body, content_type="application/json")
        assert response.status_code in statuses, (name, body, response.status_code, response.content[:200])
        assert {"detail", "code"} <= set(response.json())
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("patch", {"quorum": 10**30}, "quorum"),
        ("patch", {"title": ""}, "title"),
        ("patch", {"title": "x" * 201}, "title"),
        ("version save", {"body": "x" * 200_001}, "body"),
        ("version save", {"body": "   "}, "body"),
        ("transition", {"action": "publish"}, "action"),
        ("party add", {"partner": "not-a-code"}, "partner"),
        ("withdraw", {"on_date": "31/01/2030", "reason": "x"}, "on_date"),
        ("sign", {"password": "x" * 2000}, "password"),
        ("sign", {"password": PASSWORD, "otp": "1" * 17}, "otp"),
        ("comment add", {"body": "x" * 5001}, "body"),
        ("comment add", {"body": "ok", "version": 0}, "version"),
    ],
)
def test_out_of_range_values_name_the_field(client, world, things, name, body, field):  # noqa: F811
    method, path, _body, _allowed = endpoints(world, things)[name]
    client.force_login(world.coordinator)
    response = call(client, method, path, body)
    assert response.status_code == 422, response.content[:300]
    assert response.json()["detail"].startswith(field), response.json()["detail"]


# CSRF ----------------------------------------------------------------------------------------------


def test_session_writes_need_the_csrf_token(world):
    support.signatories(world)
    agreement = support.to_signing(world, support.draft(world))
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.coordinator)
    for path, body in [
        (f"{base(world)}/agreements", {"kind": "mou"}),
        (url(world, agreement, "/sign"), {"password": PASSWORD}),
    ]:
        response = client.post(path, data=json.dumps(body), content_type="application/json")
        assert response.status_code == 403 and response.json()["code"] == "csrf", response.content
    assert Agreement.objects.count() == 1 and not Signature.objects.exists()
    assert client.get(f"{base(world)}/agreements").status_code == 200, "reads need no token"

    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    response = client.post(
        url(world, agreement, "/sign"),
        data=json.dumps({"password": PASSWORD}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=_mask_cipher_secret(secret),
    )
    assert response.status_code == 201, response.content


def test_a_bearer_token_signs_without_csrf(world):
    support.signatories(world)
    agreement = support.to_signing(world, support.draft(world))
    _token, secret = api_token_create(user=world.member, name="signing script")
    response = Client(enforce_csrf_checks=True).post(
        url(world, agreement, "/sign"),
        data=json.dumps({"password": PASSWORD}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 201, response.content
    assert response.json()["organisation"] == "Malmö stad" and response.json()["method"] == "api"
    # The token alone is not enough: the password is still asked for.
    response = Client().post(
        url(world, agreement, "/sign"),
        data=json.dumps({"password": "the token is not the password"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 422
