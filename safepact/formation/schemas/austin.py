"""API schemas for Austin's collaboration continuum: profiles (history) and partners' input."""

from datetime import datetime
from uuid import UUID

from ninja import Field, Schema

from safepact.accounts.schemas import InputSchema, choice_of, text
from safepact.formation.models import AustinStage
from safepact.formation.selectors.austin import stage_fit

AustinStageValue = choice_of(AustinStage)


class StageFitOut(Schema):
    average: float
    fits: bool
    low: int = Field(description="Lowest average that fits the declared stage")
    high: int = Field(description="Highest average that fits the declared stage")
    message: str


class AustinProfileOut(Schema):
    code: UUID
    scores: dict[str, int]
    declared_stage: str
    note: str
    assessed_by: str
    assessed_at: datetime
    fit: StageFitOut

    @staticmethod
    def resolve_assessed_by(obj):
        return obj.assessed_by.full_name or obj.assessed_by.email

    @staticmethod
    def resolve_fit(obj):
        return stage_fit(scores=obj.scores, declared_stage=obj.declared_stage)


class AustinProfileIn(InputSchema):
    scores: dict[str, int | None] = Field(
        description="All seven dimensions (engagement, mission, resources, scope, interaction, complexity, "
        "strategic), each 0, 25, 50, 75 or 100 (philanthropic to integrative)"
    )
    declared_stage: AustinStageValue  # type: ignore[valid-type]
    note: text(5000) = ""  # type: ignore[valid-type]


class AustinInputOut(Schema):
    code: UUID
    partner: UUID
    organisation: str
    dimension: str
    position: int
    comment: str
    given_at: datetime

    @staticmethod
    def resolve_partner(obj):
        return obj.partner.code

    @staticmethod
    def resolve_organisation(obj):
        return obj.partner.organisation.name


class DimensionSummaryOut(Schema):
    dimension: str
    label: str
    count: int
    average: float | None
    low: int | None
    high: int | None
    spread: int | None


class AustinInputsOut(Schema):
    inputs: list[AustinInputOut] = Field(description="The latest input of each active partner per dimension")
    summary: list[DimensionSummaryOut]


class AustinInputIn(InputSchema):
    partner: UUID | None = Field(
        None, description="The partner the input is for; default your own organisation (coordinators: any)"
    )
    positions: dict[str, int | None] = Field(description="Some or all dimensions, each 0, 25, 50, 75 or 100")
    comments: dict[str, text(2000)] = Field(default_factory=dict)  # type: ignore[valid-type]
