"""``python manage.py agreement_verify FILE.pdf [FILE ...]``: does each PDF correspond to a signed version?

For operators (no user scoping: every partnership's agreements count). One verdict per file, the same
one the "Verify a PDF" page gives. Exit status: 0 when every file verifies, 1 when one does not (altered,
unsigned or unknown), 2 when a file cannot be read (missing, too large, not a PDF, damaged, encrypted);
2 wins over 1.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from safepact.agreements.documents import MAX_VERIFY_BYTES, iso_utc, verify_pdf_any

VERIFIED, NOT_VERIFIED, UNREADABLE = 0, 1, 2


class Command(BaseCommand):
    help = "Tell whether each PDF is an unaltered copy of a signed agreement version made by SafePact."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE.pdf", help="PDF files to verify.")

    def handle(self, *args, files: list[str], **options):
        worst = VERIFIED
        for name in files:
            worst = max(worst, self._one(name))
        counts = f"{len(files)} file(s)"
        if worst == VERIFIED:
            self.stdout.write(self.style.SUCCESS(f"OK: {counts} verified."))
            return
        if worst == UNREADABLE:
            raise CommandError(f"Checked {counts}: at least one could not be read.", returncode=UNREADABLE)
        raise CommandError(f"Checked {counts}: at least one does not verify.", returncode=NOT_VERIFIED)

    def _one(self, name: str) -> int:
        try:
            with Path(name).open("rb") as handle:
                data = handle.read(MAX_VERIFY_BYTES + 1)  # never more than the limit (plus one) in memory
        except OSError as error:
            self.stdout.write(f"{name}: UNREADABLE: {error.strerror or error}")
            return UNREADABLE
        try:
            result = verify_pdf_any(data)
        except ValidationError as error:
            messages = error.message_dict.get("file") or error.messages
            self.stdout.write(f"{name}: UNREADABLE: {' '.join(str(m) for m in messages)}")
            return UNREADABLE
        if result.ok:
            self.stdout.write(f"{name}: {self.style.SUCCESS('VERIFIED')}: {result.message}")
        else:
            self.stdout.write(f"{name}: NOT VERIFIED ({result.verdict}): {result.message}")
        self.stdout.write(f"  file SHA-256 {result.file_sha256}")
        if result.text_sha256:
            self.stdout.write(f"  text SHA-256 {result.text_sha256}")
        if result.agreement is not None:
            self.stdout.write(
                f"  agreement {result.agreement.code} “{result.agreement.title}” "
                f"({result.agreement.partnership.name}), version {result.version.number}"
            )
        for signature in result.signatures:
            self.stdout.write(
                f"  signed by {signature.organisation_name} ({signature.signer_name}) at "
                f"{iso_utc(signature.signed_at)} on {signature.text_sha256}"
            )
        return VERIFIED if result.ok else NOT_VERIFIED
