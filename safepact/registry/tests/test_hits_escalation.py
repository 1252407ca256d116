"""Escalation with a controllable clock: an open hit nobody decided within the partnership's escalation time
(default 12 hours) is escalated exactly once to the coordinators and all law-enforcement members; decided
hits never are; the job runs through the task queue every few minutes."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from safepact.audit.models import AuditEvent
from safepact.lib import clock, scheduler
from safepact.registry import services, tasks
from safepact.registry.models import Hit
from safepact.registry.tests.alerts_factories import (
    NOW,
    assert_no_secrets,
    boat_alert,
    logged_check,
    notified,
    recipients,
)

pytestmark = pytest.mark.django_db

#: The coordinator (also police) and every law-enforcement member of partnership A; not the city, the
#: marina or the viewer.
ESCALATED_TO = ["coordinator@polisen.example", "customs@tullverket.example", "officer@polisen.example"]


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def make_hit(reg, alert):
    check = logged_check(reg, when=clock.now())
    return services.hit_create(
        partnership_id=reg.partnership.pk,
        alert_id=alert.pk,
        identifier_id=alert.identifiers.get(key=check.key).pk,
        key=check.key,
        checked_value="",
        user_id=check.user_id,
        organisation_id=check.organisation_id,
        context=check.context,
        checked_at=check.checked_at,
        check_id=check.pk,
    )


@pytest.fixture
def hit(reg):
    return make_hit(reg, boat_alert(reg))


def at(hours: float, minutes: int = 0) -> None:
    """Move the clock to ``hours`` after the start."""
    clock.advance(NOW + timedelta(hours=hours, minutes=minutes) - clock.now())


def test_not_before_twelve_hours_then_exactly_once(reg, hit):
    at(11, 59)
    assert services.escalate_due_hits() == 0
    assert notified("registry.hit.escalated") == []
    at(12)
    assert services.escalate_due_hits() == 1
    hit.refresh_from_db()
    assert hit.escalated_at == clock.now()
    assert recipients("registry.hit.escalated") == ESCALATED_TO
    for notification in notified("registry.hit.escalated"):
        assert notification.title == f"Unhandled hit on {hit.alert.reference} for 12 hours"
        assert notification.url == reverse(
            "registry:hit", kwargs={"code": reg.partnership.code, "hit": hit.code}
        )
    assert_no_secrets(notified())
    event = AuditEvent.objects.get(action="registry.hit.escalated")
    assert event.target_code == str(hit.code)
    assert event.actor_label == "SafePact (hit escalation)"
    at(13)
    assert services.escalate_due_hits() == 0
    at(48)
    assert services.escalate_due_hits() == 0
    assert len(notified("registry.hit.escalated")) == 3


def test_the_partnerships_own_escalation_time(reg, hit):
    services.settings_update(
        user=reg.police,
        partnership=reg.partnership,
        escalation_hours=2,
        retention_days=90,
        default_alert_days=365,
    )
    at(1, 59)
    assert services.escalate_due_hits() == 0
    at(2)
    assert services.escalate_due_hits() == 1
    assert {n.title for n in notified("registry.hit.escalated")} == {
        f"Unhandled hit on {hit.alert.reference} for 2 hours"
    }


def test_a_long_escalation_time(reg, hit):
    services.settings_update(
        user=reg.police,
        partnership=reg.partnership,
        escalation_hours=48,
        retention_days=90,
        default_alert_days=365,
    )
    at(47)
    assert services.escalate_due_hits() == 0
    at(48)
    assert services.escalate_due_hits() == 1


@pytest.mark.parametrize("status", ["confirmed", "rejected"])
def test_decided_hits_never_escalate(reg, hit, status):
    at(11)
    services.hit_decide(user=reg.officer, hit=hit, status=status)
    at(100)
    assert services.escalate_due_hits() == 0
    hit.refresh_from_db()
    assert hit.escalated_at is None


def test_each_hit_on_its_own_clock(reg, hit):
    at(6)
    second = make_hit(reg, hit.alert)
    at(12)
    assert services.escalate_due_hits() == 1
    at(17, 59)
    assert services.escalate_due_hits() == 0
    at(18)
    assert services.escalate_due_hits() == 1
    second.refresh_from_db()
    assert second.escalated_at == clock.now()


def test_nothing_to_escalate(reg):
    assert services.escalate_due_hits() == 0


def test_through_the_task_queue(reg, hit, run_tasks):
    at(12)
    tasks.registry_escalate.enqueue()
    [row] = [row for row in run_tasks() if row.task_path.endswith("registry_escalate")]
    assert row.status == "SUCCESSFUL"
    assert DBTaskResult.objects.get(pk=row.pk).return_value == 1
    assert Hit.objects.get(pk=hit.pk).escalated_at is not None


def test_the_scheduler_enqueues_it_every_few_minutes(reg, hit, run_tasks, settings):
    assert scheduler.periodic_jobs()["registry.escalate"] is tasks.registry_escalate
    assert settings.SAFEPACT_INTERVALS["registry.escalate"] == 10
    at(12)
    start = clock.now()
    assert "registry.escalate" in scheduler.enqueue_due(start)
    assert "registry.escalate" not in scheduler.enqueue_due(start + timedelta(minutes=9))
    assert "registry.escalate" in scheduler.enqueue_due(start + timedelta(minutes=10))
    run_tasks()
    assert Hit.objects.get(pk=hit.pk).escalated_at is not None
    assert len(notified("registry.hit.escalated")) == 3  # escalated once, though the job ran twice
