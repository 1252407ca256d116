"""API schemas of the candidate pipeline, suggestions and impartiality warnings."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from ninja import Field, Schema

from safepact.accounts.schemas import EmailAddress, InputSchema, OrganisationRef, choice_of, text
from safepact.formation.models import CandidateStage, ImpartialityRule
from safepact.formation.selectors.pipeline import reason_texts
from safepact.partnerships.models import Role

StageValue = choice_of(CandidateStage)
RuleValue = choice_of(ImpartialityRule)
RoleValue = choice_of(Role)


class ReasonOut(Schema):
    code: str
    params: dict
    text: str = Field(description="The reason as a sentence in the language of the request.")


def _reasons(reasons) -> list[dict]:
    texts = reason_texts(reasons)
    return [
        {"code": r["code"], "params": r.get("params", {}), "text": t}
        for r, t in zip(reasons, texts, strict=False)
    ]


class SuggestionOut(Schema):
    organisation: OrganisationRef
    score: int
    reasons: list[ReasonOut]

    @staticmethod
    def resolve_reasons(obj) -> list[dict]:
        return _reasons(obj.reasons)


class CandidateOut(Schema):
    code: UUID
    organisation: OrganisationRef
    stage: str
    suggested: bool
    reasons: list[ReasonOut]
    note: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_reasons(obj) -> list[dict]:
        return _reasons(obj.reasons or [])


class CandidateMoveOut(Schema):
    from_stage: str
    to_stage: str
    reason: str
    moved_at: datetime


class CandidateDetailOut(CandidateOut):
    moves: list[CandidateMoveOut] = Field(description="The history, oldest first.")
    allowed_moves: list[str] = Field(description="Stages a coordinator may move this candidate to.")

    @staticmethod
    def resolve_moves(obj) -> list:
        return obj.moves_list

    @staticmethod
    def resolve_allowed_moves(obj) -> list[str]:
        from safepact.formation.selectors.pipeline import allowed_moves

        return list(allowed_moves(obj.stage))


class CandidateIn(InputSchema):
    organisation: UUID = Field(description="Code of an organisation you may see (GET /organisations).")
    suggested: bool = False
    note: text(2000) = ""  # type: ignore[valid-type]


class CandidateMoveIn(InputSchema):
    to_stage: StageValue  # type: ignore[valid-type]
    reason: text(2000) = Field("", description="Required when rejecting.")  # type: ignore[valid-type]


class CandidateInviteIn(InputSchema):
    email: EmailAddress
    role: RoleValue = Role.MEMBER.value  # type: ignore[valid-type]
    message: text(2000) = ""  # type: ignore[valid-type]


class DismissalOut(Schema):
    reason: str
    dismissed_at: datetime
    dismissed_by: str

    @staticmethod
    def resolve_dismissed_by(obj) -> str:
        return str(obj.dismissed_by)


class ImpartialityWarningOut(Schema):
    rule: str
    organisation: OrganisationRef
    sector: str
    message: str
    alternative: OrganisationRef | None
    dismissal: DismissalOut | None


class ImpartialityOut(Schema):
    rationale: str
    warnings: list[ImpartialityWarningOut]
    dismissed: list[ImpartialityWarningOut]


class DismissalIn(InputSchema):
    organisation: UUID
    rule: RuleValue  # type: ignore[valid-type]
    reason: text(2000) = Field("", description="Required: why the warning does not apply.")  # type: ignore[valid-type]


class InvitationRef(Schema):
    code: UUID
    email: str
    state: Literal["pending", "accepted", "revoked", "expired"]
