"""Helpers of the notifications tests."""

from safepact.lib.tlp import RESTRICTED
from safepact.notifications.services import notify, setting_update

MARKER = "ZEBRA-7731-SECRET"  # must never appear in any email of a restricted notification


def restricted_notifications(world, user):
    """One notification per restricted label whose title and body both carry ``MARKER``."""
    return [
        notify(
            recipients=[user],
            kind="test.restricted",
            title=f"Minutes {MARKER} {label.value}",
            body=f"The informant {MARKER} said so.",
            url="/p/somewhere/",
            tlp=label,
            partnership=world.partnership_a,
        )[0]
        for label in RESTRICTED
    ]


def mode(user, email_mode):
    setting_update(user=user, email_mode=email_mode)
