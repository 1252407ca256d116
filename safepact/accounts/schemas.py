"""API schemas for people and organisations. Objects are named by their UUID ``code``, never their key."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db.models import TextChoices
from django.utils.translation import gettext
from django_countries import countries
from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, StringConstraints

from safepact.accounts.models import OrganisationKind


def choice_of(choices: type[TextChoices]):
    """A ``Literal`` of the values of ``choices``: unknown values answer 422 naming the field."""
    return Literal[tuple(choices.values)]  # type: ignore[valid-type]


def _known_country(value: str) -> str:
    value = value.upper()
    if not countries.alpha2(value):
        raise ValueError(gettext("unknown country code (use ISO 3166-1 alpha-2, e.g. NL)"))
    return value


CountryCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=2),
    AfterValidator(_known_country),
    Field(description="ISO 3166-1 alpha-2 country code", examples=["NL"]),
]


def _valid_email(value: str) -> str:
    try:
        validate_email(value)
    except DjangoValidationError:
        raise ValueError(gettext("not a valid email address")) from None
    return value.lower()


EmailAddress = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254), AfterValidator(_valid_email)
]


def text(max_length: int, *, min_length: int = 0):
    """A stripped string with length limits (422 naming the field when too long or empty)."""
    return Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)
    ]


class InputSchema(Schema):
    """A request body: unknown fields are refused (422 naming them), so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")


def _country(obj) -> str:
    return obj.country.code if obj.country else ""


class OrganisationRef(Schema):
    """An organisation named inside another object."""

    code: UUID
    name: str
    kind: str
    country: str

    @staticmethod
    def resolve_country(obj) -> str:
        return _country(obj)


class OrganisationOut(Schema):
    code: UUID
    name: str
    kind: str
    sector: str
    country: str
    registration_number: str
    member_of: OrganisationRef | None = Field(None, description="The umbrella body, if any.")
    created_at: datetime

    @staticmethod
    def resolve_country(obj) -> str:
        return _country(obj)


class MyOrganisationOut(Schema):
    """One of my organisations, with what I am there."""

    organisation: OrganisationRef
    job_title: str
    is_authorised_signatory: bool
    is_law_enforcement_officer: bool


class MeOut(Schema):
    code: UUID
    email: str
    full_name: str
    language: str
    organisations: list[MyOrganisationOut]
    two_factor_enabled: bool


class NewOrganisationIn(InputSchema):
    """An organisation that does not exist on SafePact yet."""

    name: text(200, min_length=1)  # type: ignore[valid-type]
    kind: choice_of(OrganisationKind)  # type: ignore[valid-type]
    country: CountryCode


class ErrorOut(Schema):
    """Every error answer: a readable ``detail`` and a stable ``code``; 422 adds ``fields`` or ``errors``."""

    detail: str
    code: str


def with_errors(*statuses: int) -> dict:
    """Declare the error answers of an endpoint in the OpenAPI document."""
    return dict.fromkeys((401, 404, *statuses), ErrorOut)
