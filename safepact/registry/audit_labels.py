"""How registry events name their objects in the partnership's audit trail: by reference only.

The trail is one hash chain that every coordinator of the partnership reads and exports whole, also a
coordinator who is no police officer (decision 0007). So a registry event names an alert by the
partnership's reference and category, an identifier by its kind (and the alert's reference), a hit by its
kind and the alert's reference, an overlap by the references of its two alerts, and a batch check or an
import by its counts: never a description, a case reference, an identifier's value or key, or the name
of a file someone uploaded. Several models' ``__str__`` show those (``Identifier``: its value;
``Check`` and ``Overlap``: the key; ``BatchCheck`` and ``ImportRun``: the file name), so the registry
registers these label functions with the audit app (``register_target_labels``): every event about a
registry object gets them unless its caller passes ``target_label`` itself.
"""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from safepact.audit.services import register_target_labels


def _cached_alert(obj, field: str = "alert"):
    """The related alert if it is loaded already (a label must not cost a query on the hot path)."""
    descriptor = type(obj)._meta.get_field(field)
    return getattr(obj, field) if descriptor.is_cached(obj) else None


def alert_label(alert) -> str:
    return f"{alert.reference} ({alert.get_category_display()})"


def identifier_label(identifier, reference: str | None = None) -> str:
    """ "REG-2026-000042: Engine number" (the kind, never the value)."""
    if reference is None:
        alert = _cached_alert(identifier)
        reference = alert.reference if alert is not None else ""
    kind = identifier.get_kind_display()
    return f"{reference}: {kind}" if reference else kind


def hit_label(hit) -> str:
    alert = _cached_alert(hit)
    return f"{hit.get_kind_display()} {alert.reference}" if alert is not None else hit.get_kind_display()


def overlap_label(overlap) -> str:
    """ "REG-2026-000042 / REG-2026-000043" (never the shared key)."""
    first, second = _cached_alert(overlap, "first"), _cached_alert(overlap, "second")
    if first is None or second is None:
        return _("Overlap of two alerts")
    return f"{first.reference} / {second.reference}"


def batch_label(batch) -> str:
    """A batch check by its number of rows (never the partner's file name)."""
    return ngettext("Batch check of %(count)s row", "Batch check of %(count)s rows", batch.total) % {
        "count": batch.total
    }


def import_label(run) -> str:
    """An import (never the file's or the mapping's name; the counts are in the event)."""
    return _("Alert import")


def check_label(check) -> str:
    """A logged check by its number (never the key that was checked)."""
    return _("Check %(id)s") % {"id": check.pk}


LABELS = {
    "registry.alert": alert_label,
    "registry.identifier": identifier_label,
    "registry.hit": hit_label,
    "registry.overlap": overlap_label,
    "registry.batchcheck": batch_label,
    "registry.importrun": import_label,
    "registry.check": check_label,
}


def register() -> None:
    register_target_labels(LABELS)
