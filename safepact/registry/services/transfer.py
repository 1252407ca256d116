"""Import and export of alerts: alignment with other databases (issue 7, item 6).

Import
======
``import_alerts(actor=..., partnership=..., owner=..., data=..., file_name=..., mapping=...)`` reads a CSV or
JSON file through a *mapping* and creates one alert per object, owned by ``owner`` (a law-enforcement
partner of the partnership). ``manage.py registry_import`` and the "Import" page call it.

The mapping (``load_mapping``: a path to a JSON file, the JSON itself as bytes, a dict, or the built-in name
``safepact`` for our own export format, so that export → import round-trips) says which column holds which
field of an alert and which columns hold identifiers. The full description, with examples, is in
``safepact/registry/mappings/README.md`` (also in ``docs/registry.md``); in short::

    {
      "format": "csv",                 # or "json": a list of flat objects, or {"alerts": [...]}
      "delimiter": ",", "encoding": "utf-8",
      "object_key": ["case_no"],       # rows with the same values here are one object; without it,
                                       # rows sharing any identifier are one object
      "fields": {
        "category": {"column": "type", "values": {"BOOT": "boat"}},
        "description": "omschrijving",                     # a column
        "legal_basis": {"value": "Art. 94 Sv"},             # a constant
        "expires_on": {"column": "vervaldatum", "date_format": "%d-%m-%Y"},
        ...
      },
      "identifiers": [                 # one identifier per column (empty cells skipped)
        {"kind": "hin", "column": "romp1"},
        {"kind": "engine", "column": "motor_nr", "manufacturer_column": "motor_merk"}
      ],
      "identifier_rows": {             # or: one identifier per row
        "kind_column": "id_soort", "value_column": "id_waarde", "kinds": {"ROMP": "hin"}
      },
      "identifier_objects": {"column": "identifiers"}     # or: a list of {kind, value, ...} per object (JSON)
    }

What happens:

1. Every line is read and checked (fields converted, identifiers normalised by ``identifiers.parse``); a bad
   line is *rejected* with its line number and a message naming the column (for JSON, the number is the
   item's position in the list).
2. Lines naming the same object are *merged* into one object with several identifiers: the values of the
   object's first line win; a later line only fills a field left empty (fields whose values differed are
   listed in the report).
3. An object whose case reference equals that of an existing active alert of the same owning unit is merged
   into that alert (its new identifiers are added to it) when it shares an identifier with it, or when it is
   the only such alert of the object's category: one case often covers several objects.
4. If any line is rejected, nothing is written and ``ImportRejected`` carries the report (the import is
   atomic). A dry run returns the same report and writes nothing at all.
5. Otherwise the alerts and identifiers are written in chunks of 5,000 objects (references
   ``REG-<year>-<n>`` allocated in one block), overlaps and late hits are detected for each chunk's new
   identifiers (``detect_overlaps``, ``detect_late_hits``), and one audit event ``registry.import`` (the
   owning unit and the counts only) and an ``ImportRun`` (with the file's and the mapping's names) record
   the import. The chunks are written by multi-row ``INSERT ... RETURNING id``
   statements whose values are adapted by the model fields once per constant (``_FastWriter``; about three
   times faster than ``bulk_create``, which prepares every value of every object), or by ``bulk_create`` on
   a database that cannot return the keys of a multi-row insert.

Export
======
``alerts_export(user=..., partnership=...)`` returns every alert of the partnership (law enforcement only) as
``{"format": "safepact-registry", "version": 1, ...}``; ``alerts_export_stream`` yields the same JSON in
pieces for ``manage.py registry_export``. Both are audited (``registry.export``).
"""

import codecs
import csv
import io
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_countries import countries

from safepact.audit.selectors import register_action_labels
from safepact.audit.services import audit_record
from safepact.lib import clock
from safepact.lib.ids import new_code
from safepact.partnerships.models import Partner, Partnership, PartnerStatus
from safepact.partnerships.selectors import NOT_FOUND, membership_in
from safepact.registry import identifiers as ids
from safepact.registry import permissions
from safepact.registry.models import (
    Alert,
    AlertStatus,
    Category,
    Check,
    DocumentType,
    HitAction,
    Identifier,
    IdentifierKind,
    ImportRun,
)
from safepact.registry.selectors.alerts import settings_for
from safepact.registry.services.alerts import alert_references, detect_late_hits, detect_overlaps

__all__ = [
    "ImportRejected",
    "ImportReport",
    "ImportedObject",
    "Mapping",
    "alerts_export",
    "alerts_export_stream",
    "import_alerts",
    "import_owner",
    "load_mapping",
]

MAPPINGS_DIR = Path(__file__).resolve().parent.parent / "mappings"
#: Built-in mappings by name.
BUILTIN_MAPPINGS = {"safepact": MAPPINGS_DIR / "safepact.json"}
EXPORT_FORMAT = "safepact-registry"
EXPORT_VERSION = 1
#: Objects written per chunk (alerts, then their identifiers, then overlap and late-hit detection).
CHUNK = 5000
#: Rows of existing alerts looked up per query (SQLite's limit on query parameters).
LOOKUP_CHUNK = 2000
#: Encoding errors reported before giving up on listing more.
MAX_ENCODING_ERRORS = 100
MAPPING_MAX_BYTES = 1024 * 1024
#: Text codecs that are no character set of a file (``codecs.lookup`` names): refused in a mapping.
NOT_FILE_ENCODINGS = frozenset({"punycode", "idna", "undefined", "unicode-escape", "raw-unicode-escape"})
#: SQLite's page cache during a large import (KiB).
SQLITE_IMPORT_CACHE_KIB = 256 * 1024
DEFAULT_ACTOR_LABEL = "registry import"

FIELD_NAMES = (
    "category",
    "description",
    "case_reference",
    "legal_basis",
    "jurisdiction",
    "expires_on",
    "action",
    "action_note",
    "status",
)
REQUIRED_FIELDS = ("category", "description", "case_reference", "legal_basis", "jurisdiction")
CHOICE_FIELDS = {"category": Category, "action": HitAction, "status": AlertStatus}
TEXT_FIELDS = {
    name: Alert._meta.get_field(name).max_length
    for name in ("description", "case_reference", "legal_basis", "action_note")
}
VALUE_MAX = Identifier._meta.get_field("value").max_length
MANUFACTURER_MAX = Identifier._meta.get_field("manufacturer").max_length
KEY_MAX = Identifier._meta.get_field("key").max_length
ISO_DATE = "%Y-%m-%d"
EXPORT_FIELDS = (
    "reference",
    "category",
    "description",
    "status",
    "case_reference",
    "legal_basis",
    "jurisdiction",
    "expires_on",
    "action",
    "action_note",
)


def register() -> None:
    register_action_labels(
        {
            "registry.import": gettext_lazy("Alerts imported"),
            "registry.export": gettext_lazy("Alerts exported"),
        }
    )


# The mapping ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """Where one field of an alert comes from: one or more columns (joined), or a constant."""

    name: str
    columns: tuple[str, ...] = ()
    join: str = ", "
    constant: Any = None
    default: Any = None
    values: dict = field(default_factory=dict)
    date_format: str = ISO_DATE

    @property
    def source(self) -> str:
        """How a message names where the value came from."""
        if self.columns:
            return " + ".join(self.columns)
        return f"fields.{self.name}.value"


@dataclass(frozen=True, slots=True)
class ColumnIdentifier:
    """One identifier per cell of ``column`` (a JSON value may be a list: one identifier per element)."""

    kind: str
    column: str
    manufacturer_column: str = ""
    manufacturer: str = ""
    country_column: str = ""
    country: str = ""
    document_type_column: str = ""
    document_type: str = ""
    where: str = ""  # "identifiers[2]"


@dataclass(frozen=True, slots=True)
class RowIdentifiers:
    """One identifier per row: its kind in one column, its value in another."""

    value_column: str
    kind_column: str = ""
    kind: str = ""
    manufacturer_column: str = ""
    country_column: str = ""
    document_type_column: str = ""
    kinds: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ObjectIdentifiers:
    """A list of identifier objects (``{"kind", "value", "manufacturer", "country", "document_type"}``) in
    one column: our own export format."""

    column: str
    kinds: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Mapping:
    name: str
    format: str = "csv"
    delimiter: str = ","
    encoding: str = "utf-8"
    object_key: tuple[str, ...] = ()
    fields: dict = field(default_factory=dict)  # name -> FieldSpec
    identifiers: tuple[ColumnIdentifier, ...] = ()
    identifier_rows: RowIdentifiers | None = None
    identifier_objects: ObjectIdentifiers | None = None

    def columns(self) -> list[tuple[str, str]]:
        """Every column the mapping reads, with the mapping key naming it: ``[("romp1",
        "identifiers[1].column"), ...]``."""
        found: list[tuple[str, str]] = [(c, f"object_key[{i + 1}]") for i, c in enumerate(self.object_key)]
        for spec in self.fields.values():
            found += [(c, f"fields.{spec.name}") for c in spec.columns]
        for spec in self.identifiers:
            for attr in ("column", "manufacturer_column", "country_column", "document_type_column"):
                if getattr(spec, attr):
                    found.append((getattr(spec, attr), f"{spec.where}.{attr}"))
        if rows := self.identifier_rows:
            for attr in (
                "kind_column",
                "value_column",
                "manufacturer_column",
                "country_column",
                "document_type_column",
            ):
                if getattr(rows, attr):
                    found.append((getattr(rows, attr), f"identifier_rows.{attr}"))
        if self.identifier_objects:
            found.append((self.identifier_objects.column, "identifier_objects.column"))
        return found


def _mapping_error(key: str, problem: str) -> ValidationError:
    if not key:
        return ValidationError({"mapping": _("Mapping: %(problem)s") % {"problem": problem}})
    return ValidationError({"mapping": _("Mapping, %(key)s: %(problem)s") % {"key": key, "problem": problem}})


def _string(value, key: str, *, required: bool = True, allow_empty: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (not value.strip() and not allow_empty):
        raise _mapping_error(key, _("expected a non-empty text."))
    return value if allow_empty else value.strip()


def _check_keys(obj, allowed: Iterable[str], key: str) -> dict:
    if not isinstance(obj, dict):
        raise _mapping_error(key, _("expected an object ({...})."))
    allowed = set(allowed)
    for name in obj:
        if name.startswith("_") or name == "comment":
            continue
        if name not in allowed:
            raise _mapping_error(
                f"{key}.{name}" if key else name,
                _("unknown key; expected one of: %(keys)s.") % {"keys": ", ".join(sorted(allowed))},
            )
    return obj


def _kinds_table(raw, key: str) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _mapping_error(key, _("expected an object mapping values in the file to identifier kinds."))
    table = {}
    for source, kind in raw.items():
        if source.startswith("_"):
            continue
        if kind not in IdentifierKind.values:
            raise _mapping_error(
                f"{key}.{source}",
                _('"%(kind)s" is not an identifier kind (one of: %(kinds)s).')
                % {"kind": kind, "kinds": ", ".join(IdentifierKind.values)},
            )
        table[str(source).strip().casefold()] = kind
    return table


def _field_spec(name: str, raw, key: str) -> FieldSpec:
    if isinstance(raw, str):
        raw = {"column": raw}
    allowed = {"column", "columns", "join", "value", "default", "values"}
    if name == "expires_on":
        allowed.add("date_format")
    raw = _check_keys(raw, allowed, key)
    columns: tuple[str, ...] = ()
    if "column" in raw:
        columns = (_string(raw["column"], f"{key}.column"),)
    if "columns" in raw:
        if columns:
            raise _mapping_error(key, _('give either "column" or "columns", not both.'))
        listed = raw["columns"]
        if not isinstance(listed, list) or not listed:
            raise _mapping_error(f"{key}.columns", _("expected a non-empty list of column names."))
        columns = tuple(_string(c, f"{key}.columns[{i + 1}]") for i, c in enumerate(listed))
        if name not in TEXT_FIELDS:
            raise _mapping_error(f"{key}.columns", _("only text fields may join several columns."))
    has_constant = "value" in raw
    if has_constant == bool(columns):
        raise _mapping_error(key, _('give either a "column" (or "columns") or a constant "value".'))
    if "default" in raw and not columns:
        raise _mapping_error(f"{key}.default", _('a default needs a "column" to fall back from.'))
    values = raw.get("values") or {}
    if not isinstance(values, dict):
        raise _mapping_error(f"{key}.values", _("expected an object mapping values in the file to values."))
    date_format = _string(raw.get("date_format", ISO_DATE), f"{key}.date_format")
    try:  # a format strptime cannot use (e.g. "%Y%Y": re.error) is the mapping's fault, not a line's
        datetime.strptime(date(2026, 1, 31).strftime(date_format), date_format)
    except Exception:
        raise _mapping_error(
            f"{key}.date_format", _("not a date format such as %(example)s.") % {"example": "%d-%m-%Y"}
        ) from None
    # The targets of "values", the constant and the default must themselves be valid values of the field.
    convert = _converter(FieldSpec(name=name, date_format=date_format))
    checked = {}
    for source, target in values.items():
        checked[str(source).strip().casefold()] = _checked_constant(convert, target, f"{key}.values.{source}")
    constant = _checked_constant(convert, raw["value"], f"{key}.value") if has_constant else None
    default = _checked_constant(convert, raw["default"], f"{key}.default") if "default" in raw else None
    return FieldSpec(
        name=name,
        columns=columns,
        join=_string(raw.get("join", ", "), f"{key}.join", allow_empty=True),
        constant=constant,
        default=default,
        values=checked,
        date_format=date_format,
    )


def _checked_constant(convert, value, key: str):
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise _mapping_error(key, _("expected a text."))
    text = str(value).strip()
    if not text:
        raise _mapping_error(key, _("expected a non-empty text."))
    try:
        return convert(text)
    except _Bad as problem:
        raise _mapping_error(key, str(problem)) from None


def _column_identifier(raw, key: str) -> ColumnIdentifier:
    raw = _check_keys(
        raw,
        (
            "kind",
            "column",
            "manufacturer_column",
            "manufacturer",
            "country_column",
            "country",
            "document_type_column",
            "document_type",
        ),
        key,
    )
    kind = raw.get("kind")
    if kind not in IdentifierKind.values:
        raise _mapping_error(
            f"{key}.kind",
            _('"%(kind)s" is not an identifier kind (one of: %(kinds)s).')
            % {"kind": kind, "kinds": ", ".join(IdentifierKind.values)},
        )
    document_type = _string(raw.get("document_type"), f"{key}.document_type", required=False)
    if document_type and document_type not in DocumentType.values:
        raise _mapping_error(
            f"{key}.document_type",
            _('"%(value)s" is not a document type (one of: %(types)s).')
            % {"value": document_type, "types": ", ".join(DocumentType.values)},
        )
    country = _string(raw.get("country"), f"{key}.country", required=False).strip().upper()
    if country and country not in COUNTRY_CODES:
        raise _mapping_error(f"{key}.country", _('"%(value)s" is not a country code.') % {"value": country})
    return ColumnIdentifier(
        kind=kind,
        column=_string(raw.get("column"), f"{key}.column"),
        manufacturer_column=_string(
            raw.get("manufacturer_column"), f"{key}.manufacturer_column", required=False
        ),
        manufacturer=_string(raw.get("manufacturer"), f"{key}.manufacturer", required=False).strip(),
        country_column=_string(raw.get("country_column"), f"{key}.country_column", required=False),
        country=country,
        document_type_column=_string(
            raw.get("document_type_column"), f"{key}.document_type_column", required=False
        ),
        document_type=document_type,
        where=key,
    )


def _row_identifiers(raw) -> RowIdentifiers:
    key = "identifier_rows"
    raw = _check_keys(
        raw,
        (
            "kind_column",
            "kind",
            "value_column",
            "manufacturer_column",
            "country_column",
            "document_type_column",
            "kinds",
        ),
        key,
    )
    kind_column = _string(raw.get("kind_column"), f"{key}.kind_column", required=False)
    kind = _string(raw.get("kind"), f"{key}.kind", required=False)
    if bool(kind_column) == bool(kind):
        raise _mapping_error(key, _('give either a "kind_column" or a constant "kind".'))
    if kind and kind not in IdentifierKind.values:
        raise _mapping_error(
            f"{key}.kind",
            _('"%(kind)s" is not an identifier kind (one of: %(kinds)s).')
            % {"kind": kind, "kinds": ", ".join(IdentifierKind.values)},
        )
    return RowIdentifiers(
        value_column=_string(raw.get("value_column"), f"{key}.value_column"),
        kind_column=kind_column,
        kind=kind,
        manufacturer_column=_string(
            raw.get("manufacturer_column"), f"{key}.manufacturer_column", required=False
        ),
        country_column=_string(raw.get("country_column"), f"{key}.country_column", required=False),
        document_type_column=_string(
            raw.get("document_type_column"), f"{key}.document_type_column", required=False
        ),
        kinds=_kinds_table(raw.get("kinds"), f"{key}.kinds"),
    )


def _mapping_from_dict(raw, name: str) -> Mapping:
    raw = _check_keys(
        raw,
        (
            "name",
            "description",
            "format",
            "delimiter",
            "encoding",
            "object_key",
            "fields",
            "identifiers",
            "identifier_rows",
            "identifier_objects",
        ),
        "",
    )
    fmt = raw.get("format", "csv")
    if fmt not in ("csv", "json"):
        raise _mapping_error("format", _('expected "csv" or "json".'))
    delimiter = raw.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '\r\n"':
        raise _mapping_error("delimiter", _("expected one character (such as , or ; or a tab)."))
    encoding = _string(raw.get("encoding", "utf-8"), "encoding")
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise _mapping_error("encoding", _('unknown encoding "%(value)s".') % {"value": encoding}) from None
    # Only character sets: not the bytes-to-bytes codecs (base64_codec, zlib_codec: LookupError when
    # decoding) nor those that are no file encoding at all (punycode, idna, undefined: UnicodeError).
    if not getattr(codec, "_is_text_encoding", True) or codec.name in NOT_FILE_ENCODINGS:
        raise _mapping_error("encoding", _('unknown encoding "%(value)s".') % {"value": encoding})
    object_key = raw.get("object_key") or []
    if isinstance(object_key, str):
        object_key = [object_key]
    if not isinstance(object_key, list):
        raise _mapping_error("object_key", _("expected a list of column names."))
    object_key = tuple(_string(c, f"object_key[{i + 1}]") for i, c in enumerate(object_key))

    raw_fields = _check_keys(raw.get("fields"), FIELD_NAMES, "fields")
    fields = {
        name_: _field_spec(name_, spec, f"fields.{name_}")
        for name_, spec in raw_fields.items()
        if name_ in FIELD_NAMES
    }
    for required in REQUIRED_FIELDS:
        if required not in fields:
            raise _mapping_error(
                f"fields.{required}", _('missing: give the column that holds it, or a constant "value".')
            )

    listed = raw.get("identifiers") or []
    if not isinstance(listed, list):
        raise _mapping_error("identifiers", _("expected a list of identifier columns."))
    column_ids = tuple(_column_identifier(spec, f"identifiers[{i + 1}]") for i, spec in enumerate(listed))
    row_ids = _row_identifiers(raw["identifier_rows"]) if raw.get("identifier_rows") else None
    object_ids = None
    if raw.get("identifier_objects"):
        spec = _check_keys(raw["identifier_objects"], ("column", "kinds"), "identifier_objects")
        object_ids = ObjectIdentifiers(
            column=_string(spec.get("column"), "identifier_objects.column"),
            kinds=_kinds_table(spec.get("kinds"), "identifier_objects.kinds"),
        )
    if not (column_ids or row_ids or object_ids):
        raise _mapping_error(
            "identifiers",
            _(
                'missing: give "identifiers" (one per column), "identifier_rows" (one per row) or '
                '"identifier_objects".'
            ),
        )
    return Mapping(
        name=str(raw.get("name") or name)[: ImportRun._meta.get_field("mapping_name").max_length],
        format=fmt,
        delimiter=delimiter,
        encoding=encoding,
        object_key=object_key,
        fields=fields,
        identifiers=column_ids,
        identifier_rows=row_ids,
        identifier_objects=object_ids,
    )


def load_mapping(source) -> Mapping:
    """A mapping from a built-in name (``"safepact"``), a path to a JSON file, the JSON text or bytes, an
    open file (an upload) or a dict. Raises ``ValidationError({"mapping": ...})`` naming the key at fault."""
    if isinstance(source, Mapping):
        return source
    name = "mapping"
    if isinstance(source, dict):
        return _mapping_from_dict(source, name)
    if isinstance(source, str) and source in BUILTIN_MAPPINGS:
        name, source = source, BUILTIN_MAPPINGS[source]
    if isinstance(source, str) and not source.lstrip().startswith("{"):
        source = Path(source)
    if isinstance(source, Path):
        if name == "mapping":
            name = source.name
        try:
            with source.open("rb") as handle:
                source = handle.read(MAPPING_MAX_BYTES + 1)
        except OSError as error:
            raise ValidationError(
                {
                    "mapping": _("Cannot read the mapping %(path)s: %(error)s")
                    % {"path": str(source), "error": error.strerror or error}
                }
            ) from None
    elif hasattr(source, "read"):
        name = Path(getattr(source, "name", "") or name).name
        source = source.read(MAPPING_MAX_BYTES + 1)
    if isinstance(source, bytes | bytearray) and len(source) > MAPPING_MAX_BYTES:
        raise ValidationError({"mapping": _("A mapping is at most 1 MB.")})
    try:
        raw = json.loads(source)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        where = f" (line {error.lineno})" if isinstance(error, json.JSONDecodeError) else ""
        raise ValidationError(
            {
                "mapping": _("The mapping is not valid JSON%(where)s: %(error)s")
                % {"where": where, "error": error}
            }
        ) from None
    return _mapping_from_dict(raw, name)


# Converting cells ----------------------------------------------------------------------------------


class _Bad(Exception):
    """A problem with one value; the message does not name the column (the caller adds it)."""


COUNTRY_CODES = frozenset(code for code, _name in countries)


def _converter(spec: FieldSpec):
    """A function turning one non-empty cell (stripped text) into the field's value, or raising ``_Bad``."""
    name, values = spec.name, spec.values
    if name in CHOICE_FIELDS:
        choices = frozenset(CHOICE_FIELDS[name].values)

        def convert_choice(text: str) -> str:
            mapped = values.get(text.casefold()) if values else None
            if mapped is not None:
                return mapped
            code = text.lower()
            if code in choices:
                return code
            raise _Bad(
                _(
                    '"%(value)s" is not a known %(field)s; map it under fields.%(name)s.values (to one of: '
                    "%(choices)s)."
                )
                % {"value": text, "field": name, "name": name, "choices": ", ".join(sorted(choices))}
            )

        return convert_choice
    if name == "jurisdiction":

        def convert_country(text: str) -> str:
            mapped = values.get(text.casefold()) if values else None
            code = (mapped if mapped is not None else text).upper()
            if code not in COUNTRY_CODES:
                raise _Bad(
                    _('"%(value)s" is not a country code (ISO 3166, such as SE or NL).') % {"value": text}
                )
            return code

        return convert_country
    if name == "expires_on":
        date_format, cache = spec.date_format, {}

        def convert_date(text: str) -> date:
            mapped = values.get(text.casefold()) if values else None
            if mapped is not None:
                return mapped
            found = cache.get(text)
            if found is None:
                try:
                    found = datetime.strptime(text, date_format).date()
                except ValueError:
                    raise _Bad(
                        _('"%(value)s" is not a date in the format %(format)s.')
                        % {"value": text, "format": date_format}
                    ) from None
                cache[text] = found
            return found

        return convert_date
    limit = TEXT_FIELDS[name]

    def convert_text(text: str) -> str:
        mapped = values.get(text.casefold()) if values else None
        if mapped is not None:
            return mapped
        if "\x00" in text:  # PostgreSQL refuses NUL in text (a server error); nobody means one
            raise _Bad(_("contains a NUL character."))
        if len(text) > limit:
            raise _Bad(_("longer than %(max)s characters.") % {"max": limit})
        return text

    return convert_text


def _text(raw) -> str:
    """One cell as stripped text; lists and objects are refused."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, bool):
        raise _Bad(_("expected a text, not true or false."))
    if isinstance(raw, int | float):
        return str(raw)
    raise _Bad(_("expected one value, not a list or an object."))


def _texts(raw) -> list[str]:
    """One or more values (a JSON list) as stripped texts, empty ones left out."""
    if isinstance(raw, str):
        raw = raw.strip()
        return [raw] if raw else []
    if isinstance(raw, list):
        return [text for item in raw if (text := _text(item))]
    text = _text(raw)
    return [text] if text else []


# The report ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class ImportedObject:
    """One object of the file: created as a new alert, or merged into an existing one (``into``)."""

    line: int
    lines: list[int]
    case_reference: str
    #: Identifiers of the object (for an object merged into an existing alert: the ones it adds).
    identifiers: int
    #: The new alert's reference (empty in a dry run), or the existing alert's reference.
    reference: str = ""
    #: The reference of the existing active alert (same owner, same case reference) it is merged into.
    into: str = ""
    #: Fields whose values differed between the merged lines (the first line's value is kept).
    differs: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "lines": list(self.lines),
            "case_reference": self.case_reference,
            "identifiers": self.identifiers,
            "reference": self.reference,
            "into": self.into,
            "differs": list(self.differs),
        }


@dataclass
class ImportReport:
    file_name: str
    mapping: str
    dry_run: bool
    rows: int = 0
    #: New alerts (first line, case reference, identifier count).
    created: list[ImportedObject] = field(default_factory=list)
    #: Objects made of several lines, and objects merged into an existing active alert.
    merged: list[ImportedObject] = field(default_factory=list)
    #: ``(line, message)``, by line; the message names the column or field.
    rejected: list[tuple[int, str]] = field(default_factory=list)
    #: Identifiers written (or, in a dry run, that would be).
    identifiers: int = 0
    overlaps: int = 0
    late_hits: int = 0
    import_run: ImportRun | None = None

    @property
    def ok(self) -> bool:
        return not self.rejected

    @property
    def rejected_lines(self) -> int:
        return len({line for line, _message in self.rejected})

    @property
    def counts(self) -> dict:
        return {
            "rows": self.rows,
            "created": len(self.created),
            "merged": len(self.merged),
            "rejected": self.rejected_lines,
            "identifiers": self.identifiers,
            "overlaps": self.overlaps,
            "late_hits": self.late_hits,
        }

    def as_dict(self, limit: int | None = None) -> dict:
        """For the API and pages: the counts and (the first ``limit`` of) each list."""
        return {
            "file_name": self.file_name,
            "mapping": self.mapping,
            "dry_run": self.dry_run,
            "counts": self.counts,
            "created": [o.as_dict() for o in self.created[:limit]],
            "merged": [o.as_dict() for o in self.merged[:limit]],
            "rejected": [{"line": line, "message": message} for line, message in self.rejected[:limit]],
        }


class ImportRejected(Exception):
    """The file has rejected lines: nothing was written. ``report`` says which and why."""

    def __init__(self, report: ImportReport):
        self.report = report
        count = report.rejected_lines
        super().__init__(
            ngettext(
                "Import rejected: %(count)s line has a problem; nothing was imported.",
                "Import rejected: %(count)s lines have problems; nothing was imported.",
                count,
            )
            % {"count": count}
        )


# Reading the file ----------------------------------------------------------------------------------


def _read(data) -> bytes:
    limit = settings.SAFEPACT_REGISTRY_IMPORT_MAX_MB * 1024 * 1024
    if hasattr(data, "read"):
        if hasattr(data, "seek"):
            data.seek(0)
        data = data.read(limit + 1)
    if isinstance(data, str):
        data = data.encode()
    if len(data) > limit:
        raise ValidationError(
            {
                "file": _("The file is larger than %(mb)s MB.")
                % {"mb": settings.SAFEPACT_REGISTRY_IMPORT_MAX_MB}
            }
        )
    if not data.strip():
        raise ValidationError({"file": _("The file is empty.")})
    return bytes(data)


def _decode(data: bytes, encoding: str) -> tuple[str, list[tuple[int, str]]]:
    """The text, and a rejection for each line (the first 100) that is not valid in ``encoding``."""
    codec = codecs.lookup(encoding).name
    if codec == "utf-8":
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding), []
    except UnicodeDecodeError as first:
        if codec.startswith(("utf-16", "utf-32")):  # lines are not split on b"\n" there
            failures = [(data.count(b"\n", 0, first.start) + 1, data[first.start])]
        else:
            failures = []
            for number, line in enumerate(data.split(b"\n"), start=1):
                try:
                    line.decode(encoding)
                except UnicodeDecodeError as error:
                    failures.append((number, line[error.start]))
                    if len(failures) == MAX_ENCODING_ERRORS:
                        break
    name = encoding.removesuffix("-sig")
    problems = [
        (
            line,
            _(
                "Not valid %(encoding)s text (byte 0x%(byte)02x); save the file as %(encoding)s or set "
                '"encoding" in the mapping.'
            )
            % {"encoding": name, "byte": byte},
        )
        for line, byte in failures
    ]
    return data.decode(encoding, errors="replace"), problems


def _csv_rows(text: str, mapping: Mapping, rejected: list) -> Iterator[tuple[int, dict]]:
    """``(line, {column: cell})`` for each data row, with only the columns the mapping reads."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=mapping.delimiter)
    try:
        header = next(reader, None)
    except csv.Error as error:
        rejected.append((1, _("The header cannot be read: %(error)s") % {"error": error}))
        return
    if not header:
        rejected.append((1, _("The file has no header line.")))
        return
    header = [name.strip().lstrip("\ufeff").strip() for name in header]
    positions = {}
    missing = []
    problems = []
    for column, where in mapping.columns():
        if column in positions:
            continue
        if column not in header:
            missing.append((column, where))
            continue
        if header.count(column) > 1:
            problems.append(
                (1, _('Column "%(column)s" appears more than once in the header.') % {"column": column})
            )
        positions[column] = header.index(column)
    for column, where in missing:
        problems.append(
            (
                1,
                _('The header has no column "%(column)s" (mapping: %(where)s). Columns: %(header)s.')
                % {"column": column, "where": where, "header": ", ".join(header)},
            )
        )
    if problems:
        rejected.extend(problems)
        return
    pairs = tuple(positions.items())
    width = len(header)
    previous = reader.line_num
    try:
        for row in reader:
            line = previous + 1
            previous = reader.line_num
            length = len(row)
            if not length or not "".join(row).strip():
                continue
            if length > width and any(cell.strip() for cell in row[width:]):
                rejected.append(
                    (
                        line,
                        _(
                            "The line has %(cells)s cells; the header has %(width)s (check the delimiter and "
                            "quotes)."
                        )
                        % {"cells": length, "width": width},
                    )
                )
                continue
            yield line, {column: row[index] for column, index in pairs if index < length}
    except csv.Error as error:
        rejected.append((previous + 1, _("The line cannot be read: %(error)s") % {"error": error}))


def _json_rows(text: str, rejected: list) -> Iterator[tuple[int, dict]]:
    """``(position, item)`` for each item of the list (``[...]`` or ``{"alerts": [...]}``)."""
    try:
        top = json.loads(text)
    except json.JSONDecodeError as error:
        rejected.append((error.lineno, _("Not valid JSON: %(error)s") % {"error": error.msg}))
        return
    if isinstance(top, dict):
        if top.get("format") == EXPORT_FORMAT and top.get("version", EXPORT_VERSION) != EXPORT_VERSION:
            rejected.append(
                (
                    1,
                    _("Version %(version)s of the SafePact format is not supported.")
                    % {"version": top.get("version")},
                )
            )
            return
        top = top.get("alerts")
    if not isinstance(top, list):
        rejected.append((1, _('Expected a list of objects, or {"alerts": [...]}.')))
        return
    for position, item in enumerate(top, start=1):
        if not isinstance(item, dict):
            rejected.append((position, _("Expected an object ({...}).")))
            continue
        yield position, item


# Lines into objects --------------------------------------------------------------------------------


class _Object:
    __slots__ = ("alive", "differs", "fields", "idents", "into", "lines")

    def __init__(self, line: int):
        self.lines = [line]
        self.fields: dict = {}
        self.idents: dict = {}  # key -> Parsed, in order of appearance
        self.differs: set = set()
        self.alive = True
        self.into = None  # the existing Alert it merges into

    def absorb(self, fields: dict, idents) -> None:
        mine = self.fields
        for name, value in fields.items():
            current = mine.get(name)
            if current is None:
                mine[name] = value
            elif current != value:
                self.differs.add(name)
        own = self.idents
        for parsed in idents:
            if parsed.key not in own:
                own[parsed.key] = parsed


def _cell(row: dict, column: str, name: str = "") -> str:
    """The stripped text of ``column`` (empty when there is no such column); ``_Bad`` names the column
    (or ``name``)."""
    if not column:
        return ""
    try:
        return _text(row.get(column))
    except _Bad as problem:
        raise _Bad(
            _('Column "%(column)s": %(problem)s') % {"column": name or column, "problem": problem}
        ) from None


def _kind(text: str, kinds: dict, column: str) -> str:
    kind = kinds.get(text.casefold()) if kinds else None
    if kind is not None:
        return kind
    kind = text.lower()
    if kind in ids.KINDS:
        return kind
    if not text:
        raise _Bad(_('Column "%(column)s": no identifier kind.') % {"column": column})
    raise _Bad(
        _(
            'Column "%(column)s": "%(value)s" is not an identifier kind; map it to one of %(kinds)s in the '
            'mapping ("kinds").'
        )
        % {"column": column, "value": text, "kinds": ", ".join(IdentifierKind.values)}
    )


IDENTIFIER_PARTS = ("kind", "value", "manufacturer", "country", "document_type")


class _Reader:
    """Turns rows into objects, collecting rejections."""

    def __init__(self, mapping: Mapping, rejected: list):
        self.mapping = mapping
        self.rejected = rejected
        self.converters = [
            (spec.name, spec.columns, spec.join, _converter(spec))
            for spec in mapping.fields.values()
            if spec.columns
        ]
        # For each identifier column: the spec and which column (or mapping key) each part comes from.
        self.column_specs = [
            (
                spec,
                {
                    "value": spec.column,
                    "kind": spec.where + ".kind",
                    "manufacturer": spec.manufacturer_column or spec.where + ".manufacturer",
                    "country": spec.country_column or spec.where + ".country",
                    "document_type": spec.document_type_column or spec.where + ".document_type",
                },
            )
            for spec in mapping.identifiers
        ]
        rows = mapping.identifier_rows
        self.row_names = (
            {
                "value": rows.value_column,
                "kind": rows.kind_column or "identifier_rows.kind",
                "manufacturer": rows.manufacturer_column or rows.value_column,
                "country": rows.country_column or rows.value_column,
                "document_type": rows.document_type_column or rows.value_column,
            }
            if rows
            else None
        )
        self.parse = ids.parse
        self.error = ids.IdentifierError

    # Identifiers of one row.

    def _parsed(self, kind, value, manufacturer, country, document_type, names: dict, problems: list):
        try:
            parsed = self.parse(
                kind, value, manufacturer=manufacturer, country=country, document_type=document_type
            )
        except self.error as error:
            column = names.get(getattr(error, "field", "value")) or names["value"]
            problems.append(_('Column "%(column)s": %(problem)s') % {"column": column, "problem": error})
            return None
        if len(parsed.value) > VALUE_MAX or len(parsed.key) > KEY_MAX:
            problems.append(
                _('Column "%(column)s": longer than %(max)s characters.')
                % {"column": names["value"], "max": VALUE_MAX}
            )
            return None
        if len(parsed.manufacturer) > MANUFACTURER_MAX:
            problems.append(
                _('Column "%(column)s": longer than %(max)s characters.')
                % {"column": names["manufacturer"], "max": MANUFACTURER_MAX}
            )
            return None
        return parsed

    def _identifiers(self, row: dict, problems: list) -> list:
        found = []
        for spec, names in self.column_specs:
            raw = row.get(spec.column)
            if raw is None or raw == "":
                continue
            try:
                try:
                    values = _texts(raw)
                except _Bad as problem:
                    raise _Bad(
                        _('Column "%(column)s": %(problem)s') % {"column": spec.column, "problem": problem}
                    ) from None
                if not values:
                    continue
                manufacturer = _cell(row, spec.manufacturer_column) or spec.manufacturer
                country = _cell(row, spec.country_column) or spec.country
                document_type = _cell(row, spec.document_type_column) or spec.document_type
            except _Bad as problem:
                problems.append(str(problem))
                continue
            for value in values:
                parsed = self._parsed(spec.kind, value, manufacturer, country, document_type, names, problems)
                if parsed is not None:
                    found.append(parsed)
        if rows := self.mapping.identifier_rows:
            try:
                value = _cell(row, rows.value_column)
                if value:
                    kind = rows.kind or _kind(_cell(row, rows.kind_column), rows.kinds, rows.kind_column)
                    parsed = self._parsed(
                        kind,
                        value,
                        _cell(row, rows.manufacturer_column),
                        _cell(row, rows.country_column),
                        _cell(row, rows.document_type_column),
                        self.row_names,
                        problems,
                    )
                    if parsed is not None:
                        found.append(parsed)
            except _Bad as problem:
                problems.append(str(problem))
        if objects := self.mapping.identifier_objects:
            found += self._identifier_objects(row.get(objects.column), objects, problems)
        return found

    def _identifier_objects(self, raw, spec: ObjectIdentifiers, problems: list) -> list:
        if raw is None or raw == "" or raw == []:
            return []
        column = spec.column
        if not isinstance(raw, list):
            problems.append(
                _('Column "%(column)s": expected a list of identifiers ({"kind": ..., "value": ...}).')
                % {"column": column}
            )
            return []
        found = []
        for position, item in enumerate(raw, start=1):
            where = f"{column}[{position}]"
            if not isinstance(item, dict):
                problems.append(_('Column "%(column)s": expected an object.') % {"column": where})
                continue
            names = {part: f"{where}.{part}" for part in IDENTIFIER_PARTS}
            try:
                kind = _kind(_cell(item, "kind", names["kind"]), spec.kinds, names["kind"])
                value = _cell(item, "value", names["value"])
                if not value:
                    raise _Bad(_('Column "%(column)s": no value.') % {"column": names["value"]})
                parsed = self._parsed(
                    kind,
                    value,
                    _cell(item, "manufacturer", names["manufacturer"]),
                    _cell(item, "country", names["country"]),
                    _cell(item, "document_type", names["document_type"]),
                    names,
                    problems,
                )
            except _Bad as problem:
                problems.append(str(problem))
                continue
            if parsed is not None:
                found.append(parsed)
        return found

    # Fields of one row.

    def _fields(self, row: dict, problems: list) -> dict:
        fields = {}
        for name, columns, join, convert in self.converters:
            try:
                if len(columns) == 1:
                    raw = row.get(columns[0])
                    text = raw.strip() if isinstance(raw, str) else _text(raw)
                else:
                    text = join.join(t for c in columns if (t := _text(row.get(c))))
                if text:
                    fields[name] = convert(text)
            except _Bad as problem:
                problems.append(
                    _('Column "%(column)s": %(problem)s')
                    % {"column": " + ".join(columns), "problem": problem}
                )
        return fields

    def _object_key(self, row: dict, problems: list) -> tuple | None:
        try:
            key = tuple(_text(row.get(column)) for column in self.mapping.object_key)
        except _Bad as problem:
            problems.append(
                _('Column "%(column)s": %(problem)s')
                % {"column": ", ".join(self.mapping.object_key), "problem": problem}
            )
            return None
        if not any(key):
            problems.append(
                _('Column "%(column)s" (the object key) is empty.')
                % {"column": ", ".join(self.mapping.object_key)}
            )
            return None
        return key

    # All rows.

    def objects(self, rows: Iterable[tuple[int, dict]]) -> tuple[list[_Object], int]:
        objects: list[_Object] = []
        by_key: dict = {}
        rejected = self.rejected
        grouped = bool(self.mapping.object_key)
        count = 0
        for line, row in rows:
            count += 1
            problems: list[str] = []
            fields = self._fields(row, problems)
            idents = self._identifiers(row, problems)
            okey = self._object_key(row, problems) if grouped else None
            if problems:
                rejected.extend((line, problem) for problem in problems)
                continue
            if grouped:
                target = by_key.get(okey)
                if target is None:
                    target = by_key[okey] = _Object(line)
                    objects.append(target)
                else:
                    target.lines.append(line)
                target.absorb(fields, idents)
                continue
            # Without an object key: lines sharing an identifier are one object.
            owners = []
            for parsed in idents:
                owner = by_key.get(parsed.key)
                if owner is not None and owner not in owners:
                    owners.append(owner)
            if not owners:
                target = _Object(line)
                objects.append(target)
            else:
                owners.sort(key=lambda o: o.lines[0])
                target = owners[0]
                target.lines.append(line)
                for other in owners[1:]:
                    other.alive = False
                    target.lines = sorted(target.lines + other.lines)
                    target.absorb(other.fields, other.idents.values())
                    target.differs |= other.differs
                    for key in other.idents:
                        by_key[key] = target
            target.absorb(fields, idents)
            for parsed in idents:
                by_key[parsed.key] = target
        if not grouped:
            objects = [o for o in objects if o.alive]
        return objects, count


def _complete(objects: list[_Object], mapping: Mapping, partnership, rejected: list) -> list[_Object]:
    """Constants, defaults and the default expiry filled in; objects missing a required field or any
    identifier rejected at their first line."""
    today = clock.today()
    default_expiry = today + timedelta(days=settings_for(partnership).default_alert_days)
    constants = {s.name: s.constant for s in mapping.fields.values() if s.constant is not None}
    defaults = {s.name: s.default for s in mapping.fields.values() if s.default is not None}
    specs = mapping.fields
    identifier_columns = ", ".join(
        [s.column for s in mapping.identifiers]
        + ([mapping.identifier_rows.value_column] if mapping.identifier_rows else [])
        + ([mapping.identifier_objects.column] if mapping.identifier_objects else [])
    )
    complete = []
    for obj in objects:
        fields = obj.fields
        fields.update(constants)
        for name, value in defaults.items():
            fields.setdefault(name, value)
        problems = []
        for name in REQUIRED_FIELDS:
            if name not in fields:
                problems.append(
                    _('Column "%(column)s" (%(field)s) is empty.')
                    % {"column": specs[name].source, "field": name}
                )
        fields.setdefault("expires_on", default_expiry)
        fields.setdefault("status", AlertStatus.ACTIVE.value)
        fields.setdefault("action", HitAction.HOLD.value)
        fields.setdefault("action_note", "")
        if fields["status"] == AlertStatus.ACTIVE and fields["expires_on"] < today:
            problems.append(
                _('Column "%(column)s": the expiry date %(date)s has passed.')
                % {"column": specs["expires_on"].source, "date": fields["expires_on"].isoformat()}
            )
        if not obj.idents:
            problems.append(
                _("No identifier: fill in at least one of %(columns)s.") % {"columns": identifier_columns}
            )
        if problems:
            rejected.extend((obj.lines[0], problem) for problem in problems)
            continue
        complete.append(obj)
    return complete


# Access --------------------------------------------------------------------------------------------


def _law_enforcement_membership(user, partnership):
    membership = membership_in(user, partnership)
    if membership is None:
        raise Http404(NOT_FOUND)
    permissions.ensure(permissions.is_law_enforcement(membership))
    return membership


def _is_unit(partner) -> bool:
    return partner.status == PartnerStatus.ACTIVE and partner.organisation.kind == permissions.LAW_ENFORCEMENT


def import_owner(*, partnership: Partnership, owner: str = "", actor=None) -> Partner:
    """The owning unit of an import: the partner named by ``owner`` (its code or its organisation's name);
    else the actor's own unit; else the partnership's only active law-enforcement partner.
    Raises ``ValidationError({"owner": ...})`` when there is none, or several, or it is no such unit."""
    partners = Partner.objects.filter(partnership=partnership).select_related("organisation").order_by("id")
    owner = (owner or "").strip()
    if owner:
        try:
            code = UUID(owner)
        except ValueError:
            code = None
        found = [p for p in partners if p.code == code or p.organisation.name.casefold() == owner.casefold()]
        if not found:
            raise ValidationError(
                {"owner": _('No partner "%(owner)s" in this partnership.') % {"owner": owner}}
            )
        if len(found) > 1:
            raise ValidationError(
                {
                    "owner": _('Several partners are called "%(owner)s"; give the partner code.')
                    % {"owner": owner}
                }
            )
        if not _is_unit(found[0]):
            raise ValidationError(
                {
                    "owner": _('"%(owner)s" is not an active law-enforcement partner of this partnership.')
                    % {"owner": found[0].organisation.name}
                }
            )
        return found[0]
    if actor is not None:
        return _law_enforcement_membership(actor, partnership).partner
    units = [p for p in partners if _is_unit(p)]
    if not units:
        raise ValidationError(
            {"owner": _("This partnership has no active law-enforcement partner to own the alerts.")}
        )
    if len(units) > 1:
        raise ValidationError(
            {
                "owner": _(
                    "This partnership has several law-enforcement partners (%(names)s): name the owning unit."
                )
                % {"names": ", ".join(p.organisation.name for p in units)}
            }
        )
    return units[0]


def _check_importer(actor, partnership, owner) -> None:
    if actor is not None:
        membership = _law_enforcement_membership(actor, partnership)
        permissions.ensure(permissions.can_import(membership))
        if membership.partner_id != owner.pk:
            raise PermissionDenied(_("You can import alerts only for your own unit."))
    if owner.partnership_id != partnership.pk or not _is_unit(owner):
        raise ValidationError(
            {"owner": _("The owning unit must be an active law-enforcement partner of this partnership.")}
        )


# Import --------------------------------------------------------------------------------------------


def import_alerts(
    *,
    actor,
    partnership: Partnership,
    owner: Partner,
    data,
    file_name: str,
    mapping,
    dry_run: bool = False,
    actor_label: str = "",
) -> ImportReport:
    """Import the alerts of ``data`` (bytes or an open file) through ``mapping`` for the owning unit
    ``owner``. Atomic: raises ``ImportRejected`` (nothing written) when any line is rejected. A dry run
    returns the same report and writes nothing. ``actor`` may be None (the management command);
    ``actor_label`` then names who ran it in the audit trail."""
    _check_importer(actor, partnership, owner)
    mapping = load_mapping(mapping)
    file_name = Path(file_name or "").name[: ImportRun._meta.get_field("file_name").max_length]
    raw = _read(data)
    text, rejected = _decode(raw, mapping.encoding)
    del raw
    rows = _json_rows(text, rejected) if mapping.format == "json" else _csv_rows(text, mapping, rejected)
    objects, count = _Reader(mapping, rejected).objects(rows)
    del text
    objects = _complete(objects, mapping, partnership, rejected)
    report = ImportReport(file_name=file_name, mapping=mapping.name, dry_run=dry_run, rows=count)
    report.rejected = sorted(rejected, key=lambda item: item[0])
    with _large_cache(enabled=not dry_run and len(objects) > CHUNK), transaction.atomic():
        _check_importer(actor, partnership, owner)
        if not dry_run and not rejected:
            _refresh_statistics()
        _match_existing(objects, partnership, owner)
        for obj in objects:
            entry = ImportedObject(
                line=obj.lines[0],
                lines=obj.lines,
                case_reference=obj.fields["case_reference"],
                identifiers=len(obj.idents),
                differs=sorted(obj.differs),
            )
            if obj.into is not None:
                entry.into = entry.reference = obj.into.reference
                report.merged.append(entry)
            else:
                report.created.append(entry)
                if len(obj.lines) > 1:
                    report.merged.append(entry)
            report.identifiers += entry.identifiers
        if dry_run:
            return report
        if report.rejected:
            raise ImportRejected(report)
        _write(report, objects, actor=actor, partnership=partnership, owner=owner)
        run = ImportRun.objects.create(
            partnership=partnership,
            actor=actor,
            file_name=file_name,
            mapping_name=mapping.name,
            dry_run=False,
            created=len(report.created),
            merged=len(report.merged),
            rejected=0,
            identifiers=report.identifiers,
        )
        report.import_run = run
        audit_record(
            actor=actor,
            action="registry.import",
            target=run,
            partnership=partnership,
            # References only (the trail is read by coordinators outside law enforcement): the owning unit
            # and the counts, never the file's or the mapping's name (both are kept in the ImportRun).
            after={"owner": owner.organisation.name, **report.counts},
            actor_label=actor_label or DEFAULT_ACTOR_LABEL,
        )
    return report


def _match_existing(objects: list[_Object], partnership, owner) -> None:
    """Objects whose case reference is that of an existing active alert of ``owner`` merge into it: only
    their identifiers the alert does not hold yet are added. One case often covers several objects (a boat
    and its engine, each its own alert), so the case reference alone does not say which: the object merges
    into the oldest such alert that shares an identifier with it, failing that into the only such alert of
    its category; otherwise it is a new alert."""
    wanted = sorted({o.fields["case_reference"] for o in objects if o.fields["status"] == AlertStatus.ACTIVE})
    existing: dict[str, list[Alert]] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        for alert in Alert.objects.filter(
            partnership=partnership,
            owner=owner,
            status=AlertStatus.ACTIVE,
            case_reference__in=wanted[start : start + LOOKUP_CHUNK],
        ).order_by("id"):
            existing.setdefault(alert.case_reference, []).append(alert)
    if not existing:
        return
    held: dict[int, set] = {alert.pk: set() for alerts in existing.values() for alert in alerts}
    alert_ids = list(held)
    for start in range(0, len(alert_ids), LOOKUP_CHUNK):
        for alert_id, key in Identifier.objects.filter(
            alert_id__in=alert_ids[start : start + LOOKUP_CHUNK]
        ).values_list("alert_id", "key"):
            held[alert_id].add(key)
    for obj in objects:
        if obj.fields["status"] != AlertStatus.ACTIVE:
            continue
        candidates = existing.get(obj.fields["case_reference"])
        if not candidates:
            continue
        alert = next((a for a in candidates if not held[a.pk].isdisjoint(obj.idents)), None)
        if alert is None:
            same_category = [a for a in candidates if a.category == obj.fields["category"]]
            if len(same_category) != 1:
                continue
            alert = same_category[0]
        obj.into = alert
        keys = held[alert.pk]
        obj.idents = {key: parsed for key, parsed in obj.idents.items() if key not in keys}
        keys.update(obj.idents)


def _write(report: ImportReport, objects: list[_Object], *, actor, partnership, owner) -> None:
    now = clock.now()
    writer = (
        _FastWriter(partnership, owner, actor, now)
        if _fast_insert()
        else _ModelWriter(partnership, owner, actor, now)
    )
    new = [o for o in objects if o.into is None]
    # One block of references; this also serialises the writers of the partnership's alerts.
    references = alert_references(partnership=partnership, count=len(new))
    for entry, reference in zip(report.created, references, strict=True):
        entry.reference = reference
    for start in range(0, len(new), CHUNK):
        chunk = new[start : start + CHUNK]
        alert_ids = writer.alerts(chunk, references[start : start + CHUNK])
        pairs = [
            (alert_id, parsed)
            for alert_id, obj in zip(alert_ids, chunk, strict=True)
            for parsed in obj.idents.values()
        ]
        _detect(report, partnership, writer.identifiers(pairs), actor)
    pairs = [
        (obj.into.pk, parsed) for obj in objects if obj.into is not None for parsed in obj.idents.values()
    ]
    for start in range(0, len(pairs), CHUNK):
        _detect(report, partnership, writer.identifiers(pairs[start : start + CHUNK]), actor)
    if pairs:
        Alert.objects.filter(pk__in={alert_id for alert_id, _parsed in pairs}).update(updated_at=now)
    _refresh_statistics()


@contextmanager
def _large_cache(*, enabled: bool):
    """SQLite only: a larger page cache for this connection while a large import runs (its transaction keeps
    every page it changed; with the default 2 MB cache each index lookup reads pages back from the
    write-ahead log). Restored, and the memory released, afterwards."""
    if not enabled or connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-int(SQLITE_IMPORT_CACHE_KIB)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")
            cursor.execute("PRAGMA shrink_memory")


def _refresh_statistics() -> None:
    """SQLite only: refresh the query planner's statistics of the alert and identifier tables (``ANALYZE``,
    under a second for millions of rows), as SQLite advises after large changes. Without statistics SQLite
    answers ``partnership_id = ? AND key IN (...)`` (overlap detection) and ``owner_id = ? AND case_reference
    IN (...)`` (merging into existing alerts) from the single-column foreign-key index, which scans every row
    of the partnership for each query, instead of the two-column index: an import of a million alerts would
    never finish."""
    if connection.vendor != "sqlite":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in (Alert, Identifier):
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")


def _fast_insert() -> bool:
    return connection.features.can_return_rows_from_bulk_insert


#: The columns the fast path writes, in order: kept in step with the models (``_FastWriter`` checks).
ALERT_COLUMNS = (
    "code",
    "partnership_id",
    "reference",
    "category",
    "description",
    "owner_id",
    "case_reference",
    "legal_basis",
    "jurisdiction",
    "status",
    "expires_on",
    "action",
    "action_note",
    "created_by_id",
    "created_at",
    "updated_at",
    "status_changed_at",
    "status_note",
)
IDENTIFIER_COLUMNS = (
    "code",
    "partnership_id",
    "alert_id",
    "kind",
    "manufacturer",
    "country",
    "document_type",
    "value",
    "key",
    "warnings",
    "added_by_id",
    "added_at",
)
#: What ``detect_overlaps`` and ``detect_late_hits`` read of a new identifier (the rest stays deferred).
DETECT_FIELDS = ["id", "partnership_id", "alert_id", "kind", "key"]


class _ModelWriter:
    """Writes with ``bulk_create``: for databases that cannot return the keys of a multi-row insert."""

    def __init__(self, partnership, owner, actor, now):
        self.partnership_id, self.owner_id = partnership.pk, owner.pk
        self.actor_id = actor.pk if actor is not None else None
        self.now = now

    def alerts(self, chunk: list[_Object], references: list[str]) -> list[int]:
        alerts = [
            Alert(
                partnership_id=self.partnership_id,
                owner_id=self.owner_id,
                reference=reference,
                created_by_id=self.actor_id,
                created_at=self.now,
                updated_at=self.now,
                status_changed_at=self.now,
                **obj.fields,
            )
            for obj, reference in zip(chunk, references, strict=True)
        ]
        return [alert.pk for alert in Alert.objects.bulk_create(alerts)]

    def identifiers(self, pairs) -> list[Identifier]:
        identifiers = [
            Identifier(
                partnership_id=self.partnership_id,
                alert_id=alert_id,
                kind=parsed.kind,
                value=parsed.value,
                key=parsed.key,
                manufacturer=parsed.manufacturer,
                country=parsed.country,
                document_type=parsed.document_type,
                warnings=list(parsed.warnings),
                added_by_id=self.actor_id,
                added_at=self.now,
            )
            for alert_id, parsed in pairs
        ]
        return Identifier.objects.bulk_create(identifiers)


class _FastWriter:
    """Multi-row ``INSERT ... RETURNING id`` with the values adapted by the fields themselves once per
    constant (``get_db_prep_save``), not once per value as ``bulk_create`` does: an import of a million
    alerts spends its time in the database, not in preparing values. The columns are checked against the
    models, so a new field fails loudly here rather than being left out."""

    def __init__(self, partnership, owner, actor, now):
        for model, columns in ((Alert, ALERT_COLUMNS), (Identifier, IDENTIFIER_COLUMNS)):
            actual = {f.attname for f in model._meta.concrete_fields if not f.primary_key}
            if actual != set(columns):
                raise RuntimeError(
                    f"registry import: the columns of {model.__name__} changed: {sorted(actual ^ set(columns))}"
                )
        self.partnership_id, self.owner_id = partnership.pk, owner.pk
        self.actor_id = actor.pk if actor is not None else None
        self.now = Alert._meta.get_field("created_at").get_db_prep_save(now, connection)
        self.code = new_code if connection.features.has_native_uuid_field else (lambda: new_code().hex)
        self.dates: dict = {}
        self.warnings_field = Identifier._meta.get_field("warnings")
        self.no_warnings = self.warnings_field.get_db_prep_save([], connection)
        self.alert_sql = self._sql(Alert, ALERT_COLUMNS)
        self.identifier_sql = self._sql(Identifier, IDENTIFIER_COLUMNS)

    @staticmethod
    def _sql(model, columns) -> tuple[str, str, int, str]:
        quote = connection.ops.quote_name
        meta = model._meta
        names = ", ".join(quote(meta.get_field(c).column) for c in columns)
        head = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES "  # noqa: S608 - names from the model
        row = "(" + ", ".join(["%s"] * len(columns)) + ")"
        limit = 65535 if connection.vendor == "postgresql" else _sqlite_variable_limit()
        per_statement = max(1, min(1000, limit // len(columns)))
        return head, row, per_statement, f" RETURNING {quote(meta.pk.column)}"

    def _insert(self, sql, rows: list[tuple]) -> list[int]:
        head, row, per_statement, returning = sql
        keys: list[int] = []
        with connection.cursor() as cursor:
            statement, size = "", 0
            for start in range(0, len(rows), per_statement):
                part = rows[start : start + per_statement]
                if len(part) != size:
                    size = len(part)
                    statement = head + ", ".join([row] * size) + returning
                cursor.execute(statement, [value for values in part for value in values])
                keys += [found[0] for found in cursor.fetchall()]
        if len(keys) != len(rows):
            raise RuntimeError("registry import: the database returned fewer keys than rows inserted")
        return keys

    def _date(self, value):
        adapted = self.dates.get(value)
        if adapted is None:
            adapted = self.dates[value] = connection.ops.adapt_datefield_value(value)
        return adapted

    def alerts(self, chunk: list[_Object], references: list[str]) -> list[int]:
        code, now, date_ = self.code, self.now, self._date
        pid, owner_id, actor_id = self.partnership_id, self.owner_id, self.actor_id
        rows = []
        for obj, reference in zip(chunk, references, strict=True):
            f = obj.fields
            rows.append(
                (
                    code(),
                    pid,
                    reference,
                    f["category"],
                    f["description"],
                    owner_id,
                    f["case_reference"],
                    f["legal_basis"],
                    f["jurisdiction"],
                    f["status"],
                    date_(f["expires_on"]),
                    f["action"],
                    f["action_note"],
                    actor_id,
                    now,
                    now,
                    now,
                    "",  # status_note: a status change's reason, never imported
                )
            )
        return self._insert(self.alert_sql, rows)

    def identifiers(self, pairs) -> list[Identifier]:
        code, now, pid, actor_id = self.code, self.now, self.partnership_id, self.actor_id
        none, prep = self.no_warnings, self.warnings_field.get_db_prep_save
        rows = [
            (
                code(),
                pid,
                alert_id,
                p.kind,
                p.manufacturer,
                p.country,
                p.document_type,
                p.value,
                p.key,
                prep(list(p.warnings), connection) if p.warnings else none,
                actor_id,
                now,
            )
            for alert_id, p in pairs
        ]
        keys = self._insert(self.identifier_sql, rows)
        alias = connection.alias
        return [
            Identifier.from_db(alias, DETECT_FIELDS, (key, pid, alert_id, p.kind, p.key))
            for key, (alert_id, p) in zip(keys, pairs, strict=True)
        ]


def _sqlite_variable_limit() -> int:
    connection.ensure_connection()
    try:
        import sqlite3

        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    except (AttributeError, ImportError):
        return 999


def _detect(report: ImportReport, partnership, identifiers: list[Identifier], actor) -> None:
    """Overlaps and late hits of identifiers just written. Most new identifiers are on no other alert and
    were never checked: one indexed query per 2,000 keys finds those that are (a superset of what either
    function acts on), and only those are handed to ``detect_overlaps`` and ``detect_late_hits``."""
    keys = sorted({identifier.key for identifier in identifiers})
    shared = _keys_found(Identifier, partnership.pk, keys, more_than_once=True)
    if shared:
        candidates = [identifier for identifier in identifiers if identifier.key in shared]
        report.overlaps += len(detect_overlaps(partnership=partnership, identifiers=candidates, actor=actor))
    checked = _keys_found(Check, partnership.pk, keys)
    if checked:
        candidates = [identifier for identifier in identifiers if identifier.key in checked]
        report.late_hits += len(detect_late_hits(partnership=partnership, identifiers=candidates))


def _keys_found(model, partnership_id: int, keys: list[str], *, more_than_once: bool = False) -> set[str]:
    """Which of ``keys`` occur in ``model``'s rows of the partnership (with ``more_than_once``: on two rows
    or more), through the model's (partnership, key) index. On SQLite the index is named (``INDEXED BY``):
    with statistics from a smaller table its planner would rather scan the whole table."""
    meta = model._meta
    quote = connection.ops.quote_name
    index = next((i.name for i in meta.indexes if list(i.fields[:2]) == ["partnership", "key"]), None)
    hint = f" INDEXED BY {quote(index)}" if index and connection.vendor == "sqlite" else ""
    partnership_column = quote(meta.get_field("partnership").column)
    key_column = quote(meta.get_field("key").column)
    having = " HAVING COUNT(*) > 1" if more_than_once else ""
    found: set[str] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(keys), LOOKUP_CHUNK):
            part = keys[start : start + LOOKUP_CHUNK]
            cursor.execute(
                f"SELECT {key_column} FROM {quote(meta.db_table)}{hint} "  # noqa: S608 - names from the model
                f"WHERE {partnership_column} = %s AND {key_column} IN ({', '.join(['%s'] * len(part))}) "
                f"GROUP BY {key_column}{having}",
                [partnership_id, *part],
            )
            found.update(row[0] for row in cursor.fetchall())
    return found


# Export --------------------------------------------------------------------------------------------


def _export_queryset(partnership, status):
    alerts = Alert.objects.filter(partnership=partnership)
    if status:
        if status not in AlertStatus.values:
            raise ValidationError(
                {
                    "status": _('"%(value)s" is not a status (one of: %(statuses)s).')
                    % {"value": status, "statuses": ", ".join(AlertStatus.values)}
                }
            )
        alerts = alerts.filter(status=status)
    return (
        alerts.select_related("owner__organisation")
        .prefetch_related(
            Prefetch(
                "identifiers",
                queryset=Identifier.objects.order_by("id").only(
                    "id", "alert_id", "kind", "value", "manufacturer", "country", "document_type"
                ),
            )
        )
        .order_by("id")
    )


def _alert_dict(alert: Alert, today: date) -> dict:
    """One alert in the exchange format. An active alert past its expiry date (the daily job has not
    marked it yet: it runs in the morning) is exported as expired, which it is: an import of the file, here
    or elsewhere, would otherwise refuse it as an active alert with a past date."""
    item = {name: getattr(alert, name) for name in EXPORT_FIELDS}
    if alert.status == AlertStatus.ACTIVE and alert.expires_on < today:
        item["status"] = AlertStatus.EXPIRED.value
    item["expires_on"] = alert.expires_on.isoformat()
    item["owner"] = alert.owner.organisation.name
    item["identifiers"] = [
        {
            "kind": i.kind,
            "value": i.value,
            "manufacturer": i.manufacturer,
            "country": i.country,
            "document_type": i.document_type,
        }
        for i in alert.identifiers.all()
    ]
    return item


def _export_head(partnership) -> dict:
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "partnership": str(partnership.code),
        "exported_at": clock.now().isoformat(),
    }


def alerts_export(*, user, partnership: Partnership, status: str | None = None) -> dict:
    """Every alert of the partnership (or those with ``status``) with their identifiers, as one dict in
    our exchange format. Law enforcement only; audited (``registry.export``)."""
    membership = _law_enforcement_membership(user, partnership)
    permissions.ensure(permissions.can_export(membership))
    alerts = _export_queryset(partnership, status)
    with transaction.atomic():
        today = clock.today()
        items = [_alert_dict(alert, today) for alert in alerts]
        audit_record(
            actor=user,
            action="registry.export",
            partnership=partnership,
            after={"format": "json", "status": status or "all", "alerts": len(items)},
        )
    return {**_export_head(partnership), "alerts": items}


def alerts_export_stream(
    *, actor, partnership: Partnership, status: str | None = None, actor_label: str = ""
) -> Iterator[str]:
    """The same JSON as ``alerts_export`` in pieces (one alert a line), for large registries: checks access
    and records the export (``registry.export``) at once, then yields as it reads, 2,000 alerts a query.
    ``actor`` may be None (the management command; ``actor_label`` names who ran it)."""
    if actor is not None:
        membership = _law_enforcement_membership(actor, partnership)
        permissions.ensure(permissions.can_export(membership))
    alerts = _export_queryset(partnership, status)
    with transaction.atomic():
        total = alerts.count()
        audit_record(
            actor=actor,
            action="registry.export",
            partnership=partnership,
            after={"format": "json", "status": status or "all", "alerts": total},
            actor_label=actor_label or "registry export",
        )
    head = json.dumps(_export_head(partnership), ensure_ascii=False)[:-1]
    today = clock.today()

    def pieces() -> Iterator[str]:
        yield head + ', "alerts": ['
        first = True
        for alert in alerts.iterator(chunk_size=2000):
            yield ("\n" if first else ",\n") + json.dumps(_alert_dict(alert, today), ensure_ascii=False)
            first = False
        yield "\n]}\n"

    return pieces()
