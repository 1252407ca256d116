"""``python manage.py registry_export --partnership CODE [--status STATUS] [--output FILE] [--as EMAIL]``:
write the partnership's alerts as JSON (SafePact's exchange format, which ``registry_import --mapping
safepact`` reads back), one alert a line, read in chunks so that millions of alerts fit.

The export is recorded in the audit trail (``registry.export``) with ``--as`` (a law-enforcement member) or
``manage.py registry_export`` as who ran it. Without ``--output`` the JSON goes to standard output.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from safepact.registry.management.commands.registry_import import (
    CANNOT_RUN,
    _messages,
    find_partnership,
    find_person,
)
from safepact.registry.models import AlertStatus
from safepact.registry.services.transfer import alerts_export_stream

ACTOR_LABEL = "manage.py registry_export"


class Command(BaseCommand):
    help = "Export a partnership's alerts as JSON (SafePact's exchange format)."

    def add_arguments(self, parser):
        parser.add_argument("--partnership", required=True, metavar="CODE", help="Code of the partnership.")
        parser.add_argument(
            "--status", choices=AlertStatus.values, default=None, help="Only alerts with this status."
        )
        parser.add_argument("--output", metavar="FILE", default="", help="Write here instead of stdout.")
        parser.add_argument(
            "--as",
            dest="actor",
            default="",
            metavar="EMAIL",
            help="A law-enforcement member, for the audit trail.",
        )

    def handle(self, *args, **options):
        partnership = find_partnership(options["partnership"])
        actor = find_person(options["actor"], partnership) if options["actor"] else None
        try:
            pieces = alerts_export_stream(
                actor=actor, partnership=partnership, status=options["status"], actor_label=ACTOR_LABEL
            )
        except ValidationError as error:
            raise CommandError(_messages(error), returncode=CANNOT_RUN) from None
        if not options["output"]:
            for piece in pieces:
                self.stdout.write(piece, ending="")
            return
        path = Path(options["output"])
        count = -2  # the opening and the closing piece
        try:
            with path.open("w", encoding="utf-8") as handle:
                for piece in pieces:
                    handle.write(piece)
                    count += 1
        except OSError as error:
            raise CommandError(
                f"Cannot write {path}: {error.strerror or error}", returncode=CANNOT_RUN
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Exported {count} alert(s) of {partnership.name} to {path}."))
