"""Reading notifications: always the requesting person's own."""

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from safepact.notifications.models import EmailMode, Notification, NotificationSetting


def notification_list(*, user, unread: bool = False) -> QuerySet[Notification]:
    """The person's notifications, newest first (``unread``: only those not read yet)."""
    found = Notification.objects.filter(recipient=user).select_related("partnership")
    if unread:
        found = found.filter(read_at__isnull=True)
    return found.order_by("-created_at", "-id")


def get_notification_for_user(user, notification_code) -> Notification:
    """One of the person's own notifications; 404 for anything else (someone else's looks missing)."""
    found = notification_list(user=user).filter(code=notification_code).first()
    if found is None:
        raise Http404(_("No such notification."))
    return found


def unread_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def setting_for(*, user) -> NotificationSetting:
    """The person's email setting (unsaved default, DIGEST, when they never chose)."""
    found = NotificationSetting.objects.filter(user=user).first()
    return found or NotificationSetting(user=user, email_mode=EmailMode.DIGEST)
