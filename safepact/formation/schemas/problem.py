"""API schemas of the problem statement, its figures and briefing links. No schema carries a token."""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from ninja import Field, Schema

from safepact.accounts.schemas import EmailAddress, InputSchema, OrganisationRef, choice_of, text
from safepact.lib.tlp import TLP

TLPValue = choice_of(TLP)


class PersonRef(Schema):
    code: UUID
    full_name: str


class FigureOut(Schema):
    code: UUID
    label: str
    value: Decimal
    unit: str
    source: str
    as_of: date
    position: int = Field(description="1 = first.")


class ProblemOut(Schema):
    exists: bool = Field(description="false until a coordinator writes the statement or adds a figure.")
    visible: bool = Field(
        description="false when the TLP label does not let you read it: the content fields are then empty."
    )
    tlp: TLPValue  # type: ignore[valid-type]
    withheld_reason: str = Field(
        "",
        description="When visible is false because the partnership's confidentiality gate withholds it (you are "
        "a recipient by label but your organisation has not signed the confidentiality agreement in force): "
        "what to sign. Empty otherwise.",
    )
    nature: str = ""
    causes: str = ""
    recipient_organisations: list[OrganisationRef] = Field(default_factory=list)
    recipient_people: list[PersonRef] = Field(default_factory=list)
    figures: list[FigureOut] = Field(default_factory=list)
    updated_at: datetime | None = None
    updated_by: PersonRef | None = None


class ProblemIn(InputSchema):
    nature: text(20000) = ""  # type: ignore[valid-type]
    causes: text(20000) = ""  # type: ignore[valid-type]
    tlp: TLPValue  # type: ignore[valid-type]
    recipient_organisations: list[UUID] = Field(
        default_factory=list,
        description="Codes of partner or candidate organisations (TLP:AMBER, AMBER+STRICT).",
    )
    recipient_people: list[UUID] = Field(
        default_factory=list, description="Codes of active members (TLP:RED)."
    )


class FigureIn(InputSchema):
    label: text(200, min_length=1)  # type: ignore[valid-type]
    value: Decimal = Field(max_digits=14, decimal_places=2)
    unit: text(50) = ""  # type: ignore[valid-type]
    source: text(300, min_length=1)  # type: ignore[valid-type]
    as_of: date


class FigurePatch(InputSchema):
    label: text(200, min_length=1) | None = None  # type: ignore[valid-type]
    value: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    unit: text(50) | None = None  # type: ignore[valid-type]
    source: text(300, min_length=1) | None = None  # type: ignore[valid-type]
    as_of: date | None = None
    position: int | None = Field(None, ge=1, description="Move the figure here (1 = first).")


class BriefingOut(Schema):
    code: UUID
    candidate: UUID = Field(description="Code of the candidate.")
    organisation: OrganisationRef
    email: str
    created_at: datetime
    expires_at: datetime
    last_viewed_at: datetime | None
    revoked_at: datetime | None
    state: str = Field(description="open, expired or revoked.")

    @staticmethod
    def resolve_candidate(obj) -> UUID:
        return obj.candidate.code

    @staticmethod
    def resolve_organisation(obj):
        return obj.candidate.organisation

    @staticmethod
    def resolve_state(obj) -> str:
        from safepact.formation.selectors.problem import briefing_state

        return briefing_state(obj)


class BriefingIn(InputSchema):
    candidate: UUID = Field(description="Code of one of the partnership's candidates.")
    email: EmailAddress
