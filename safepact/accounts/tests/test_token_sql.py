"""API tokens are looked up with hand-written SQL (``_token_sql``; the ORM took longer to build the query
than the database to answer it, on every API call). It must find exactly the tokens the ORM query finds."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safepact.accounts.models import ApiToken, hash_token
from safepact.accounts.services import (
    _active_token,
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
)
from safepact.lib import clock


def orm_reference(token_hash):
    return (
        ApiToken.objects.filter(token_hash=token_hash, revoked_at__isnull=True).select_related("user").first()
    )


def values(instance):
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


@pytest.mark.django_db
def test_the_sql_finds_what_the_orm_finds(world):
    _token, secret = api_token_create(user=world.member, name="ci")
    revoked, revoked_secret = api_token_create(user=world.member, name="old")
    api_token_revoke(user=world.member, token=revoked)
    ApiToken.objects.filter(pk=_token.pk).update(last_used_at=clock.now())
    for candidate in (secret, revoked_secret, "sp_unknown"):
        expected = orm_reference(hash_token(candidate))
        got = _active_token(hash_token(candidate))
        if expected is None:
            assert got is None
            continue
        assert values(got) == values(expected)
        assert values(got.user) == values(expected.user)
        assert type(got.last_used_at) is type(expected.last_used_at)
    assert _active_token(hash_token(revoked_secret)) is None
    assert _active_token(hash_token(secret)).user.email == world.member.email


@pytest.mark.django_db
def test_authenticating_is_one_query_when_the_token_was_used_a_moment_ago(world):
    _token, secret = api_token_create(user=world.member, name="ci")
    assert api_token_authenticate(secret) == world.member  # records last_used_at
    with CaptureQueriesContext(connection) as queries:
        assert api_token_authenticate(secret) == world.member
    assert len(queries) == 1


@pytest.mark.django_db
def test_an_inactive_persons_token_authenticates_nobody(world):
    _token, secret = api_token_create(user=world.member, name="ci")
    world.member.is_active = False
    world.member.save(update_fields=["is_active"])
    assert api_token_authenticate(secret) is None
