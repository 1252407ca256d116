"""Helpers for the continuity service tests (with the ``world`` fixture of the root conftest).

Partnership A has three active partners: the police (coordinator), the city (member) and the property
owners (viewer). ``partners(world)`` gives them by name.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from safepact.audit.models import AuditEvent
from safepact.formation.models import Objective
from safepact.partnerships.models import Membership, Partner


@dataclass
class Partners:
    police: Partner
    city: Partner
    shop: Partner


def partners(world) -> Partners:
    def of(user):
        return Membership.objects.get(user=user, partner__partnership=world.partnership_a).partner

    return Partners(police=of(world.coordinator), city=of(world.member), shop=of(world.viewer))


def objective(partnership, title="Fewer burglaries") -> Objective:
    return Objective.objects.create(partnership=partnership, title=title, indicator="Reported burglaries")


def events(action: str):
    return AuditEvent.objects.filter(action=action)


def at(day: date, hour: int = 9) -> datetime:
    """A moment on ``day`` (UTC; the default TIME_ZONE keeps it on the same local day at 9:00)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
