"""CSV that is safe to open in a spreadsheet.

A cell starting with ``= + - @``, a tab or a carriage return is run as a formula by spreadsheet
programs ("CSV injection"); such a cell, and one that already starts with an apostrophe, gets one
apostrophe in front. Readers that need the exact text back remove one leading apostrophe
(see ``safepact.audit.exports.events_from_csv``).
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def csv_safe(value) -> str:
    """The text of ``value`` for a CSV cell, defused for spreadsheets (``None`` is an empty cell)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_lines(rows: Iterable[Sequence]) -> Iterator[str]:
    """Each row as one CSV line (RFC 4180 quoting), every cell passed through ``csv_safe``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_safe(cell) for cell in row])
        yield buffer.getvalue()


def csv_text(rows: Iterable[Sequence]) -> str:
    return "".join(csv_lines(rows))
