"""Create (or revoke) a personal API token from the command line.

python manage.py api_token someone@example.org --name "Nightly export"
python manage.py api_token someone@example.org --revoke 0b6f…-uuid
"""

from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from safepact.accounts.models import User
from safepact.accounts.selectors import api_token_for_user
from safepact.accounts.services import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Print a new personal API token for EMAIL (shown once), or revoke one with --revoke CODE."

    def add_arguments(self, parser):
        parser.add_argument("email", help="Email address of the person the token acts for.")
        parser.add_argument("--name", default="Command-line token", help="A name to recognise the token by.")
        parser.add_argument(
            "--revoke", metavar="CODE", help="Revoke the person's token with this code instead."
        )

    def handle(self, *args, email, name, revoke=None, **options):
        # A command-line operator has no requesting user: looking a person up by email is deliberate.
        user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
        if user is None:
            raise CommandError(f"No active account with the email address {email!r}.")
        if revoke:
            try:
                token = api_token_for_user(user=user, code=UUID(revoke))
            except (ValueError, Http404) as exc:  # bad UUID, or not this person's token
                raise CommandError(f"{email} has no token with code {revoke!r}.") from exc
            already = token.revoked_at is not None
            token = api_token_revoke(user=user, token=token)
            self.stdout.write(
                f"Token {token.name!r} ({token.hint}…) {'was already' if already else 'is now'} revoked."
            )
            return
        try:
            token, secret = api_token_create(user=user, name=name)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stderr.write(
            f"Created token {token.name!r} (code {token.code}) for {user.email}. "
            "It is shown once; store it safely."
        )
        self.stdout.write(secret)
