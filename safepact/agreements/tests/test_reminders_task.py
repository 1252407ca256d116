"""The daily reminders run through the task queue (``agreements.tasks.agreement_reminders``, periodic job
``agreements.reminders``) and send exactly the emails the ``agreement_reminders`` command sends."""

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from safepact.agreements.models import ReminderSent, Status
from safepact.agreements.tasks import agreement_reminders
from safepact.agreements.tests.support import in_force, reload
from safepact.lib import clock, scheduler

NOW = datetime(2031, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Brussels: after the job's 06:20
TODAY = date(2031, 3, 2)


@pytest.fixture
def frozen():
    with clock.frozen(NOW):
        yield


def emails() -> list[tuple]:
    return [(m.to, m.subject, m.body) for m in mail.outbox]


def test_the_task_sends_what_the_command_sends(world, frozen, run_tasks):
    agreement = in_force(
        world, review_date=TODAY + timedelta(days=10), expiry_date=TODAY + timedelta(days=40)
    )

    agreement_reminders.enqueue()
    (result,) = run_tasks()

    assert result.return_value == {"expired": 0, "reminders": 2, "emails": 2, "already": 0}
    by_task = emails()
    assert sorted(subject for _to, subject, _body in by_task) == [
        f"Expiry date near: {agreement.title}",
        f"Review date near: {agreement.title}",
    ]

    # The same reminders again, now by the command, after forgetting that they were sent.
    ReminderSent.objects.all().delete()
    mail.outbox.clear()
    out = StringIO()
    call_command("agreement_reminders", stdout=out)
    assert "Reminders sent: 2 (2 emails); already sent before: 0." in out.getvalue()
    assert sorted(emails()) == sorted(by_task)


def test_the_worker_runs_it_once_a_day_and_it_expires_agreements(world, frozen):
    agreement = in_force(world, expiry_date=TODAY + timedelta(days=10))
    jobs = {"agreements.reminders": scheduler.periodic_jobs()["agreements.reminders"]}

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scheduler, "_periodic", jobs)
        patch.setattr(scheduler, "_intervals", {})
        call_command("worker", "--once", stdout=StringIO())
        call_command("worker", "--once", stdout=StringIO())
        assert [m.subject for m in mail.outbox] == [f"Expiry date near: {agreement.title}"]

        clock.advance(timedelta(days=11))
        call_command("worker", "--once", stdout=StringIO())

    assert reload(agreement).status == Status.EXPIRED
    assert [m.subject for m in mail.outbox][1:] == [f"Agreement expired: {agreement.title}"]
