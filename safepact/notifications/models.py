"""Notifications: what a person is told (in the app, and by email at once or in a daily digest).

A notification keeps the item's TLP label. Its ``title`` and ``body`` are shown in the app to the
recipient only; an email carries the text only for TLP:CLEAR and TLP:GREEN, for every other label only a
link (``notifications.emails``).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safepact.lib import clock
from safepact.lib.ids import CodeField
from safepact.lib.tlp import TLPField

USER = settings.AUTH_USER_MODEL


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", _("At once, one email per notification")
    DIGEST = "digest", _("Once a day, in a digest")
    NONE = "none", _("No email; only in SafePact")


class NotificationSetting(models.Model):
    user = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="+")
    email_mode = models.CharField(
        _("email"), max_length=10, choices=EmailMode.choices, default=EmailMode.DIGEST
    )
    updated_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.email_mode}"


class Notification(models.Model):
    code = CodeField()
    recipient = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    partnership = models.ForeignKey(
        "partnerships.Partnership", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    #: What it is about, e.g. ``meetings.invited``, ``continuity.report_due`` (for filtering and tests).
    kind = models.CharField(_("kind"), max_length=60)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    #: The path inside SafePact (no host); emails add ``SITE_URL``.
    url = models.CharField(_("link"), max_length=500, blank=True)
    tlp = TLPField()
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    #: Set when the email (immediate or in a digest) went out; stays empty for people who chose no email.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["recipient", "emailed_at"], name="notification_unemailed"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"
