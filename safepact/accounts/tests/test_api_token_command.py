"""``manage.py api_token``: print a new token, or revoke one."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from safepact.accounts.models import ApiToken, hash_token
from safepact.accounts.services import api_token_authenticate, api_token_create
from safepact.audit.models import AuditEvent


def _run(*args):
    out, err = StringIO(), StringIO()
    call_command("api_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_prints_a_working_token(world):
    secret, note = _run(world.member.email, "--name", "Nightly export")
    assert secret.startswith("sp_")
    assert "shown once" in note
    token = ApiToken.objects.get(user=world.member)
    assert token.name == "Nightly export"
    assert token.token_hash == hash_token(secret)
    assert api_token_authenticate(secret) == world.member
    assert AuditEvent.objects.filter(
        action="accounts.api_token.created", target_code=str(token.code)
    ).exists()


def test_email_is_case_insensitive_and_name_has_a_default(world):
    secret, _note = _run(world.member.email.upper())
    assert api_token_authenticate(secret) == world.member
    assert ApiToken.objects.get(user=world.member).name == "Command-line token"


def test_unknown_email_is_a_clear_error(world):
    with pytest.raises(
        CommandError, match=r"No active account with the email address .nobody@nowhere\.example."
    ):
        _run("nobody@nowhere.example")
    assert not ApiToken.objects.exists()


def test_unknown_email_exits_non_zero(world, capsys):
    from safepact.accounts.management.commands.api_token import Command

    with pytest.raises(SystemExit) as exit_info:
        Command().run_from_argv(["manage.py", "api_token", "nobody@nowhere.example"])
    assert exit_info.value.code != 0
    assert "No active account" in capsys.readouterr().err


def test_revoke(world):
    token, secret = api_token_create(user=world.member, name="Old script")
    out, _note = _run(world.member.email, "--revoke", str(token.code))
    assert "is now revoked" in out
    assert api_token_authenticate(secret) is None
    out, _note = _run(world.member.email, "--revoke", str(token.code))
    assert "was already revoked" in out


@pytest.mark.parametrize("code", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_revoke_unknown_code_is_an_error(world, code):
    with pytest.raises(CommandError, match="has no token with code"):
        _run(world.member.email, "--revoke", code)


def test_cannot_revoke_someone_elses_token(world):
    token, secret = api_token_create(user=world.member, name="Not yours")
    with pytest.raises(CommandError, match="has no token with code"):
        _run(world.outsider.email, "--revoke", str(token.code))
    assert api_token_authenticate(secret) == world.member
