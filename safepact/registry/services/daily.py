"""The registry's daily job (periodic job ``registry.daily``, task ``tasks.registry_daily``).

* **expiry**: active alerts whose expiry date has passed become expired (each audited);
* **check-log purge**: checks older than each partnership's retention period are deleted, in bulk per
  partnership (hits keep their own copy of what they need: key, who, when, context); checks of partnerships
  that no longer exist go after the platform's longest retention;
* **rate-limit counters**: windows older than two days are dropped (per-minute windows ``u:``/``o:`` count
  minutes since the epoch, per-day windows ``b:`` count days, ``date.toordinal()``).

Every step is idempotent: a second run on the same day changes nothing. One partnership's trouble does not
stop the others: its changes roll back, it is logged, and the next run tries again.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from safepact.audit.services import audit_record
from safepact.lib import clock
from safepact.partnerships.models import Partnership
from safepact.registry.models import Alert, AlertStatus, Check, RateWindow, check_week
from safepact.registry.selectors.alerts import settings_map

logger = logging.getLogger(__name__)

__all__ = ["run_daily"]

ACTOR_LABEL = "SafePact (daily job)"
#: Rate-limit windows are kept this long (minutes; days for the per-day windows).
MINUTE_WINDOWS_KEPT = 2 * 24 * 60
DAY_WINDOWS_KEPT = 2


def _expire(partnership: Partnership, today) -> int:
    with transaction.atomic():
        due = list(
            Alert.objects.select_for_update()
            .filter(partnership=partnership, status=AlertStatus.ACTIVE, expires_on__lt=today)
            .only("id", "code", "reference", "category", "expires_on")
            .order_by("id")
        )
        if not due:
            return 0
        now = clock.now()
        Alert.objects.filter(pk__in=[alert.pk for alert in due]).update(
            status=AlertStatus.EXPIRED, status_changed_at=now, updated_at=now
        )
        for alert in due:
            audit_record(
                actor_label=ACTOR_LABEL,
                action="registry.alert.expired",
                target=alert,
                partnership=partnership,
                before={"status": AlertStatus.ACTIVE},
                after={
                    "status": AlertStatus.EXPIRED,
                    "reference": alert.reference,
                    "expires_on": alert.expires_on.isoformat(),
                },
            )
        return len(due)


def _purge(partnership: Partnership, days: int, now) -> int:
    cutoff = now - timedelta(days=days)
    with transaction.atomic():
        deleted, _by_model = Check.objects.filter(  # (partnership, week) of the late-hit index
            partnership_id=partnership.pk, week__lte=check_week(cutoff), checked_at__lt=cutoff
        ).delete()
        if deleted:
            audit_record(
                actor_label=ACTOR_LABEL,
                action="registry.checks.purged",
                partnership=partnership,
                after={"checks": deleted, "retention_days": days, "before": cutoff.isoformat()},
            )
        return deleted


def _drop_rate_windows(now, today) -> int:
    minute = int(now.timestamp()) // 60
    deleted, _by_model = RateWindow.objects.filter(
        (Q(scope__startswith="u:") | Q(scope__startswith="o:")) & Q(window__lt=minute - MINUTE_WINDOWS_KEPT)
        | Q(scope__startswith="b:", window__lt=today.toordinal() - DAY_WINDOWS_KEPT)
    ).delete()
    return deleted


def run_daily() -> dict:
    """Expire alerts, purge the check log beyond retention and drop old rate-limit counters. Returns the
    numbers: ``{"expired", "checks_deleted", "rate_windows_deleted", "failed"}``."""
    now, today = clock.now(), clock.today()
    totals = {"expired": 0, "checks_deleted": 0, "rate_windows_deleted": 0, "failed": 0}
    partnerships = list(Partnership.objects.only("id", "code").order_by("id"))
    retention = settings_map(p.pk for p in partnerships)
    for partnership in partnerships:
        try:
            totals["expired"] += _expire(partnership, today)
            totals["checks_deleted"] += _purge(partnership, retention[partnership.pk].retention_days, now)
        except Exception:
            totals["failed"] += 1
            logger.exception("The registry's daily job failed for partnership %s", partnership.code)
    # Checks of partnerships that are gone (the check log has no foreign key) go after the longest retention.
    longest = int(settings.SAFEPACT_REGISTRY_RETENTION[1])
    before = now - timedelta(days=longest)
    orphans, _by_model = (  # reads the whole late-hit index: rare rows, a daily job
        Check.objects.filter(week__lte=check_week(before), checked_at__lt=before)
        .exclude(partnership_id__in=[p.pk for p in partnerships])
        .delete()
    )
    totals["checks_deleted"] += orphans
    totals["rate_windows_deleted"] = _drop_rate_windows(now, today)
    logger.info("Registry daily job: %s", totals)
    return totals
