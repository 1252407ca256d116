"""The periodic jobs (``scheduler.enqueue_due``), running queued tasks and ``manage.py worker``.

Times: ``TIME_ZONE`` is Europe/Brussels (UTC+1 in January), so a job at "07:00" is due from 06:00 UTC.
"""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from safepact.lib import clock, scheduler

BEFORE = datetime(2031, 1, 15, 5, 59, tzinfo=UTC)  # 06:59 in Brussels
AT = datetime(2031, 1, 15, 6, 0, tzinfo=UTC)  # 07:00 in Brussels

CALLS: list[str] = []


@task()
def remember(word: str = "ran") -> str:
    CALLS.append(word)
    return word


@task()
def explode() -> None:
    raise RuntimeError("boom")


@pytest.fixture
def job(settings, monkeypatch):
    """Only our test job is registered, at 07:00 local time."""
    settings.SAFEPACT_SCHEDULE = {**settings.SAFEPACT_SCHEDULE, "test.job": "07:00"}
    monkeypatch.setattr(scheduler, "_periodic", {})
    monkeypatch.setattr(scheduler, "_intervals", {})
    CALLS.clear()
    scheduler.register_periodic("test.job", remember)
    return remember


def queued(task_obj) -> int:
    return DBTaskResult.objects.filter(task_path=task_obj.module_path).count()


def test_the_apps_register_their_daily_jobs():
    jobs = scheduler.periodic_jobs()
    assert {"notifications.digest", "formation.reminders", "agreements.reminders"} <= set(jobs)
    assert jobs["notifications.digest"].module_path == "safepact.notifications.tasks.send_digests"
    assert jobs["formation.reminders"].module_path == "safepact.formation.tasks.formation_reminders"
    assert jobs["agreements.reminders"].module_path == "safepact.agreements.tasks.agreement_reminders"
    assert set(jobs) <= set(settings.SAFEPACT_SCHEDULE) | set(settings.SAFEPACT_INTERVALS)


def test_a_job_needs_a_time_in_the_schedule(settings, monkeypatch):
    monkeypatch.setattr(scheduler, "_periodic", {})
    monkeypatch.setattr(scheduler, "_intervals", {})
    with pytest.raises(ImproperlyConfigured):
        scheduler.register_periodic("not.scheduled", remember)
    settings.SAFEPACT_SCHEDULE = {"bad.time": "25:00", "no.time": "seven"}
    for name in ("bad.time", "no.time"):
        with pytest.raises(ImproperlyConfigured):
            scheduler.register_periodic(name, remember)
    assert scheduler.periodic_jobs() == {}


def test_not_due_before_its_time(db, job):
    with clock.frozen(BEFORE):
        assert scheduler.enqueue_due() == []
    assert queued(job) == 0


def test_due_once_its_time_passed_and_only_once_that_day(db, job):
    with clock.frozen(AT):
        assert scheduler.enqueue_due() == ["test.job"]
        assert scheduler.enqueue_due() == []
        clock.advance(timedelta(hours=16, minutes=59))  # 23:59 local, same day
        assert scheduler.enqueue_due() == []
    assert queued(job) == 1
    row = DBTaskResult.objects.get(task_path=job.module_path)
    assert row.enqueued_at == AT  # the record uses the same clock as the decision
    assert row.status == "READY"


def test_the_next_day_it_is_due_again_after_its_time(db, job):
    with clock.frozen(AT):
        scheduler.enqueue_due()
        clock.advance(timedelta(hours=23, minutes=59))  # 06:59 local the next day
        assert scheduler.enqueue_due() == []
        clock.advance(timedelta(minutes=1))
        assert scheduler.enqueue_due() == ["test.job"]
    assert queued(job) == 2


def test_a_worker_that_was_down_catches_up_later_that_day(db, job):
    with clock.frozen(AT + timedelta(hours=10)):
        assert scheduler.enqueue_due() == ["test.job"]


def test_a_job_enqueued_by_hand_after_its_time_counts_as_that_days_run(db, job):
    with clock.frozen(AT + timedelta(hours=1)):
        result = job.enqueue()
        DBTaskResult.objects.filter(pk=result.id).update(enqueued_at=clock.now())
        assert scheduler.enqueue_due() == []


def test_the_time_of_day_follows_the_settings(db, job, settings):
    settings.SAFEPACT_SCHEDULE = {**settings.SAFEPACT_SCHEDULE, "test.job": "08:30"}
    with clock.frozen(AT):
        assert scheduler.enqueue_due() == []
        clock.advance(timedelta(hours=1, minutes=30))
        assert scheduler.enqueue_due() == ["test.job"]


def test_run_queued_tasks_runs_everything_ready(db, job):
    remember.enqueue("one")
    remember.enqueue("two")

    done = scheduler.run_queued_tasks()

    assert sorted(CALLS) == ["one", "two"]
    assert [row.status for row in done] == ["SUCCESSFUL", "SUCCESSFUL"]
    assert DBTaskResult.objects.filter(status="READY").count() == 0
    assert scheduler.run_queued_tasks() == []  # nothing twice


def test_a_failing_task_is_recorded_and_raised_on_request(db, job):
    explode.enqueue()
    remember.enqueue()

    with pytest.raises(scheduler.TaskFailed, match="boom"):
        scheduler.run_queued_tasks(raise_errors=True)

    assert CALLS == ["ran"]  # the other task still ran
    assert DBTaskResult.objects.get(task_path=explode.module_path).status == "FAILED"


def test_the_run_tasks_fixture_runs_the_queue(db, job, run_tasks):
    remember.enqueue("fixture")
    assert [row.return_value for row in run_tasks()] == ["fixture"]


def test_worker_once_enqueues_the_due_jobs_and_runs_them(db, job):
    out = StringIO()
    with clock.frozen(AT):
        call_command("worker", "--once", stdout=out)
        call_command("worker", "--once", stdout=out)

    assert CALLS == ["ran"]
    lines = out.getvalue().splitlines()
    assert lines == [
        "Periodic jobs enqueued: 1 (test.job). Tasks run: 1; failed: 0.",
        "Periodic jobs enqueued: 0. Tasks run: 0; failed: 0.",
    ]


def test_worker_once_sends_a_queued_notification_email(world, monkeypatch):
    from safepact.notifications.services import notify, setting_update

    monkeypatch.setattr(scheduler, "_periodic", {})  # only the queue, no daily job
    monkeypatch.setattr(scheduler, "_intervals", {})
    setting_update(user=world.member, email_mode="immediate")
    notify(recipients=[world.member], kind="test.hello", title="Hello from the queue", url="/notifications/")
    assert mail.outbox == []

    out = StringIO()
    call_command("worker", "--once", stdout=out)

    assert "Tasks run: 1; failed: 0." in out.getvalue()
    assert [message.subject for message in mail.outbox] == ["Hello from the queue"]
    assert mail.outbox[0].to == [world.member.email]


def test_worker_reports_a_failed_task(db, job):
    explode.enqueue()
    out, err = StringIO(), StringIO()
    with clock.frozen(BEFORE):
        call_command("worker", "--once", stdout=out, stderr=err)
    assert "Tasks run: 1; failed: 1." in out.getvalue()
    assert "RuntimeError: boom" in err.getvalue()


def test_an_interval_job_runs_every_so_many_minutes(db, job, settings):
    settings.SAFEPACT_INTERVALS = {"test.often": 10}
    scheduler.register_interval("test.often", remember)
    with clock.frozen(BEFORE - timedelta(hours=3)):  # interval jobs do not wait for a time of day
        assert scheduler.enqueue_due() == ["test.often"]
        assert scheduler.enqueue_due() == []
        clock.advance(timedelta(minutes=9, seconds=59))
        assert scheduler.enqueue_due() == []
        clock.advance(timedelta(seconds=1))
        assert scheduler.enqueue_due() == ["test.often"]
    assert queued(remember) == 2


def test_an_interval_needs_whole_minutes(settings, monkeypatch):
    monkeypatch.setattr(scheduler, "_periodic", {})
    monkeypatch.setattr(scheduler, "_intervals", {})
    settings.SAFEPACT_INTERVALS = {"zero": 0, "text": "5"}
    for name in ("zero", "text", "missing"):
        with pytest.raises(ImproperlyConfigured):
            scheduler.register_interval(name, remember)
    assert scheduler.periodic_jobs() == {}  # nothing registered: the refused names are not there
