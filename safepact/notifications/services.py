"""Telling people things: ``notify`` (in the app, and by email at once or in the daily digest), marking
notifications read and the person's email setting.

``notify`` runs inside the caller's transaction: the notifications and the queued emails (a row of the
django-tasks database queue) are written with the change they are about, or not at all. Emails never carry
the content of TLP:AMBER, TLP:AMBER+STRICT or TLP:RED items (``notifications.emails``).
"""

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from safepact.audit.services import audit_record
from safepact.lib import clock
from safepact.lib.tlp import TLP
from safepact.notifications.emails import render_digest, render_email
from safepact.notifications.models import EmailMode, Notification, NotificationSetting

logger = logging.getLogger(__name__)

TITLE_MAX = Notification._meta.get_field("title").max_length
URL_MAX = Notification._meta.get_field("url").max_length


def _one_line(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_url(url: str) -> str:
    """A path inside SafePact: emails prefix ``SITE_URL``, pages link to it."""
    if url and (not url.startswith("/") or url.startswith("//") or len(url) > URL_MAX):
        raise ValueError(f"notify(url=...) must be a path inside SafePact, not {url!r}")
    return url


def _modes(user_ids) -> dict[int, str]:
    found = dict(
        NotificationSetting.objects.filter(user_id__in=user_ids).values_list("user_id", "email_mode")
    )
    return {user_id: found.get(user_id, EmailMode.DIGEST) for user_id in user_ids}


def notify(
    *,
    recipients,
    kind: str,
    title: str,
    url: str = "",
    body: str = "",
    tlp: str = TLP.GREEN,
    partnership=None,
) -> list[Notification]:
    """Tell ``recipients`` (users) about something; call it inside the transaction of the change.

    ``title`` is shown in the app and, for TLP:CLEAR and TLP:GREEN only, in emails: never put restricted
    text in it (write "New minutes: <meeting title>"). ``body`` is shown in the app (and in the immediate
    email of an unrestricted item). ``url`` is a path inside SafePact. Recipients are de-duplicated and
    inactive people skipped. People who chose immediate email get a queued email task; digest people get
    it in the next daily digest; the others only see it in the app.
    """
    from safepact.notifications.tasks import send_notification_email

    label = TLP(tlp)  # ValueError on an unknown label: a programming error
    if not kind or not str(title).strip():
        raise ValueError("notify() needs a kind and a title")
    url = _check_url(url)
    title = _one_line(title, TITLE_MAX)
    people, seen = [], set()
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        people.append(user)
    if not people:
        return []
    with transaction.atomic():
        modes = _modes([user.pk for user in people])
        now = clock.now()
        created = Notification.objects.bulk_create(
            [
                Notification(
                    recipient=user,
                    partnership=partnership,
                    kind=kind,
                    title=title,
                    body=body,
                    url=url,
                    tlp=label.value,
                    created_at=now,
                )
                for user in people
            ]
        )
        for notification in created:
            if modes[notification.recipient_id] == EmailMode.IMMEDIATE:
                send_notification_email.enqueue(notification.pk)
    return created


def _send(subject: str, body: str, user) -> None:
    send_mail(_one_line(subject, 200), body, None, [user.email])


def notification_email_send(*, notification_id: int) -> bool:
    """Email one notification (the immediate email). Sent once: ``False`` when it already went out, the
    notification is gone or its recipient is no longer active."""
    with transaction.atomic():
        notification = (
            # Lock only the notification: PostgreSQL refuses FOR UPDATE on the nullable side of the outer
            # join to the partnership.
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient", "partnership")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if notification is None or not notification.recipient.is_active:
            return False
        subject, body = render_email(notification)
        _send(subject, body, notification.recipient)
        Notification.objects.filter(pk=notification.pk).update(emailed_at=clock.now())
    return True


DIGEST_LOOKBACK = timedelta(days=2)


def digest_send() -> int:
    """The daily digest: one email to every person who chose the digest and has notifications that were
    not emailed yet (only those since they chose the digest), then marks them emailed. Safe to run twice.
    Returns the number of emails sent."""
    now = clock.now()
    # Only the last two days: a digest is about what is new. Older notifications that were never emailed
    # (history loaded by the demo or an import, or a worker that was down for a week) stay in the app only.
    oldest = now - DIGEST_LOOKBACK
    other_modes = NotificationSetting.objects.exclude(email_mode=EmailMode.DIGEST).values("user_id")
    digest_since = dict(
        NotificationSetting.objects.filter(email_mode=EmailMode.DIGEST).values_list("user_id", "updated_at")
    )
    waiting = (
        Notification.objects.filter(
            emailed_at__isnull=True, created_at__lte=now, created_at__gt=oldest, recipient__is_active=True
        )
        .exclude(recipient_id__in=other_modes)
        .select_related("recipient", "partnership")
        .order_by("recipient_id", "created_at", "id")
    )
    by_person: dict[int, list[Notification]] = {}
    for notification in waiting:
        since = digest_since.get(notification.recipient_id)
        if since is not None and notification.created_at < since:
            continue  # from before they chose the digest: they did not want an email about it then
        by_person.setdefault(notification.recipient_id, []).append(notification)
    sent = 0
    for items in by_person.values():
        user = items[0].recipient
        with transaction.atomic():
            ids = list(
                Notification.objects.select_for_update()
                .filter(pk__in=[item.pk for item in items], emailed_at__isnull=True)
                .values_list("pk", flat=True)
            )
            items = [item for item in items if item.pk in ids]
            if not items:
                continue  # another digest run took them
            subject, body = render_digest(user, items)
            _send(subject, body, user)
            Notification.objects.filter(pk__in=ids).update(emailed_at=now)
        sent += 1
    logger.info("Digests sent: %d", sent)
    return sent


def notification_mark_read(*, user, notification: Notification) -> Notification:
    """Mark one of the person's own notifications read (not audited: it changes nothing shared)."""
    if notification.recipient_id != user.pk:
        raise ValidationError({"notification": _("This is not your notification.")})
    if notification.read_at is None:
        notification.read_at = clock.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notification_mark_all_read(*, user) -> int:
    """Mark all the person's notifications read; returns how many were unread."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=clock.now())


@transaction.atomic
def setting_update(*, user, email_mode: str) -> NotificationSetting:
    """Choose how to be emailed: at once, in a daily digest, or not at all (audited)."""
    if email_mode not in EmailMode.values:
        raise ValidationError({"email_mode": _("Choose one of the offered ways to be emailed.")})
    # ``updated_at`` is when the mode last changed: a first row for the default (digest) dates from
    # when the person joined, so the digest still covers what came before they saved the form.
    setting, created = NotificationSetting.objects.select_for_update().get_or_create(
        user=user, defaults={"email_mode": EmailMode.DIGEST, "updated_at": user.date_joined}
    )
    before = EmailMode.DIGEST if created else setting.email_mode
    if before == email_mode and not created:
        return setting
    setting.email_mode = email_mode
    if before != email_mode:
        setting.updated_at = clock.now()
    setting.save(update_fields=["email_mode", "updated_at"])
    if before != email_mode:
        audit_record(
            actor=user,
            action="notifications.setting.update",
            target=setting,
            before={"email_mode": before},
            after={"email_mode": email_mode},
        )
    return setting


def register() -> None:
    """Labels of this app's audit actions on the audit pages."""
    from django.utils.translation import gettext_lazy

    from safepact.audit.selectors import register_action_labels

    register_action_labels({"notifications.setting.update": gettext_lazy("Notification setting changed")})
