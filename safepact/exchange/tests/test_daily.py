"""The daily job with a controllable clock: reminders before the deadline (once), overdue on the day after the
deadline, escalation to the coordinators (once), an answered request never overdue; the register's and the
retention's steps; one failing partnership does not stop the others; the task runs through the queue."""

from datetime import timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from conftest import add_member, make_user
from safepact.audit.models import AuditEvent
from safepact.exchange import services, tasks
from safepact.exchange.models import ExchangeSettings, RequestStatus
from safepact.exchange.services import daily
from safepact.exchange.tests.request_factories import NOW, make_cast, reload, sent_request
from safepact.lib import clock, scheduler
from safepact.notifications.models import Notification
from safepact.partnerships.models import Partner

pytestmark = pytest.mark.django_db

SECRET_WORDS = ("engine", "12345")


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def cast(world):
    return make_cast(world, second_coordinator=True)


def notified(kind: str) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__email", flat=True))


def run_on(days: int) -> dict:
    """Move the clock to ``days`` after the frozen start (same time of day) and run the job."""
    clock.advance(NOW + timedelta(days=days) - clock.now())
    return daily.run_daily()


# Reminders -----------------------------------------------------------------------------------------


def test_pending_organisations_are_reminded_once_before_the_deadline(world, cast):
    request = sent_request(world, cast)  # deadline in 7 days; reminders 2 days before by default
    services.request_answer(actor=world.member, request=request, text="Jan Jansen.")
    assert run_on(4)["reminders"] == 0
    assert run_on(5)["reminders"] == 1
    # the dealer's organisation has not answered: its write members (not the viewer) are reminded
    assert notified("exchange.request.reminder") == ["dealer@shop.example"]
    assert run_on(5)["reminders"] == 0
    assert run_on(6)["reminders"] == 0
    assert run_on(7)["reminders"] == 0
    assert notified("exchange.request.reminder") == ["dealer@shop.example"]
    shop = request.recipients.get(partner=cast.shop)
    assert shop.reminded_at == NOW + timedelta(days=5)
    assert request.recipients.get(partner=cast.city).reminded_at is None
    titles = Notification.objects.filter(kind="exchange.request.reminder").values_list("title", flat=True)
    assert all(not any(word in title.lower() for word in SECRET_WORDS) for title in titles)
    assert AuditEvent.objects.filter(action="exchange.request.reminded").count() == 1


def test_the_partnership_chooses_how_many_days_before(world, cast):
    ExchangeSettings.objects.create(partnership=world.partnership_a, reminder_days=4)
    sent_request(world, cast, tlp="green")
    assert run_on(2)["reminders"] == 0
    assert run_on(3)["reminders"] == 2
    assert notified("exchange.request.reminder") == [
        "coordinator2@city.example",
        "dealer@shop.example",
        "member@city.example",
    ]
    assert all(
        "Recovered stolen engine" in title
        for title in Notification.objects.filter(kind="exchange.request.reminder").values_list(
            "title", flat=True
        )
    )


def test_a_late_sent_request_is_reminded_on_its_deadline_day(world, cast):
    sent_request(world, cast, deadline=clock.today() + timedelta(days=1))
    assert run_on(1)["reminders"] == 2


# Overdue and escalation ----------------------------------------------------------------------------


def test_overdue_on_the_day_after_the_deadline_and_escalated_once(world, cast):
    request = sent_request(world, cast)
    assert run_on(7)["overdue"] == 0
    assert reload(request).status == RequestStatus.SENT
    result = run_on(8)
    assert result["overdue"] == 1 and result["escalations"] == 1
    request = reload(request)
    assert request.status == RequestStatus.OVERDUE and request.escalated_at == NOW + timedelta(days=8)
    # the coordinators who may see it (the requesting and an addressed organisation's)
    assert notified("exchange.request.overdue") == [
        "coordinator2@city.example",
        "coordinator@polisen.example",
    ]
    titles = Notification.objects.filter(kind="exchange.request.overdue").values_list("title", flat=True)
    assert all(not any(word in title.lower() for word in SECRET_WORDS) for title in titles)
    again = run_on(9)
    assert again["overdue"] == 0 and again["escalations"] == 0
    assert len(notified("exchange.request.overdue")) == 2
    overdue = AuditEvent.objects.get(action="exchange.request.overdue")
    assert overdue.actor_code == "" and overdue.after["status"] == "overdue"
    assert AuditEvent.objects.filter(action="exchange.request.escalated").count() == 1


def test_an_overdue_request_can_still_be_answered(world, cast):
    request = sent_request(world, cast)
    run_on(8)
    services.request_answer(actor=cast.dealer, request=request, text="Found it.")
    assert reload(request).status == RequestStatus.ANSWERED


def test_an_escalation_of_a_red_request_goes_only_to_coordinators_who_may_see_it(world, cast):
    sent_request(world, cast, tlp="red", recipient_people=[world.member, cast.dealer])
    run_on(8)
    assert notified("exchange.request.overdue") == ["coordinator@polisen.example"]


def test_an_answered_request_is_never_overdue(world, cast):
    request = sent_request(world, cast)
    services.request_answer(actor=world.member, request=request, text="Jan Jansen.")
    result = run_on(30)
    assert result["overdue"] == 0 and result["escalations"] == 0
    assert reload(request).status == RequestStatus.ANSWERED and reload(request).escalated_at is None
    assert not Notification.objects.filter(kind="exchange.request.overdue").exists()


def test_a_request_only_declined_by_some_is_overdue(world, cast):
    request = sent_request(world, cast)
    services.request_decline(actor=world.member, request=request, reason="Not ours.")
    run_on(8)
    assert reload(request).status == RequestStatus.OVERDUE


def test_declined_and_closed_requests_are_left_alone(world, cast):
    declined = sent_request(world, cast, title="Declined")
    services.request_decline(actor=world.member, request=declined, reason="No.")
    services.request_decline(actor=cast.dealer, request=declined, reason="No.")
    closed = sent_request(world, cast, title="Closed")
    services.request_close(actor=world.coordinator, request=closed)
    result = run_on(8)
    assert result["reminders"] == result["overdue"] == result["escalations"] == 0
    assert reload(declined).status == RequestStatus.DECLINED and reload(closed).status == RequestStatus.CLOSED


# The other steps, failures ------------------------------------------------------------------------


def test_the_register_and_retention_steps_run_with_the_same_day(world, monkeypatch):
    from safepact.exchange.services import register, retention

    calls = []
    monkeypatch.setattr(register, "flow_review_reminders", lambda *, on: calls.append(("flows", on)) or 3)
    monkeypatch.setattr(
        retention, "retention_purge", lambda *, on: calls.append(("purge", on)) or {"post": 1}
    )
    result = daily.run_daily(on=clock.today() + timedelta(days=1))
    day = clock.today() + timedelta(days=1)
    assert calls == [("flows", day), ("purge", day)]
    assert result["flow_reviews"] == 3 and result["purged"] == {"post": 1} and result["failed"] == []


def test_a_failing_step_does_not_stop_the_next(world, monkeypatch):
    from safepact.exchange.services import register, retention

    def broken(*, on):
        raise RuntimeError("mail server down")

    monkeypatch.setattr(register, "flow_review_reminders", broken)
    monkeypatch.setattr(retention, "retention_purge", lambda *, on: {"post": 0})
    result = daily.run_daily()
    assert result["flow_reviews"] is None and result["purged"] == {"post": 0}
    assert result["failed"] == ["flow_reviews"]


def test_one_failing_partnership_does_not_stop_the_others(world, cast, monkeypatch):
    a, b = world.partnership_a, world.partnership_b
    shopkeeper = make_user("shop@parkstad.example", "Sam Shop")
    add_member(
        coordinator=world.coordinator_b,
        partnership=b,
        user=shopkeeper,
        role="member",
        new_organisation={"name": "Winkel Parkstad", "kind": "business", "country": "NL"},
    )
    request_a = sent_request(world, cast)
    request_b = services.request_submit(
        actor=world.coordinator_b,
        request=services.request_create(
            actor=world.coordinator_b,
            partnership=b,
            title="Stolen bicycles",
            question="Who sold these?",
            purpose="Find the fence.",
            legal_basis="public_task",
            deadline=clock.today() + timedelta(days=1),
            tlp="amber",
            recipient_partners=[Partner.objects.get(partnership=b, organisation__name="Winkel Parkstad")],
        ),
    )
    real = daily._mark_overdue

    def fail_for_a(partnership, on):
        real(partnership, on)  # its change is rolled back with the failure
        if partnership.pk == a.pk:
            raise RuntimeError("bad data")
        return 1

    monkeypatch.setattr(daily, "_mark_overdue", fail_for_a)
    result = run_on(8)
    assert result["failed"] == [a.pk]
    assert reload(request_b).status == RequestStatus.OVERDUE
    assert reload(request_a).status == RequestStatus.SENT
    assert notified("exchange.request.overdue") == ["coordinator@gemeente.example"]


# The periodic task ---------------------------------------------------------------------------------


def test_the_job_is_registered_as_a_periodic_task():
    assert scheduler.periodic_jobs()["exchange.daily"] is tasks.exchange_daily


def test_the_task_runs_through_the_queue(world, cast, run_tasks):
    request = sent_request(world, cast)
    clock.advance(timedelta(days=8))
    tasks.exchange_daily.enqueue()
    [row] = [row for row in run_tasks() if row.task_path.endswith("exchange_daily")]
    assert row.status == "SUCCESSFUL"
    assert reload(request).status == RequestStatus.OVERDUE
    assert DBTaskResult.objects.get(pk=row.pk).return_value["overdue"] == 1


def test_the_scheduler_enqueues_it_once_a_day(world, cast, run_tasks):
    sent_request(world, cast)
    clock.advance(timedelta(days=8))
    morning = scheduler.due_at("exchange.daily", clock.now()) + timedelta(minutes=1)
    assert "exchange.daily" in scheduler.enqueue_due(morning)
    assert "exchange.daily" not in scheduler.enqueue_due(morning + timedelta(hours=2))
    run_tasks()
    assert notified("exchange.request.overdue") == [
        "coordinator2@city.example",
        "coordinator@polisen.example",
    ]
