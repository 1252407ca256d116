"""Identifier normalisers and validators on the shared vectors (``shared/data/identifiers/``) and on worked
examples: every row of every vector file is asserted, and every error names its field.

Pure functions: no database. The vector directory is found by walking up from ``settings.BASE_DIR`` (it is
``/work/shared`` next to the checkout ``/work/main``); the vector tests are skipped, saying so, only when it
is missing.
"""

import csv
from pathlib import Path

import pytest
from django.conf import settings
from stdnum import imei as stdnum_imei
from stdnum import imo as stdnum_imo

from safepact.registry.identifiers import (
    KINDS,
    IdentifierError,
    Parsed,
    compact,
    is_partial,
    normalise_manufacturer,
    parse,
)
from safepact.registry.models import DocumentType, IdentifierKind


def _vector_dir() -> Path | None:
    start = Path(settings.BASE_DIR).resolve()
    for folder in (start, *start.parents):
        candidate = folder / "shared" / "data" / "identifiers"
        if candidate.is_dir():
            return candidate
    return None


VECTORS = _vector_dir()
needs_vectors = pytest.mark.skipif(
    VECTORS is None,
    reason=f"identifier vectors not found: no shared/data/identifiers above {settings.BASE_DIR}",
)


def _rows(name: str) -> list[dict]:
    if VECTORS is None:
        return []
    with (VECTORS / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


VIN_ROWS = _rows("vin-check-digit.tsv")
IMEI_ROWS = _rows("imei.tsv")
IMO_ROWS = _rows("imo.tsv")


#: Digits as a Japanese keyboard types them (NFKC folds them to ASCII).
FULL_WIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + d) for d in range(10)))


def _ids(rows, column):
    return [row[column] for row in rows]


# --------------------------------------------------------------------------------------------------
# The vector files.


@needs_vectors
def test_vector_files_are_read_whole():
    assert len(VIN_ROWS) == 9
    assert len(IMEI_ROWS) == 6
    assert len(IMO_ROWS) == 3
    assert {row["check_digit_valid"] for row in VIN_ROWS} == {"true", "false", "n/a"}


def _oracle_vin_check_digit(vin: str) -> str:
    """49 CFR 565.15 written out plainly, independent of the module's lookup tables."""
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    values = [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9]
    weights = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
    total = 0
    for char, weight in zip(vin, weights, strict=True):
        value = int(char) if char.isdigit() else values[letters.index(char)]
        total += value * weight
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


@needs_vectors
@pytest.mark.parametrize("row", VIN_ROWS, ids=_ids(VIN_ROWS, "vin"))
def test_vin_vectors(row):
    vin, expected = row["vin"], row["check_digit_valid"]
    north_american = vin[0] in "12345"
    oracle_ok = _oracle_vin_check_digit(vin) == vin[8]
    if expected == "true":
        assert oracle_ok
        parsed = parse("vin", vin)
        assert parsed.key == f"vin:{vin}"
        assert parsed.value == vin
        assert parsed.warnings == ()
        # Spelled in lower case with separators, it is the same VIN.
        assert parse("vin", f" {vin[:3].lower()}-{vin[3:9]} {vin[9:]} ").key == parsed.key
    elif expected == "false":
        assert not oracle_ok
        if north_american:
            with pytest.raises(IdentifierError) as caught:
                parse("vin", vin)
            assert caught.value.field == "value"
            assert "check digit" in str(caught.value)
        else:
            assert parse("vin", vin).warnings
    else:  # "n/a": a European VIN without a check digit must be accepted, with a warning
        assert expected == "n/a"
        assert not north_american
        parsed = parse("vin", vin)
        assert parsed.key == f"vin:{vin}"
        assert len(parsed.warnings) == 1
        assert "check digit" in parsed.warnings[0]
        assert parse("vin", vin, with_warnings=False).warnings == ()


@needs_vectors
@pytest.mark.parametrize("row", IMEI_ROWS, ids=_ids(IMEI_ROWS, "input"))
def test_imei_vectors(row):
    value = row["input"]
    # The reference implementation agrees with the file (14, 15 with Luhn, 16 IMEISV).
    assert stdnum_imei.is_valid(value) is (row["valid"] == "true")
    if row["valid"] == "true":
        parsed = parse("imei", value)
        assert compact("imei", value) == row["compact"]
        assert parsed.value == row["compact"]
        assert parsed.key == "imei:" + row["compact"][:14]
        assert parsed.warnings == ()
    else:
        assert row["valid"] == "false"
        with pytest.raises(IdentifierError) as caught:
            parse("imei", value)
        assert caught.value.field == "value"
        assert "check digit" in str(caught.value)


@needs_vectors
def test_imei_vectors_of_one_phone_meet():
    """``35-209900-176148-1`` (IMEI) and ``35-209900-176148-23`` (IMEISV) are one phone."""
    keys = {parse("imei", row["input"]).key for row in IMEI_ROWS if row["input"].startswith("35-209900")}
    assert keys == {"imei:35209900176148"}
    assert parse("imei", "35209900176148").key == "imei:35209900176148"


@needs_vectors
@pytest.mark.parametrize("row", IMO_ROWS, ids=_ids(IMO_ROWS, "input"))
def test_imo_vectors(row):
    value = row["input"]
    assert stdnum_imo.is_valid(value) is (row["valid"] == "true")
    if row["valid"] == "true":
        parsed = parse("imo", value)
        digits = stdnum_imo.compact(value)
        assert parsed.key == f"imo:{digits}"
        assert parsed.value == digits
        assert parse("imo", digits).key == parsed.key
        assert parse("imo", f"imo{digits}").key == parsed.key
    else:
        with pytest.raises(IdentifierError) as caught:
            parse("imo", value)
        assert caught.value.field == "value"
        assert "check digit" in str(caught.value)


# --------------------------------------------------------------------------------------------------
# The kinds, worked examples.


def test_kinds_cover_the_model():
    assert set(KINDS) == set(IdentifierKind.values)
    for kind, spec in KINDS.items():
        assert spec.kind == kind
        assert str(spec.label)
    assert KINDS["engine"].needs_manufacturer and KINDS["firearm"].needs_manufacturer
    assert not KINDS["serial"].needs_manufacturer and KINDS["serial"].takes_manufacturer
    assert KINDS["plate"].needs_country and KINDS["document"].needs_country
    assert KINDS["document"].needs_document_type
    assert KINDS["vin"].lookalikes == (("I", "1"), ("O", "0"), ("Q", "0"))
    assert KINDS["engine"].lookalikes == ()


def test_parsed_is_a_frozen_dataclass():
    parsed = parse("vin", "WBA71DC010CH14720")
    assert isinstance(parsed, Parsed)
    assert parsed == Parsed("vin", "WBA71DC010CH14720", "vin:WBA71DC010CH14720", "", "", "", ())
    assert hash(parsed) == hash(Parsed("vin", "WBA71DC010CH14720", "vin:WBA71DC010CH14720", "", "", "", ()))
    with pytest.raises(AttributeError):
        parsed.key = "vin:X"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kind", "value", "parts", "key"),
    [
        ("vin", "wba 71dc0-10ch14720", {}, "vin:WBA71DC010CH14720"),
        ("vin", "WBA7IDCOIOCH14720", {}, "vin:WBA71DC010CH14720"),  # I and O cannot occur in a VIN
        ("vin", "1M8GDM9AXKP042788", {"manufacturer": "ignored"}, "vin:1M8GDM9AXKP042788"),
        ("hin", "ABC12345A606", {}, "hin:ABC12345A606"),
        ("hin", "abc-12345-a6-06", {}, "hin:ABC12345A606"),
        ("hin", "NL-ABC12345A606", {}, "hin:NLABC12345A606"),
        ("hin", "nl abc 1234s a606", {}, "hin:NLABC1234SA606"),
        ("hin", "SE-ABC12345D404", {}, "hin:SEABC12345D404"),
        ("hin", "NL-XYZ987O5E505", {}, "hin:NLXYZ98705E505"),  # O in the serial is a zero
        ("hin", "US-ABC12345A606", {}, "hin:ABC12345A606"),  # the CIN spelling of a US HIN
        ("engine", "6ML-1034567", {"manufacturer": "Yamaha Motor Co."}, "engine:YAMAHAMOTORCO:6ML1034567"),
        ("engine", "6ml 1034567", {"manufacturer": "YAMAHA MOTOR CO"}, "engine:YAMAHAMOTORCO:6ML1034567"),
        ("engine", "6ML1034567", {"manufacturer": "Yamaha"}, "engine:YAMAHA:6ML1034567"),
        ("firearm", "ABC 123 456", {"manufacturer": "Glock"}, "firearm:GLOCK:ABC123456"),
        ("firearm", "0O1I", {"manufacturer": "Škoda"}, "firearm:SKODA:0O1I"),  # no look-alike folding
        ("serial", "SN-0042-X", {}, "serial::SN0042X"),
        ("serial", "SN-0042-X", {"manufacturer": "Sony"}, "serial:SONY:SN0042X"),
        ("frame", "wbk 1234 56", {}, "frame:WBK123456"),
        ("imei", "IMEI: 35-209900-176148-1", {}, "imei:35209900176148"),
        ("imei", "35-2O99OO-l76l48-1", {}, "imei:35209900176148"),  # O and l cannot occur in an IMEI
        ("imei", "35209900176148".translate(FULL_WIDTH), {}, "imei:35209900176148"),
        ("imo", "IMO 9319466", {}, "imo:9319466"),
        ("imo", "imo93l9466", {}, "imo:9319466"),
        ("plate", "ab-123-c", {"country": "nl"}, "plate:NL:AB123C"),
        ("plate", "AB 123 C", {"country": " NL "}, "plate:NL:AB123C"),
        ("plate", "1-ABC-234", {"country": "BE"}, "plate:BE:1ABC234"),
        ("plate", "ABC 123", {"country": "SE"}, "plate:SE:ABC123"),
        ("plate", "ABC 12D", {"country": "SE"}, "plate:SE:ABC12D"),
        ("plate", "AB-123-CD", {"country": "FR"}, "plate:FR:AB123CD"),
        ("plate", "B-AB 123", {"country": "DE"}, "plate:DE:B-AB123"),
        ("plate", "b ab 123", {"country": "DE"}, "plate:DE:B-AB123"),
        ("plate", "BA-B 123", {"country": "DE"}, "plate:DE:BA-B123"),
        ("plate", "BA 123", {"country": "DE"}, "plate:DE:B-A123"),  # two letters: one way only
        ("plate", "HH AB 123", {"country": "DE"}, "plate:DE:HH-AB123"),
        ("plate", "M-XY 1234E", {"country": "DE"}, "plate:DE:M-XY1234E"),
        ("plate", "tü-ab 12", {"country": "DE"}, "plate:DE:TÜ-AB12"),
        ("plate", "ABCDE12", {"country": "PL"}, "plate:PL:ABCDE12"),
        (
            "document",
            "NXC12345 67",
            {"country": "nl", "document_type": "passport"},
            "document:passport:NL:NXC1234567",
        ),
        (
            "document",
            "X-0123-456",
            {"country": "SE", "document_type": "id_card"},
            "document:id_card:SE:X0123456",
        ),
    ],
)
def test_keys(kind, value, parts, key):
    parsed = parse(kind, value, **parts)
    assert parsed.key == key
    assert parsed.kind == kind
    assert parse(kind, parsed.value, **parts).key == key  # the normal form is a fixed point


def test_parts_of_a_parsed_identifier():
    parsed = parse("engine", "6ML-1034567", manufacturer="  Yamaha   Motor Co. ")
    assert parsed.manufacturer == "Yamaha Motor Co."  # as entered, whitespace collapsed
    assert parsed.value == "6ML1034567"
    assert parse("hin", "NL-ABC12345A606").country == "NL"
    assert parse("hin", "ABC12345A606").country == ""
    plate = parse("plate", "ab-123-c", country="nl")
    assert (plate.country, plate.value) == ("NL", "AB123C")
    document = parse("document", "NXC1234567", country="NL", document_type="Passport")
    assert (document.document_type, document.country) == ("passport", "NL")
    # Parts a kind does not use are ignored, not stored.
    vin = parse("vin", "WBA71DC010CH14720", manufacturer="BMW", country="DE", document_type="passport")
    assert (vin.manufacturer, vin.country, vin.document_type) == ("", "", "")
    assert parse("frame", "WBK123456", manufacturer="Gazelle").key == "frame:WBK123456"


def test_kind_is_forgiving_about_case_and_spaces():
    assert parse(" VIN ", "WBA71DC010CH14720").kind == "vin"
    assert compact("Imei", "35-209900-176148-1") == "352099001761481"


def test_manufacturer_normal_form():
    assert normalise_manufacturer("Yamaha Motor Co.") == "YAMAHAMOTORCO"
    assert normalise_manufacturer("YAMAHA MOTOR CO") == "YAMAHAMOTORCO"
    assert normalise_manufacturer("Škoda-Werke") == "SKODAWERKE"
    assert normalise_manufacturer("") == ""


@pytest.mark.parametrize(
    ("country", "value"),
    [("NL", "AB-12-3"), ("NL", "ABCDEFG"), ("BE", "12-ABC"), ("SE", "AB-1234"), ("FR", "ABC-12-D")],
)
def test_unusual_plates_are_accepted_with_a_warning(country, value):
    parsed = parse("plate", value, country=country)
    assert len(parsed.warnings) == 1
    assert country in parsed.warnings[0]
    assert parse("plate", value, country=country, with_warnings=False).warnings == ()


@pytest.mark.parametrize(
    ("country", "value"),
    [("NL", "AB-123-C"), ("NL", "12-AB-34"), ("NL", "1-ABC-23"), ("BE", "ABC-123"), ("FR", "1234 AB 56")],
)
def test_usual_plates_have_no_warning(country, value):
    assert parse("plate", value, country=country).warnings == ()


def test_unusual_german_plates_are_kept_as_letters_and_digits():
    parsed = parse("plate", "Y-123 456", country="DE")  # armed forces
    assert parsed.key == "plate:DE:Y123456"
    assert parsed.warnings


def test_german_plates_keep_the_district():
    """``B-AB 123`` (Berlin) and ``BA-B 123`` (Bamberg) are two cars: separators alone must not merge them."""
    assert parse("plate", "B-AB 123", country="DE").key != parse("plate", "BA-B 123", country="DE").key
    assert parse("plate", "BAB-AB 12", country="DE").key == "plate:DE:BAB-AB12"
    assert parse("plate", "BABAB12", country="DE").key == "plate:DE:BAB-AB12"  # five letters: one way only


def test_is_partial():
    for value in (
        "WBA71DC*",
        "WBA%",
        "WBA71DC010CH1472?",
        "WBA_1DC010CH14720",
        "WBA71…",
        "WBA71...",
        "WBA\uff0a",
    ):
        assert is_partial(value), value
    for value in ("WBA71DC010CH14720", "AB-12.3", "NL-ABC12345A606", ""):
        assert not is_partial(value), value


# --------------------------------------------------------------------------------------------------
# Errors: each names its field and says what is wrong.


def _error(kind, value, **parts) -> IdentifierError:
    with pytest.raises(IdentifierError) as caught:
        parse(kind, value, **parts)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == caught.value.message
    return caught.value


@pytest.mark.parametrize(
    ("kind", "value", "parts", "field", "message"),
    [
        ("boat", "ABC", {}, "kind", "Choose the kind of identifier"),
        ("", "ABC", {}, "kind", "Choose the kind of identifier"),
        ("vin", "", {}, "value", "Enter the identifier."),
        ("vin", "   ", {}, "value", "Enter the identifier."),
        ("vin", "WBA71DC010CH1472*", {}, "value", "Partial identifiers and wildcards cannot be checked"),
        ("imei", "3520990017...", {}, "value", "Partial identifiers and wildcards cannot be checked"),
        ("vin", "X" * 201, {}, "value", "too long"),
        ("vin", "WBA71DC010CH1472", {}, "value", "A VIN has 17 characters; this one has 16."),
        ("vin", "WBA71DC010CH147201", {}, "value", "A VIN has 17 characters; this one has 18."),
        ("vin", "WBA71DC010CH1472+", {}, "value", "A VIN holds only letters and digits."),
        ("vin", "1M8GDM9AYKP042788", {}, "value", "check digit of this VIN"),
        ("hin", "ABC1234A606", {}, "value", "A hull identification number has 12 characters (US)"),
        ("hin", "1BC12345A606", {}, "value", "A hull identification number has 12 characters (US)"),
        ("hin", "ABC12345M606", {}, "value", "month (A-L)"),
        ("hin", "NLXABC12345A606", {}, "value", "or a country code and 12 characters (CIN)"),
        ("hin", "XX-ABC12345A606", {}, "value", "A CIN starts with a country code"),
        ("engine", "6ML1034567", {}, "manufacturer", "Enter the manufacturer."),
        ("engine", "6ML1034567", {"manufacturer": "---"}, "manufacturer", "Latin letters or digits"),
        ("engine", "6ML1034567", {"manufacturer": "Y" * 101}, "manufacturer", "too long"),
        ("engine", "6M", {"manufacturer": "Yamaha"}, "value", "An engine number has 3 to 40"),
        ("engine", "6ML+1034567", {"manufacturer": "Yamaha"}, "value", "An engine number has 3 to 40"),
        ("firearm", "ABC123", {}, "manufacturer", "Enter the manufacturer."),
        ("firearm", "A" * 41, {"manufacturer": "Glock"}, "value", "A firearm serial number has 3 to 40"),
        ("serial", "AB", {}, "value", "A serial number has 3 to 40"),
        ("frame", "WB", {}, "value", "A frame number has 3 to 40"),
        ("imei", "35209900176148X", {}, "value", "An IMEI holds digits only"),
        ("imei", "3520990017614", {}, "value", "An IMEI has 14, 15 or 16 digits; this one has 13."),
        ("imei", "35-417803-685978-2", {}, "value", "check digit of this IMEI"),
        ("imo", "IMO 931946", {}, "value", "An IMO number has 7 digits"),
        ("imo", "IMO 9319467", {}, "value", "check digit of this IMO number"),
        ("plate", "AB-123-C", {}, "country", "Enter the country"),
        ("plate", "AB-123-C", {"country": "XX"}, "country", "Unknown country code"),
        ("plate", "AB-123-C", {"country": "NLD"}, "country", "Unknown country code"),
        ("plate", "A", {"country": "NL"}, "value", "A licence plate has 2 to 10 letters and digits."),
        ("plate", "AB-123-C+", {"country": "NL"}, "value", "A licence plate has 2 to 10 letters and digits."),
        ("plate", "BAB 123", {"country": "DE"}, "value", "between the district and the letters"),
        ("plate", "BABA123", {"country": "DE"}, "value", "between the district and the letters"),
        ("document", "NXC1234567", {"country": "NL"}, "document_type", "Choose the type of document."),
        ("document", "NXC1234567", {"country": "NL", "document_type": "visa"}, "document_type", "Unknown"),
        ("document", "NXC1234567", {"document_type": "passport"}, "country", "Enter the country"),
        ("document", "NXC1", {"country": "NL", "document_type": "passport"}, "value", "5 to 20"),
    ],
)
def test_errors_name_their_field(kind, value, parts, field, message):
    error = _error(kind, value, **parts)
    assert error.field == field
    assert message in str(error)


def test_every_document_type_is_accepted():
    for document_type in DocumentType.values:
        parsed = parse("document", "AB12345", country="NL", document_type=document_type)
        assert parsed.key == f"document:{document_type}:NL:AB12345"


def test_compact_of_an_unknown_kind_names_the_field():
    with pytest.raises(IdentifierError) as caught:
        compact("boat", "ABC")
    assert caught.value.field == "kind"
