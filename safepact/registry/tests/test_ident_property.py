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

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import imo as stdnum_imo
from stdnum import luhn

from safepact.registry.identifiers import KINDS, IdentifierError, compact, is_partial, parse
from safepact.registry.models import DocumentType
from safepact.registry.tests.test_ident_vectors import _oracle_vin_check_digit

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
# Valid identifiers, built.


@st.composite
def vins(draw):
    head = draw(_text(VIN_CHARS, 8, 8))
    tail = draw(_text(VIN_CHARS, 8, 8))
    if draw(st.booleans()):
        head = draw(st.sampled_from("12345")) + head[1:]  # North American: check digit mandatory
        vin = head + "0" + tail
        vin = head + _oracle_vin_check_digit(vin) + tail
    else:
        # Elsewhere any character may stand at position 9 (accepted, perhaps with a warning).
        head = draw(st.sampled_from("JKLSTUVWXYZ6789")) + head[1:]
        vin = head + draw(st.sampled_from(VIN_CHARS)) + tail
    return Case("vin", ("vin", vin), vin, fold_at=None, lookalikes=VIN_LOOKALIKES)


@st.composite
def hins(draw):
    body = (
        draw(_text(UPPER, 3, 3))
        + draw(_text(VIN_CHARS, 5, 5))
        + draw(st.sampled_from("ABCDEFGHIJKL"))
        + draw(_text(DIGITS, 3, 3))
    )
    country = draw(st.sampled_from([None, *COUNTRIES]))
    offset = len(country or "")
    identity = ("hin", None if country in (None, "US") else country, body)
    return Case(
        "hin",
        identity,
        (country or "") + body,
        fold_at=frozenset(range(offset + 3, offset + 8)),
        lookalikes=VIN_LOOKALIKES,
    )


@st.composite
def serials(draw, kind):
    normal = draw(st.sampled_from(sorted(MANUFACTURERS)))
    spellings = tuple(MANUFACTURERS[normal])
    if kind == "serial" and draw(st.booleans()):
        normal, spellings = "", ("", " ")
    value = draw(_text(ALNUM, 3, 40))
    return Case(kind, (kind, normal, value), value, {"manufacturer": spellings[0]}, manufacturers=spellings)


@st.composite
def frames(draw):
    value = draw(_text(ALNUM, 3, 40))
    return Case("frame", ("frame", value), value)


@st.composite
def imeis(draw):
    body = draw(_text(DIGITS, 14, 14))
    length = draw(st.sampled_from([14, 15, 16]))
    if length == 14:
        value = body
    elif length == 15:
        value = body + luhn.calc_check_digit(body)
    else:
        value = body + draw(_text(DIGITS, 2, 2))
    return Case(
        "imei",
        ("imei", body),
        value,
        fold_at=None,
        lookalikes=DIGIT_LOOKALIKES,
        prefixes=("", "IMEI ", "imei:", "IMEI-"),
    )


@st.composite
def imos(draw):
    six = draw(_text(DIGITS, 6, 6))
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
def shaped(draw, shape):
    return "".join(draw(st.sampled_from(UPPER if c == "L" else DIGITS)) for c in shape)


@st.composite
def plates(draw):
    country = draw(st.sampled_from(["NL", "BE", "SE", "FR", "DE", "DE", "PL", "IT", "GB", "DK"]))
    if country == "NL":
        value = draw(shaped(draw(st.sampled_from(NL_SIDECODES))))
    elif country == "BE":
        value = draw(st.one_of(shaped("DLLLDDD"), shaped("LLLDDD")))
    elif country == "SE":
        value = draw(shaped("LLLDD")) + draw(st.sampled_from(ALNUM))
    elif country == "FR":
        value = draw(shaped("LLDDDLL"))
    elif country == "DE":
        district = draw(_text(UPPER + "\u00c4\u00d6\u00dc", 1, 3))
        letters = draw(_text(UPPER, 1, 2))
        room = 8 - len(district) - len(letters)
        digits = draw(st.sampled_from("123456789")) + draw(_text(DIGITS, 0, min(3, room - 1)))
        value = district + "-" + letters + digits + draw(st.sampled_from(["", "", "E", "H"]))
    else:
        value = draw(_text(ALNUM, 2, 10))
    return Case("plate", ("plate", country, value), value, {"country": country})


@st.composite
def documents(draw):
    document_type = draw(st.sampled_from(DocumentType.values))
    country = draw(st.sampled_from(COUNTRIES))
    value = draw(_text(ALNUM, 5, 20))
    return Case(
        "document",
        ("document", document_type, country, value),
        value,
        {"document_type": document_type, "country": country},
    )


def cases():
    return st.one_of(
        vins(),
        hins(),
        serials("engine"),
        serials("firearm"),
        serials("serial"),
        frames(),
        imeis(),
        imos(),
        plates(),
        documents(),
    )


@st.composite
def spellings(draw, case):
    """``case`` as a person might type it: separators anywhere, any case, allowed look-alikes."""
    out = [draw(st.sampled_from(case.prefixes))]
    for index, char in enumerate(case.canonical):
        if char == "-":  # the German district boundary: a separator must stay, any kind will do
            out.append(draw(st.sampled_from([" ", "-", " - ", "\u2013"])))
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


@SETTINGS
@given(case=cases())
def test_valid_identifiers_parse_and_their_normal_form_is_a_fixed_point(case):
    parsed = parse(case.kind, case.canonical, **case.parts)
    assert parsed.kind == case.kind
    assert parsed.key.startswith(case.kind + ":")
    again = parse(case.kind, parsed.value, **case.parts)
    assert again.key == parsed.key
    assert again.value == parsed.value
    assert compact(case.kind, parsed.value) == compact(case.kind, compact(case.kind, parsed.value))


@SETTINGS
@given(data=st.data(), case=cases())
def test_spellings_of_one_identifier_meet(data, case):
    spelled, parts = data.draw(spellings(case))
    assert not is_partial(spelled)
    assert parse(case.kind, spelled, **parts).key == parse(case.kind, case.canonical, **case.parts).key


@SETTINGS
@given(items=st.lists(cases(), min_size=2, max_size=40, unique_by=lambda case: case.identity))
def test_different_identifiers_never_share_a_key(items):
    keys = [parse(case.kind, case.canonical, **case.parts).key for case in items]
    assert len(set(keys)) == len(keys)
    for case, key in zip(items, keys, strict=True):
        assert key.split(":", 1)[0] == case.kind  # so keys of different kinds cannot meet


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
