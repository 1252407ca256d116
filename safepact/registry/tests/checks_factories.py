"""Helpers for the check and batch tests (``test_checks_*``, ``test_batch_*``).

``make_alert`` writes an alert and its identifiers straight through the ORM (keys from
``identifiers.parse``), so these tests do not depend on ``alert_create``'s side effects (overlaps, late
hits); ``boat_alert`` in ``conftest`` is the real path and is used where that matters.
"""

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

from safepact.registry import identifiers
from safepact.registry.models import Alert, Check, Identifier, RateWindow

SECRETS = (
    "Bayliner",
    "white hull",
    "5000-K123456-26",
    "Rättegångsbalken",
    "Polisen",
    "boat",
    "NLXYZ98765E505",
    "YAMAHA",
)

BOAT_IDENTIFIERS = [
    {"kind": "hin", "value": "SE-ABC12345D404"},
    {"kind": "hin", "value": "NL-XYZ98765E505"},
    {"kind": "engine", "manufacturer": "Yamaha", "value": "6ML-1034567"},
]


def make_alert(reg, *, reference="REG-2026-000001", identifiers_=None, status="active", owner=None, **fields):
    values = {
        "category": "boat",
        "description": "Bayliner VR5, white hull, blue stripe; stolen from Limhamn harbour.",
        "case_reference": "5000-K123456-26",
        "legal_basis": "Rättegångsbalken 27 kap.",
        "jurisdiction": "SE",
        "action": "hold",
        "action_note": "Call 114 14.",
        "expires_on": date(2036, 1, 1),
    }
    values.update(fields)
    alert = Alert.objects.create(
        partnership=reg.partnership,
        reference=reference,
        owner=owner or reg.m_police.partner,
        status=status,
        created_by=reg.police,
        **values,
    )
    for item in identifiers_ or BOAT_IDENTIFIERS:
        parsed = identifiers.parse(
            item["kind"],
            item["value"],
            manufacturer=item.get("manufacturer", ""),
            country=item.get("country", ""),
            document_type=item.get("document_type", ""),
        )
        Identifier.objects.create(
            partnership=reg.partnership,
            alert=alert,
            kind=parsed.kind,
            manufacturer=parsed.manufacturer,
            country=parsed.country,
            document_type=parsed.document_type,
            value=parsed.value,
            key=parsed.key,
            added_by=reg.police,
        )
    return alert


def csv_file(text: str | bytes, name: str = "stock.csv") -> SimpleUploadedFile:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def counts(scope: str) -> int:
    return sum(RateWindow.objects.filter(scope=scope).values_list("count", flat=True))


def checks_of(user) -> list[Check]:
    return list(Check.objects.filter(user=user).order_by("id"))
