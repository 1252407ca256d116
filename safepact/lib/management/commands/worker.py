"""``manage.py worker``: the one background process of SafePact.

Each round it enqueues the periodic jobs that are due (``scheduler.enqueue_due``) and runs every queued
task (``scheduler.run_queued_tasks``), then sleeps ``--interval`` seconds. ``--once`` runs one round and
exits (tests, cron-style use). SIGTERM and SIGINT stop it after the task that is running.

More processes that only run tasks can be added with django-tasks-db's own ``manage.py db_worker``;
keep the schedule in ``worker`` (running two is harmless: enqueueing is serialised and once a day).
"""

import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils.crypto import get_random_string

from safepact.lib import scheduler


class Command(BaseCommand):
    help = "Enqueue the periodic jobs that are due and run queued background tasks, in a loop."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one round, then exit.")
        parser.add_argument(
            "--interval", type=float, default=5.0, help="Seconds to wait between rounds (default: 5)."
        )

    def handle(self, *args, once: bool = False, interval: float = 5.0, **options):
        if interval < 0:
            raise CommandError("--interval must be zero or more.")
        self.running = True
        self.worker_id = get_random_string(32)
        verbosity = options.get("verbosity", 1)
        if not once:
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
            if verbosity:
                jobs = ", ".join(sorted(scheduler.periodic_jobs())) or "none"
                self.stdout.write(f"Worker {self.worker_id} started; periodic jobs: {jobs}.")
        while self.running:
            enqueued, ran, failed = self._round()
            if once or verbosity > 1 or enqueued or ran:
                self.stdout.write(
                    f"Periodic jobs enqueued: {len(enqueued)}"
                    + (f" ({', '.join(enqueued)})" if enqueued else "")
                    + f". Tasks run: {ran}; failed: {failed}."
                )
            if once:
                break
            self._sleep(interval)
            close_old_connections()  # as a request would: drop connections that died or grew old
        if not once and verbosity:
            self.stdout.write("Worker stopped.")

    def _round(self) -> tuple[list[str], int, int]:
        enqueued = scheduler.enqueue_due()
        done = scheduler.run_queued_tasks(worker_id=self.worker_id, stop=lambda: not self.running)
        failed = sum(1 for row in done if row.status == "FAILED")
        for row in done:
            if row.status == "FAILED":
                self.stderr.write(f"Task {row.task_path} ({row.id}) failed:\n{row.traceback}")
        return enqueued, len(done), failed

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while self.running and time.monotonic() < end:
            time.sleep(min(0.2, max(end - time.monotonic(), 0)))

    def _stop(self, signum, frame) -> None:
        if not self.running:  # a second signal: stop at once
            raise SystemExit(1)
        self.stdout.write(f"Received {signal.strsignal(signum)}: stopping after the current task.")
        self.running = False
