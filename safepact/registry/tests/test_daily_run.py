"""The registry's daily job with a controllable clock: alerts past their expiry date expire (audited, once);
the check log is purged beyond each partnership's retention (hits keep their data); old rate-limit counters
go; the job runs through the task queue and the scheduler enqueues it once a day."""

from datetime import timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from safepact.audit.models import AuditEvent
from safepact.lib import clock, scheduler
from safepact.registry import services, tasks
from safepact.registry.models import Alert, AlertStatus, Check, Hit, RateWindow
from safepact.registry.services import daily
from safepact.registry.tests.alerts_factories import (
    HIN_1,
    NOW,
    boat_alert,
    engine,
    law_enforcement_in_b,
    logged_check,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def status_of(alert) -> str:
    return Alert.objects.values_list("status", flat=True).get(pk=alert.pk)


# Expiry --------------------------------------------------------------------------------------------


def test_active_alerts_expire_the_day_after_their_expiry_date(reg):
    today = clock.today()
    ends_today = boat_alert(reg, identifiers=[engine(1)], expires_on=today)
    ends_tomorrow = boat_alert(reg, identifiers=[engine(2)], expires_on=today + timedelta(days=1))
    assert daily.run_daily()["expired"] == 0
    clock.advance(timedelta(days=1))
    assert daily.run_daily()["expired"] == 1
    assert status_of(ends_today) == AlertStatus.EXPIRED
    assert status_of(ends_tomorrow) == AlertStatus.ACTIVE
    event = AuditEvent.objects.get(action="registry.alert.expired")
    assert event.target_code == str(ends_today.code)
    assert (event.before, event.after["status"]) == ({"status": "active"}, "expired")
    assert event.actor_label == "SafePact (daily job)"
    # a second run on the same day changes nothing
    assert daily.run_daily()["expired"] == 0
    clock.advance(timedelta(days=1))
    assert daily.run_daily()["expired"] == 1
    assert status_of(ends_tomorrow) == AlertStatus.EXPIRED
    assert AuditEvent.objects.filter(action="registry.alert.expired").count() == 2


def test_located_and_withdrawn_alerts_keep_their_status(reg):
    today = clock.today()
    located = boat_alert(reg, identifiers=[engine(1)], expires_on=today)
    withdrawn = boat_alert(reg, identifiers=[engine(2)], expires_on=today)
    services.alert_set_status(user=reg.police, alert=located, status="located")
    services.alert_set_status(user=reg.police, alert=withdrawn, status="withdrawn")
    clock.advance(timedelta(days=3))
    assert daily.run_daily()["expired"] == 0
    assert (status_of(located), status_of(withdrawn)) == ("located", "withdrawn")


def test_an_expired_alert_cannot_be_made_active_again_without_a_new_date(reg):
    alert = boat_alert(reg, expires_on=clock.today())
    clock.advance(timedelta(days=1))
    daily.run_daily()
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.alert_set_status(user=reg.police, alert=alert, status="active")
    services.alert_update(user=reg.police, alert=alert, expires_on=clock.today() + timedelta(days=90))
    services.alert_set_status(user=reg.police, alert=alert, status="active")
    assert status_of(alert) == "active"


# The check log -------------------------------------------------------------------------------------


def test_checks_beyond_the_retention_period_are_deleted(reg):
    old = logged_check(reg, when=NOW - timedelta(days=91))
    edge = logged_check(reg, when=NOW - timedelta(days=90))
    recent = logged_check(reg, when=NOW - timedelta(days=1))
    result = daily.run_daily()
    assert result["checks_deleted"] == 1
    assert set(Check.objects.values_list("pk", flat=True)) == {edge.pk, recent.pk}
    event = AuditEvent.objects.get(action="registry.checks.purged")
    assert event.after["checks"] == 1
    assert event.after["retention_days"] == 90
    assert old.pk not in Check.objects.values_list("pk", flat=True)
    assert daily.run_daily()["checks_deleted"] == 0
    assert AuditEvent.objects.filter(action="registry.checks.purged").count() == 1


def test_each_partnership_keeps_checks_as_long_as_it_chose(reg):
    services.settings_update(
        user=reg.police,
        partnership=reg.partnership,
        escalation_hours=12,
        retention_days=30,
        default_alert_days=365,
    )
    logged_check(reg, when=NOW - timedelta(days=40))
    logged_check(reg, when=NOW - timedelta(days=20))
    law_enforcement_in_b(reg)
    from conftest import add_member, make_user

    dealer = make_user("dealer@parkstad.example", "Dirk Dealer")
    add_member(
        coordinator=reg.coordinator_b,
        partnership=reg.world.partnership_b,
        user=dealer,
        role="member",
        new_organisation={"name": "Botenhandel Parkstad", "kind": "business", "country": "NL"},
    )
    b_check = logged_check(
        reg, user=dealer, partnership=reg.world.partnership_b, when=NOW - timedelta(days=40)
    )
    assert daily.run_daily()["checks_deleted"] == 1
    assert Check.objects.filter(partnership=reg.partnership).count() == 1
    assert Check.objects.filter(pk=b_check.pk).exists()  # B keeps the default 90 days


def test_hits_keep_their_data_when_their_check_goes(reg):
    logged_check(reg, when=NOW - timedelta(days=80))
    alert = boat_alert(reg)
    [hit] = Hit.objects.all()
    clock.advance(timedelta(days=20))
    assert daily.run_daily()["checks_deleted"] == 1
    assert not Check.objects.exists()
    hit.refresh_from_db()
    assert (hit.alert, hit.key, hit.checked_by, hit.context) == (
        alert,
        "hin:NLXYZ98765E505",
        reg.marina,
        "offered_for_sale",
    )


def test_checks_of_a_partnership_that_is_gone_go_after_the_longest_retention(reg):
    orphan = logged_check(reg, item=HIN_1, when=NOW - timedelta(days=400))
    kept = logged_check(reg, item=HIN_1, when=NOW - timedelta(days=300))
    Check.objects.filter(pk__in=[orphan.pk, kept.pk]).update(partnership_id=999_999)
    assert daily.run_daily()["checks_deleted"] == 1
    assert list(Check.objects.values_list("pk", flat=True)) == [kept.pk]


# Rate-limit counters -------------------------------------------------------------------------------


def test_rate_windows_older_than_two_days_are_dropped(reg):
    minute = int(NOW.timestamp()) // 60
    day = clock.today().toordinal()
    keep = [
        RateWindow.objects.create(scope="u:1", window=minute, count=3),
        RateWindow.objects.create(scope="o:1", window=minute - 2 * 24 * 60, count=3),
        RateWindow.objects.create(scope="b:1", window=day, count=500),
        RateWindow.objects.create(scope="b:1", window=day - 2, count=500),
    ]
    RateWindow.objects.create(scope="u:1", window=minute - 2 * 24 * 60 - 1, count=3)
    RateWindow.objects.create(scope="o:1", window=minute - 10_000, count=3)
    RateWindow.objects.create(scope="b:1", window=day - 3, count=500)
    assert daily.run_daily()["rate_windows_deleted"] == 3
    assert set(RateWindow.objects.values_list("pk", flat=True)) == {w.pk for w in keep}


# The task ------------------------------------------------------------------------------------------


def test_the_task_runs_through_the_queue(reg, run_tasks):
    alert = boat_alert(reg, expires_on=clock.today())
    logged_check(reg, when=NOW - timedelta(days=100))
    clock.advance(timedelta(days=1))
    tasks.registry_daily.enqueue()
    [row] = [row for row in run_tasks() if row.task_path.endswith("registry_daily")]
    assert row.status == "SUCCESSFUL"
    result = DBTaskResult.objects.get(pk=row.pk).return_value
    assert (result["expired"], result["checks_deleted"], result["failed"]) == (1, 1, 0)
    assert status_of(alert) == AlertStatus.EXPIRED


def test_the_scheduler_enqueues_it_once_a_day(reg, run_tasks):
    assert scheduler.periodic_jobs()["registry.daily"] is tasks.registry_daily
    alert = boat_alert(reg, expires_on=clock.today())
    clock.advance(timedelta(days=1))
    morning = scheduler.due_at("registry.daily", clock.now()) + timedelta(minutes=1)
    assert "registry.daily" in scheduler.enqueue_due(morning)
    assert "registry.daily" not in scheduler.enqueue_due(morning + timedelta(hours=2))
    run_tasks()
    assert status_of(alert) == AlertStatus.EXPIRED
