"""Writes for people, organisations, tokens and second factors. Each writes an audit event."""

import secrets
from functools import cache

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from safepact.accounts.models import (
    ApiToken,
    Organisation,
    OrganisationKind,
    OrganisationMembership,
    User,
    hash_token,
)
from safepact.audit.services import audit_record
from safepact.lib import clock
from safepact.lib.rows import ModelColumns, fetch_one, load_row


@transaction.atomic
def user_create(
    *, email: str, full_name: str, password: str | None, language: str = "en", actor=None
) -> User:
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("An account with this email address already exists.")})
    user = User(email=email, full_name=full_name.strip(), language=language)
    if password:
        from django.contrib.auth.password_validation import validate_password

        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(actor=actor or user, action="accounts.user.created", target=user, after={"email": email})
    return user


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    from django.conf import settings

    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Unsupported language.")})
    if user.language != language:
        before = user.language
        user.language = language
        user.save(update_fields=["language"])
        audit_record(
            actor=user,
            action="accounts.user.language_changed",
            target=user,
            before={"language": before},
            after={"language": language},
        )
    return user


@transaction.atomic
def organisation_create(
    *,
    actor,
    name: str,
    kind: str,
    country: str,
    sector: str = "other",
    registration_number: str = "",
    member_of: Organisation | None = None,
    join: bool = True,
) -> Organisation:
    """Create an organisation; with ``join`` the actor becomes one of its people."""
    if member_of is not None and member_of.kind != OrganisationKind.UMBRELLA:
        raise ValidationError({"member_of": _("Only a trade association or umbrella body can have members.")})
    organisation = Organisation(
        name=name.strip(),
        kind=kind,
        country=country,
        sector=sector,
        registration_number=registration_number.strip(),
        member_of=member_of,
    )
    organisation.full_clean()
    organisation.save()
    audit_record(
        actor=actor,
        action="accounts.organisation.created",
        target=organisation,
        after={"name": organisation.name, "kind": kind, "country": str(organisation.country)},
    )
    if join:
        organisation_membership_ensure(actor=actor, user=actor, organisation=organisation)
    return organisation


@transaction.atomic
def organisation_membership_ensure(
    *, actor, user: User, organisation: Organisation, **flags
) -> OrganisationMembership:
    membership, created = OrganisationMembership.objects.get_or_create(
        user=user, organisation=organisation, defaults=flags
    )
    if created:
        audit_record(
            actor=actor,
            action="accounts.organisation_membership.created",
            target=organisation,
            after={"user": user.email, **flags},
        )
    return membership


# API tokens ----------------------------------------------------------------------------------


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a personal token; returns it with its secret, which is shown once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name, so you recognise it later.")})
    secret = ApiToken.PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], token_hash=hash_token(secret), hint=secret[:10]
    )
    audit_record(actor=user, action="accounts.api_token.created", target=token, after={"name": token.name})
    return token, secret


@transaction.atomic
def api_token_revoke(*, user: User, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk, user=user)
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=user, action="accounts.api_token.revoked", target=token, after={"name": token.name}
        )
    return token


_TOKEN_COLUMNS = (ModelColumns(ApiToken, "t"), ModelColumns(User, "u"))


@cache
def _token_sql(alias: str) -> str:
    """The unrevoked token with this hash and its user, as SQL written once per connection (the ORM took
    longer to build the query than the database to answer it, on every API call);
    ``accounts/tests/test_token_sql.py`` compares it with the ORM's
    ``ApiToken.objects.filter(token_hash=..., revoked_at__isnull=True).select_related("user")``."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    token, user = _TOKEN_COLUMNS
    return (
        f"SELECT {token.sql(connection)}, {user.sql(connection)} "  # noqa: S608
        f"FROM {quote(ApiToken._meta.db_table)} t "
        f"JOIN {quote(User._meta.db_table)} u ON {user.column(connection, 'id')} = {token.column(connection, 'user')} "
        f"WHERE {token.column(connection, 'token_hash')} = %s AND {token.column(connection, 'revoked_at')} IS NULL"
    )


def _active_token(token_hash: str) -> ApiToken | None:
    row = fetch_one(DEFAULT_DB_ALIAS, _token_sql(DEFAULT_DB_ALIAS), (token_hash,))
    if row is None:
        return None
    (token, user), _rest = load_row(connections[DEFAULT_DB_ALIAS], _TOKEN_COLUMNS, row)
    token.user = user
    return token


def api_token_authenticate(secret: str) -> User | None:
    """The user behind a bearer token, or None. Records when the token was last used."""
    if not secret or not secret.startswith(ApiToken.PREFIX):
        return None
    token = _active_token(hash_token(secret))
    if token is None or not token.user.is_active:
        return None
    now = clock.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# Two-factor authentication ---------------------------------------------------------------------


def totp_device_start(*, user: User) -> TOTPDevice:
    """An unconfirmed TOTP device to enrol; replaces an earlier unconfirmed one."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def totp_device_confirm(*, user: User, device: TOTPDevice, token: str) -> TOTPDevice:
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError({"token": _("Start the set-up again.")})
    if not device.verify_token((token or "").replace(" ", "")):
        raise ValidationError(
            {"token": _("That code is not right. Check the time on your phone and try again.")}
        )
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=user, action="accounts.2fa.enabled", target=user)
    return device


@transaction.atomic
def totp_device_remove(*, user: User) -> None:
    deleted, _details = TOTPDevice.objects.filter(user=user).delete()
    if deleted:
        audit_record(actor=user, action="accounts.2fa.disabled", target=user)


# Profile, password and login records -------------------------------------------------------------


@transaction.atomic
def user_update_profile(*, user: User, full_name: str) -> User:
    """Change the name a person shows to others."""
    full_name = (full_name or "").strip()
    if not full_name:
        raise ValidationError({"full_name": _("Enter your name.")})
    if full_name != user.full_name:
        before = user.full_name
        user.full_name = full_name
        user.full_clean(exclude=["password"])
        user.save(update_fields=["full_name"])
        audit_record(
            actor=user,
            action="accounts.user.profile_changed",
            target=user,
            before={"full_name": before},
            after={"full_name": full_name},
        )
    return user


@transaction.atomic
def user_set_password(*, user: User, password: str, reason: str = "", revoke_tokens: bool = True) -> User:
    """Set a new password (validated); a new password also lifts a login lockout for this address.

    It also revokes the person's API tokens (``revoke_tokens``): a password is reset because it may be
    known to someone else, who may have made a token with it; tokens are cheap to make again.
    """
    from axes.utils import reset as axes_reset
    from django.contrib.auth.password_validation import validate_password

    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    axes_reset(username=user.email)
    audit_record(actor=user, action="accounts.user.password_changed", target=user, reason=reason)
    if revoke_tokens:
        for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
            api_token_revoke(user=user, token=token)
    return user


@transaction.atomic
def user_record_login(*, user: User, second_factor: bool = False) -> None:
    """Note a successful login on the platform trail (the IP comes from the request context)."""
    audit_record(actor=user, action="accounts.user.logged_in", target=user, after={"2fa": second_factor})


# Re-authentication -------------------------------------------------------------------------------


def user_reauthenticate(*, request, user: User, password: str, otp: str | None) -> None:
    """Confirm it is still ``user`` before a sensitive action taken without the browser's sudo window
    (signing an agreement through the API): the password, and the code of the authenticator app when
    the person has one. Raises ``ValidationError`` naming ``password`` or ``otp``.

    The password goes through ``authenticate()`` with the request, so django-axes counts a wrong one
    towards the same lockout as the sign-in page.
    """
    from django.contrib.auth import authenticate

    from safepact.accounts.policy import two_factor_required
    from safepact.accounts.selectors import totp_device_confirmed

    if not password:
        raise ValidationError({"password": _("Enter your password.")})
    confirmed = authenticate(request, username=user.email, password=password)
    if confirmed is None or confirmed.pk != user.pk:
        raise ValidationError({"password": _("That password is not right.")})
    device = totp_device_confirmed(user=user)
    if device is None:
        # A bearer token passes no 2FA middleware: whom the pages hold to an authenticator app (their
        # role requires one) cannot re-authenticate here with the password alone either.
        if two_factor_required(user):
            raise ValidationError(
                {
                    "otp": _(
                        "Your role requires two-factor authentication: set up an authenticator app on "
                        "your profile page first."
                    )
                }
            )
        return
    token = (otp or "").replace(" ", "")
    if not token:
        raise ValidationError({"otp": _("Enter the code from your authenticator app.")})
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        raise ValidationError(
            {"otp": _("Too many wrong codes in a short time. Wait a moment and try again.")}
        )
    if not device.verify_token(token):
        raise ValidationError({"otp": _("That code is not right.")})
