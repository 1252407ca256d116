"""API schemas for due diligence: assessments (with their live risk result) and the question bank."""

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema

from safepact.accounts.schemas import InputSchema, OrganisationRef, text
from safepact.formation.question_banks import evaluate, question_bank
from safepact.formation.selectors.diligence import assessment_state


class PersonRef(Schema):
    code: UUID
    name: str

    @staticmethod
    def resolve_name(obj) -> str:
        return str(obj)


class TopicResultOut(Schema):
    topic: str
    score: int
    max_score: int
    answered: int
    total: int
    red_flags: list[str]


class ResultOut(Schema):
    """The risk result of the answers as they are now, by the rules of the assessment's bank version."""

    score: int
    tier: str = Field(description="low, medium or high (provisional while the assessment is incomplete)")
    complete: bool
    missing: list[str] = Field(description="Questions without an answer.")
    red_flags: list[str] = Field(description="Questions whose answer is marked as a red flag.")
    evidence_missing: list[str] = Field(description="Answered questions that expect evidence and have none.")
    topics: list[TopicResultOut]


def result_of(assessment) -> dict:
    result = evaluate(question_bank(assessment.bank_version), assessment.answers or {})
    return {
        "score": result.score,
        "tier": result.tier,
        "complete": result.complete,
        "missing": list(result.missing),
        "red_flags": list(result.red_flags),
        "evidence_missing": list(result.evidence_missing),
        "topics": [
            {
                "topic": topic.topic.id,
                "score": topic.score,
                "max_score": topic.max_score,
                "answered": topic.answered,
                "total": topic.total,
                "red_flags": list(topic.red_flags),
            }
            for topic in result.topics
        ],
    }


class AssessmentOut(Schema):
    code: UUID
    candidate: UUID
    organisation: OrganisationRef
    bank_version: str
    state: str = Field(description="in_progress, completed, pending_approval, admitted or rejected")
    answers: dict[str, Any] = Field(description='{question key: {"option": option key, "evidence": text}}')
    score: int | None = Field(description="Stored when the assessment is completed.")
    tier: str | None = Field(description="Stored when the assessment is completed.")
    result: ResultOut
    decision: str
    decision_reason: str
    reassess_on: date | None
    assessed_by: PersonRef
    created_at: datetime
    completed_at: datetime | None
    decided_by: PersonRef | None
    decided_at: datetime | None
    approved_by: PersonRef | None
    approved_at: datetime | None

    @staticmethod
    def resolve_candidate(obj) -> UUID:
        return obj.candidate.code

    @staticmethod
    def resolve_organisation(obj):
        return obj.candidate.organisation

    @staticmethod
    def resolve_state(obj) -> str:
        return assessment_state(obj)

    @staticmethod
    def resolve_score(obj) -> int | None:
        return obj.score if obj.completed_at else None

    @staticmethod
    def resolve_tier(obj) -> str | None:
        return obj.tier if obj.completed_at else None

    @staticmethod
    def resolve_result(obj) -> dict:
        return result_of(obj)


class AssessmentStartIn(InputSchema):
    prefill: bool = Field(
        False, description="Pre-fill from the candidate's last assessment (a reassessment)."
    )


class AssessmentPatch(InputSchema):
    answers: dict[str, Any] = Field(
        description='Some or all answers: {question key: {"option": option key, "evidence": text}}. '
        "Questions left out keep their answer; an empty option clears it."
    )


class DecideIn(InputSchema):
    decision: Literal["admit", "reject"]
    reason: text(2000) = ""  # type: ignore[valid-type]
    reassess_on: date | None = None


class ApproveIn(InputSchema):
    reason: text(2000) = ""  # type: ignore[valid-type]


class OptionOut(Schema):
    key: str = Field(description="The option's key in the question bank (what an answer's ``option`` names).")
    text: str
    points: int
    red_flag: bool


class QuestionOut(Schema):
    key: str = Field(description="The question's key in the question bank (the key of its answer).")
    topic: str
    text: str
    help: str
    evidence_expected: bool | list[str] = Field(
        description="true: evidence expected with every answer; a list: only with these options."
    )
    options: list[OptionOut]


class TopicOut(Schema):
    key: str = Field(description="The topic's key in the question bank (a question's ``topic``).")
    title: str
    description: str


class QuestionBankOut(Schema):
    version: str
    language: str
    title: str
    description: str
    topics: list[TopicOut]
    questions: list[QuestionOut]
    rules: dict[str, dict[str, Any]] = Field(
        description='e.g. {"high": {"any_red_flag": true, "min_score": 12}}'
    )
    rules_text: list[str] = Field(description="The rules in plain words, in the requested language.")
