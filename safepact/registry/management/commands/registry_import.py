"""``python manage.py registry_import FILE --partnership CODE --mapping MAPPING [--owner UNIT] [--dry-run]
[--as EMAIL]``: import alerts from a CSV or JSON file of another database (``services.transfer``).

``MAPPING`` is a path to a JSON mapping file or ``safepact`` (our own export format). ``--owner`` names the
owning unit (a partner code or organisation name; default: the unit of ``--as``, else the partnership's only
law-enforcement partner). ``--as`` records an active law-enforcement member of that unit as the person who
imported; without it the audit trail names ``manage.py registry_import``.

The import is atomic. Exit status: 0 imported (or a dry run without rejected lines); 1 lines were rejected,
nothing was imported; 2 the import could not run (unknown partnership, owner or person, unreadable file, bad
mapping). The report lists the first 20 created and merged objects and the first 100 rejected lines;
``--verbosity 2`` lists all, ``--verbosity 0`` only the summary.
"""

from pathlib import Path
from uuid import UUID

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from safepact.lib.clock import now
from safepact.partnerships.models import Partnership
from safepact.registry.services.transfer import ImportRejected, import_alerts, import_owner, load_mapping

ACTOR_LABEL = "manage.py registry_import"
REJECTED, CANNOT_RUN = 1, 2


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(str(m) for messages in error.message_dict.values() for m in messages)
    return " ".join(str(m) for m in error.messages)


def find_partnership(code: str) -> Partnership:
    try:
        parsed = UUID(str(code))
    except ValueError:
        parsed = None
    partnership = Partnership.objects.filter(code=parsed).first() if parsed else None
    if partnership is None:
        raise CommandError(f"No partnership with code {code}.", returncode=CANNOT_RUN)
    return partnership


def find_person(email: str, partnership: Partnership):
    """An active law-enforcement member of ``partnership`` with this email address, or CommandError."""
    from safepact.partnerships.selectors import membership_in
    from safepact.registry.permissions import is_law_enforcement

    user = get_user_model().objects.filter(email__iexact=email.strip(), is_active=True).first()
    membership = membership_in(user, partnership) if user else None
    if membership is None or not is_law_enforcement(membership):
        raise CommandError(
            f"{email} is not an active law-enforcement member of {partnership.name}.", returncode=CANNOT_RUN
        )
    return user


class Command(BaseCommand):
    help = "Import alerts into a partnership's registry from a CSV or JSON file, through a mapping."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="CSV or JSON file of alerts.")
        parser.add_argument("--partnership", required=True, metavar="CODE", help="Code of the partnership.")
        parser.add_argument(
            "--mapping",
            required=True,
            metavar="MAPPING",
            help='Path to a JSON mapping file, or "safepact" for SafePact\'s own export format.',
        )
        parser.add_argument(
            "--owner",
            default="",
            metavar="UNIT",
            help="The owning unit: a partner code or organisation name (default: the only law-enforcement "
            "partner).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Report only; write nothing.")
        parser.add_argument(
            "--as",
            dest="actor",
            default="",
            metavar="EMAIL",
            help="A law-enforcement member of the owning unit, recorded as the person who imported.",
        )

    def handle(self, *args, **options):
        partnership = find_partnership(options["partnership"])
        actor = find_person(options["actor"], partnership) if options["actor"] else None
        try:
            owner = import_owner(partnership=partnership, owner=options["owner"], actor=actor)
            mapping = load_mapping(options["mapping"])
        except ValidationError as error:
            raise CommandError(_messages(error), returncode=CANNOT_RUN) from None
        path = Path(options["file"])
        started = now()
        try:
            with path.open("rb") as handle:
                report = import_alerts(
                    actor=actor,
                    partnership=partnership,
                    owner=owner,
                    data=handle,
                    file_name=path.name,
                    mapping=mapping,
                    dry_run=options["dry_run"],
                    actor_label=ACTOR_LABEL,
                )
        except OSError as error:
            raise CommandError(
                f"Cannot read {path}: {error.strerror or error}", returncode=CANNOT_RUN
            ) from None
        except ImportRejected as rejected:
            self._report(rejected.report, options["verbosity"])
            raise CommandError(str(rejected), returncode=REJECTED) from None
        except ValidationError as error:
            raise CommandError(_messages(error), returncode=CANNOT_RUN) from None
        except (PermissionDenied, Http404) as error:
            raise CommandError(str(error), returncode=CANNOT_RUN) from None
        self._report(report, options["verbosity"])
        seconds = max((now() - started).total_seconds(), 1e-6)
        if report.dry_run:
            if report.rejected:
                raise CommandError(
                    f"Dry run: {report.rejected_lines} line(s) would be rejected; nothing was written.",
                    returncode=REJECTED,
                )
            self.stdout.write(self.style.SUCCESS("Dry run: no problems found; nothing was written."))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported into {partnership.name} for {owner.organisation.name} in {seconds:.1f} s "
                f"({len(report.created) / seconds:,.0f} alerts a second)."
            )
        )

    def _report(self, report, verbosity: int) -> None:
        counts = report.counts
        prefix = "Dry run: " if report.dry_run else ""
        self.stdout.write(
            f"{prefix}{report.file_name} with mapping {report.mapping}: {counts['rows']} line(s) read; "
            f"{counts['created']} alert(s) created, {counts['merged']} merged, {counts['rejected']} line(s) "
            f"rejected; {counts['identifiers']} identifier(s)"
            + (
                ""
                if report.dry_run
                else f"; {counts['overlaps']} overlap(s), {counts['late_hits']} late hit(s)"
            )
            + "."
        )
        if verbosity < 1:
            return
        everything = verbosity >= 2
        self._list("Created", report.created, None if everything else 20, self._created)
        self._list("Merged", report.merged, None if everything else 20, self._merged)
        self._list("Rejected", report.rejected, None if everything else 100, lambda r: f"line {r[0]}: {r[1]}")

    def _list(self, title, items, limit, line) -> None:
        if not items:
            return
        self.stdout.write(f"{title}:")
        for item in items[:limit]:
            self.stdout.write(f"  {line(item)}")
        if limit is not None and len(items) > limit:
            self.stdout.write(f"  ... and {len(items) - limit} more (--verbosity 2 lists all)")

    @staticmethod
    def _created(obj) -> str:
        reference = f" -> {obj.reference}" if obj.reference else ""
        return f"line {obj.line}: {obj.case_reference}, {obj.identifiers} identifier(s){reference}"

    @staticmethod
    def _merged(obj) -> str:
        lines = ", ".join(str(n) for n in obj.lines)
        into = f" into existing alert {obj.into}" if obj.into else ""
        differs = f" (values differed in: {', '.join(obj.differs)}; first line kept)" if obj.differs else ""
        return f"lines {lines}: {obj.case_reference}, {obj.identifiers} identifier(s){into}{differs}"
