"""API schemas for partnerships, partners, members and invitations.

Objects are named by their UUID ``code``. Enumerations accept only the values of their
``TextChoices``; an unknown value answers 422 naming the field. No schema carries a secret:
an invitation's token goes only by email.
"""

from datetime import datetime
from typing import Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import StrictBool

from safepact.accounts.schemas import (
    CountryCode,
    EmailAddress,
    InputSchema,
    NewOrganisationIn,
    OrganisationRef,
    choice_of,
    text,
)
from safepact.partnerships.models import (
    CrimeArea,
    Listing,
    MembershipStatus,
    PartnershipStatus,
    PartnerStatus,
    Role,
)

CrimeAreaValue = choice_of(CrimeArea)
ListingValue = choice_of(Listing)
PartnershipStatusValue = choice_of(PartnershipStatus)
PartnerStatusValue = choice_of(PartnerStatus)
RoleValue = choice_of(Role)
MembershipStatusValue = choice_of(MembershipStatus)
Reason = text(2000)


# Partnerships ----------------------------------------------------------------------------------


class PartnershipOut(Schema):
    code: UUID
    name: str
    purpose: str
    crime_areas: list[str]
    country: str
    region: str
    municipality: str
    status: str
    listing: str
    created_at: datetime
    updated_at: datetime
    my_role: str = Field(description="My role in this partnership: coordinator, member or viewer.")
    active_partner_count: int

    @staticmethod
    def resolve_country(obj) -> str:
        return obj.country.code if obj.country else ""

    @staticmethod
    def resolve_my_role(obj) -> str:
        role = getattr(obj, "my_role", None)
        return role if role is not None else obj.membership.role


class PartnershipIn(InputSchema):
    organisation: UUID = Field(description="Code of one of your own organisations: the first partner.")
    name: text(200, min_length=1)  # type: ignore[valid-type]
    purpose: text(10000, min_length=1)  # type: ignore[valid-type]
    country: CountryCode
    crime_areas: list[CrimeAreaValue] = Field(default_factory=list, max_length=len(CrimeArea.values))  # type: ignore[valid-type]
    region: text(120) = ""  # type: ignore[valid-type]
    municipality: text(120) = ""  # type: ignore[valid-type]
    listing: ListingValue = Listing.PRIVATE.value  # type: ignore[valid-type]


class PartnershipPatch(InputSchema):
    """Only the fields you send change. ``null`` is not a value: leave a field out to keep it."""

    name: text(200, min_length=1) = None  # type: ignore[valid-type]
    purpose: text(10000, min_length=1) = None  # type: ignore[valid-type]
    country: CountryCode = None  # type: ignore[assignment]
    crime_areas: list[CrimeAreaValue] = Field(None, max_length=len(CrimeArea.values))  # type: ignore[valid-type]
    region: text(120) = None  # type: ignore[valid-type]
    municipality: text(120) = None  # type: ignore[valid-type]
    status: PartnershipStatusValue = None  # type: ignore[valid-type]
    listing: ListingValue = None  # type: ignore[valid-type]
    reason: Reason = Field("", description="Why: kept in the audit trail.")  # type: ignore[valid-type]


# Partners --------------------------------------------------------------------------------------


class PartnerOut(Schema):
    code: UUID
    organisation: OrganisationRef
    status: str
    joined_at: datetime | None
    created_at: datetime
    member_count: int = Field(description="Active members through this partner.")


class PartnerIn(InputSchema):
    organisation: UUID = Field(description="Code of an organisation you may see (GET /organisations).")
    status: Literal["candidate", "invited", "active"] = "candidate"


class PartnerPatch(InputSchema):
    status: PartnerStatusValue  # type: ignore[valid-type]
    reason: Reason = Field("", description="Required when suspending or withdrawing.")  # type: ignore[valid-type]


# Members ---------------------------------------------------------------------------------------


class PersonRef(Schema):
    code: UUID
    full_name: str
    email: str


class MemberOut(Schema):
    code: UUID
    person: PersonRef = Field(alias="user")
    organisation: OrganisationRef = Field(alias="partner.organisation")
    partner_code: UUID = Field(alias="partner.code")
    role: str
    status: str
    is_signatory: bool = Field(
        description="Authorised signatory: may sign agreements on behalf of the member's organisation."
    )
    created_at: datetime


class MemberPatch(InputSchema):
    """Change the role, the status, the signatory flag, or several (in one transaction); send at least one."""

    role: RoleValue = None  # type: ignore[valid-type]
    status: MembershipStatusValue = None  # type: ignore[valid-type]
    is_signatory: StrictBool = Field(  # type: ignore[assignment]
        None,
        description="true: mark the member as authorised signatory of their organisation; false: unmark.",
    )
    reason: Reason = Field("", description="Required when suspending.")  # type: ignore[valid-type]
    password: str = Field(
        "",
        max_length=1024,
        description="Your password: changing a role, status or signatory flag needs re-authentication.",
        json_schema_extra={"format": "password", "writeOnly": True},
    )
    otp: str | None = Field(None, max_length=16, description="Six-digit code of your authenticator app.")


# Invitations -----------------------------------------------------------------------------------


class InviterRef(Schema):
    code: UUID
    full_name: str


class InvitationOut(Schema):
    """An invitation. Its token is never part of the API: it goes only to the invitee by email."""

    code: UUID
    email: str
    role: str
    organisation: OrganisationRef = Field(alias="partner.organisation")
    partner_code: UUID = Field(alias="partner.code")
    state: Literal["pending", "accepted", "revoked", "expired"]
    message: str
    invited_by: InviterRef | None
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None


class InvitationIn(InputSchema):
    email: EmailAddress
    role: RoleValue = Role.MEMBER.value  # type: ignore[valid-type]
    organisation: UUID | None = Field(None, description="Code of an organisation you may see, or ...")
    new_organisation: NewOrganisationIn | None = Field(None, description="... a new organisation.")
    message: text(5000) = ""  # type: ignore[valid-type]
