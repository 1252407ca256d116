"""The Five Safes questions: data files, loaded and validated here.

A question set is one JSON file ``questions_v<version>.json`` in the folder ``settings.SAFEPACT_FIVE_SAFES_DIR``
(by default this package's folder, see ``questions_v1.json``), so a deployment can replace the texts without
touching the code. The file holds a ``version``, a ``title`` and optionally a ``description``, and ``safes``:
exactly the five safes of ``exchange.models.Safe`` (people, projects, settings, data, outputs), each with a
``title``, the ``question`` and ``guidance`` for whoever answers it. Every text is a mapping of language code
to text, one entry per language in ``settings.LANGUAGES``.

Each assessment stores the version it was made with (``Assessment.question_set``), so an old assessment keeps
its questions when a later version arrives. A file that is not valid raises ``FiveSafesError`` naming the
file and, where it applies, the safe.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from safepact.lib.i18n import language_of, tr  # noqa: F401 - part of this module's interface

FILE_PATTERN = re.compile(r"^questions_v(?P<version>[0-9]+)\.json$")
SAFE_IDS = ("people", "projects", "settings", "data", "outputs")  # the order of exchange.models.Safe

Texts = Mapping[str, str]


class FiveSafesError(ValueError):
    """A question file is not valid; the message names the file and, where it applies, the safe."""


class FiveSafesNotFound(LookupError):
    pass


def folder() -> Path:
    return Path(settings.SAFEPACT_FIVE_SAFES_DIR)


@dataclass(frozen=True)
class LocalisedSafe:
    """One safe with its texts in one language (what a page or the API shows)."""

    id: str
    title: str
    question: str
    guidance: str


@dataclass(frozen=True)
class SafeQuestion:
    id: str
    title: Texts
    question: Texts
    guidance: Texts

    def localised(self, language: str | None = None) -> LocalisedSafe:
        return LocalisedSafe(
            id=self.id,
            title=tr(self.title, language),
            question=tr(self.question, language),
            guidance=tr(self.guidance, language),
        )


@dataclass(frozen=True)
class QuestionSet:
    version: str
    file_name: str
    title: Texts
    description: Texts
    safes: tuple[SafeQuestion, ...]

    def safe(self, safe_id: str) -> SafeQuestion | None:
        return next((safe for safe in self.safes if safe.id == safe_id), None)

    def localised(self, language: str | None = None) -> list[LocalisedSafe]:
        """The five safes, in order, with their texts in ``language`` (default: the active language)."""
        return [safe.localised(language) for safe in self.safes]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(safe.id for safe in self.safes)


# Loading and validation --------------------------------------------------------------------------------


class _Checker:
    def __init__(self, file_name: str):
        self.file_name = file_name
        self.languages = [code for code, _name in settings.LANGUAGES]

    def fail(self, message: str, safe: str | None = None):
        where = f"{self.file_name}: safe {safe!r}: " if safe else f"{self.file_name}: "
        raise FiveSafesError(where + message)

    def texts(self, value, what: str, safe: str | None = None, *, optional: bool = False) -> dict:
        if optional and not value:
            return {}
        if not isinstance(value, dict):
            self.fail(f"{what} must be a mapping of language to text", safe)
        missing = [code for code in self.languages if not str(value.get(code) or "").strip()]
        if missing:
            self.fail(f"{what} is missing the translation for {', '.join(missing)}", safe)
        return {str(code): str(text).strip() for code, text in value.items()}


def parse_question_set(data, file_name: str = "<data>") -> QuestionSet:
    """Validate the content of one question file; raises ``FiveSafesError`` naming ``file_name``."""
    check = _Checker(file_name)
    if not isinstance(data, dict):
        check.fail("the file must hold one JSON object")
    version = str(data.get("version") or "").strip()
    if not version:
        check.fail("version is missing")
    raw_safes = data.get("safes")
    if not isinstance(raw_safes, list) or not raw_safes:
        check.fail(f"safes must be a list of the five safes ({', '.join(SAFE_IDS)})")
    found: dict[str, SafeQuestion] = {}
    for raw in raw_safes:
        if not isinstance(raw, dict):
            check.fail("every safe must be a JSON object")
        safe_id = raw.get("id")
        if safe_id not in SAFE_IDS:
            check.fail(f"unknown safe {safe_id!r} (use {', '.join(SAFE_IDS)})")
        if safe_id in found:
            check.fail("the safe is listed twice", safe_id)
        found[safe_id] = SafeQuestion(
            id=safe_id,
            title=check.texts(raw.get("title"), "title", safe_id),
            question=check.texts(raw.get("question"), "question", safe_id),
            guidance=check.texts(raw.get("guidance"), "guidance", safe_id),
        )
    missing = [safe_id for safe_id in SAFE_IDS if safe_id not in found]
    if missing:
        check.fail(f"the safes {', '.join(missing)} are missing: a question set has all five")
    return QuestionSet(
        version=version,
        file_name=file_name,
        title=check.texts(data.get("title"), "title"),
        description=check.texts(data.get("description"), "description", optional=True),
        safes=tuple(found[safe_id] for safe_id in SAFE_IDS),
    )


def load_file(path: Path) -> QuestionSet:
    """Read and validate one question file (uncached). Raises ``FiveSafesError`` naming the file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FiveSafesError(f"{path.name}: cannot be read as JSON ({exc})") from exc
    question_set_ = parse_question_set(data, path.name)
    match = FILE_PATTERN.match(path.name)
    if match and match["version"] != question_set_.version:
        raise FiveSafesError(
            f"{path.name}: the file name says version {match['version']}, the file {question_set_.version}"
        )
    return question_set_


def _version_key(version: str) -> int:
    return int(version) if str(version).isdigit() else 0


def versions(directory: Path | None = None) -> list[str]:
    """The versions of the question files in the folder, oldest first."""
    directory = Path(directory or folder())
    if not directory.is_dir():
        return []
    found = [match["version"] for p in directory.iterdir() if (match := FILE_PATTERN.match(p.name))]
    return sorted(found, key=_version_key)


def latest_version() -> str:
    """The newest version in the folder: the one a new assessment is made with."""
    found = versions()
    if not found:
        raise FiveSafesNotFound(f"no Five Safes question files in {folder()}")
    return found[-1]


@functools.cache
def _load(directory: str, version: str) -> QuestionSet:
    path = Path(directory) / f"questions_v{version}.json"
    if not path.is_file():
        raise FiveSafesNotFound(f"no Five Safes questions of version {version!r} in {directory}")
    return load_file(path)


def question_set(version: str | None = "1") -> QuestionSet:
    """The questions of ``version`` (``None``: the latest) from ``settings.SAFEPACT_FIVE_SAFES_DIR``.

    Loaded and validated once per process and folder; ``clear_cache()`` after replacing a file."""
    version = latest_version() if version is None else str(version)
    return _load(str(folder()), version)


def clear_cache() -> None:
    _load.cache_clear()
