"""Audit trail exports (JSON and CSV) that an auditor can verify offline.

Both carry every hashed field plus ``code`` and ``hash``, oldest first:

* JSON: ``{"format": "safepact-audit-trail", "version": 1, "partnership": CODE, "head": {...},
  "events": [...]}``; verify with ``python safepact/audit/chain.py FILE`` (standard library only).
* CSV: one row per event, columns ``EXPORT_COLUMNS``. ``before`` and ``after`` are JSON text
  (``null`` when empty). A cell that a spreadsheet would run as a formula (starting with
  ``= + - @``, tab or carriage return) or that starts with an apostrophe gets one apostrophe in
  front; ``events_from_csv`` removes it again, so the CSV verifies exactly like the JSON.

Writers are generators so a long chain streams instead of being built in memory.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping

from safepact.audit.chain import HASHED_FIELDS
from safepact.lib.csv_export import csv_safe

FORMAT = "safepact-audit-trail"
VERSION = 1
EXPORT_COLUMNS = ("code", *HASHED_FIELDS, "hash")
JSON_COLUMNS = ("before", "after")


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def json_chunks(
    *, partnership_code: str, exported_at: str, head: Mapping, events: Iterable[Mapping]
) -> Iterator[str]:
    """The JSON export, in pieces."""
    header = {
        "format": FORMAT,
        "version": VERSION,
        "partnership": partnership_code,
        "exported_at": exported_at,
        "head": dict(head),
        "verify": "python safepact/audit/chain.py THIS_FILE",
    }
    yield _json(header)[:-1] + ',"events":['
    for index, event in enumerate(events):
        yield ("," if index else "") + "\n" + _json({column: event[column] for column in EXPORT_COLUMNS})
    yield "\n]}\n"


def _cell(column: str, value) -> str:
    return csv_safe(_json(value) if column in JSON_COLUMNS else str(value))


def csv_chunks(events: Iterable[Mapping]) -> Iterator[str]:
    """The CSV export, one line per piece."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(row) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        return buffer.getvalue()

    yield line(EXPORT_COLUMNS)
    for event in events:
        yield line([_cell(column, event[column]) for column in EXPORT_COLUMNS])


def events_from_csv(text: str) -> list[dict]:
    """Read a CSV export back into the dicts ``chain.verify`` takes."""
    events = []
    for row in csv.DictReader(io.StringIO(text)):
        event = {}
        for column in EXPORT_COLUMNS:
            value = row[column]
            if value.startswith("'"):
                value = value[1:]
            if column in JSON_COLUMNS:
                value = json.loads(value)
            elif column == "seq":
                value = int(value)
            event[column] = value
        events.append(event)
    return events
