"""The pure text functions: canonical form and SHA-256, sections, required-section checks, open points,
placeholders and diffs (examples, and hypothesis properties for ``normalise`` and ``parse``)."""

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from safepact.agreements import texts
from safepact.agreements.texts import Template, TemplateSection

TEXT = "# Covenant\n\nWe agree.\n\n## 1. Parties\n\nPolice and city.\n\n## Purpose\n\nSafety.\n"


def template(*sections: tuple[str, str, str]) -> Template:
    return Template(
        kind="covenant",
        language="en",
        title="T",
        preamble="",
        sections=tuple(TemplateSection(key, heading, required, "") for key, heading, required in sections),
        source="test",
    )


# Canonical form and hash ---------------------------------------------------------------------------


def test_sha256_is_the_hash_of_the_canonical_utf8_text():
    assert texts.sha256(TEXT) == hashlib.sha256(TEXT.encode("utf-8")).hexdigest()
    assert len(texts.sha256("")) == 64


def test_sha256_ignores_line_endings_trailing_spaces_and_surrounding_blank_lines():
    crlf = TEXT.replace("\n", "\r\n")
    old_mac = TEXT.replace("\n", "\r")
    spaces = TEXT.replace("\n", "   \n").replace("Safety.", "Safety.\t")
    padded = "\n\n" + TEXT + "\n\n\n"
    for variant in (crlf, old_mac, spaces, padded, TEXT.rstrip("\n")):
        assert texts.sha256(variant) == texts.sha256(TEXT), repr(variant)


def test_sha256_changes_with_one_character():
    assert texts.sha256(TEXT.replace("city", "City")) != texts.sha256(TEXT)
    assert texts.sha256(TEXT.replace("Safety.", "Safety!")) != texts.sha256(TEXT)
    assert texts.sha256(TEXT.replace("We agree.", " We agree.")) != texts.sha256(TEXT)  # leading space counts
    assert texts.sha256(TEXT + "x") != texts.sha256(TEXT)
    assert texts.sha256(TEXT.replace("Safety", "Säfety")) != texts.sha256(TEXT)


def test_sha256_keeps_inner_blank_lines_significant():
    assert texts.sha256("# A\n\nB\n") != texts.sha256("# A\nB\n")
    assert texts.sha256("# A\n\nB\n") != texts.sha256("# A\n\n\nB\n")


def test_normalise_gives_unix_newlines_no_trailing_spaces_and_one_final_newline():
    assert texts.normalise("a  \r\nb\rc\n\n\n") == "a\nb\nc\n"
    assert texts.normalise("") == "\n"
    assert texts.normalise(None) == "\n"


# Lines hold no line break of their own (a "\r" inside a part would be one more line, rightly).
lines = st.lists(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=30),
    max_size=12,
)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",))))
def test_normalise_is_idempotent_and_hash_stable(text):
    once = texts.normalise(text)
    assert texts.normalise(once) == once
    assert once.endswith("\n") and "\r" not in once
    assert texts.sha256(text) == texts.sha256(once) == hashlib.sha256(once.encode()).hexdigest()


@given(lines, st.sampled_from(["\n", "\r\n", "\r"]), st.text(alphabet=" \t", max_size=3))
def test_line_endings_and_trailing_blanks_never_change_the_hash(parts, newline, trailing):
    unix = "\n".join(parts)
    other = newline.join(part + trailing for part in parts)
    assert texts.sha256(other) == texts.sha256(unix)


# Sections ------------------------------------------------------------------------------------------


def test_parse_splits_title_preamble_and_sections():
    parsed = texts.parse(TEXT)
    assert parsed.title == "Covenant"
    assert parsed.preamble == "We agree."
    assert [s.heading for s in parsed.sections] == ["1. Parties", "Purpose"]
    assert parsed.sections[0].body.strip() == "Police and city."
    assert parsed.section("parties") is parsed.sections[0]  # numbering and case are ignored
    assert parsed.section("  PURPOSE ") is parsed.sections[1]
    assert parsed.section("Duration") is None


def test_parse_ignores_headings_inside_code_blocks_and_deeper_headings():
    parsed = texts.parse("# T\n\n## A\n\n```\n## not a heading\n```\n\n### Sub\n\ntext\n\n## B\n\nb\n")
    assert [s.heading for s in parsed.sections] == ["A", "B"]
    assert "## not a heading" in parsed.sections[0].body and "### Sub" in parsed.sections[0].body


def test_a_second_top_level_heading_is_not_a_new_title():
    parsed = texts.parse("# First\n\n# Second\n\n## A\n\na\n")
    assert parsed.title == "First" and parsed.preamble == "# Second"


def test_normalise_heading_drops_numbers_spacing_and_case():
    assert texts.normalise_heading("3.1.  Roles,   tasks") == "roles, tasks"
    assert texts.normalise_heading("IV. Duration") == "duration"
    assert texts.normalise_heading("Article 5") == "article 5"


headings = st.lists(
    st.text(alphabet=st.characters(whitelist_categories=("L", "N"), whitelist_characters=" ,-"), min_size=1)
    .map(str.strip)
    .filter(bool),
    min_size=1,
    max_size=8,
    unique_by=texts.normalise_heading,
)
bodies = st.text(alphabet=st.characters(whitelist_categories=("L", "N", "Zs"), whitelist_characters=".,\n"))


@given(st.text(alphabet=st.characters(whitelist_categories=("L", "N")), min_size=1), headings, st.data())
def test_parse_round_trips_headings_and_bodies(title, names, data):
    chunks = {name: data.draw(bodies) for name in names}
    text = f"# {title}\n\n" + "".join(f"## {name}\n\n{body}\n\n" for name, body in chunks.items())
    parsed = texts.parse(text)
    assert parsed.title == title
    assert [s.heading for s in parsed.sections] == names
    for section, (name, body) in zip(parsed.sections, chunks.items(), strict=True):
        assert section.body.strip() == texts.normalise(body).strip()
        assert parsed.section(name) is section
    # Rebuilding the text from what was parsed and parsing it again gives the same sections.
    rebuilt = f"# {parsed.title}\n\n" + "".join(f"## {s.heading}\n\n{s.body}" for s in parsed.sections)
    again = texts.parse(rebuilt)
    assert again.title == parsed.title
    assert [(s.heading, s.body.strip()) for s in again.sections] == [
        (s.heading, s.body.strip()) for s in parsed.sections
    ]


# Required sections and open points -----------------------------------------------------------------


def test_check_names_missing_and_empty_required_sections():
    spec = template(
        ("parties", "Parties", "general"),
        ("purpose", "Purpose", "specified"),
        ("disputes", "Disputes", "fixed"),
        ("resources", "Resources", "optional"),
    )
    text = "# T\n\n## Parties\n\n\n## Purpose\n\nSafety.\n"
    assert [p.message for p in texts.check(text, spec, "general")] == ["Required section “Parties” is empty."]
    problems = texts.check(text, spec, "fixed")
    assert [p.section for p in problems] == ["Parties", "Disputes"]
    assert problems[1].message == "Required section “Disputes” is missing."
    assert texts.check("# T\n\n## 2. parties\n\nUs.\n", spec, "general") == []  # found by its heading
    assert [p.section for p in texts.check("No title\n\n## Parties\n\nUs.\n", spec, "general")] == [""]


def test_required_at_follows_the_order_of_the_levels():
    general, fixed, optional = (
        TemplateSection("parties", "P", "general", ""),
        TemplateSection("disputes", "D", "fixed", ""),
        TemplateSection("resources", "R", "optional", ""),
    )
    assert [general.required_at(level) for level in ("general", "specified", "fixed")] == [True, True, True]
    assert [fixed.required_at(level) for level in ("general", "specified", "fixed")] == [False, False, True]
    assert [optional.required_at(level) for level in ("general", "specified", "fixed")] == [False] * 3


def test_unresolved_lists_sections_with_open_points_in_both_languages():
    text = (
        "# T\n\n[to be agreed: date]\n\n## A\n\nDone.\n\n## B\n\n[To be agreed]\n\n"
        "## C\n\n[nader overeen te komen: wie]\n\n## D\n\n[in te vullen: bedrag]\n"
    )
    assert texts.unresolved(text) == ["T", "B", "C", "D"]
    assert texts.unresolved("# T\n\n## A\n\nAll agreed.\n") == []


# Placeholders --------------------------------------------------------------------------------------


def test_fill_keeps_unknown_placeholders_and_survives_stray_braces():
    assert (
        texts.fill("{partnership} and {unknown}", {"partnership": "Sofielund"}) == "Sofielund and {unknown}"
    )
    assert texts.fill("a {{literal}} brace", {}) == "a {literal} brace"
    assert texts.fill("broken { brace", {"partnership": "x"}) == "broken { brace"
    assert texts.fill("{0} positional", {}) == "{0} positional"


def test_draft_text_is_title_preamble_and_every_section():
    spec = Template(
        kind="covenant",
        language="en",
        title="Covenant of {partnership}",
        preamble="Between {parties}.",
        sections=(
            TemplateSection("parties", "Parties", "general", "{parties}"),
            TemplateSection("purpose", "Purpose", "general", "{purpose}"),
        ),
        source="test",
    )
    text = texts.draft_text(spec, {"partnership": "Sofielund", "parties": "us", "purpose": "Safety"})
    assert text == "# Covenant of Sofielund\n\nBetween us.\n\n## Parties\n\nus\n\n## Purpose\n\nSafety\n"
    assert texts.check(text, spec, "fixed") == []


# Diffs ---------------------------------------------------------------------------------------------


def test_diff_marks_added_and_removed_lines_with_their_numbers():
    old = "# T\n\n## A\n\nOne.\nTwo.\n"
    new = "# T\n\n## A\n\nOne.\nThree.\nFour.\n"
    result = texts.diff(old, new)
    assert (result.added, result.removed) == (2, 1)
    assert not result.unchanged
    changed = [
        (line.kind, line.old_number, line.new_number, line.text)
        for line in result.lines
        if line.kind != "same"
    ]
    assert changed == [
        ("removed", 6, None, "Two."),
        ("added", None, 6, "Three."),
        ("added", None, 7, "Four."),
    ]
    same = [line for line in result.lines if line.kind == "same"]
    assert all(line.old_number and line.new_number for line in same)
    assert same[-1].text == "One."


def test_diff_of_equal_texts_is_unchanged_even_with_other_line_endings():
    result = texts.diff(TEXT, TEXT.replace("\n", "\r\n") + "  ")
    assert result.unchanged and result.lines == []


def test_diff_shows_context_and_gaps_between_distant_changes():
    old = "\n".join(f"line {i}" for i in range(1, 31)) + "\n"
    new = old.replace("line 2\n", "line two\n").replace("line 28\n", "line twenty-eight\n")
    result = texts.diff(old, new, context=2)
    kinds = [line.kind for line in result.lines]
    assert kinds.count("gap") == 1
    assert (result.added, result.removed) == (2, 2)
    assert "line 15" not in [line.text for line in result.lines]  # far from both changes
    assert len(texts.diff(old, new, context=0).lines) == 5  # two changes of two lines, one gap


def test_a_pathological_compare_is_bounded_and_still_exact():
    """Repetitive lines make difflib's matching explode (2,000 lines took 77 s); the changed middle is then
    shown as one block, and the counts stay exact."""
    import time

    old = "\n".join(["a"] * 2000)
    new = "\n".join(["a", "b"] * 1000)
    started = time.perf_counter()
    result = texts.diff(old, new)
    assert time.perf_counter() - started < 2
    # The first line is common; the other 1,999 lines of each side form one replaced block.
    assert (result.removed, result.added) == (1999, 1999)
    assert [line.text for line in result.lines if line.kind == "same"] == ["a"]


@given(lines, lines)
def test_the_bounded_diff_rebuilds_both_texts(old_parts, new_parts):
    from safepact.agreements.texts import _bounded_opcodes

    old, new = [p.strip() for p in old_parts], [p.strip() for p in new_parts]
    rebuilt_old, rebuilt_new = [], []
    for tag, i1, i2, j1, j2 in _bounded_opcodes(old, new):
        if tag == "equal":
            assert old[i1:i2] == new[j1:j2]
        rebuilt_old += old[i1:i2]
        rebuilt_new += new[j1:j2]
    assert rebuilt_old == old and rebuilt_new == new
