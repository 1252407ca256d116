"""Question banks of the due-diligence assessment: data files, loaded, validated and evaluated here.

A bank is one JSON file ``due_diligence_v<version>.json`` in this folder (see ``due_diligence_v1.json``):
topics, questions with answer options (each with risk points and optionally ``"red_flag": true``), and
the tier rules. Every text is a mapping of language code to text, one entry per language in
``settings.LANGUAGES``. A new version is a new file; each assessment stores the version it was made with,
so an old assessment keeps its meaning when a later version arrives.

``evaluate(bank, answers)`` is the pure risk computation: score = sum of the chosen options' points; the
tier is the first rule (high, then medium) whose condition holds, otherwise low; a question without an
answer makes the result incomplete and is named in ``missing``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from safepact.lib.i18n import language_of, tr  # noqa: F401 - part of this module's interface

FOLDER = Path(__file__).resolve().parent
FILE_PATTERN = re.compile(r"^due_diligence_v(?P<version>[0-9]+)\.json$")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
TIERS = ("high", "medium")  # checked in this order; "low" is what is left
FALLBACK_TIER = "low"
CONDITIONS = ("any_red_flag", "min_score")
RED_FLAG = "⚑"


class QuestionBankError(ValueError):
    """A bank file is not valid; the message names the file and, where it applies, the question."""


class QuestionBankNotFound(LookupError):
    pass


Texts = Mapping[str, str]


@dataclass(frozen=True)
class Option:
    id: str
    text: Texts
    points: int
    red_flag: bool = False


@dataclass(frozen=True)
class Question:
    id: str
    topic: str
    text: Texts
    help: Texts
    options: tuple[Option, ...]
    # True: evidence expected with every answer; a set of option ids: only with those answers.
    evidence_expected: bool | frozenset[str] = False

    def option(self, option_id: str) -> Option | None:
        return next((option for option in self.options if option.id == option_id), None)

    def expects_evidence(self, option_id: str | None = None) -> bool:
        if isinstance(self.evidence_expected, bool):
            return self.evidence_expected
        return option_id in self.evidence_expected if option_id else bool(self.evidence_expected)

    @property
    def max_points(self) -> int:
        return max(option.points for option in self.options)


@dataclass(frozen=True)
class Topic:
    id: str
    title: Texts
    description: Texts


@dataclass(frozen=True)
class TierRule:
    tier: str
    any_red_flag: bool = False
    min_score: int | None = None

    def holds(self, *, score: int, red_flags: int) -> bool:
        return (self.any_red_flag and red_flags > 0) or (
            self.min_score is not None and score >= self.min_score
        )


@dataclass(frozen=True)
class QuestionBank:
    version: str
    file_name: str
    title: Texts
    description: Texts
    topics: tuple[Topic, ...]
    questions: tuple[Question, ...]
    rules: tuple[TierRule, ...]
    raw_rules: dict = field(default_factory=dict, compare=False)

    def question(self, question_id: str) -> Question | None:
        return self._questions.get(question_id)

    def topic(self, topic_id: str) -> Topic | None:
        return next((topic for topic in self.topics if topic.id == topic_id), None)

    def questions_of(self, topic_id: str) -> list[Question]:
        return [question for question in self.questions if question.topic == topic_id]

    @functools.cached_property
    def _questions(self) -> dict[str, Question]:
        return {question.id: question for question in self.questions}


# Evaluation: the pure risk computation ---------------------------------------------------------------


@dataclass(frozen=True)
class TopicResult:
    topic: Topic
    score: int
    max_score: int
    answered: int
    total: int
    red_flags: tuple[str, ...]


@dataclass(frozen=True)
class RiskResult:
    score: int
    tier: str
    red_flags: tuple[str, ...]  # question ids whose chosen option is a red flag
    missing: tuple[str, ...]  # question ids without a (valid) answer
    evidence_missing: tuple[str, ...]  # answered questions that expect evidence and have none
    topics: tuple[TopicResult, ...]

    @property
    def complete(self) -> bool:
        return not self.missing


def chosen_option(answers: Mapping, question_id: str) -> str:
    entry = answers.get(question_id)
    if isinstance(entry, Mapping):
        return str(entry.get("option") or "")
    return ""


def evidence_of(answers: Mapping, question_id: str) -> str:
    entry = answers.get(question_id)
    if isinstance(entry, Mapping):
        return str(entry.get("evidence") or "")
    return ""


def tier_for(rules: tuple[TierRule, ...], *, score: int, red_flags: int) -> str:
    for rule in rules:
        if rule.holds(score=score, red_flags=red_flags):
            return rule.tier
    return FALLBACK_TIER


def evaluate(bank: QuestionBank, answers: Mapping) -> RiskResult:
    """Score, tier, red flags, missing answers and a per-topic breakdown of ``answers``.

    ``answers`` maps question ids to ``{"option": <option id>, "evidence": <text>}``. An answer naming
    an option the question does not have counts as missing (stored answers are validated on the way in).
    """
    score, red_flags, missing, evidence_missing = 0, [], [], []
    per_topic: dict[str, dict] = {
        topic.id: {"score": 0, "max": 0, "answered": 0, "total": 0, "flags": []} for topic in bank.topics
    }
    for question in bank.questions:
        row = per_topic[question.topic]
        row["total"] += 1
        row["max"] += question.max_points
        option = question.option(chosen_option(answers, question.id))
        if option is None:
            missing.append(question.id)
            continue
        row["answered"] += 1
        row["score"] += option.points
        score += option.points
        if option.red_flag:
            red_flags.append(question.id)
            row["flags"].append(question.id)
        if question.expects_evidence(option.id) and not evidence_of(answers, question.id).strip():
            evidence_missing.append(question.id)
    topics = tuple(
        TopicResult(
            topic=topic,
            score=per_topic[topic.id]["score"],
            max_score=per_topic[topic.id]["max"],
            answered=per_topic[topic.id]["answered"],
            total=per_topic[topic.id]["total"],
            red_flags=tuple(per_topic[topic.id]["flags"]),
        )
        for topic in bank.topics
    )
    return RiskResult(
        score=score,
        tier=tier_for(bank.rules, score=score, red_flags=len(red_flags)),
        red_flags=tuple(red_flags),
        missing=tuple(missing),
        evidence_missing=tuple(evidence_missing),
        topics=topics,
    )


def answer_errors(bank: QuestionBank, answers: Mapping) -> dict[str, str]:
    """Problems with submitted answers, keyed by question id (empty: all fine)."""
    errors: dict[str, str] = {}
    for question_id, entry in answers.items():
        question = bank.question(str(question_id))
        if question is None:
            errors[str(question_id)] = _("There is no question %(question)s in this question bank.") % {
                "question": question_id
            }
            continue
        if not isinstance(entry, Mapping):
            errors[question.id] = _("Give the answer as an option and, optionally, evidence.")
            continue
        option_id = entry.get("option")
        if option_id not in (None, "") and question.option(str(option_id)) is None:
            errors[question.id] = _(
                "%(option)s is not an answer to this question; choose one of: %(options)s."
            ) % {
                "option": option_id,
                "options": ", ".join(option.id for option in question.options),
            }
    return errors


def rules_in_words(bank: QuestionBank, language: str | None = None) -> list[str]:
    """The tier rules as sentences, e.g. "High: any answer marked ⚑, or 12 points or more."."""
    from safepact.formation.models import RiskTier

    labels = dict(RiskTier.choices)
    with translation.override(language_of(language)):
        sentences = []
        for rule in bank.rules:
            conditions = []
            if rule.any_red_flag:
                conditions.append(_("any answer marked %(flag)s (red flag)") % {"flag": RED_FLAG})
            if rule.min_score is not None:
                conditions.append(
                    ngettext("%(points)s point or more", "%(points)s points or more", rule.min_score)
                    % {"points": rule.min_score}
                )
            sentences.append(
                _("%(tier)s: %(conditions)s.")
                % {"tier": labels[rule.tier], "conditions": _(", or ").join(conditions)}
            )
        sentences.append(_("%(tier)s: anything else.") % {"tier": labels[FALLBACK_TIER]})
        return sentences


# Loading and validation --------------------------------------------------------------------------------


class _Checker:
    def __init__(self, file_name: str):
        self.file_name = file_name
        self.languages = [code for code, _name in settings.LANGUAGES]

    def fail(self, message: str, question: str | None = None):
        where = f"{self.file_name}: question {question!r}: " if question else f"{self.file_name}: "
        raise QuestionBankError(where + message)

    def texts(self, value, what: str, question: str | None = None, *, optional: bool = False) -> dict:
        if optional and not value:
            return {}
        if not isinstance(value, dict):
            self.fail(f"{what} must be a mapping of language to text", question)
        missing = [code for code in self.languages if not str(value.get(code) or "").strip()]
        if missing:
            self.fail(f"{what} is missing the translation for {', '.join(missing)}", question)
        return {code: str(value[code]) for code in value}

    def ident(self, value, what: str, question: str | None = None) -> str:
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            self.fail(f"{what} {value!r} is not a valid id (lower case letters, digits, _)", question)
        return value


def parse_bank(data, file_name: str = "<data>") -> QuestionBank:
    check = _Checker(file_name)
    if not isinstance(data, dict):
        check.fail("the file must hold one JSON object")
    version = str(data.get("version") or "")
    if not version:
        check.fail("version is missing")
    topics, topic_ids = [], set()
    for raw in data.get("topics") or []:
        topic_id = check.ident(raw.get("id"), "topic id")
        if topic_id in topic_ids:
            check.fail(f"duplicate topic id {topic_id!r}")
        topic_ids.add(topic_id)
        topics.append(
            Topic(
                id=topic_id,
                title=check.texts(raw.get("title"), f"topic {topic_id!r} title"),
                description=check.texts(
                    raw.get("description"), f"topic {topic_id!r} description", optional=True
                ),
            )
        )
    if not topics:
        check.fail("there are no topics")
    questions, question_ids = [], set()
    for raw in data.get("questions") or []:
        question_id = check.ident(raw.get("id"), "question id")
        if question_id in question_ids:
            check.fail("duplicate question id", question_id)
        question_ids.add(question_id)
        topic = raw.get("topic")
        if topic not in topic_ids:
            check.fail(f"unknown topic {topic!r}", question_id)
        options, option_ids = [], set()
        for raw_option in raw.get("options") or []:
            option_id = check.ident(raw_option.get("id"), "option id", question_id)
            if option_id in option_ids:
                check.fail(f"duplicate option id {option_id!r}", question_id)
            option_ids.add(option_id)
            points = raw_option.get("points")
            if not isinstance(points, int) or isinstance(points, bool) or points < 0:
                check.fail(f"option {option_id!r}: points must be a whole number of 0 or more", question_id)
            red_flag = raw_option.get("red_flag", False)
            if not isinstance(red_flag, bool):
                check.fail(f"option {option_id!r}: red_flag must be true or false", question_id)
            options.append(
                Option(
                    id=option_id,
                    text=check.texts(raw_option.get("text"), f"option {option_id!r} text", question_id),
                    points=points,
                    red_flag=red_flag,
                )
            )
        if len(options) < 2:
            check.fail("a question needs at least two options", question_id)
        evidence = raw.get("evidence_expected", False)
        if isinstance(evidence, list):
            unknown = [str(option_id) for option_id in evidence if option_id not in option_ids]
            if unknown:
                check.fail(f"evidence_expected names unknown option ids: {', '.join(unknown)}", question_id)
            evidence = frozenset(evidence)
        elif not isinstance(evidence, bool):
            check.fail("evidence_expected must be true, false or a list of option ids", question_id)
        questions.append(
            Question(
                id=question_id,
                topic=topic,
                text=check.texts(raw.get("text"), "text", question_id),
                help=check.texts(raw.get("help"), "help", question_id, optional=True),
                options=tuple(options),
                evidence_expected=evidence,
            )
        )
    if not questions:
        check.fail("there are no questions")
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, dict) or not raw_rules:
        check.fail("rules are missing")
    unknown_tiers = [tier for tier in raw_rules if tier not in TIERS]
    if unknown_tiers:
        check.fail(f"rules name unknown tiers: {', '.join(unknown_tiers)} (use {', '.join(TIERS)})")
    rules = []
    for tier in TIERS:
        if tier not in raw_rules:
            continue
        conditions = raw_rules[tier]
        if not isinstance(conditions, dict) or not conditions:
            check.fail(f"rule {tier!r} needs at least one condition")
        unknown = [name for name in conditions if name not in CONDITIONS]
        if unknown:
            check.fail(f"rule {tier!r} has unknown conditions: {', '.join(unknown)}")
        any_red_flag = conditions.get("any_red_flag", False)
        min_score = conditions.get("min_score")
        if not isinstance(any_red_flag, bool):
            check.fail(f"rule {tier!r}: any_red_flag must be true or false")
        if min_score is not None and (
            not isinstance(min_score, int) or isinstance(min_score, bool) or min_score < 0
        ):
            check.fail(f"rule {tier!r}: min_score must be a whole number of 0 or more")
        if not any_red_flag and min_score is None:
            check.fail(f"rule {tier!r} needs at least one condition")
        rules.append(TierRule(tier=tier, any_red_flag=any_red_flag, min_score=min_score))
    scores = [rule.min_score for rule in rules if rule.min_score is not None]
    if scores != sorted(scores, reverse=True):
        check.fail("rules: the min_score of a higher tier must not be lower than that of a lower tier")
    return QuestionBank(
        version=version,
        file_name=file_name,
        title=check.texts(data.get("title"), "title"),
        description=check.texts(data.get("description"), "description", optional=True),
        topics=tuple(topics),
        questions=tuple(questions),
        rules=tuple(rules),
        raw_rules={tier: dict(raw_rules[tier]) for tier in TIERS if tier in raw_rules},
    )


def load_bank_file(path: Path) -> QuestionBank:
    """Read and validate one bank file (uncached). Raises ``QuestionBankError`` naming the file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise QuestionBankError(f"{path.name}: cannot be read as JSON ({exc})") from exc
    bank = parse_bank(data, path.name)
    match = FILE_PATTERN.match(path.name)
    if match and match["version"] != bank.version:
        raise QuestionBankError(
            f"{path.name}: the file name says version {match['version']}, the file {bank.version}"
        )
    return bank


def bank_files(folder: Path = FOLDER) -> list[Path]:
    return sorted(
        (p for p in folder.iterdir() if FILE_PATTERN.match(p.name)), key=lambda p: _version_key(p.name)
    )


def _version_key(name_or_version: str) -> int:
    match = FILE_PATTERN.match(name_or_version)
    return int(match["version"] if match else name_or_version)


@functools.cache
def _banks() -> dict[str, QuestionBank]:
    banks = {}
    for path in bank_files():
        bank = load_bank_file(path)
        banks[bank.version] = bank
    return banks


def bank_versions() -> list[str]:
    """Every version in the folder, oldest first."""
    return sorted(_banks(), key=_version_key)


def question_bank(version: str | None = None) -> QuestionBank:
    """The bank of ``version``, or the latest. Loaded and validated once per process."""
    banks = _banks()
    if not banks:
        raise QuestionBankNotFound("no question bank files in " + str(FOLDER))
    if version is None:
        return banks[bank_versions()[-1]]
    try:
        return banks[str(version)]
    except KeyError:
        raise QuestionBankNotFound(f"no question bank of version {version!r}") from None


def clear_cache() -> None:
    _banks.cache_clear()
