"""The daily job of the agreements app: mark agreements past their expiry date expired, then remind the
coordinators of review dates and expiry dates within each partnership's notice period, and of expired
agreements.

Safe to run more than once a day: each reminder (agreement, kind, date) is recorded with
``services.reminder_record`` (and audited) and never sent twice. The email carries only the agreement's
title, the date and a link; nothing of its text.

``send_reminders`` is what both the ``agreement_reminders`` command and the periodic task
``agreements.tasks.agreement_reminders`` (the worker, at ``SAFEPACT_SCHEDULE["agreements.reminders"]``) run.
"""

from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from safepact.agreements import selectors, services
from safepact.partnerships.models import Membership, MembershipStatus, PartnerStatus, Role

TEMPLATES = {
    "review": "agreements/email/reminder_review.txt",
    "expiry": "agreements/email/reminder_expiry.txt",
    "expired": "agreements/email/reminder_expired.txt",
}


@dataclass(frozen=True)
class ReminderRun:
    expired: int  # agreements marked expired
    reminders: int  # reminders sent (agreement, kind, date)
    emails: int
    already: int  # reminders due that had gone out before

    def as_dict(self) -> dict:
        return asdict(self)


def coordinators_to_remind(partnership_ids) -> dict[int, list]:
    """For the job only (it has no user): the active coordinators of each partnership, in one query."""
    found: dict[int, list] = {}
    memberships = (
        Membership.objects.filter(
            partner__partnership_id__in=partnership_ids,
            role=Role.COORDINATOR,
            status=MembershipStatus.ACTIVE,
            partner__status=PartnerStatus.ACTIVE,
            user__is_active=True,
        )
        .select_related("user", "partner")
        .order_by("user__email", "pk")
    )
    for membership in memberships:
        people = found.setdefault(membership.partner.partnership_id, [])
        if membership.user not in people:  # one email per person, even through two organisations
            people.append(membership.user)
    return found


def _subject(kind: str, title: str) -> str:
    if kind == "review":
        return _("Review date near: %(title)s") % {"title": title}
    if kind == "expiry":
        return _("Expiry date near: %(title)s") % {"title": title}
    return _("Agreement expired: %(title)s") % {"title": title}


def send_reminder(due: selectors.Due, user) -> None:
    """One email in the person's own language: the title, the date and a link."""
    agreement = due.agreement
    url = settings.SITE_URL + reverse(
        "agreements:detail", kwargs={"code": agreement.partnership.code, "agreement_code": agreement.code}
    )
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {"title": agreement.title, "due": due.due, "url": url}
        subject = _subject(due.kind, agreement.title)
        body = render_to_string(TEMPLATES[due.kind], context)
    send_mail(subject, body, None, [user.email])


def send_reminders() -> ReminderRun:
    """Mark agreements past their expiry date expired, then send every reminder that is due, once."""
    expired = services.expire_due()
    due = selectors.reminders_due()
    coordinators = coordinators_to_remind({item.agreement.partnership_id for item in due})
    reminders = emails = already = 0
    for item in due:
        recipients = coordinators.get(item.agreement.partnership_id, [])
        if not recipients:
            continue  # not recorded: it goes out once the partnership has a coordinator again
        with transaction.atomic():
            if not services.reminder_record(
                agreement=item.agreement, kind=item.kind, due=item.due, recipients=len(recipients)
            ):
                already += 1
                continue
            for user in recipients:
                send_reminder(item, user)
                emails += 1
        reminders += 1
    return ReminderRun(expired=expired, reminders=reminders, emails=emails, already=already)
