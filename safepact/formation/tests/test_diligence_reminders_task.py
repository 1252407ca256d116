"""The reassessment reminders run through the task queue (``formation.tasks.formation_reminders``,
periodic job ``formation.reminders``) and send exactly the emails the ``formation_reminders`` command
sends."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from safepact.formation.services.diligence import (
    assessment_answer,
    assessment_complete,
    assessment_decide,
    assessment_start,
)
from safepact.formation.tasks import formation_reminders
from safepact.formation.tests.diligence_fixtures import NOW, all_answers, make_diligence
from safepact.lib import clock, scheduler

TODAY = date(2026, 3, 2)


@pytest.fixture
def dd(world):
    return make_diligence(world)


def decided(world, candidate, reassess_on):
    with clock.frozen(NOW):
        assessment = assessment_start(actor=world.coordinator, candidate=candidate)
        assessment_answer(actor=world.coordinator, assessment=assessment, answers=all_answers())
        assessment_complete(actor=world.coordinator, assessment=assessment)
        return assessment_decide(
            actor=world.coordinator,
            assessment=assessment,
            decision="admit",
            reason="Fine.",
            reassess_on=reassess_on,
        )


def emails() -> list[tuple]:
    return sorted((tuple(m.to), m.subject, m.body) for m in mail.outbox)


def test_the_task_sends_what_the_command_sends(world, dd, run_tasks):
    decided(world, dd.candidate, TODAY + timedelta(days=10))
    with clock.frozen(NOW):
        formation_reminders.enqueue()
        (result,) = run_tasks()
        assert result.return_value == 2
        by_task = emails()
        assert len(by_task) == 2

        mail.outbox.clear()
        clock.advance(timedelta(days=1))  # the next day the reminder is due again (once a day)
        call_command("formation_reminders", stdout=StringIO())
    assert emails() == by_task


def test_the_worker_enqueues_it_once_a_day(world, dd):
    decided(world, dd.candidate, TODAY + timedelta(days=10))
    jobs = {"formation.reminders": scheduler.periodic_jobs()["formation.reminders"]}
    with pytest.MonkeyPatch.context() as patch, clock.frozen(NOW):  # 11:00 in Brussels, after 06:10
        patch.setattr(scheduler, "_periodic", jobs)
        patch.setattr(scheduler, "_intervals", {})
        call_command("worker", "--once", stdout=StringIO())
        call_command("worker", "--once", stdout=StringIO())
    assert len(mail.outbox) == 2  # one email per coordinator, once
