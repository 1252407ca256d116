"""Agreement texts: templates (data files), the pre-filled first draft, sections, hashes and diffs.

Templates are TOML files, one per type and language, in ``settings.SAFEPACT_AGREEMENT_TEMPLATES_DIR``
(``agreement_templates/README.md`` describes the format). A text is Markdown: ``# title``, an optional
preamble, then one ``## heading`` per section. Sections are found by their headings, so a comment or a
required-section check names the section people see.

Pure functions only (no database): the services and selectors feed them.
"""

import difflib
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from safepact.agreements.models import FORMALITY_ORDER, Formality, Kind

SECTION_KEYS = (
    "parties", "purpose", "objectives", "roles", "governance", "resources", "confidentiality",
    "data_protection", "monitoring", "accession", "disputes", "duration",
)  # fmt: skip
PLACEHOLDERS = (
    "partnership", "purpose", "problem", "parties", "objectives", "tasks", "governance", "resources",
    "meetings", "review_date", "expiry_date", "effective_from",
)  # fmt: skip
REQUIRED_FROM = ("general", "specified", "fixed", "optional")
TO_BE_AGREED = re.compile(r"\[(to be agreed|nader overeen te komen|in te vullen)", re.IGNORECASE)


class TemplateError(ValueError):
    """A template file that cannot be used; the message names the file and the problem."""

    def public(self) -> str:
        """The message without the server's folder (``nl/covenant.toml: ...``), for people on a page."""
        return str(self).replace(str(templates_dir()).rstrip("/") + "/", "")


@dataclass(frozen=True)
class TemplateSection:
    key: str
    heading: str
    required_from: str
    text: str

    def required_at(self, formality: str) -> bool:
        if self.required_from == "optional":
            return False
        return FORMALITY_ORDER.index(Formality(formality)) >= FORMALITY_ORDER.index(
            Formality(self.required_from)
        )


@dataclass(frozen=True)
class Template:
    kind: str
    language: str
    title: str
    preamble: str
    sections: tuple[TemplateSection, ...]
    source: str

    def required_sections(self, formality: str) -> list[TemplateSection]:
        return [section for section in self.sections if section.required_at(formality)]


def templates_dir() -> Path:
    return Path(settings.SAFEPACT_AGREEMENT_TEMPLATES_DIR)


def _parse_template(path: Path) -> Template:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise TemplateError(f"{path}: {error}") from error
    try:
        kind, language, title = data["kind"], data["language"], data["title"]
        raw_sections = data["sections"]
    except KeyError as error:
        raise TemplateError(f"{path}: missing key {error}") from error
    if kind not in Kind.values:
        raise TemplateError(f"{path}: unknown kind {kind!r}")
    if (kind, language) != (path.stem, path.parent.name):
        raise TemplateError(f"{path}: kind and language must match the file name and folder")
    if not isinstance(raw_sections, list) or not all(isinstance(raw, dict) for raw in raw_sections):
        raise TemplateError(f"{path}: sections must be [[sections]] tables")
    strings = [title, data.get("preamble", "")]
    strings += [raw.get(name, "") for raw in raw_sections for name in ("heading", "text")]
    if not all(isinstance(value, str) for value in strings):
        raise TemplateError(f"{path}: title, preamble, headings and texts must be strings")
    sections, seen = [], set()
    for index, raw in enumerate(raw_sections, start=1):
        key, required_from = raw.get("key"), raw.get("required_from", "optional")
        if key not in SECTION_KEYS:
            raise TemplateError(f"{path}: section {index}: unknown key {key!r}")
        if required_from not in REQUIRED_FROM:
            raise TemplateError(
                f"{path}: section {index}: required_from must be one of {', '.join(REQUIRED_FROM)}"
            )
        if not raw.get("heading", "").strip():
            raise TemplateError(f"{path}: section {index}: heading is empty")
        if normalise_heading(raw["heading"]) in seen:
            raise TemplateError(f"{path}: section {index}: heading {raw['heading']!r} is used twice")
        seen.add(normalise_heading(raw["heading"]))
        sections.append(
            TemplateSection(key, raw["heading"].strip(), required_from, raw.get("text", "").strip())
        )
    return Template(kind, language, title, data.get("preamble", "").strip(), tuple(sections), str(path))


@lru_cache(maxsize=64)
def _load(directory: str, kind: str, language: str, mtime: float) -> Template:
    return _parse_template(Path(directory) / language / f"{kind}.toml")


def get_template(kind: str, language: str) -> Template:
    """The template for ``kind`` in ``language`` (falling back to English); re-read when the file changes."""
    directory = templates_dir()
    for lang in (language, "en"):
        path = directory / lang / f"{kind}.toml"
        if path.exists():
            return _load(str(directory), kind, lang, path.stat().st_mtime)
    raise TemplateError(f"{directory}: no template for {kind!r} in {language!r} or English")


def all_templates() -> list[Template]:
    """Every template present (for the template overview and the check that each parses)."""
    found = []
    for kind in Kind.values:
        for language, _name in settings.LANGUAGES:
            path = templates_dir() / language / f"{kind}.toml"
            if path.exists():
                found.append(get_template(kind, language))
    return found


class _Keep(dict):
    """``format_map`` mapping that leaves unknown placeholders as they are."""

    def __missing__(self, key):
        return "{" + key + "}"


def fill(text: str, context: dict) -> str:
    try:
        return text.format_map(_Keep(context))
    except (ValueError, IndexError, AttributeError):
        return text  # a stray brace in a deployment's template: keep the text as written


def draft_text(template: Template, context: dict) -> str:
    """The first draft: title, preamble and every section of the template, filled from ``context``."""
    parts = [f"# {fill(template.title, context)}"]
    if template.preamble:
        parts.append(fill(template.preamble, context))
    for section in template.sections:
        parts.append(f"## {section.heading}")
        parts.append(fill(section.text, context))
    return "\n\n".join(part.strip() for part in parts if part.strip()) + "\n"


# Sections ------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^\s*(\d+(\.\d+)*\.?|[ivxlc]+\.)\s+", re.IGNORECASE)


def normalise_heading(heading: str) -> str:
    return re.sub(r"\s+", " ", _NUMBER.sub("", heading)).strip().casefold()


@dataclass
class Section:
    heading: str
    body: str = ""

    @property
    def slug(self) -> str:
        return normalise_heading(self.heading)

    @property
    def is_empty(self) -> bool:
        return not self.body.strip()


@dataclass
class ParsedText:
    title: str = ""
    preamble: str = ""
    sections: list[Section] = field(default_factory=list)

    def section(self, heading: str) -> Section | None:
        wanted = normalise_heading(heading)
        return next((s for s in self.sections if s.slug == wanted), None)


def parse(text: str) -> ParsedText:
    """Split a text into its title, preamble and ``##`` sections (headings inside code blocks ignored)."""
    parsed, current, preamble, fenced = ParsedText(), None, [], False
    for line in normalise(text).split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if not fenced and line.startswith("# ") and not parsed.title and current is None:
            parsed.title = line[2:].strip()
            continue
        if not fenced and line.startswith("## "):
            current = Section(line[3:].strip())
            parsed.sections.append(current)
            continue
        if current is None:
            preamble.append(line)
        else:
            current.body += line + "\n"
    parsed.preamble = "\n".join(preamble).strip()
    return parsed


@dataclass(frozen=True)
class TextProblem:
    section: str
    message: str


def check(text: str, template: Template, formality: str) -> list[TextProblem]:
    """What stops a text from becoming final: required sections missing or empty (named)."""
    parsed, problems = parse(text), []
    if not parsed.title:
        problems.append(TextProblem("", _("The text has no title (a first line starting with “# ”).")))
    for wanted in template.required_sections(formality):
        section = parsed.section(wanted.heading)
        if section is None:
            problems.append(
                TextProblem(
                    wanted.heading,
                    _("Required section “%(heading)s” is missing.") % {"heading": wanted.heading},
                )
            )
        elif section.is_empty:
            problems.append(
                TextProblem(
                    wanted.heading,
                    _("Required section “%(heading)s” is empty.") % {"heading": wanted.heading},
                )
            )
    return problems


def unresolved(text: str) -> list[str]:
    """Headings of the sections that still hold a “[to be agreed …]” marker (a warning, not a block)."""
    parsed = parse(text)
    found = [s.heading for s in parsed.sections if TO_BE_AGREED.search(s.body)]
    if TO_BE_AGREED.search(parsed.preamble):
        found.insert(0, parsed.title or "—")
    return found


# Hashes and diffs ----------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """The canonical form that is hashed: Unix newlines, no trailing spaces on lines, one final newline."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n") + "\n"


def sha256(text: str) -> str:
    """SHA-256 (hex) of the canonical UTF-8 form of ``text``: what signatures and PDFs refer to."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same" | "added" | "removed" | "gap"
    old_number: int | None
    new_number: int | None
    text: str


@dataclass
class Diff:
    lines: list[DiffLine]
    added: int
    removed: int

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed)


#: Above this many line pairs (changed part of old times changed part of new), the changed part is shown as one
#: block instead of matched line by line: difflib's matching grows with the cube of the lines on bad inputs
#: (2,000 by 2,000 repetitive lines took 77 s), and a compare page must never tie up a server.
DIFF_PAIR_LIMIT = 160_000


def _bounded_opcodes(a: list[str], b: list[str]) -> list[tuple]:
    """difflib opcodes for ``a`` → ``b`` with bounded work: the common start and end are cut off first, and a
    changed middle too large to match line by line becomes one replace (or delete, or insert) block."""
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[len(a) - 1 - end] == b[len(b) - 1 - end]:
        end += 1
    a_mid, b_mid = a[start : len(a) - end], b[start : len(b) - end]
    codes = [("equal", 0, start, 0, start)] if start else []
    if len(a_mid) * len(b_mid) <= DIFF_PAIR_LIMIT:
        middle = difflib.SequenceMatcher(a=a_mid, b=b_mid, autojunk=False).get_opcodes()
        codes += [(tag, i1 + start, i2 + start, j1 + start, j2 + start) for tag, i1, i2, j1, j2 in middle]
    else:
        tag = "replace" if a_mid and b_mid else ("delete" if a_mid else "insert")
        codes.append((tag, start, start + len(a_mid), start, start + len(b_mid)))
    if end:
        codes.append(("equal", len(a) - end, len(a), len(b) - end, len(b)))
    merged: list[tuple] = []
    for code in codes:  # join neighbouring equal runs; drop empty ones
        if code[1] == code[2] and code[3] == code[4]:
            continue
        if merged and code[0] == "equal" and merged[-1][0] == "equal":
            merged[-1] = ("equal", merged[-1][1], code[2], merged[-1][3], code[4])
        else:
            merged.append(code)
    return merged or [("equal", 0, 0, 0, 0)]


def diff(old: str, new: str, *, context: int = 3) -> Diff:
    """A readable line diff with ``context`` unchanged lines around each change."""
    # Without the final newline: a text of n lines is n lines, not n and an empty one.
    a, b = normalise(old)[:-1].split("\n"), normalise(new)[:-1].split("\n")
    lines, added, removed = [], 0, 0
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    matcher.opcodes = _bounded_opcodes(a, b)  # get_grouped_opcodes reads them from here
    for group in matcher.get_grouped_opcodes(context):
        if lines:
            lines.append(DiffLine("gap", None, None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("same", i1 + k + 1, j1 + k + 1, a[i1 + k]) for k in range(i2 - i1)]
                continue
            if tag in ("replace", "delete"):
                lines += [DiffLine("removed", i1 + k + 1, None, a[i1 + k]) for k in range(i2 - i1)]
                removed += i2 - i1
            if tag in ("replace", "insert"):
                lines += [DiffLine("added", None, j1 + k + 1, b[j1 + k]) for k in range(j2 - j1)]
                added += j2 - j1
    return Diff(lines, added, removed)
