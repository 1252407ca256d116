"""Daily reminders of the formation app: reassessments of due diligence due within 14 days (or overdue).

Safe to run more than once a day: what was sent is recorded in the audit trail and not sent again that day.
The worker (``manage.py worker``) runs the same function every day (``formation.tasks.formation_reminders``);
this command is for running it at once.
"""

from django.core.management.base import BaseCommand

from safepact.formation.services.diligence import reminders_send


class Command(BaseCommand):
    help = "Email coordinators about due-diligence reassessments due within 14 days (idempotent per day)."

    def handle(self, *args, **options):
        sent = reminders_send()
        self.stdout.write(f"Reminders sent: {sent}")
