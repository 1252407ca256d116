"""Helpers for the meetings service/selector tests: meetings made through the services at a frozen time.

Usage (with the ``world`` fixture of the root conftest)::

    with clock.frozen(NOW):
        meeting = schedule(world)                      # partnership A, tomorrow 10:00-12:00, all members
        meeting = schedule(world, days=-1)             # yesterday (attendance and minutes allowed)
"""

from datetime import datetime, timedelta

from django.utils import timezone

from safepact.lib import clock
from safepact.meetings import services
from safepact.meetings.models import Meeting
from safepact.partnerships.models import Membership

#: A fixed "now": Wednesday 4 June 2025, 09:00 in the deployment's time zone.
NOW = timezone.make_aware(datetime(2025, 6, 4, 9, 0), timezone.get_current_timezone())


def at(days: float = 0, hour: int = 10, minute: int = 0) -> datetime:
    """Local ``hour:minute`` of the day ``days`` from the frozen clock's date."""
    local = timezone.localtime(clock.now()).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return local + timedelta(days=days)


def schedule(world, *, days: float = 1, hours: float = 2, partnership=None, actor=None, **kwargs) -> Meeting:
    kwargs.setdefault("kind", "plenary")
    kwargs.setdefault("title", "Plenary meeting")
    starts = kwargs.pop("starts_at", None) or at(days)
    return services.meeting_create(
        actor=actor or world.coordinator,
        partnership=partnership or world.partnership_a,
        starts_at=starts,
        ends_at=kwargs.pop("ends_at", None) or starts + timedelta(hours=hours),
        **kwargs,
    )


def coordinator_membership(world) -> Membership:
    return Membership.objects.get(user=world.coordinator, partner__partnership=world.partnership_a)


def reload(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_related("partnership").get(pk=meeting.pk)
