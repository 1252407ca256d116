"""API schemas of the structure area: bodies, seats, tasks and RACI assignments.

Objects are named by their UUID ``code``. Levels and RACI letters accept only their ``TextChoices``
values (422 naming the field otherwise); hours per month are 0 to 200 with at most one decimal.
"""

from decimal import Decimal
from typing import Annotated
from uuid import UUID

from ninja import Field, Schema

from safepact.accounts.schemas import InputSchema, choice_of, text
from safepact.formation.models import Level, Raci

LevelValue = choice_of(Level)
RaciValue = choice_of(Raci)
Hours = Annotated[
    Decimal,
    Field(ge=0, le=200, decimal_places=1, description="Expected hours per month, 0 to 200.", examples=[8]),
]


class PartnerRef(Schema):
    code: UUID
    organisation: str
    status: str

    @staticmethod
    def resolve_organisation(obj) -> str:
        return obj.organisation.name


class PersonRef(Schema):
    code: UUID
    full_name: str


class SeatOut(Schema):
    code: UUID
    body: UUID
    partner: PartnerRef
    person: PersonRef | None = None
    role_title: str
    mandate: str
    hours_per_month: float

    @staticmethod
    def resolve_body(obj) -> UUID:
        return obj.body.code


class BodyOut(Schema):
    code: UUID
    name: str
    level: str = Field(description="board, operational or stakeholder.")
    parent: UUID | None = Field(None, description="Code of the body this one reports to.")
    mandate: str
    position: int
    seats: list[SeatOut]

    @staticmethod
    def resolve_parent(obj) -> UUID | None:
        return obj.parent.code if obj.parent_id else None

    @staticmethod
    def resolve_seats(obj) -> list:
        seats = list(obj.seats.all())
        for seat in seats:
            seat.body = obj
        return seats


class BodyIn(InputSchema):
    name: text(200, min_length=1)  # type: ignore[valid-type]
    level: LevelValue  # type: ignore[valid-type]
    parent: UUID | None = Field(None, description="Code of the body this one reports to (same partnership).")
    mandate: text(10000) = ""  # type: ignore[valid-type]
    position: int | None = Field(None, ge=0, le=100000)


class BodyPatch(InputSchema):
    name: text(200, min_length=1) | None = None  # type: ignore[valid-type]
    level: LevelValue | None = None  # type: ignore[valid-type]
    parent: UUID | None = Field(None, description="Code of the parent body; null: reports to no one.")
    mandate: text(10000) | None = None  # type: ignore[valid-type]
    position: int | None = Field(None, ge=0, le=100000)


class SeatIn(InputSchema):
    partner: UUID = Field(description="Code of an active or invited partner of this partnership.")
    person: UUID | None = Field(
        None, description="Code of a person who is an active member through that partner."
    )
    role_title: text(200, min_length=1)  # type: ignore[valid-type]
    mandate: text(10000) = ""  # type: ignore[valid-type]
    hours_per_month: Hours = Decimal(0)


class SeatPatch(InputSchema):
    partner: UUID | None = None
    person: UUID | None = Field(None, description="null: no one named.")
    role_title: text(200, min_length=1) | None = None  # type: ignore[valid-type]
    mandate: text(10000) | None = None  # type: ignore[valid-type]
    hours_per_month: Hours | None = None


class AssignmentOut(Schema):
    partner: PartnerRef
    raci: str


class TaskOut(Schema):
    code: UUID
    title: str
    description: str
    position: int
    assignments: list[AssignmentOut]
    has_responsible: bool
    has_accountable: bool

    @staticmethod
    def resolve_assignments(obj) -> list:
        return list(obj.assignments.all())

    @staticmethod
    def resolve_has_responsible(obj) -> bool:
        return any(a.raci == Raci.RESPONSIBLE for a in obj.assignments.all())

    @staticmethod
    def resolve_has_accountable(obj) -> bool:
        return any(a.raci == Raci.ACCOUNTABLE for a in obj.assignments.all())


class TaskIn(InputSchema):
    title: text(200, min_length=1)  # type: ignore[valid-type]
    description: text(10000) = ""  # type: ignore[valid-type]
    position: int | None = Field(None, ge=0, le=100000)


class TaskPatch(InputSchema):
    title: text(200, min_length=1) | None = None  # type: ignore[valid-type]
    description: text(10000) | None = None  # type: ignore[valid-type]
    position: int | None = Field(None, ge=0, le=100000)


class AssignmentIn(InputSchema):
    raci: RaciValue | None = Field(  # type: ignore[valid-type]
        description="R (responsible), A (accountable), C (consulted), I (informed), or null to remove."
    )


class AssignmentResult(Schema):
    task: UUID
    partner: UUID
    raci: str | None
