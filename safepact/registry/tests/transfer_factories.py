"""Helpers for the import and export tests (``test_transfer_*``)."""

from pathlib import Path

from safepact.audit.models import AuditEvent
from safepact.registry.models import Alert, Hit, Identifier, ImportRun, Overlap
from safepact.registry.services.transfer import MAPPINGS_DIR

__all__ = ["MAPPINGS", "keys_of", "sample", "state"]

MAPPINGS: Path = MAPPINGS_DIR


def sample(name: str) -> bytes:
    return (MAPPINGS / name).read_bytes()


def state() -> dict:
    """How many of each kind of row there are: an atomic import that fails changes none of them."""
    return {
        model.__name__: model.objects.count()
        for model in (Alert, Identifier, Hit, Overlap, AuditEvent, ImportRun)
    }


def keys_of(alert) -> set[str]:
    return set(Identifier.objects.filter(alert=alert).values_list("key", flat=True))
