"""The emails of notifications: one at once, or a daily digest. Plain text, in the recipient's language.

The rule: an email carries a notification's title and text only for TLP:CLEAR and TLP:GREEN. For
TLP:AMBER, TLP:AMBER+STRICT and TLP:RED neither the subject nor the body holds anything of the item,
only its label, the partnership's name and a link ("New TLP:AMBER item in Sofielund safety partnership").
"""

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from safepact.lib.tlp import RESTRICTED, TLP
from safepact.notifications.models import Notification


@dataclass(frozen=True)
class DigestEntry:
    heading: str
    url: str


def is_restricted(notification: Notification) -> bool:
    return TLP(notification.tlp) in RESTRICTED


def link(notification: Notification) -> str:
    """The full address of the item (or of the notification list when the item has none)."""
    return settings.SITE_URL + (notification.url or reverse("notifications:list"))


def _settings_url() -> str:
    return settings.SITE_URL + reverse("notifications:settings")


def _language(user) -> str:
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def restricted_line(notification: Notification) -> str:
    """What an email may say about a restricted item: its label and where it is, nothing of its content."""
    label = str(TLP(notification.tlp).label)
    if notification.partnership_id:
        return _("New %(label)s item in %(partnership)s") % {
            "label": label,
            "partnership": notification.partnership.name,
        }
    return _("New %(label)s item in SafePact") % {"label": label}


def _digest_entry(notification: Notification) -> DigestEntry:
    heading = restricted_line(notification) if is_restricted(notification) else notification.title
    return DigestEntry(heading=heading, url=link(notification))


def render_email(notification: Notification, *, digest: bool = False) -> tuple[str, str]:
    """``(subject, body)`` of the email about one notification, in the recipient's language.

    With ``digest=True``: ``(heading, link)`` of its entry in a digest.
    """
    with translation.override(_language(notification.recipient)):
        if digest:
            entry = _digest_entry(notification)
            return entry.heading, entry.url
        context = {"url": link(notification), "settings_url": _settings_url()}
        if is_restricted(notification):
            line = restricted_line(notification)
            body = render_to_string("notifications/email/restricted.txt", {**context, "line": line})
            return line, body
        context.update(title=notification.title, body=notification.body)
        return notification.title, render_to_string("notifications/email/notification.txt", context)


def render_digest(user, notifications: list[Notification]) -> tuple[str, str]:
    """``(subject, body)`` of one person's daily digest, in their language."""
    with translation.override(_language(user)):
        count = len(notifications)
        subject = ngettext(
            "SafePact: %(count)d new notification", "SafePact: %(count)d new notifications", count
        ) % {"count": count}
        context = {
            "entries": [_digest_entry(notification) for notification in notifications],
            "settings_url": _settings_url(),
        }
        return subject, render_to_string("notifications/email/digest.txt", context)
