"""Identifier normalisers as properties (hypothesis).

* ``compact`` is idempotent for every kind, on any text; so is ``parse`` (its normal form parses to the
  same key);
* spellings of one identifier that differ only in separators, case or the look-alikes the kind allows
  (VIN I/O/Q, HIN serial I/O/Q, IMEI and IMO O/I/L; ``IMEI``/``IMO`` prefixes; manufacturer punctuation)
  give the same key;
* different valid identifiers never give the same key, within a kind and across kinds, including
  near-misses that differ only by a look-alike where the kind does not allow folding (``0`` and ``O`` in
  an engine number) and German plates that differ only in where the district ends;
* ``parse`` raises nothing but ``IdentifierError`` (with a known field) on arbitrary input;
* the fast check-digit code agrees with ``python-stdnum`` (Luhn, IMO) and with a plain 49 CFR 565.15 oracle.

Generated identifiers are built valid by construction (VINs with their check digit, HINs, IMEIs with the
Luhn digit, IMO numbers with theirs, plates in each country's format).
"""

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import imo as stdnum_imo
from stdnum import luhn

from safepact.registry.identifiers import KINDS, IdentifierError, compact, is_partial, parse
from safepact.registry.models import DocumentType
from safepact.registry.tests.test_ident_vectors import _oracle_vin_check_digit

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: The per-kind tests run once per kind (ten kinds): fewer examples each.
KIND_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIELDS = {"kind", "value", "manufacturer", "country", "document_type"}

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
ALNUM = UPPER + DIGITS
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ" + DIGITS
#: Separators people type between characters; one per gap, so never a "..." (that is a wildcard), never "_".
GAPS = ["", "", "", "", " ", "-", ".", "/", ",", "  ", " - ", "\u2013", "\u00a0"]
COUNTRIES = ["NL", "SE", "DE", "FR", "BE", "GB", "IT", "FI", "PL", "ES", "US", "DK"]
#: Display spellings of one manufacturer, by the normal form they must meet on.
MANUFACTURERS = {
    "YAMAHAMOTORCO": ["Yamaha Motor Co.", "YAMAHA MOTOR CO", "yamaha-motor co", " Yamaha  Motor Co "],
    "YAMAHA": ["Yamaha", "YAMAHA", "yamaha."],
    "MERCURYMARINE": ["Mercury Marine", "MERCURY-MARINE"],
    "HECKLERKOCH": ["Heckler & Koch", "HECKLER+KOCH", "Heckler/Koch"],
    "SKODA": ["Škoda", "Skoda", "SKODA"],
    "GLOCK": ["Glock", "GLOCK"],
}
#: Look-alikes a spelling may use in place of the canonical character, where the kind folds them.
VIN_LOOKALIKES = {"1": ["I", "i"], "0": ["O", "o", "Q", "q"]}
DIGIT_LOOKALIKES = {"1": ["I", "i", "l", "L"], "0": ["O", "o"]}


@dataclass(frozen=True)
class Case:
    kind: str
    identity: tuple
    canonical: str
    parts: dict = field(default_factory=dict, hash=False)
    #: character positions of ``canonical`` where look-alikes may be typed (None: all)
    fold_at: frozenset | None = frozenset()
    lookalikes: dict = field(default_factory=dict, hash=False)
    prefixes: tuple = ("",)
    #: display spellings of the manufacturer (``parts["manufacturer"]`` is the first)
    manufacturers: tuple = ()


def _text(alphabet, low, high):
    return st.text(alphabet=alphabet, min_size=low, max_size=high)


# --------------------------------------------------------------------------------------------------
# Valid identifiers, built. ``narrow`` draws from a few characters only, so that many generated
# identifiers are near one another (differ in one character, a look-alike, a country, a district cut):
# the near-misses are the ones a careless normaliser would merge.


@st.composite
def vins(draw, narrow=False):
    chars = "01AB" if narrow else VIN_CHARS
    head = draw(_text(chars, 8, 8))
    tail = draw(_text(chars, 8, 8))
    if draw(st.booleans()):
        head = draw(st.sampled_from("12345")) + head[1:]  # North American: check digit mandatory
        vin = head + "0" + tail
        vin = head + _oracle_vin_check_digit(vin) + tail
    else:
        # Elsewhere any character may stand at position 9 (accepted, perhaps with a warning).
        head = draw(st.sampled_from("JW" if narrow else "JKLSTUVWXYZ6789")) + head[1:]
        vin = head + draw(st.sampled_from(chars)) + tail
    return Case("vin", ("vin", vin), vin, fold_at=None, lookalikes=VIN_LOOKALIKES)


@st.composite
def hins(draw, narrow=False):
    body = (
        draw(_text("AO" if narrow else UPPER, 3, 3))  # O and I are letters here, not look-alikes
        + draw(_text("01" if narrow else VIN_CHARS, 5, 5))
        + draw(st.sampled_from("AI" if narrow else "ABCDEFGHIJKL"))
        + ("606" if narrow else draw(_text(DIGITS, 3, 3)))
    )
    country = draw(st.sampled_from([None, "NL", "SE", "US"] if narrow else [None, *COUNTRIES]))
    offset = len(country or "")
    # A US HIN has no country code: "US-ABC12345A606" is the CIN spelling of the same hull.
    identity = ("hin", None if country in (None, "US") else country, body)
    return Case(
        "hin",
        identity,
        (country or "") + body,
        fold_at=frozenset(range(offset + 3, offset + 8)),
        lookalikes=VIN_LOOKALIKES,
    )


@st.composite
def serials(draw, kind, narrow=False):
    normal = draw(st.sampled_from(["YAMAHA", "YAMAHAMOTORCO"] if narrow else sorted(MANUFACTURERS)))
    spellings = tuple(MANUFACTURERS[normal])
    if kind == "serial" and draw(st.booleans()):
        normal, spellings = "", ("", " ")
    value = draw(_text("0O1I" if narrow else ALNUM, 3, 5 if narrow else 40))
    return Case(kind, (kind, normal, value), value, {"manufacturer": spellings[0]}, manufacturers=spellings)


@st.composite
def frames(draw, narrow=False):
    value = draw(_text("0O1I" if narrow else ALNUM, 3, 5 if narrow else 40))
    return Case("frame", ("frame", value), value)


@st.composite
def imeis(draw, narrow=False):
    body = draw(_text("01" if narrow else DIGITS, 14, 14))
    length = draw(st.sampled_from([14, 15, 16]))
    if length == 14:
        value = body
    elif length == 15:
        value = body + luhn.calc_check_digit(body)
    else:
        value = body + draw(_text(DIGITS, 2, 2))
    return Case(
        "imei",
        ("imei", body),  # the 14-digit body: IMEI, IMEI with check digit and IMEISV of one phone meet
        value,
        fold_at=None,
        lookalikes=DIGIT_LOOKALIKES,
        prefixes=("", "IMEI ", "imei:", "IMEI-"),
    )


@st.composite
def imos(draw, narrow=False):
    six = draw(_text("01" if narrow else DIGITS, 6, 6))
    check = sum(int(d) * w for d, w in zip(six, (7, 6, 5, 4, 3, 2), strict=True)) % 10
    value = six + str(check)
    return Case(
        "imo",
        ("imo", value),
        value,
        fold_at=None,
        lookalikes=DIGIT_LOOKALIKES,
        prefixes=("", "IMO ", "imo", "IMO-"),
    )


NL_SIDECODES = [
    "LLDDDD", "DDDDLL", "DDLLDD", "LLDDLL", "LLLLDD", "DDLLLL", "DDLLLD",
    "DLLLDD", "LLDDDL", "LDDDLL", "LLLDDL", "LDDLLL", "DLLDDD", "DDDLLD",
]  # fmt: skip


@st.composite
def shaped(draw, shape, narrow=False):
    letters, digits = ("AB", "01") if narrow else (UPPER, DIGITS)
    return "".join(draw(st.sampled_from(letters if c == "L" else digits)) for c in shape)


@st.composite
def plates(draw, narrow=False):
    countries = ["NL", "BE", "SE", "FR", "DE", "DE", "DE", "PL", "IT", "GB", "DK"]
    country = draw(st.sampled_from(["DE", "DE", "NL", "PL"] if narrow else countries))
    if country == "NL":
        value = draw(shaped(draw(st.sampled_from(NL_SIDECODES)), narrow))
    elif country == "BE":
        value = draw(st.one_of(shaped("DLLLDDD", narrow), shaped("LLLDDD", narrow)))
    elif country == "SE":
        value = draw(shaped("LLLDD", narrow)) + draw(st.sampled_from("A1" if narrow else ALNUM))
    elif country == "FR":
        value = draw(shaped("LLDDDLL", narrow))
    elif country == "DE":
        if narrow:  # few letters, one digit: plates that differ only in where the district ends
            district = draw(_text("AB", 1, 2))
            value = district + "-" + draw(_text("AB", 1, 2)) + "1"
        else:
            district = draw(_text(UPPER + "\u00c4\u00d6\u00dc", 1, 3))
            letters = draw(_text(UPPER, 1, 2))
            room = 8 - len(district) - len(letters)
            digits = draw(st.sampled_from("123456789")) + draw(_text(DIGITS, 0, min(3, room - 1)))
            value = district + "-" + letters + digits + draw(st.sampled_from(["", "", "E", "H"]))
    else:
        value = draw(_text("0O1I" if narrow else ALNUM, 2, 10))
    return Case("plate", ("plate", country, value), value, {"country": country})


@st.composite
def documents(draw, narrow=False):
    document_type = draw(st.sampled_from(DocumentType.values[:2] if narrow else DocumentType.values))
    country = draw(st.sampled_from(["NL", "SE"] if narrow else COUNTRIES))
    value = draw(_text("0O1I" if narrow else ALNUM, 5, 6 if narrow else 20))
    return Case(
        "document",
        ("document", document_type, country, value),
        value,
        {"document_type": document_type, "country": country},
    )


STRATEGIES = {
    "vin": vins,
    "hin": hins,
    "engine": lambda narrow=False: serials("engine", narrow),
    "frame": frames,
    "imei": imeis,
    "imo": imos,
    "plate": plates,
    "firearm": lambda narrow=False: serials("firearm", narrow),
    "document": documents,
    "serial": lambda narrow=False: serials("serial", narrow),
}
KIND_NAMES = sorted(STRATEGIES)


def of_kind(kind):
    return st.one_of(STRATEGIES[kind](), STRATEGIES[kind](narrow=True))


def cases(narrow=False):
    return st.one_of([strategy(narrow=narrow) for strategy in STRATEGIES.values()])


@st.composite
def spellings(draw, case):
    """``case`` as a person might type it: separators anywhere, any case, allowed look-alikes."""
    out = [draw(st.sampled_from(case.prefixes))]
    # A German plate: one separator between district and letters (any kind will do), none elsewhere
    # among the letters (that would make the district ambiguous: refused, see below).
    first_digit = next((i for i, c in enumerate(case.canonical) if c in DIGITS), -1)
    letters_end = first_digit if "-" in case.canonical else -1
    for index, char in enumerate(case.canonical):
        if char == "-":
            out.append(draw(st.sampled_from([" ", "-", " - ", "\u2013"])))
            continue
        if index < letters_end - 1:
            out.append(char.lower() if draw(st.booleans()) else char)
            continue
        if (
            (case.fold_at is None or index in case.fold_at)
            and char in case.lookalikes
            and draw(st.booleans())
        ):
            char = draw(st.sampled_from(case.lookalikes[char]))
        if draw(st.booleans()):
            char = char.lower()
        out.append(char)
        out.append(draw(st.sampled_from(GAPS)))
    parts = dict(case.parts)
    if case.manufacturers:
        parts["manufacturer"] = draw(st.sampled_from(case.manufacturers))
    if "country" in parts:
        parts["country"] = draw(
            st.sampled_from([parts["country"], parts["country"].lower(), " " + parts["country"]])
        )
    if "document_type" in parts:
        parts["document_type"] = draw(
            st.sampled_from([parts["document_type"], parts["document_type"].upper()])
        )
    return draw(st.sampled_from(["", " ", "\t"])) + "".join(out), parts


# --------------------------------------------------------------------------------------------------
# Properties.


@SETTINGS
@given(kind=st.sampled_from(sorted(KINDS)), value=st.text(max_size=60))
def test_compact_is_idempotent_on_any_text(kind, value):
    once = compact(kind, value)
    assert compact(kind, once) == once


@SETTINGS
@given(kind=st.sampled_from(sorted(KINDS)), value=_text(ALNUM + "ilo -./,:", 0, 30))
def test_compact_is_idempotent_on_identifier_like_text(kind, value):
    once = compact(kind, value)
    assert compact(kind, once) == once
    assert once == once.upper()
    assert not any(sep in once for sep in " -./,:")


def test_every_kind_has_a_strategy():
    assert set(STRATEGIES) == set(KINDS)


@pytest.mark.parametrize("kind", KIND_NAMES)
@KIND_SETTINGS
@given(data=st.data())
def test_valid_identifiers_parse_and_their_normal_form_is_a_fixed_point(kind, data):
    case = data.draw(of_kind(kind))
    parsed = parse(case.kind, case.canonical, **case.parts)
    assert parsed.kind == case.kind
    assert parsed.key.startswith(case.kind + ":")
    again = parse(case.kind, parsed.value, **case.parts)
    assert again.key == parsed.key
    assert again.value == parsed.value
    assert compact(case.kind, parsed.value) == compact(case.kind, compact(case.kind, parsed.value))


@pytest.mark.parametrize("kind", KIND_NAMES)
@KIND_SETTINGS
@given(data=st.data())
def test_spellings_of_one_identifier_meet(kind, data):
    case = data.draw(of_kind(kind))
    spelled, parts = data.draw(spellings(case))
    assert not is_partial(spelled)
    assert parse(case.kind, spelled, **parts).key == parse(case.kind, case.canonical, **case.parts).key


@pytest.mark.parametrize("kind", KIND_NAMES)
@KIND_SETTINGS
@given(data=st.data())
def test_different_identifiers_of_a_kind_never_share_a_key(kind, data):
    items = data.draw(
        st.lists(STRATEGIES[kind](narrow=True), min_size=5, max_size=30, unique_by=lambda case: case.identity)
    )
    keys = [parse(case.kind, case.canonical, **case.parts).key for case in items]
    assert len(set(keys)) == len(keys)


@SETTINGS
@given(
    items=st.lists(
        st.one_of(cases(), cases(narrow=True)), min_size=2, max_size=40, unique_by=lambda case: case.identity
    )
)
def test_different_identifiers_never_share_a_key(items):
    keys = [parse(case.kind, case.canonical, **case.parts).key for case in items]
    assert len(set(keys)) == len(keys)
    for case, key in zip(items, keys, strict=True):
        assert key.split(":", 1)[0] == case.kind  # so keys of different kinds cannot meet


@SETTINGS
@given(case=imeis(), version=_text(DIGITS, 2, 2))
def test_imei_imei_with_check_digit_and_imeisv_of_one_phone_meet(case, version):
    body = case.identity[1]
    keys = {
        parse("imei", spelled).key for spelled in (body, body + luhn.calc_check_digit(body), body + version)
    }
    assert keys == {"imei:" + body}


@SETTINGS
@given(case=hins(), countries=st.lists(st.sampled_from(COUNTRIES), min_size=2, max_size=5, unique=True))
def test_one_hull_number_under_different_countries_is_different_boats(case, countries):
    """The MIC is assigned per country (the US Coast Guard, each EU member state): ``NL-ABC...`` and
    ``SE-ABC...`` are different boats; ``US-ABC...`` and the bare US ``ABC...`` are one."""
    body = case.identity[2]
    keys = {parse("hin", country + body).key for country in countries if country != "US"}
    keys.add(parse("hin", body).key)
    expected = len([c for c in countries if c != "US"]) + 1
    assert len(keys) == expected
    assert parse("hin", "US-" + body).key == parse("hin", body).key == "hin:" + body


@SETTINGS
@given(data=st.data(), kind=st.sampled_from(["engine", "firearm", "serial", "frame", "document", "plate"]))
def test_lookalikes_are_not_folded_where_both_can_occur(data, kind):
    """``0`` and ``O`` (``1`` and ``I``, ``5`` and ``S``, ``8`` and ``B``) are different characters in
    engine, frame, firearm and serial numbers, document numbers and plates: two numbers that differ only
    there are two objects."""
    pairs = [("0", "O"), ("1", "I"), ("5", "S"), ("8", "B"), ("2", "Z")]
    digit, letter = data.draw(st.sampled_from(pairs))
    head = data.draw(_text(ALNUM, 2, 4))
    tail = data.draw(_text(ALNUM, 2, 4))
    parts = {"manufacturer": "Yamaha", "country": "PL", "document_type": "passport"}
    one = parse(kind, head + digit + tail, **parts)
    other = parse(kind, head + letter + tail, **parts)
    assert one.key != other.key


@SETTINGS
@given(
    district=_text(UPPER, 1, 3),
    letters=_text(UPPER, 1, 2),
    digits=st.integers(min_value=1, max_value=999),
    cut=st.integers(min_value=1, max_value=4),
)
def test_german_plates_differing_in_the_district_never_meet(district, letters, digits, cut):
    whole = district + letters
    if not (1 <= cut <= 3 and 1 <= len(whole) - cut <= 2) or cut == len(district):
        return
    one = parse("plate", f"{district} {letters} {digits}", country="DE")
    other = parse("plate", f"{whole[:cut]}-{whole[cut:]} {digits}", country="DE")
    assert one.key != other.key
    assert one.key.replace("-", "") == other.key.replace("-", "")


@SETTINGS
@given(letters=_text(UPPER, 3, 4), digits=st.integers(min_value=1, max_value=999), data=st.data())
def test_german_plates_are_never_guessed(letters, digits, data):
    """Three or four letters with no separator inside them, or separators at two places: refused."""
    spelled = data.draw(
        st.sampled_from([f"{letters}{digits}", f"{letters} {digits}", " ".join(letters) + f" {digits}"])
    )
    try:
        parse("plate", spelled, country="DE")
    except IdentifierError as error:
        assert error.field == "value"
        assert "district" in str(error)
    else:
        raise AssertionError(f"{spelled!r} was accepted")


@SETTINGS
@given(
    kind=st.one_of(st.sampled_from(sorted(KINDS)), st.text(max_size=8)),
    value=st.one_of(st.text(max_size=60), _text(ALNUM + "-. iloIMEO", 0, 24)),
    manufacturer=st.one_of(st.text(max_size=20), st.sampled_from(["", "Yamaha"])),
    country=st.one_of(st.text(max_size=4), st.sampled_from(["", "NL", "DE", "nl", "XX"])),
    document_type=st.one_of(st.text(max_size=12), st.sampled_from(["", "passport", "id_card"])),
)
def test_parse_raises_only_identifier_errors(kind, value, manufacturer, country, document_type):
    try:
        parsed = parse(kind, value, manufacturer=manufacturer, country=country, document_type=document_type)
    except IdentifierError as error:
        assert error.field in FIELDS
        assert str(error)
        return
    assert parsed.key.startswith(parsed.kind + ":")
    assert not is_partial(value)
    again = parse(
        parsed.kind, parsed.value, manufacturer=manufacturer, country=country, document_type=document_type
    )
    assert again.key == parsed.key


@SETTINGS
@given(value=st.text(max_size=30), wildcard=st.sampled_from(["*", "%", "?", "_", "\u2026", "..."]))
def test_partial_identifiers_are_refused(value, wildcard):
    spelled = value[: len(value) // 2] + wildcard + value[len(value) // 2 :]
    assert is_partial(spelled)
    for kind in KINDS:
        try:
            parse(kind, spelled, manufacturer="Yamaha", country="NL", document_type="passport")
        except IdentifierError as error:
            assert error.field in {"value", "kind"}
        else:
            raise AssertionError(f"{kind}: {spelled!r} was accepted")


@SETTINGS
@given(digits=_text(DIGITS, 15, 15))
def test_imei_luhn_agrees_with_stdnum(digits):
    try:
        parse("imei", digits)
        accepted = True
    except IdentifierError:
        accepted = False
    assert accepted is luhn.is_valid(digits)


@SETTINGS
@given(digits=_text(DIGITS, 7, 7))
def test_imo_check_digit_agrees_with_stdnum(digits):
    try:
        parse("imo", digits)
        accepted = True
    except IdentifierError:
        accepted = False
    assert accepted is stdnum_imo.is_valid(digits)


@SETTINGS
@given(first=st.sampled_from("12345"), rest=_text(VIN_CHARS, 16, 16))
def test_north_american_vin_check_digit_is_enforced(first, rest):
    vin = first + rest
    try:
        parsed = parse("vin", vin)
    except IdentifierError as error:
        assert error.field == "value"
        assert _oracle_vin_check_digit(vin) != vin[8]
    else:
        assert _oracle_vin_check_digit(vin) == vin[8]
        assert parsed.warnings == ()


@SETTINGS
@given(first=st.sampled_from("JKLSTUVWXYZ6789"), rest=_text(VIN_CHARS, 16, 16))
def test_other_vins_warn_instead(first, rest):
    vin = first + rest
    parsed = parse("vin", vin)
    assert bool(parsed.warnings) is (_oracle_vin_check_digit(vin) != vin[8])
