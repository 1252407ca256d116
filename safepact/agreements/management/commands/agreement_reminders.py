"""Daily job of the agreements app, by hand: mark agreements past their expiry date expired, then remind
the coordinators of review and expiry dates and of expired agreements (each reminder once).

The worker (``manage.py worker``) runs the same job every day (``agreements.tasks.agreement_reminders``);
this command is for running it at once. See ``safepact/agreements/reminders.py``.
"""

from django.core.management.base import BaseCommand

from safepact.agreements.reminders import send_reminders


class Command(BaseCommand):
    help = (
        "Mark agreements past their expiry date expired and email coordinators about review and expiry "
        "dates within the notice period and expired agreements (each reminder once)."
    )

    def handle(self, *args, **options):
        run = send_reminders()
        self.stdout.write(
            f"Agreements marked expired: {run.expired}. Reminders sent: {run.reminders} ({run.emails} emails); "
            f"already sent before: {run.already}."
        )
