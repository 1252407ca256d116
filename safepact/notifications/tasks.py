"""Background tasks of notifications: thin wrappers around services (django-tasks, database queue)."""

from django_tasks import task


@task()
def send_notification_email(notification_id: int) -> bool:
    """Email one notification to its recipient (people who chose immediate email)."""
    from safepact.notifications.services import notification_email_send

    return notification_email_send(notification_id=notification_id)


@task()
def send_digests() -> int:
    """The daily digest (periodic job ``notifications.digest``)."""
    from safepact.notifications.services import digest_send

    return digest_send()
