"""The daily job of the exchange (periodic job ``exchange.daily``, task ``tasks.exchange_daily``).

Per partnership, for information requests that have been sent:

* **reminders**: ``ExchangeSettings.reminder_days`` before the deadline (and up to the deadline itself), the
  addressed organisations that have not answered or declined are reminded, each once (``reminded_at``);
* **overdue**: on the day after the deadline a request nobody answered becomes overdue;
* **escalation**: the partnership's coordinators (those who may see the request) are told once about an
  overdue request (``escalated_at``).

Then the register's review reminders (``flow_review_reminders``) and the retention purge (``retention_purge``).
Every step is idempotent: running the job twice on a day changes nothing the second time. One partnership's
trouble does not stop the others: its changes are rolled back, it is logged, and the next run tries again.
"""

import logging
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext as _

from safepact.audit.services import audit_record
from safepact.exchange.models import (
    ExchangeSettings,
    InformationRequest,
    RecipientStatus,
    RequestRecipient,
    RequestStatus,
)
from safepact.exchange.services import requests as request_services
from safepact.lib import clock
from safepact.partnerships.models import Partnership

logger = logging.getLogger(__name__)

__all__ = ["run_daily"]

#: Requests whose addressed organisations are reminded (an overdue request is escalated instead).
REMINDED_STATES = (RequestStatus.SENT, RequestStatus.ANSWERED)
ACTOR_LABEL = "SafePact (daily job)"


def register() -> None:
    """The periodic job (called once from exchange.hooks)."""
    _register_periodic()


def _register_periodic() -> None:
    from safepact.exchange import tasks
    from safepact.lib import scheduler

    scheduler.register_periodic("exchange.daily", tasks.exchange_daily)


def _reminder_days(partnership_ids) -> dict[int, int]:
    default = ExchangeSettings._meta.get_field("reminder_days").default
    found = dict(
        ExchangeSettings.objects.filter(partnership_id__in=partnership_ids).values_list(
            "partnership_id", "reminder_days"
        )
    )
    return {pid: found.get(pid, default) for pid in partnership_ids}


def _date(day: date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _remind(partnership: Partnership, on: date, days: int) -> int:
    """Remind pending addressed organisations of requests due within ``days`` (once each)."""
    due = (
        RequestRecipient.objects.select_for_update(of=("self",))
        .filter(
            request__partnership=partnership,
            request__status__in=REMINDED_STATES,
            request__deadline__gte=on,
            request__deadline__lte=on + timedelta(days=days),
            status=RecipientStatus.PENDING,
            reminded_at__isnull=True,
        )
        .select_related("request", "partner")
        .order_by("request__deadline", "id")
    )
    count = 0
    now = clock.now()
    for recipient in due:
        request = recipient.request
        request.partnership = partnership
        people = request_services._who_may_see(
            [m.user for m in request_services._write_members([recipient.partner_id], partnership)], request
        )
        values = {"partnership": partnership.name, "date": _date(request.deadline), "title": request.title}
        request_services._notify_request(
            request=request,
            recipients=people,
            kind="exchange.request.reminder",
            restricted_title=_("Reminder: an information request in %(partnership)s is due on %(date)s")
            % values,
            open_title=_("Reminder: answer “%(title)s” by %(date)s") % values,
        )
        recipient.reminded_at = now
        recipient.save(update_fields=["reminded_at"])
        audit_record(
            actor_label=ACTOR_LABEL,
            action="exchange.request.reminded",
            target=request_services.audit_target(request),
            partnership=partnership,
            after={"organisation": str(recipient.partner.code), "people": len(people)},
        )
        count += 1
    return count


def _mark_overdue(partnership: Partnership, on: date) -> int:
    """Sent requests whose deadline has passed and that nobody answered become overdue."""
    late = InformationRequest.objects.select_for_update().filter(
        partnership=partnership, status=RequestStatus.SENT, deadline__lt=on
    )
    count = 0
    now = clock.now()
    for request in late.order_by("deadline", "id"):
        request.status = RequestStatus.OVERDUE
        request.updated_at = now
        request.save(update_fields=["status", "updated_at"])
        audit_record(
            actor_label=ACTOR_LABEL,
            action="exchange.request.overdue",
            target=request_services.audit_target(request),
            partnership=partnership,
            before={"status": RequestStatus.SENT},
            after={"status": RequestStatus.OVERDUE, "deadline": request.deadline.isoformat()},
        )
        count += 1
    return count


def _escalate(partnership: Partnership) -> int:
    """Tell the coordinators (who may see it) about each overdue request, once."""
    overdue = InformationRequest.objects.select_for_update().filter(
        partnership=partnership, status=RequestStatus.OVERDUE, escalated_at__isnull=True
    )
    count = 0
    now = clock.now()
    for request in overdue.order_by("deadline", "id"):
        request.partnership = partnership
        people = request_services._who_may_see(request_services.coordinators_of(partnership), request)
        values = {"partnership": partnership.name, "date": _date(request.deadline), "title": request.title}
        request_services._notify_request(
            request=request,
            recipients=people,
            kind="exchange.request.overdue",
            restricted_title=_("An information request in %(partnership)s is overdue (deadline %(date)s)")
            % values,
            open_title=_("Overdue information request: %(title)s (deadline %(date)s)") % values,
        )
        request.escalated_at = now
        request.save(update_fields=["escalated_at"])
        audit_record(
            actor_label=ACTOR_LABEL,
            action="exchange.request.escalated",
            target=request_services.audit_target(request),
            partnership=partnership,
            after={"coordinators": len(people)},
        )
        count += 1
    return count


def run_daily(*, on: date | None = None) -> dict:
    """Reminders, overdue requests and escalations for every partnership, then the register's review
    reminders and the retention purge. Returns the counts (and the ids of partnerships that failed)."""
    from safepact.exchange.services.register import flow_review_reminders
    from safepact.exchange.services.retention import retention_purge

    on = on or clock.today()
    result: dict = {"reminders": 0, "overdue": 0, "escalations": 0, "failed": []}
    busy = (
        InformationRequest.objects.filter(
            Q(status__in=REMINDED_STATES) | Q(status=RequestStatus.OVERDUE, escalated_at__isnull=True)
        )
        .order_by()
        .values_list("partnership_id", flat=True)
        .distinct()
    )
    partnerships = list(Partnership.objects.filter(pk__in=busy).order_by("id"))
    days = _reminder_days([p.pk for p in partnerships])
    for partnership in partnerships:
        try:
            with transaction.atomic():
                reminders = _remind(partnership, on, days[partnership.pk])
                overdue = _mark_overdue(partnership, on)
                escalations = _escalate(partnership)
        except Exception:
            logger.exception("Exchange daily job failed for partnership %s", partnership.pk)
            result["failed"].append(partnership.pk)
            continue
        result["reminders"] += reminders
        result["overdue"] += overdue
        result["escalations"] += escalations
    for name, step in (("flow_reviews", flow_review_reminders), ("purged", retention_purge)):
        # not wrapped in one transaction: each step runs its own (one per item, for the purge)
        try:
            result[name] = step(on=on)
        except Exception:
            logger.exception("Exchange daily job: %s failed", name)
            result[name] = None
            result["failed"].append(name)
    return result
