"""API schemas of the partner directory."""

from datetime import datetime
from uuid import UUID

from ninja import Field, Schema

from safepact.accounts.models import OrganisationKind, Sector
from safepact.accounts.schemas import InputSchema, choice_of, text
from safepact.formation.models import Capability
from safepact.partnerships.models import CrimeArea

CapabilityValue = choice_of(Capability)
CrimeAreaValue = choice_of(CrimeArea)
KindValue = choice_of(OrganisationKind)
SectorValue = choice_of(Sector)


class DirectoryOrganisationOut(Schema):
    code: UUID
    name: str
    kind: str
    sector: str
    country: str

    @staticmethod
    def resolve_country(obj) -> str:
        return obj.country.code if obj.country else ""


class DirectoryProfileOut(Schema):
    code: UUID
    organisation: DirectoryOrganisationOut
    published: bool
    summary: str
    regions: str
    crime_areas: list[str]
    capabilities: list[str]
    offers: str
    contact_role: str
    updated_at: datetime


class DirectoryProfileIn(InputSchema):
    """The whole profile (PUT replaces it). ``published`` publishes or unpublishes it."""

    summary: text(5000) = ""  # type: ignore[valid-type]
    regions: text(300) = ""  # type: ignore[valid-type]
    crime_areas: list[CrimeAreaValue] = Field(default_factory=list, max_length=len(CrimeArea.values))  # type: ignore[valid-type]
    capabilities: list[CapabilityValue] = Field(default_factory=list, max_length=len(Capability.values))  # type: ignore[valid-type]
    offers: text(5000) = ""  # type: ignore[valid-type]
    contact_role: text(200) = ""  # type: ignore[valid-type]
    published: bool | None = Field(
        None, description="Publish (true) or unpublish (false); leave out to keep."
    )
