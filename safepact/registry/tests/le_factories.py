"""Helpers for the law-enforcement page tests (``test_views_le_*``): what the alert form posts, and an
import file in the built-in SafePact format."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile

BOAT_ROWS = [
    {"kind": "hin", "value": "SE-ABC12345D404"},
    {"kind": "hin", "value": "NL-XYZ98765E505"},
    {"kind": "engine", "manufacturer": "Yamaha", "value": "6ML-1034567"},
]


def formset_data(rows, *, total=None, prefix="identifiers") -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(total if total is not None else max(3, len(rows))),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "50",
    }
    for index, row in enumerate(rows):
        for field in ("kind", "value", "manufacturer", "country", "document_type"):
            data[f"{prefix}-{index}-{field}"] = row.get(field, "")
    return data


def alert_form_data(*, identifiers=True, rows=None, **fields) -> dict:
    """What the new-alert form posts: a stolen boat with two hull numbers and an engine number."""
    data = {
        "category": "boat",
        "description": "Bayliner VR5, white hull, blue stripe; stolen from Limhamn harbour.",
        "case_reference": "5000-K123456-26",
        "legal_basis": "Rättegångsbalken 27 kap.",
        "jurisdiction": "SE",
        "action": "hold",
        "action_note": "Call 114 14.",
        "expires_on": "",
    }
    if not identifiers:
        data["expires_on"] = "2036-01-01"
    data.update(fields)
    if identifiers:
        data.update(formset_data(BOAT_ROWS if rows is None else rows))
    return data


def import_record(reference, case_reference, identifiers, **fields) -> dict:
    """One alert in the built-in (export) format."""
    record = {
        "reference": reference,
        "category": "boat",
        "description": "Imported boat.",
        "status": "active",
        "case_reference": case_reference,
        "legal_basis": "Rättegångsbalken 27 kap.",
        "jurisdiction": "SE",
        "expires_on": "2036-05-12",
        "action": "hold",
        "action_note": "",
        "identifiers": identifiers,
    }
    record.update(fields)
    return record


def default_import_records() -> list[dict]:
    """Three items: two alerts, the second in two items (the same reference: merged into one object)."""
    return [
        import_record("OLD-1", "IMP-1", [{"kind": "hin", "value": "SE-QRS45678F707"}]),
        import_record("OLD-2", "IMP-2", [{"kind": "frame", "value": "WTU123456789K"}], category="bicycle"),
        import_record("OLD-2", "IMP-2", [{"kind": "imei", "value": "35209900176148"}], category="bicycle"),
    ]


def import_upload(reg=None, records=None, name="alerts.json") -> SimpleUploadedFile:
    """An import file in the built-in format (``mappings/safepact.json``)."""
    records = records if records is not None else default_import_records()
    body = json.dumps({"format": "safepact-registry", "version": 1, "alerts": records})
    return SimpleUploadedFile(name, body.encode(), content_type="application/json")
