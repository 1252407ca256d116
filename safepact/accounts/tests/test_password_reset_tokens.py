"""A new password (the reset-by-email flow) revokes the person's API tokens: whoever knew the old password
may have made one. Each revocation is audited; other people's tokens stay valid."""

from django.db import transaction

from safepact.accounts.forms import NewPasswordForm
from safepact.accounts.models import ApiToken
from safepact.accounts.services import api_token_create
from safepact.audit.models import AuditEvent

NEW = "a-brand-new-long-passphrase-42"


def bearer(client, secret):
    return client.get("/api/v1/partnerships", headers={"Authorization": f"Bearer {secret}"})


def test_a_password_reset_revokes_the_persons_api_tokens(client, world):
    with transaction.atomic():
        _mine, secret = api_token_create(user=world.member, name="script")
        _other, other_secret = api_token_create(user=world.coordinator, name="other script")
    assert bearer(client, secret).status_code == 200

    form = NewPasswordForm(world.member, {"new_password1": NEW, "new_password2": NEW})
    assert form.is_valid(), form.errors
    form.save()

    assert bearer(client, secret).status_code == 401
    assert bearer(client, other_secret).status_code == 200
    assert not ApiToken.objects.filter(user=world.member, revoked_at__isnull=True).exists()
    assert (
        AuditEvent.objects.filter(
            action="accounts.api_token.revoked", actor_code=str(world.member.code)
        ).count()
        == 1
    )
    world.member.refresh_from_db()
    assert world.member.check_password(NEW)
