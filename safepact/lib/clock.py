"""The one source of time. Tests move the clock instead of sleeping."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.utils import timezone

_frozen: datetime | None = None


def now() -> datetime:
    return _frozen if _frozen is not None else timezone.now()


def today() -> date:
    """Today in the deployment's time zone (``TIME_ZONE``): the calendar people write their dates in,
    not the UTC date, which lags or leads it by hours around midnight."""
    return timezone.localdate(now())


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Freeze ``now()`` at ``at`` (aware datetime) for the duration of the block."""
    global _frozen
    previous = _frozen
    _frozen = at
    try:
        yield
    finally:
        _frozen = previous


def advance(delta: timedelta) -> None:
    """Move a frozen clock forward; only valid inside ``frozen``."""
    global _frozen
    if _frozen is None:
        raise RuntimeError("advance() needs a frozen clock")
    _frozen = _frozen + delta
