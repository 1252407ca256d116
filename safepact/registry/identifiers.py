"""Typed identifiers of the registry: one normaliser and one validator per kind.

``parse(kind, value, ...)`` turns what someone typed into a :class:`Parsed` with the *key*, the
kind-prefixed normal form that every lookup matches exactly on (``vin:WBA71DC010CH14720``,
``engine:YAMAHAMOTORCO:6ML1034567``, ``plate:NL:AB123C``, ``document:passport:NL:NXC1234567``,
``imei:35209900176148``, ``hin:NLABC12345A606``). It raises :class:`IdentifierError` naming the field when
the input cannot be an identifier of that kind; doubts that do not make it invalid (a European VIN whose
check digit does not match, a plate that does not look like the country's usual format) are translated
warnings in ``Parsed.warnings``.

Normalising (``compact``): upper case; spaces and separators (``- . / \\ _ , : ; ' "`` and their Unicode
cousins) removed; full-width and other compatibility characters folded (NFKC). Look-alike characters are
folded *only where the folded-from character cannot legally occur in that kind*, so two different valid
identifiers never meet on one key:

* VIN: I→1, O→0, Q→0 everywhere (ISO 3779 does not use I, O or Q);
* HIN/CIN: I→1, O→0, Q→0 in the five-character serial only (33 CFR 181.25, ISO 10087);
* IMEI and IMO: O→0, I→1, L→1 (digits only);
* engine, frame, firearm, serial, plate and document numbers: no folding (letters and digits both occur).

Keys of different kinds never collide: each starts with its kind and ``:``; the parts after it are
upper-case letters and digits (a document type is its lower-case value; a German plate keeps one ``-``
between district and letters, see ``_plate_de``), and multi-part keys join their parts with ``:``, which
no part contains. A CIN keeps its country (MICs are assigned per country), except ``US``: a US HIN carries
no country code, so ``US-ABC12345A606`` is the same hull as ``ABC12345A606``. The IMEI key is the 14-digit
body, so an IMEI with or without its check digit and the IMEISV of one phone meet.

``parse`` is on the hot path of checks (a batch of 100,000 identifiers a second): the translation tables
and regular expressions are built once here, and the common ASCII case runs through ``bytes.translate``
(case, separators and look-alikes in one C pass). The IMEI Luhn and VIN check digits use per-position
lookup tables: ``stdnum.luhn`` is the reference in the tests but costs about 4 µs a call.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from operator import getitem

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import DocumentType, IdentifierKind

__all__ = [
    "KINDS",
    "IdentifierError",
    "KindSpec",
    "Parsed",
    "compact",
    "fuzzy_form",
    "is_partial",
    "normalise_manufacturer",
    "parse",
]

#: Longest input looked at; anything longer is refused before any work is done.
MAX_INPUT = 200
MAX_MANUFACTURER = 100


class IdentifierError(ValueError):
    """An identifier that cannot be valid; ``field`` names the input at fault, ``str(e)`` is the message."""

    field: str
    message: str

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class Parsed:
    kind: str
    #: The normalised identifier (``compact``), e.g. ``WBA71DC010CH14720`` or ``352099001761481``.
    value: str
    #: The kind-prefixed normal form every lookup matches exactly.
    key: str
    #: As entered (whitespace collapsed); blank for kinds without a manufacturer.
    manufacturer: str
    #: ISO 3166-1 alpha-2 (plate, document, a CIN's country); blank otherwise.
    country: str
    document_type: str
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class KindSpec:
    kind: str
    label: str
    needs_manufacturer: bool
    needs_country: bool
    needs_document_type: bool
    #: Look-alike characters folded for this kind: ``(("I", "1"), ("O", "0"), ...)`` (HIN: serial only).
    lookalikes: tuple[tuple[str, str], ...]
    #: True when a manufacturer may be given (required or optional) and is part of the key.
    takes_manufacturer: bool = False


_new_object = object.__new__
(_set_kind, _set_value, _set_key, _set_manufacturer, _set_country, _set_document_type, _set_warnings) = (
    Parsed.kind.__set__,  # type: ignore[attr-defined]
    Parsed.value.__set__,  # type: ignore[attr-defined]
    Parsed.key.__set__,  # type: ignore[attr-defined]
    Parsed.manufacturer.__set__,  # type: ignore[attr-defined]
    Parsed.country.__set__,  # type: ignore[attr-defined]
    Parsed.document_type.__set__,  # type: ignore[attr-defined]
    Parsed.warnings.__set__,  # type: ignore[attr-defined]
)


def _parsed(kind, value, key, manufacturer, country, document_type, warnings) -> Parsed:
    """``Parsed(...)`` at half the cost: the frozen dataclass ``__init__`` goes through
    ``object.__setattr__`` for every field; the slot descriptors set them directly (same object)."""
    parsed = _new_object(Parsed)
    _set_kind(parsed, kind)
    _set_value(parsed, value)
    _set_key(parsed, key)
    _set_manufacturer(parsed, manufacturer)
    _set_country(parsed, country)
    _set_document_type(parsed, document_type)
    _set_warnings(parsed, warnings)
    return parsed


_VIN_FOLD = (("I", "1"), ("O", "0"), ("Q", "0"))
_DIGIT_FOLD = (("O", "0"), ("I", "1"), ("L", "1"))

KINDS: dict[str, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(IdentifierKind.VIN.value, IdentifierKind.VIN.label, False, False, False, _VIN_FOLD),
        KindSpec(IdentifierKind.HIN.value, IdentifierKind.HIN.label, False, False, False, _VIN_FOLD),
        KindSpec(IdentifierKind.ENGINE.value, IdentifierKind.ENGINE.label, True, False, False, (), True),
        KindSpec(IdentifierKind.FRAME.value, IdentifierKind.FRAME.label, False, False, False, ()),
        KindSpec(IdentifierKind.IMEI.value, IdentifierKind.IMEI.label, False, False, False, _DIGIT_FOLD),
        KindSpec(IdentifierKind.IMO.value, IdentifierKind.IMO.label, False, False, False, _DIGIT_FOLD),
        KindSpec(IdentifierKind.PLATE.value, IdentifierKind.PLATE.label, False, True, False, ()),
        KindSpec(IdentifierKind.FIREARM.value, IdentifierKind.FIREARM.label, True, False, False, (), True),
        KindSpec(IdentifierKind.DOCUMENT.value, IdentifierKind.DOCUMENT.label, False, True, True, ()),
        KindSpec(IdentifierKind.SERIAL.value, IdentifierKind.SERIAL.label, False, False, False, (), True),
    )
}

# --------------------------------------------------------------------------------------------------
# Tables, built once.

#: ASCII separators removed by every kind (``_`` is also a wildcard: ``parse`` refuses it first).
_SEPARATORS = " \t\n\r\v\f-./\\_,:;'\"`"
_SEP_BYTES = _SEPARATORS.encode("ascii")
#: Unicode separators and invisible characters removed after NFKC (dashes, dots, quotes, spaces, zero-width).
_UNICODE_SEPARATORS = (
    "\u00a0\u00ad\u00b7\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2022\u2027\u2018\u2019\u201a\u201b"
    "\u201c\u201d\u201e\u2032\u2033\u2044\u2215\u200b\u200c\u200d\u2060\ufeff\u3000\u30fb\u2024"
    "\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u2028\u2029"
    "\u0085\u001c\u001d\u001e\u001f"
)
_ALL_SEPARATORS = frozenset(_SEPARATORS + _UNICODE_SEPARATORS)
_UNICODE_DELETE = dict.fromkeys(map(ord, _ALL_SEPARATORS))

#: Wildcards of SQL, shells and people: ``* % ? _ …`` (and full-width forms) or ``...``.
_PARTIAL_RE = re.compile(r"[*%?_\u2026\uff0a\uff05\uff1f\uff3f]|\.\.\.|\u3002\u3002\u3002")


def _byte_table(fold: tuple[tuple[str, str], ...]) -> bytes:
    """256-byte table: ASCII lower case to upper case, then look-alikes (upper and lower) folded."""
    table = bytearray(range(256))
    for c in range(ord("a"), ord("z") + 1):
        table[c] = c - 32
    for src, dst in fold:
        table[ord(src)] = ord(dst)
        table[ord(src.lower())] = ord(dst)
    return bytes(table)


_PLAIN = _byte_table(())
_VIN_TABLE = _byte_table(_VIN_FOLD)
_DIGIT_TABLE = _byte_table(_DIGIT_FOLD)
_VIN_STR_FOLD = str.maketrans(dict(_VIN_FOLD))
_DIGIT_STR_FOLD = str.maketrans(dict(_DIGIT_FOLD))

_VIN_RE = re.compile(r"[A-HJ-NPR-Z0-9]{17}")
#: Manufacturer code, serial, then the date part in one of the three formats of 33 CFR 181.25 and its
#: predecessors: since August 1984 month letter, year digit and model year (``A606``); 1972-1984 either
#: the "straight year" format, M, model year and month letter (``M73E``), or the "model year" format, the
#: month and year of certification (``1272``). Boats of those years are still sold, stored and stolen.
_HIN_RE = re.compile(
    r"(?:[A-Z]{2})?[A-Z]{3}[A-HJ-NPR-Z0-9]{5}(?:[A-L][0-9]{3}|M[0-9]{2}[A-L]|(?:0[1-9]|1[0-2])[0-9]{2})"
)
_ALNUM_RE = re.compile(r"[A-Z0-9]+")
_DIGITS_RE = re.compile(r"[0-9]+")
_PLATE_RE = re.compile(r"[A-Z0-9\u00c4\u00d6\u00dc\u00c5\u00c6\u00d8]+")
_NON_ALNUM_RE = re.compile(r"[^A-Z0-9]+")
_IOQ_RE = re.compile(r"[IOQ]")

# VIN check digit (ISO 3779, 49 CFR 565.15): transliteration times position weight, modulo 11.
_VIN_VALUES = dict(
    zip(
        "ABCDEFGHJKLMNPRSTUVWXYZ",
        (1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9),
        strict=True,
    )
)
_VIN_VALUES.update({str(d): d for d in range(10)})
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
#: One 256-entry table per position: the character's weighted value modulo 11 (sum then mod 11 once).
_VIN_POSITION_TABLES = tuple(
    bytes((_VIN_VALUES[chr(b)] * w) % 11 if chr(b) in _VIN_VALUES else 0 for b in range(256))
    for w in _VIN_WEIGHTS
)
_VIN_CHECK = "0123456789X"
#: World manufacturer identifiers starting 1-5: North America, where the check digit is mandatory.
_VIN_NORTH_AMERICA = frozenset("12345")

# Luhn for 15 digits: odd positions (from the left, 0-based 1, 3, ... 13) doubled with digit sum.
_LUHN_PLAIN = bytes((b - 48) if 48 <= b <= 57 else 0 for b in range(256))
_LUHN_DOUBLE = bytes(((2 * (b - 48)) // 10 + (2 * (b - 48)) % 10) if 48 <= b <= 57 else 0 for b in range(256))
_LUHN15_TABLES = tuple(_LUHN_DOUBLE if i % 2 else _LUHN_PLAIN for i in range(15))

#: IMO check digit: the first six digits times 7..2, modulo 10 (per-position tables as for the VIN).
_IMO_TABLES = tuple(
    bytes(((b - 48) * w) % 10 if 48 <= b <= 57 else 0 for b in range(256)) for w in (7, 6, 5, 4, 3, 2)
)

# Plates: letters and digits of the compact plate as a shape (``L``/``D``) for the Dutch sidecodes.
_SHAPE = bytes(ord("L") if (65 <= b <= 90) else ord("D") if (48 <= b <= 57) else ord("?") for b in range(256))
#: Dutch sidecodes 1-14 (RDW): XX-99-99 ... 999-XX-9.
_NL_SIDECODES = frozenset(
    {
        b"LLDDDD", b"DDDDLL", b"DDLLDD", b"LLDDLL", b"LLLLDD", b"DDLLLL", b"DDLLLD",
        b"DLLLDD", b"LLDDDL", b"LDDDLL", b"LLLDDL", b"LDDLLL", b"DLLDDD", b"DDDLLD",
    }
)  # fmt: skip
_BE_RE = re.compile(r"[1-9][A-Z]{3}[0-9]{3}|[A-Z]{3}[0-9]{3}")
_SE_RE = re.compile(r"[A-Z]{3}[0-9]{2}[A-Z0-9]")
_FR_RE = re.compile(r"[A-Z]{2}[0-9]{3}[A-Z]{2}|[0-9]{1,4}[A-Z]{1,3}(?:[0-9]{2}|2A|2B|97[1-6])")
#: German plate, compact: district and recognition letters (together 2-5), 1-4 digits, E or H suffix.
_DE_RE = re.compile(r"([A-Z\u00c4\u00d6\u00dc]{2,5})([1-9][0-9]{0,3})([EH]?)")
_DE_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ\u00c4\u00d6\u00dc"

_DOCUMENT_TYPES = frozenset(DocumentType.values)


# --------------------------------------------------------------------------------------------------
# Normalising.


def _unicode_base(value: str) -> str:
    """The slow path for non-ASCII input: NFKC, separators out, upper case, until it no longer changes."""
    for _i in range(4):
        folded = unicodedata.normalize("NFKC", value).translate(_UNICODE_DELETE).upper()
        folded = "".join(folded.split())
        if folded == value:
            break
        value = folded
    return value


def _base(value: str, table: bytes, str_fold: dict | None = None) -> str:
    """Upper case, separators removed, look-alikes folded by ``table`` (one C pass for ASCII)."""
    if value.isascii():
        return value.encode("ascii").translate(table, _SEP_BYTES).decode("ascii")
    value = _unicode_base(value)
    if value.isascii():
        return value.encode("ascii").translate(table).decode("ascii")
    return value.translate(str_fold) if str_fold else value


def _compact_vin(value: str) -> str:
    return _base(value, _VIN_TABLE, _VIN_STR_FOLD)


def _compact_hin(value: str) -> str:
    value = _base(value, _PLAIN)
    n = len(value)
    if n == 12:
        if _IOQ_RE.search(value, 3, 8):
            return value[:3] + value[3:8].translate(_VIN_STR_FOLD) + value[8:]
    elif n == 14 and _IOQ_RE.search(value, 5, 10):
        return value[:5] + value[5:10].translate(_VIN_STR_FOLD) + value[10:]
    return value


def _strip_prefix(value: str, prefixes: tuple[str, ...]) -> str:
    """Drop leading prefixes (all of them, so that ``compact`` stays idempotent)."""
    while value[:1] == "1":
        for prefix in prefixes:
            if value.startswith(prefix):
                value = value[len(prefix) :]
                break
        else:
            return value
    return value


# "IMEI", "IMEISV" and "IMO" as they read after folding (I→1, O→0): M, E, S and V are never digits, so a
# folded prefix cannot be part of a number.
_IMEI_PREFIXES = ("1ME1SV", "1ME1")
_IMO_PREFIXES = ("1M0",)


def _compact_imei(value: str) -> str:
    return _strip_prefix(_base(value, _DIGIT_TABLE, _DIGIT_STR_FOLD), _IMEI_PREFIXES)


def _compact_imo(value: str) -> str:
    return _strip_prefix(_base(value, _DIGIT_TABLE, _DIGIT_STR_FOLD), _IMO_PREFIXES)


def _compact_plain(value: str) -> str:
    return _base(value, _PLAIN)


_COMPACT = {
    "vin": _compact_vin,
    "hin": _compact_hin,
    "engine": _compact_plain,
    "frame": _compact_plain,
    "imei": _compact_imei,
    "imo": _compact_imo,
    "plate": _compact_plain,
    "firearm": _compact_plain,
    "document": _compact_plain,
    "serial": _compact_plain,
}


def _kind_of(kind: str) -> str:
    if kind in _COMPACT:
        return kind
    normal = kind.strip().lower() if isinstance(kind, str) else ""
    if normal in _COMPACT:
        return normal
    raise IdentifierError("kind", gettext("Choose the kind of identifier (VIN, HIN, IMEI, ...)."))


def compact(kind: str, value: str) -> str:
    """``value`` in the kind's normal spelling: upper case, no separators, allowed look-alikes folded.

    Idempotent; never raises for a known kind (validity is ``parse``'s business).
    """
    if value.__class__ is not str:
        value = "" if value is None else str(value)
    return _COMPACT[_kind_of(kind)](value[: MAX_INPUT * 2])


def is_partial(value: str) -> bool:
    """True when ``value`` holds a wildcard (``* % ? _ …``) or ``...``: partners check whole identifiers."""
    if value.__class__ is not str:
        value = "" if value is None else str(value)
    return _PARTIAL_RE.search(value) is not None


@lru_cache(maxsize=4096)
def normalise_manufacturer(value: str) -> str:
    """The manufacturer as it goes into a key: upper-case letters and digits only, accents dropped.

    ``"Yamaha Motor Co."`` and ``"YAMAHA MOTOR CO"`` both give ``YAMAHAMOTORCO``.
    """
    value = value.upper()
    if not value.isascii():
        value = unicodedata.normalize("NFKD", value)
        value = "".join(c for c in value if not unicodedata.combining(c)).upper()
    return _NON_ALNUM_RE.sub("", value)


_FUZZY = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8"})


def fuzzy_form(kind: str, value: str) -> str:
    """``compact`` with every common look-alike folded (O/Q/D→0, I/L→1, Z→2, S→5, B→8): for the close
    (fuzzy) search of law enforcement only, never for keys."""
    return compact(kind, value).translate(_FUZZY)


# --------------------------------------------------------------------------------------------------
# Validating.


def _vin_check_digit(vin: str) -> str:
    return _VIN_CHECK[sum(map(getitem, _VIN_POSITION_TABLES, vin.encode("ascii"))) % 11]


def _luhn15_ok(digits: str) -> bool:
    return sum(map(getitem, _LUHN15_TABLES, digits.encode("ascii"))) % 10 == 0


def _imo_ok(digits: str) -> bool:
    data = digits.encode("ascii")
    return sum(map(getitem, _IMO_TABLES, data)) % 10 == data[6] - 48


_country_cache: dict[str, bool] = {}


def _country(raw: str, field: str = "country") -> str:
    """ISO 3166-1 alpha-2 country code (as ``safepact.accounts.schemas`` accepts), upper case."""
    code = raw.strip().upper()
    known = _country_cache.get(code)
    if known is None:
        if len(code) == 2 and code.isascii() and code.isalpha():
            from django_countries import countries

            known = bool(countries.alpha2(code))
        else:
            known = False
        if len(_country_cache) < 1024:
            _country_cache[code] = known
    if not known:
        if not code:
            raise IdentifierError(field, gettext("Enter the country (ISO 3166-1 alpha-2 code, e.g. NL)."))
        raise IdentifierError(field, gettext("Unknown country code (use ISO 3166-1 alpha-2, e.g. NL)."))
    return code


def _manufacturer(raw: str, required: bool) -> tuple[str, str]:
    """(as entered with whitespace collapsed, normalised key part)."""
    if len(raw) > MAX_MANUFACTURER:
        raise IdentifierError(
            "manufacturer",
            gettext("The manufacturer's name is too long (at most %(max)d characters).")
            % {"max": MAX_MANUFACTURER},
        )
    shown = " ".join(raw.split())
    key = normalise_manufacturer(shown) if shown else ""
    if len(key) > MAX_MANUFACTURER:  # it grew when normalised ("ß" -> "SS"): the key must fit its column
        raise IdentifierError(
            "manufacturer",
            gettext("The manufacturer's name is too long (at most %(max)d characters).")
            % {"max": MAX_MANUFACTURER},
        )
    if not key:
        if shown:
            raise IdentifierError(
                "manufacturer", gettext("Enter the manufacturer's name in Latin letters or digits.")
            )
        if required:
            raise IdentifierError("manufacturer", gettext("Enter the manufacturer."))
    return shown, key


#: Length messages of the plain letters-and-digits kinds (whole sentences, for the translators).
_LENGTH_MESSAGES = {
    "engine": _("An engine number has %(low)d to %(high)d letters and digits."),
    "firearm": _("A firearm serial number has %(low)d to %(high)d letters and digits."),
    "serial": _("A serial number has %(low)d to %(high)d letters and digits."),
    "frame": _("A frame number has %(low)d to %(high)d letters and digits."),
    "document": _("A document number has %(low)d to %(high)d letters and digits."),
}


def _alnum(value: str, low: int, high: int, kind: str) -> None:
    if not (low <= len(value) <= high) or not _ALNUM_RE.fullmatch(value):
        raise IdentifierError("value", str(_LENGTH_MESSAGES[kind]) % {"low": low, "high": high})


def _parse_vin(raw, manufacturer, country, document_type, warn):
    value = _compact_vin(raw)
    if len(value) != 17:
        raise IdentifierError(
            "value",
            gettext("A VIN has 17 characters; this one has %(count)d.") % {"count": len(value)},
        )
    if not _VIN_RE.fullmatch(value):
        raise IdentifierError("value", gettext("A VIN holds only letters and digits."))
    warnings: tuple[str, ...] = ()
    if _vin_check_digit(value) != value[8]:
        if value[0] in _VIN_NORTH_AMERICA:
            raise IdentifierError(
                "value",
                gettext(
                    "The check digit of this VIN (position 9) does not match: check the number. "
                    "It is mandatory for North American VINs."
                ),
            )
        if warn:
            warnings = (
                gettext(
                    "The check digit of this VIN (position 9) does not match. Outside North America it is "
                    "optional, so the VIN was accepted: check that it was read correctly."
                ),
            )
    return _parsed("vin", value, "vin:" + value, "", "", "", warnings)


def _hin_error() -> IdentifierError:
    return IdentifierError(
        "value",
        gettext(
            "A hull identification number has 12 characters (US) or a country code and 12 characters "
            "(CIN): manufacturer code (3 letters), serial (5 letters or digits), month (A-L), year digit "
            "and model year, e.g. ABC12345A606 or NL-ABC12345A606."
        ),
    )


def _parse_hin(raw, manufacturer, country, document_type, warn):
    value = _compact_hin(raw)
    n = len(value)
    if (n != 12 and n != 14) or not _HIN_RE.fullmatch(value):
        raise _hin_error()
    if n == 12:
        return _parsed("hin", value, "hin:" + value, "", "", "", ())
    cin_country = value[:2]
    if not (_country_cache.get(cin_country) or _known_country(cin_country)):
        raise IdentifierError(
            "value",
            gettext("A CIN starts with a country code (ISO 3166-1 alpha-2, e.g. NL-ABC12345A606)."),
        )
    if cin_country == "US":
        # A US HIN carries no country code: "US-ABC12345A606" is the CIN spelling of "ABC12345A606".
        value = value[2:]
        return _parsed("hin", value, "hin:" + value, "", "", "", ())
    return _parsed("hin", value, "hin:" + value, "", cin_country, "", ())


def _known_country(code: str) -> bool:
    try:
        _country(code)
    except IdentifierError:
        return False
    return True


def _serial_kind(kind: str, required: bool):
    prefix = kind + ":"

    def parse_serial(raw, manufacturer, country, document_type, warn):
        shown, maker = _manufacturer(manufacturer, required)
        value = _compact_plain(raw)
        _alnum(value, 3, 40, kind)
        return _parsed(kind, value, prefix + maker + ":" + value, shown, "", "", ())

    return parse_serial


def _parse_frame(raw, manufacturer, country, document_type, warn):
    value = _compact_plain(raw)
    _alnum(value, 3, 40, "frame")
    return _parsed("frame", value, "frame:" + value, "", "", "", ())


def _parse_imei(raw, manufacturer, country, document_type, warn):
    value = _compact_imei(raw)
    if not _DIGITS_RE.fullmatch(value):
        raise IdentifierError("value", gettext("An IMEI holds digits only (14, 15 or 16)."))
    n = len(value)
    if n == 15:
        if not _luhn15_ok(value):
            raise IdentifierError(
                "value",
                gettext("The check digit of this IMEI (the 15th digit) does not match: check the number."),
            )
    elif n != 14 and n != 16:
        raise IdentifierError(
            "value", gettext("An IMEI has 14, 15 or 16 digits; this one has %(count)d.") % {"count": n}
        )
    return _parsed("imei", value, "imei:" + value[:14], "", "", "", ())


def _parse_imo(raw, manufacturer, country, document_type, warn):
    value = _compact_imo(raw)
    if len(value) != 7 or not _DIGITS_RE.fullmatch(value):
        raise IdentifierError("value", gettext("An IMO number has 7 digits, e.g. IMO 9319466."))
    if not _imo_ok(value):
        raise IdentifierError(
            "value",
            gettext("The check digit of this IMO number (the 7th digit) does not match: check the number."),
        )
    return _parsed("imo", value, "imo:" + value, "", "", "", ())


def _plate_warning(country: str) -> tuple[str, ...]:
    return (
        gettext("This does not look like a usual %(country)s plate: check that it was read correctly.")
        % {"country": country},
    )


_UMLAUTS = "\u00c4\u00d6\u00dc"


def _plate_de(raw: str, value: str, warn: bool) -> tuple[str, tuple[str, ...]]:
    """A German plate keeps one ``-`` between district and letters: ``B-AB123`` and ``BA-B123`` differ.

    A space or hyphen inside the letters marks the end of the district. Without one the split is
    certain only with 2 letters (1+1) or 5 (3+2); with 3 or 4, or with separators at two places inside
    the letters, the plate is refused as ambiguous (never guessed).
    Other German plates (armed forces, diplomatic) are kept as letters and digits, with a warning.
    """
    match = _DE_RE.fullmatch(value)
    if match is None or len(value) - len(match.group(3)) > 8:
        return value, _plate_warning("DE") if warn else ()
    letters, digits, suffix = match.groups()
    n = len(letters)
    cuts = set()  # letter counts after which a separator stands inside the letters
    seen = 0
    for char in (raw if raw.isascii() else unicodedata.normalize("NFKC", raw)).upper():
        if char in _DE_LETTERS:
            seen += 1
            if seen == n:
                break
        elif char in _ALL_SEPARATORS:
            if seen:
                cuts.add(seen)
        else:
            break
    if len(cuts) == 1:
        district = cuts.pop()
    elif not cuts:
        district = 1 if n == 2 else 3 if n == 5 else 0
    else:
        district = 0
    if not (1 <= district <= 3 and 1 <= n - district <= 2):
        raise IdentifierError(
            "value",
            gettext(
                "Write a German plate with a space or hyphen between the district and the letters, "
                "e.g. B-AB 123 or BA-B 123."
            ),
        )
    recognition = letters[district:]
    if any(c in _UMLAUTS for c in recognition):
        return value, _plate_warning("DE") if warn else ()
    return letters[:district] + "-" + recognition + digits + suffix, ()


def _nl_sidecode(value: str) -> bool:
    return value.encode("utf-8").translate(_SHAPE) in _NL_SIDECODES


#: The usual formats by country (a plate that does not fit is accepted with a warning: personalised,
#: diplomatic, military and older plates exist everywhere). Germany is ``_plate_de``.
_PLATE_FORMATS = {"NL": _nl_sidecode, "BE": _BE_RE.fullmatch, "SE": _SE_RE.fullmatch, "FR": _FR_RE.fullmatch}


def _parse_plate(raw, manufacturer, country, document_type, warn):
    code = _country(country)
    value = _compact_plain(raw)
    if not (2 <= len(value) <= 10) or not _PLATE_RE.fullmatch(value):
        raise IdentifierError("value", gettext("A licence plate has 2 to 10 letters and digits."))
    warnings: tuple[str, ...] = ()
    if code == "DE":
        value, warnings = _plate_de(raw, value, warn)
    elif warn:
        usual = _PLATE_FORMATS.get(code)
        if usual is not None and not usual(value):
            warnings = _plate_warning(code)
    return _parsed("plate", value, "plate:" + code + ":" + value, "", code, "", warnings)


def _parse_document(raw, manufacturer, country, document_type, warn):
    doc_type = document_type
    if doc_type not in _DOCUMENT_TYPES:
        doc_type = str(document_type or "").strip().lower().replace(" ", "_").replace("-", "_")
        if doc_type not in _DOCUMENT_TYPES:
            if not doc_type:
                raise IdentifierError("document_type", gettext("Choose the type of document."))
            raise IdentifierError("document_type", gettext("Unknown type of document."))
    code = _country(country)
    value = _compact_plain(raw)
    _alnum(value, 5, 20, "document")
    return _parsed(
        "document", value, "document:" + doc_type + ":" + code + ":" + value, "", code, doc_type, ()
    )


_PARSERS = {
    "vin": _parse_vin,
    "hin": _parse_hin,
    "engine": _serial_kind("engine", True),
    "frame": _parse_frame,
    "imei": _parse_imei,
    "imo": _parse_imo,
    "plate": _parse_plate,
    "firearm": _serial_kind("firearm", True),
    "document": _parse_document,
    "serial": _serial_kind("serial", False),
}


def parse(
    kind: str,
    value: str,
    *,
    manufacturer: str = "",
    country: str = "",
    document_type: str = "",
    with_warnings: bool = True,
) -> Parsed:
    """Normalise and validate one identifier; raises :class:`IdentifierError` naming the field at fault.

    Partial identifiers and wildcards are refused first (partners may not search by part of a number).
    Parts a kind does not use (a manufacturer for a VIN, a country for an IMEI) are ignored.
    ``with_warnings=False`` leaves ``warnings`` empty: translating one costs several microseconds
    (Django's ``gettext`` reads the active language from an ``asgiref`` local), which a batch that
    does not show warnings need not pay. Errors are the same either way.
    """
    try:
        parser = _PARSERS.get(kind)
    except TypeError:  # an unhashable kind
        parser = None
    if parser is None:
        parser = _PARSERS[_kind_of(kind)]
    if value.__class__ is not str:
        value = "" if value is None else str(value)
    if len(value) > MAX_INPUT:
        raise IdentifierError(
            "value", gettext("This identifier is too long (at most %(max)d characters).") % {"max": MAX_INPUT}
        )
    if _PARTIAL_RE.search(value) is not None:
        raise IdentifierError(
            "value",
            gettext("Partial identifiers and wildcards cannot be checked: enter the whole identifier."),
        )
    if not value or value.isspace():
        raise IdentifierError("value", gettext("Enter the identifier."))
    return parser(
        value,
        manufacturer if manufacturer.__class__ is str else _text(manufacturer),
        country if country.__class__ is str else _text(country),
        document_type if document_type.__class__ is str else _text(document_type),
        with_warnings,
    )


def _text(value) -> str:
    return "" if value is None else str(value)
