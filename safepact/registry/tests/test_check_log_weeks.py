"""The check log's week buckets (``Check.week``): every way a check is written stores the week of its time,
and late hits read every week of the retention window, its first and last days included."""

from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from safepact.lib import clock
from safepact.partnerships.selectors import membership_in
from safepact.registry import services
from safepact.registry.models import CHECK_WEEK_SECONDS, Check, Hit, check_week, check_weeks
from safepact.registry.tests.alerts_factories import HIN_1, HIN_2, NOW, boat_alert, logged_check

pytestmark = pytest.mark.django_db


def test_week_numbers_follow_the_epoch_in_utc():
    start = datetime.fromtimestamp(2920 * CHECK_WEEK_SECONDS, tz=NOW.tzinfo)
    assert check_week(start) == 2920
    assert check_week(start - timedelta(microseconds=1)) == 2919
    assert check_week(start + timedelta(days=7) - timedelta(microseconds=1)) == 2920
    assert check_weeks(start - timedelta(days=1), start + timedelta(days=7)) == [2919, 2920, 2921]


def test_single_checks_batches_and_the_orm_store_the_week(reg):
    with clock.frozen(NOW):
        services.check_identifier(
            user=reg.marina,
            membership=membership_in(reg.marina, reg.partnership),
            context="purchase",
            **HIN_1,
        )
        upload = SimpleUploadedFile("stock.csv", b"kind,value\nhin,NL-XYZ98765E505\nvin,WVWZZZ1JZXW000001\n")
        batch = services.batch_create(
            user=reg.marina,
            membership=membership_in(reg.marina, reg.partnership),
            file=upload,
            context="purchase",
        )
    later = NOW + timedelta(days=9)
    with clock.frozen(later):
        services.batch_run(batch_id=batch.pk)
    logged_check(reg, when=NOW - timedelta(days=20))
    rows = list(Check.objects.order_by("id").values_list("checked_at", "week"))
    assert len(rows) == 4
    assert [week for _at, week in rows] == [check_week(at) for at, _week in rows]
    assert {week for _at, week in rows} == {
        check_week(NOW),
        check_week(later),
        check_week(NOW - timedelta(days=20)),
    }
    assert len({week for _at, week in rows}) == 3


@pytest.mark.parametrize("days", [1, 45, 89])
def test_late_hits_find_checks_in_every_week_of_the_window(reg, days):
    check = logged_check(reg, item=HIN_2, when=NOW - timedelta(days=days, hours=23))
    with clock.frozen(NOW):
        boat_alert(reg)
    assert list(Hit.objects.values_list("check_ref", flat=True)) == [check.pk]


def test_a_check_just_outside_the_window_is_no_late_hit(reg):
    logged_check(reg, item=HIN_2, when=NOW - timedelta(days=90, seconds=1))
    with clock.frozen(NOW):
        boat_alert(reg)
    assert not Hit.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_checks_their_week(reg):
    """0004 fills ``week`` from ``checked_at`` on both databases (rows written before the column existed)."""
    times = [NOW - timedelta(days=d, hours=h) for d, h in ((0, 0), (6, 23), (40, 5), (88, 1))]
    for moment in times:
        logged_check(reg, when=moment)
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("registry", "0003_lookup_indexes_only")])
        executor = MigrationExecutor(connection)
        executor.migrate([("registry", "0004_check_log_weeks")])
        stored = dict(Check.objects.values_list("checked_at", "week"))
    finally:  # back to the latest schema for the tests after this one
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert stored == {moment: check_week(moment) for moment in times}
