"""API schemas for agreements: agreements, versions and their comparison, parties, signatures, comments,
settings, the confidentiality gate, templates and PDF verification.

Objects are named by their UUID ``code`` (versions also by their ``number`` inside an agreement); dates
are ISO 8601. Bodies refuse unknown fields (422 naming them).
"""

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from django.conf import settings
from ninja import Field, Schema
from pydantic import StringConstraints

from safepact.accounts.schemas import InputSchema, choice_of, text
from safepact.agreements.models import Formality, Kind, Status

KindValue = choice_of(Kind)
FormalityValue = choice_of(Formality)
StatusValue = choice_of(Status)
LanguageValue = Literal[tuple(code for code, _name in settings.LANGUAGES)]  # type: ignore[misc]
TRANSITIONS = ("submit", "draft", "finalise", "open-signing", "terminate")
ActionValue = Literal[TRANSITIONS]  # type: ignore[valid-type]
MAX_QUORUM = 1000

#: The Markdown text: kept as typed (no stripping), at most the services' limit.
Body = Annotated[str, StringConstraints(max_length=200_000)]


def _name(user) -> str:
    return (user.full_name or user.email) if user is not None else ""


# Agreements -------------------------------------------------------------------------------------------


class CountsOut(Schema):
    versions: int
    parties: int = Field(description="Parties that have not withdrawn.")
    signatures: int = Field(description="Signatures of the final text.")


class AgreementOut(Schema):
    code: UUID
    kind: str
    kind_label: str
    formality: str
    language: str
    title: str
    status: str
    status_label: str
    quorum: int | None = Field(
        description="Signatures needed to enter into force; null: every required party."
    )
    effective_from: date | None
    review_date: date | None
    expiry_date: date | None
    final_version: int | None = Field(description="Number of the frozen version everyone signs.")
    final_sha256: str = Field(description="SHA-256 of the final text (empty while drafting).")
    finalised_at: datetime | None
    in_force_at: datetime | None
    ended_at: datetime | None
    end_reason: str
    supersedes: UUID | None = Field(description="Code of the agreement this one replaces.")
    counts: CountsOut
    created_by: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_final_version(obj):
        return obj.final_version.number if obj.final_version_id else None

    @staticmethod
    def resolve_supersedes(obj):
        return obj.supersedes.code if obj.supersedes_id else None

    @staticmethod
    def resolve_counts(obj):
        return {
            "versions": getattr(obj, "version_count", 0),
            "parties": getattr(obj, "party_count", 0),
            "signatures": getattr(obj, "signature_count", 0),
        }

    @staticmethod
    def resolve_created_by(obj) -> str:
        return _name(obj.created_by)


class PartyRef(Schema):
    party: UUID
    partner: UUID
    organisation: str

    @staticmethod
    def resolve_party(obj):
        return obj.code

    @staticmethod
    def resolve_partner(obj):
        return obj.partner.code

    @staticmethod
    def resolve_organisation(obj):
        return obj.partner.organisation.name


class SigningOut(Schema):
    needed: int = Field(description="Signatures of required parties needed to enter into force.")
    signed: int = Field(description="Parties that signed the final text.")
    required_signed: int
    complete: bool
    missing: list[PartyRef] = Field(description="Required parties that have not signed yet.")


class MySigningOut(Schema):
    """What the caller can do about signing right now, and why not."""

    can_sign: bool
    can_accede: bool
    reason: str


class AgreementDetail(AgreementOut):
    latest_version: int | None
    signing: SigningOut
    me: MySigningOut

    @staticmethod
    def resolve_latest_version(obj):
        return obj.latest.number if obj.latest is not None else None

    @staticmethod
    def resolve_signing(obj):
        state = obj.signing
        return {
            "needed": state.needed,
            "signed": state.signed_count,
            "required_signed": state.required_signed,
            "complete": state.complete,
            "missing": state.missing,
        }

    @staticmethod
    def resolve_me(obj):
        option = obj.option
        return {"can_sign": option.can_sign, "can_accede": option.can_accede, "reason": str(option.reason)}


class AgreementIn(InputSchema):
    kind: KindValue  # type: ignore[valid-type]
    formality: FormalityValue = Formality.SPECIFIED  # type: ignore[valid-type]
    language: LanguageValue = "en"  # type: ignore[valid-type]
    title: text(200) = Field("", description="Empty: the template's title, filled in.")  # type: ignore[valid-type]
    parties: list[UUID] | None = Field(
        None, max_length=500, description="Partner codes; default: every active partner."
    )
    quorum: int | None = Field(None, ge=1, le=MAX_QUORUM)
    effective_from: date | None = None
    review_date: date | None = None
    expiry_date: date | None = None
    supersedes: UUID | None = Field(None, description="Code of an agreement in force this one replaces.")


class AgreementPatch(InputSchema):
    """While drafting everything can change; once final only the review date."""

    title: text(200, min_length=1) | None = None  # type: ignore[valid-type]
    formality: FormalityValue | None = None  # type: ignore[valid-type]
    quorum: int | None = Field(None, ge=1, le=MAX_QUORUM)
    effective_from: date | None = None
    review_date: date | None = None
    expiry_date: date | None = None
    reason: text(2000) = ""  # type: ignore[valid-type]


class TransitionIn(InputSchema):
    action: ActionValue = Field(  # type: ignore[valid-type]
        description="submit (for review), draft (back to draft), finalise, open-signing, terminate"
    )
    reason: text(2000) = Field("", description="Required to terminate; recorded with the others.")  # type: ignore[valid-type]


# Versions ---------------------------------------------------------------------------------------------


class VersionOut(Schema):
    code: UUID
    number: int
    sha256: str
    note: str
    is_final: bool
    created_by: str
    created_at: datetime

    @staticmethod
    def resolve_is_final(obj) -> bool:
        return obj.pk == obj.agreement.final_version_id

    @staticmethod
    def resolve_created_by(obj) -> str:
        return _name(obj.created_by)


class VersionDetail(VersionOut):
    body: str = Field(description="The text, Markdown.")
    sections: list[str] = Field(description="Headings of the text's sections (what comments refer to).")
    unresolved: list[str] = Field(description="Sections still holding a “[to be agreed …]” marker.")


class VersionIn(InputSchema):
    body: Body
    note: text(300) = ""  # type: ignore[valid-type]


class DiffLineOut(Schema):
    kind: str = Field(description="same, added, removed or gap")
    old_number: int | None
    new_number: int | None
    text: str


class CompareOut(Schema):
    from_version: int
    to_version: int
    added: int
    removed: int
    lines: list[DiffLineOut]


# Parties and signatures -------------------------------------------------------------------------------


class PartyOut(Schema):
    code: UUID
    partner: UUID
    organisation: str
    required: bool
    acceded: bool
    added_at: datetime
    withdrawn_on: date | None
    withdrawal_reason: str
    signed_at: datetime | None = Field(description="When the party signed the final text.")

    @staticmethod
    def resolve_partner(obj):
        return obj.partner.code

    @staticmethod
    def resolve_organisation(obj):
        return obj.partner.organisation.name

    @staticmethod
    def resolve_signed_at(obj):
        return getattr(obj, "signed_at", None)


class PartyIn(InputSchema):
    partner: UUID = Field(description="Code of an active partner of the partnership.")
    required: bool = True


class PartyPatch(InputSchema):
    required: bool


class WithdrawIn(InputSchema):
    on_date: date
    reason: text(2000, min_length=1)  # type: ignore[valid-type]


class SignatureOut(Schema):
    code: UUID
    party: UUID
    organisation: str
    signer: str
    version: int
    text_sha256: str
    method: str
    signed_at: datetime

    @staticmethod
    def resolve_party(obj):
        return obj.party.code

    @staticmethod
    def resolve_organisation(obj) -> str:
        return obj.organisation_name

    @staticmethod
    def resolve_signer(obj) -> str:
        return obj.signer_name

    @staticmethod
    def resolve_version(obj) -> int:
        return obj.version.number


class SignedOut(SignatureOut):
    agreement_status: str = Field(description="The agreement's status after this signature.")


class SignIn(InputSchema):
    """Re-authentication for signing: your password, and the code of your authenticator app if you use one."""

    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)] = Field(
        json_schema_extra={"format": "password", "writeOnly": True}
    )
    otp: text(16) | None = Field(None, description="Six-digit code of your authenticator app.")  # type: ignore[valid-type]


# Comments ---------------------------------------------------------------------------------------------


class CommentOut(Schema):
    code: UUID
    version: int
    section: str
    body: str
    author: str
    organisation: str
    created_at: datetime
    resolved_at: datetime | None

    @staticmethod
    def resolve_version(obj) -> int:
        return obj.version.number

    @staticmethod
    def resolve_author(obj) -> str:
        return _name(obj.author)

    @staticmethod
    def resolve_organisation(obj) -> str:
        return obj.partner.organisation.name if obj.partner_id else ""


class CommentIn(InputSchema):
    section: text(200) = Field("", description="Heading of the section; empty: the text as a whole.")  # type: ignore[valid-type]
    body: text(5000, min_length=1)  # type: ignore[valid-type]
    version: int | None = Field(None, ge=1, le=1_000_000, description="Default: the latest version.")


# Settings, gate, templates, verification --------------------------------------------------------------


class SettingsOut(Schema):
    require_confidentiality: bool
    review_notice_days: int
    expiry_notice_days: int


class SettingsIn(InputSchema):
    require_confidentiality: bool = Field(
        description="Withhold TLP:AMBER and TLP:RED content until the confidentiality agreement is signed."
    )
    review_notice_days: int = Field(ge=1, le=730)
    expiry_notice_days: int = Field(ge=1, le=730)


class AgreementRef(Schema):
    code: UUID
    title: str
    kind: str
    status: str
    partnership: UUID

    @staticmethod
    def resolve_partnership(obj):
        return obj.partnership.code


class GateOut(Schema):
    required: bool = Field(description="The partnership requires its confidentiality agreement.")
    passes: bool = Field(description="You see TLP:AMBER and TLP:RED content.")
    message: str = Field(description="Why content is withheld from you, and what to sign.")
    agreement: AgreementRef | None
    url: str


class ChoiceOut(Schema):
    value: str
    label: str


class TemplateSectionOut(Schema):
    key: str
    heading: str
    required_from: str = Field(description="general, specified, fixed or optional")


class TemplateOut(Schema):
    kind: str
    language: str
    title: str
    sections: list[TemplateSectionOut]
    required_sections: dict[str, list[str]] = Field(
        description="Per formality level, the headings of the sections that must be present and filled."
    )

    @staticmethod
    def resolve_required_sections(obj) -> dict[str, list[str]]:
        return {
            level: [section.heading for section in obj.required_sections(level)] for level in Formality.values
        }


class TemplatesOut(Schema):
    kinds: list[ChoiceOut]
    formalities: list[ChoiceOut]
    languages: list[ChoiceOut]
    templates: list[TemplateOut]


class VersionRef(Schema):
    number: int
    sha256: str


class VerificationOut(Schema):
    ok: bool = Field(description="The file is an unaltered PDF SafePact made of a signed version.")
    verdict: str = Field(description="signed (ok), unsigned, altered or unknown")
    message: str
    file_sha256: str
    text_sha256: str = Field(description="SHA-256 of the text embedded in the PDF; empty when none.")
    agreement: AgreementRef | None
    version: VersionRef | None
    signatures: list[SignatureOut]

    @staticmethod
    def resolve_message(obj) -> str:
        return str(obj.message)

    @staticmethod
    def resolve_signatures(obj) -> list:
        return list(obj.signatures or [])
