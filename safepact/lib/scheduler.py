"""Periodic jobs on the django-tasks database queue, and running queued tasks.

Apps register their daily jobs in ``AppConfig.ready``::

    register_periodic("notifications.digest", send_digests)

``name`` is a key of ``settings.SAFEPACT_SCHEDULE`` (a local "HH:MM" in ``TIME_ZONE``). The schedule is
data: the record of which job ran is the django-tasks-db result table itself (``DBTaskResult``). A job is
due once its time of day has passed and no result of its task was enqueued since that time today, so it
is enqueued once a day whatever the number of rounds, and a worker that was down catches up as soon as it
is back (on the same day). Every job is idempotent, so an extra run is harmless.

``manage.py worker`` (``safepact/lib/management/commands/worker.py``) runs ``enqueue_due`` and
``run_queued_tasks`` in a loop. See docs/decisions/0005-background-work-and-schedules.md.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from safepact.lib import clock

logger = logging.getLogger("safepact.scheduler")

_periodic: dict[str, object] = {}
_intervals: dict[str, object] = {}


class TaskFailed(RuntimeError):
    """A queued task failed while ``run_queued_tasks(raise_errors=True)`` ran it (tests)."""


def register_periodic(name: str, task) -> None:
    """Run ``task`` (a django-tasks ``Task`` taking no arguments) once a day at the time
    ``settings.SAFEPACT_SCHEDULE[name]``. Registering the same name again replaces the task."""
    if name not in settings.SAFEPACT_SCHEDULE:
        raise ImproperlyConfigured(f"No time for the periodic job {name!r} in settings.SAFEPACT_SCHEDULE.")
    _time_of_day(name)  # refuse a malformed time at start-up, not at the first round
    _periodic[name] = task


def register_interval(name: str, task) -> None:
    """Run ``task`` every ``settings.SAFEPACT_INTERVALS[name]`` minutes (hit escalation, which cannot wait
    for the next day): it is due when no result of its task was enqueued in the last that many minutes."""
    minutes = settings.SAFEPACT_INTERVALS.get(name)
    if not isinstance(minutes, int) or minutes < 1:
        raise ImproperlyConfigured(
            f"SAFEPACT_INTERVALS[{name!r}] must be a whole number of minutes (1 or more)."
        )
    _intervals[name] = task


def periodic_jobs() -> dict[str, object]:
    """The registered jobs (daily and interval), by name (a copy)."""
    return {**_periodic, **_intervals}


def _time_of_day(name: str) -> tuple[int, int]:
    value = settings.SAFEPACT_SCHEDULE[name]
    try:
        hours, minutes = (int(part) for part in value.split(":"))
    except (AttributeError, ValueError):
        raise ImproperlyConfigured(f"SAFEPACT_SCHEDULE[{name!r}] must be HH:MM, not {value!r}.") from None
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ImproperlyConfigured(f"SAFEPACT_SCHEDULE[{name!r}] must be HH:MM, not {value!r}.")
    return hours, minutes


def due_at(name: str, now: datetime | None = None) -> datetime:
    """Today's time of the job ``name`` (local day and time in ``TIME_ZONE``), as an aware datetime."""
    hours, minutes = _time_of_day(name)
    local = timezone.localtime(now or clock.now())
    return local.replace(hour=hours, minute=minutes, second=0, microsecond=0)


def _lock() -> None:
    """Serialise schedulers: two ``worker`` processes never enqueue the same job twice."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ["safepact-scheduler"])
    # SQLite: transactions start IMMEDIATE (settings), so writers are already serialised.


def enqueue_due(now: datetime | None = None) -> list[str]:
    """Enqueue every registered job whose time has passed today and that was not enqueued since.

    Returns the names enqueued. The result row's ``enqueued_at`` is set from ``clock.now()`` (the
    library stamps the real time), so the record and the decision use the same clock.
    """
    from django_tasks_db.models import DBTaskResult

    now = now or clock.now()
    enqueued = []
    for name, task in sorted(_periodic.items()):
        start = due_at(name, now)
        if now < start:
            continue
        with transaction.atomic():
            _lock()
            if DBTaskResult.objects.filter(task_path=task.module_path, enqueued_at__gte=start).exists():
                continue
            result = task.enqueue()
            DBTaskResult.objects.filter(pk=result.id).update(enqueued_at=now)
        enqueued.append(name)
        logger.info("Enqueued the periodic job %s", name)
    for name, task in sorted(_intervals.items()):
        since = now - timedelta(minutes=settings.SAFEPACT_INTERVALS[name])
        with transaction.atomic():
            _lock()
            if DBTaskResult.objects.filter(task_path=task.module_path, enqueued_at__gt=since).exists():
                continue
            result = task.enqueue()
            DBTaskResult.objects.filter(pk=result.id).update(enqueued_at=now)
        enqueued.append(name)
        logger.info("Enqueued the interval job %s", name)
    return enqueued


def run_queued_tasks(
    *,
    backend_name: str = "default",
    worker_id: str | None = None,
    raise_errors: bool = False,
    stop: Callable[[], bool] | None = None,
) -> list:
    """Run every task that is ready now, one after the other, in this process; return their results
    (``DBTaskResult`` rows, status SUCCESSFUL or FAILED).

    Uses django-tasks-db's ``Worker`` to run each task (signals, result and error bookkeeping) but its
    own loop: the library's loop closes database connections between tasks, which a test's transaction
    does not survive. ``stop`` is asked between tasks (the worker's SIGTERM). With ``raise_errors`` a
    failed task raises ``TaskFailed`` with its traceback once all tasks ran (tests).
    """
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name=backend_name,
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id or get_random_string(32),
        excluded_queue_names=[],
    )
    done = []
    while not (stop and stop()):
        ready = DBTaskResult.objects.ready().filter(backend_name=backend_name)
        with exclusive_transaction(ready.db):
            row = ready.get_locked()
            if row is None:
                break
            row.claim(worker.worker_id)
        worker.run_task(row)
        done.append(row)
    failed = [row for row in done if row.status == "FAILED"]
    if raise_errors and failed:
        raise TaskFailed("\n\n".join(f"{row.task_path}:\n{row.traceback}" for row in failed))
    return done
