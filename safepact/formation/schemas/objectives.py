"""API schemas for objectives, motives, commitments, the alignment matrix and the focus limit."""

from datetime import date, datetime
from uuid import UUID

from ninja import Field, Schema

from safepact.accounts.schemas import InputSchema, choice_of, text
from safepact.formation.models import Benefit, ObjectiveStatus

BenefitValue = choice_of(Benefit)
ObjectiveStatusValue = choice_of(ObjectiveStatus)


class WarningOut(Schema):
    kind: str = Field(
        description="over_focus_limit, objective_uncommitted, partner_uncommitted or motives_missing"
    )
    message: str
    partner: UUID | None = None
    objective: UUID | None = None

    @staticmethod
    def resolve_partner(obj):
        return obj.partner_code

    @staticmethod
    def resolve_objective(obj):
        return obj.objective_code


class CommitmentOut(Schema):
    partner: UUID
    organisation: str
    objective: UUID
    note: str
    created_at: datetime

    @staticmethod
    def resolve_partner(obj):
        return obj.partner.code

    @staticmethod
    def resolve_organisation(obj):
        return obj.partner.organisation.name

    @staticmethod
    def resolve_objective(obj):
        return obj.objective.code


class ObjectiveCommitmentOut(Schema):
    partner: UUID
    organisation: str
    note: str

    @staticmethod
    def resolve_partner(obj):
        return obj.partner.code

    @staticmethod
    def resolve_organisation(obj):
        return obj.partner.organisation.name


class ObjectiveOut(Schema):
    code: UUID
    title: str
    description: str
    indicator: str
    target_date: date | None
    priority: int
    status: str
    created_at: datetime
    commitments: list[ObjectiveCommitmentOut]

    @staticmethod
    def resolve_commitments(obj):
        return list(obj.commitments.all())


class ObjectiveSaved(ObjectiveOut):
    warnings: list[WarningOut] = Field(
        description="For example: more active objectives than the focus limit."
    )

    @staticmethod
    def resolve_warnings(obj):
        return getattr(obj, "warnings", [])


class ObjectiveIn(InputSchema):
    title: text(200, min_length=1)  # type: ignore[valid-type]
    indicator: text(300, min_length=1)  # type: ignore[valid-type]
    description: text(5000) = ""  # type: ignore[valid-type]
    target_date: date | None = None
    priority: int | None = Field(
        None, ge=1, description="1 is the highest; default after the other active ones"
    )


class ObjectivePatch(InputSchema):
    title: text(200, min_length=1) | None = None  # type: ignore[valid-type]
    indicator: text(300, min_length=1) | None = None  # type: ignore[valid-type]
    description: text(5000) | None = None  # type: ignore[valid-type]
    target_date: date | None = None
    priority: int | None = Field(None, ge=1)
    status: ObjectiveStatusValue | None = None  # type: ignore[valid-type]
    reason: text(2000) = ""  # type: ignore[valid-type]


class MotivationOut(Schema):
    partner: UUID
    organisation: str
    economic: str
    societal: str
    legislative: str
    benefits: list[str]
    benefits_other: str
    stated: bool
    updated_at: datetime | None

    @staticmethod
    def resolve_partner(obj):
        return obj.partner.code

    @staticmethod
    def resolve_organisation(obj):
        return obj.partner.organisation.name

    @staticmethod
    def resolve_updated_at(obj):
        return obj.updated_at if obj.pk else None


class MotivationIn(InputSchema):
    economic: text(5000) = ""  # type: ignore[valid-type]
    societal: text(5000) = ""  # type: ignore[valid-type]
    legislative: text(5000) = ""  # type: ignore[valid-type]
    benefits: list[BenefitValue] = Field(default_factory=list, max_length=len(Benefit.values))  # type: ignore[valid-type]
    benefits_other: text(200) = ""  # type: ignore[valid-type]


class CommitmentIn(InputSchema):
    note: text(300) = ""  # type: ignore[valid-type]


class SettingsOut(Schema):
    focus_limit: int


class SettingsIn(InputSchema):
    focus_limit: int = Field(ge=1, le=20, description="Most active objectives at once (1 to 20)")


class AlignmentPartnerOut(Schema):
    code: UUID
    organisation: str
    motives_stated: bool


class AlignmentObjectiveOut(Schema):
    code: UUID
    title: str
    priority: int


class AlignmentCellOut(Schema):
    partner: UUID
    objective: UUID
    committed: bool


class AlignmentOut(Schema):
    focus_limit: int
    active_objectives: int
    partners: list[AlignmentPartnerOut]
    objectives: list[AlignmentObjectiveOut]
    cells: list[AlignmentCellOut]
    warnings: list[WarningOut]
