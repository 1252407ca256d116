"""API schemas for the information exchange: posts and their files, documents and versions, the access log,
information requests and answers, Five Safes assessments, the data-sharing register, search and settings.

Objects are named by their UUID ``code`` (organisations by their organisation code, people by their person
code, partners by their partner code); times are ISO 8601 with a time zone, dates ISO 8601. Bodies refuse
unknown fields (422 naming them).

Every labelled item (post, document, request, answer) carries its ``tlp`` label and what the label allows:
``may_export`` (false for TLP:AMBER+STRICT and TLP:RED: they never leave the platform) and ``may_download``
(whether the caller may download its files; TLP:RED files only when the partnership allows it). A label's
recipients are listed only to people who may see the item, as the item itself.
"""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from ninja import Field, Schema

from safepact.accounts.schemas import InputSchema, OrganisationRef, choice_of, text
from safepact.exchange.models import (
    AssessmentStatus,
    DataCategory,
    FlowStatus,
    ItemKind,
    LegalBasis,
    PartyRole,
    PostKind,
    RequestStatus,
    Risk,
    Safe,
)
from safepact.lib.tlp import TLP, may_export

PostKindValue = choice_of(PostKind)
TLPValue = choice_of(TLP)
LegalBasisValue = choice_of(LegalBasis)
DataCategoryValue = choice_of(DataCategory)
RequestStatusValue = choice_of(RequestStatus)
RiskValue = choice_of(Risk)
SafeValue = choice_of(Safe)
PartyRoleValue = choice_of(PartyRole)
ItemKindValue = choice_of(ItemKind)
DecisionValue = Literal[  # type: ignore[valid-type]
    AssessmentStatus.APPROVED.value,
    AssessmentStatus.APPROVED_WITH_CONDITIONS.value,
    AssessmentStatus.REJECTED.value,
]
FlowStatusValue = choice_of(FlowStatus)

RECIPIENTS_MAX = 500
#: ``text`` under another name, for a field that is itself called ``text``.
_text = text


def _name(user) -> str:
    return (user.full_name or user.email) if user is not None else ""


class PersonRef(Schema):
    code: UUID
    full_name: str

    @staticmethod
    def resolve_full_name(obj) -> str:
        return _name(obj)


class PartnerRef(Schema):
    """A partner of the partnership: its partner code and its organisation."""

    code: UUID
    organisation: OrganisationRef


class Labelled(Schema):
    """What every labelled item answers about its label."""

    tlp: str = Field(description="The TLP 2.0 label: clear, green, amber, amber+strict or red.")
    tlp_label: str
    may_export: bool = Field(
        description="False for TLP:AMBER+STRICT and TLP:RED: never exported, forwarded or emailed."
    )
    may_download: bool = Field(
        description="Whether you may download its files (TLP:RED: only when the partnership allows it)."
    )
    recipient_organisations: list[OrganisationRef] = Field(
        description="TLP:AMBER and AMBER+STRICT: the organisations that may see it."
    )
    recipient_people: list[PersonRef] = Field(description="TLP:RED: the people who may see it.")

    @staticmethod
    def resolve_tlp_label(obj) -> str:
        return str(TLP(obj.tlp).label)

    @staticmethod
    def resolve_may_export(obj) -> bool:
        return may_export(obj.tlp)

    @staticmethod
    def resolve_may_download(obj) -> bool:
        # Set by the endpoint (``api._downloads``) for the caller; never defaults to allowing.
        return bool(getattr(obj, "may_download", False))

    @staticmethod
    def resolve_recipient_organisations(obj) -> list:
        if obj.tlp not in (TLP.AMBER, TLP.AMBER_STRICT):
            return []
        return sorted(obj.recipient_organisations.all(), key=lambda o: o.name)

    @staticmethod
    def resolve_recipient_people(obj) -> list:
        if obj.tlp != TLP.RED:
            return []
        return sorted(obj.recipient_people.all(), key=lambda p: (p.full_name, p.email))


class FileOut(Schema):
    """A stored file: its original name, detected type, size and SHA-256. Fetch it by its code."""

    code: UUID
    name: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime


# Posts ------------------------------------------------------------------------------------------------


class PostOut(Labelled):
    code: UUID
    kind: str
    kind_label: str
    title: str
    body: str = Field(description="Markdown.")
    author: PersonRef
    forwarded: bool = Field(description="Forwarded from another partnership.")
    attachments: list[FileOut]
    legal_hold: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_author(obj):
        return obj.created_by

    @staticmethod
    def resolve_forwarded(obj) -> bool:
        return obj.forwarded_from_id is not None

    @staticmethod
    def resolve_attachments(obj) -> list:
        return list(obj.attachments.all())


class PostExportOut(Schema):
    """One post of the export: only posts whose label lets them leave the platform (never AMBER+STRICT or
    RED)."""

    code: UUID
    kind: str
    title: str
    body: str
    tlp: str
    author: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_author(obj) -> str:
        return _name(obj.created_by)


def _recipients(description: str):
    return Field(default_factory=list, max_length=RECIPIENTS_MAX, description=description)


ORGS_HELP = "Organisation codes of active partners (TLP:AMBER, AMBER+STRICT; your own is added)."
PEOPLE_HELP = "Person codes of active members (TLP:RED)."


class PostIn(InputSchema):
    kind: PostKindValue = PostKind.NEWS  # type: ignore[valid-type]
    title: text(200, min_length=1)  # type: ignore[valid-type]
    body: text(50_000, min_length=1) = Field(description="Markdown.")  # type: ignore[valid-type]
    tlp: TLPValue  # type: ignore[valid-type]
    recipient_organisations: list[UUID] = _recipients(ORGS_HELP)
    recipient_people: list[UUID] = _recipients(PEOPLE_HELP)


class PostPatch(InputSchema):
    kind: PostKindValue | None = None  # type: ignore[valid-type]
    title: text(200, min_length=1) | None = None  # type: ignore[valid-type]
    body: text(100_000, min_length=1) | None = None  # type: ignore[valid-type]


class LabelIn(InputSchema):
    tlp: TLPValue  # type: ignore[valid-type]
    recipient_organisations: list[UUID] | None = Field(
        None, max_length=RECIPIENTS_MAX, description=ORGS_HELP + " Left out: unchanged."
    )
    recipient_people: list[UUID] | None = Field(
        None, max_length=RECIPIENTS_MAX, description=PEOPLE_HELP + " Left out: unchanged."
    )
    reason: text(2000) = Field("", description="Required to lower the label (towards CLEAR).")  # type: ignore[valid-type]


class ForwardIn(InputSchema):
    partnership: UUID = Field(
        description="Code of another partnership where you are a member with the write role."
    )


class AccessOut(Schema):
    """One view or download of a TLP:AMBER, AMBER+STRICT or RED item."""

    person: PersonRef
    organisation: OrganisationRef | None
    action: str
    file: UUID | None = Field(description="The file downloaded or viewed, if any.")
    at: datetime

    @staticmethod
    def resolve_person(obj):
        return obj.user

    @staticmethod
    def resolve_file(obj):
        return obj.file_code


# Documents --------------------------------------------------------------------------------------------


class VersionOut(FileOut):
    number: int
    note: str
    author: PersonRef

    @staticmethod
    def resolve_author(obj):
        return obj.created_by


class DocumentOut(Labelled):
    code: UUID
    title: str
    description: str = Field(description="Markdown.")
    author: PersonRef
    latest_version: VersionOut | None
    legal_hold: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_author(obj):
        return obj.created_by

    @staticmethod
    def resolve_latest_version(obj):
        versions = list(obj.versions.all())
        return max(versions, key=lambda v: v.number) if versions else None


class DocumentDetail(DocumentOut):
    versions: list[VersionOut] = Field(description="Newest first.")

    @staticmethod
    def resolve_versions(obj) -> list:
        return sorted(obj.versions.all(), key=lambda v: -v.number)


class DocumentIn(InputSchema):
    """The fields of a new document (multipart form, with its first version as ``file``)."""

    title: text(200, min_length=1)  # type: ignore[valid-type]
    description: text(100_000) = Field("", description="Markdown.")  # type: ignore[valid-type]
    tlp: TLPValue  # type: ignore[valid-type]
    recipient_organisations: list[UUID] = _recipients(ORGS_HELP + " Repeat the field for several.")
    recipient_people: list[UUID] = _recipients(PEOPLE_HELP + " Repeat the field for several.")
    note: text(300) = Field("", description="What this version is.")  # type: ignore[valid-type]


class DocumentPatch(InputSchema):
    title: text(200, min_length=1) | None = None  # type: ignore[valid-type]
    description: text(100_000) | None = None  # type: ignore[valid-type]


class VersionIn(InputSchema):
    note: text(300) = Field("", description="What changed.")  # type: ignore[valid-type]


# Information requests ---------------------------------------------------------------------------------


def _status_shown(obj, context) -> bool:
    """Whether the reader learns where this addressed organisation stands: the asking organisation and the
    coordinators see every status; another addressed organisation only its own (it may not read the others'
    answers, so it does not learn whether or when they answered). One query per API call, cached on it."""
    request = (context or {}).get("request")
    user = getattr(request, "auth", None)
    if request is None or user is None:
        return False
    cached = getattr(request, "_exchange_status_scope", None)
    if cached is None:
        from safepact.partnerships.models import Role
        from safepact.partnerships.selectors import active_memberships

        rows = list(active_memberships(user).values_list("partner_id", "partner__partnership_id", "role"))
        cached = ({row[0] for row in rows}, {row[1] for row in rows if row[2] == Role.COORDINATOR})
        request._exchange_status_scope = cached
    partners, coordinated = cached
    item = obj.request  # set by the prefetch of ``recipients``
    return (
        obj.partner_id in partners
        or item.requester_partner_id in partners
        or item.partnership_id in coordinated
    )


class RecipientOut(Schema):
    """An addressed partner organisation and where it stands (``status`` is null where it is not yours to
    know: another addressed organisation's answer)."""

    code: UUID
    partner: UUID
    organisation: OrganisationRef
    status: str | None
    status_label: str
    responded_at: datetime | None

    @staticmethod
    def resolve_partner(obj):
        return obj.partner.code

    @staticmethod
    def resolve_organisation(obj):
        return obj.partner.organisation

    @staticmethod
    def resolve_status(obj, context) -> str | None:
        return obj.status if _status_shown(obj, context) else None

    @staticmethod
    def resolve_status_label(obj, context) -> str:
        return str(obj.get_status_display()) if _status_shown(obj, context) else ""

    @staticmethod
    def resolve_responded_at(obj, context):
        return obj.responded_at if _status_shown(obj, context) else None


class AnswerOut(Labelled):
    code: UUID
    organisation: OrganisationRef = Field(description="The addressed organisation that answered.")
    declined: bool
    text: str = Field(description="Markdown; for a decline, the reason.")
    author: PersonRef
    attachments: list[FileOut]
    created_at: datetime

    @staticmethod
    def resolve_organisation(obj):
        return obj.recipient.partner.organisation

    @staticmethod
    def resolve_author(obj):
        return obj.created_by

    @staticmethod
    def resolve_attachments(obj) -> list:
        return list(obj.attachments.all())


class RequestOut(Labelled):
    code: UUID
    title: str
    status: str
    status_label: str
    requester: PartnerRef = Field(description="The partner organisation that asks.")
    author: PersonRef
    legal_basis: str
    data_categories: list[str] = Field(description="Categories of personal data asked for.")
    asks_personal_data: bool = Field(description="If so, a Five Safes assessment must approve it.")
    deadline: date
    recipients: list[RecipientOut]
    via_api: bool
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    closed_at: datetime | None

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_requester(obj):
        return obj.requester_partner

    @staticmethod
    def resolve_author(obj):
        return obj.created_by

    @staticmethod
    def resolve_recipients(obj) -> list:
        return list(obj.recipients.all())


class AssessmentRef(Schema):
    code: UUID
    status: str
    valid_until: date | None
    decision_note: str = Field(description="The reasoning of the decision (why it was rejected).")
    conditions: str


class RequestDetail(RequestOut):
    question: str = Field(description="Markdown.")
    purpose: str
    national_provision: str
    assessment: AssessmentRef | None = Field(description="The Five Safes assessment that gates it.")
    attachments: list[FileOut]
    answers: list[AnswerOut] = Field(description="The answers and declines you may see.")
    legal_hold: bool

    @staticmethod
    def resolve_attachments(obj) -> list:
        return list(obj.attachments.all())

    @staticmethod
    def resolve_answers(obj) -> list:
        return list(getattr(obj, "visible_answers", []))


class RequestIn(InputSchema):
    title: text(200, min_length=1)  # type: ignore[valid-type]
    question: text(100_000, min_length=1) = Field(description="Markdown.")  # type: ignore[valid-type]
    purpose: text(10_000, min_length=1)  # type: ignore[valid-type]
    legal_basis: LegalBasisValue = Field(description="The GDPR Art. 6(1) basis.")  # type: ignore[valid-type]
    national_provision: text(300) = Field("", description="The national legal provision, free text.")  # type: ignore[valid-type]
    data_categories: list[DataCategoryValue] = Field(  # type: ignore[valid-type]
        default_factory=list,
        max_length=len(DataCategory.values),
        description="Personal data asked for; none: no assessment needed.",
    )
    deadline: date = Field(description="Answer by (not in the past).")
    tlp: TLPValue  # type: ignore[valid-type]
    recipient_partners: list[UUID] = Field(
        min_length=1,
        max_length=RECIPIENTS_MAX,
        description="Partner codes of the active partners to ask (not your own).",
    )
    recipient_people: list[UUID] = _recipients(
        "TLP:RED: person codes of the people of the addressed organisations who may read it."
    )


class RequestPatch(InputSchema):
    title: text(200, min_length=1) | None = None  # type: ignore[valid-type]
    question: text(100_000, min_length=1) | None = None  # type: ignore[valid-type]
    purpose: text(10_000, min_length=1) | None = None  # type: ignore[valid-type]
    legal_basis: LegalBasisValue | None = None  # type: ignore[valid-type]
    national_provision: text(300) | None = None  # type: ignore[valid-type]
    data_categories: list[DataCategoryValue] | None = Field(  # type: ignore[valid-type]
        None, max_length=len(DataCategory.values)
    )
    deadline: date | None = None
    recipient_partners: list[UUID] | None = Field(None, min_length=1, max_length=RECIPIENTS_MAX)


class AnswerIn(InputSchema):
    text: _text(100_000, min_length=1) = Field(description="Markdown.")  # type: ignore[valid-type]
    tlp: TLPValue | None = Field(  # type: ignore[valid-type]
        None, description="Default: the request's label, or AMBER if the request is CLEAR or GREEN."
    )


class DeclineIn(InputSchema):
    reason: text(5000, min_length=1)  # type: ignore[valid-type]


# Five Safes -------------------------------------------------------------------------------------------


class QuestionOut(Schema):
    safe: str
    title: str
    question: str
    guidance: str = ""


class QuestionSetOut(Schema):
    version: str = Field(description="New assessments are made with this version of the questions.")
    language: str
    title: str
    description: str
    questions: list[QuestionOut] = Field(description="The five safes, in order.")


class AssessmentAnswerOut(Schema):
    safe: str
    safe_label: str
    answer: str
    risk: str
    mitigations: str

    @staticmethod
    def resolve_safe_label(obj) -> str:
        return str(obj.get_safe_display())


class AssessmentOut(Schema):
    code: UUID
    title: str
    status: str
    status_label: str
    question_set: str
    requested_by: PersonRef
    decided_by: PersonRef | None
    decided_at: datetime | None
    conditions: str
    decision_note: str
    valid_until: date | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())


class AssessmentDetail(AssessmentOut):
    answers: list[AssessmentAnswerOut]
    request: UUID | None = Field(description="The information request it gates, if you may see it.")

    @staticmethod
    def resolve_answers(obj) -> list:
        order = {value: i for i, value in enumerate(Safe.values)}
        return sorted(obj.answers.all(), key=lambda a: order.get(a.safe, 99))

    @staticmethod
    def resolve_request(obj):
        return getattr(obj, "visible_request_code", None)


class AssessmentAnswerIn(InputSchema):
    answer: text(20_000, min_length=1)  # type: ignore[valid-type]
    risk: RiskValue  # type: ignore[valid-type]
    mitigations: text(20_000) = ""  # type: ignore[valid-type]


class DecisionIn(InputSchema):
    decision: DecisionValue  # type: ignore[valid-type]
    conditions: text(10_000) = Field("", description="Required to approve with conditions.")  # type: ignore[valid-type]
    note: text(10_000) = Field("", description="The reasoning; required to reject.")  # type: ignore[valid-type]
    valid_until: date | None = Field(None, description="Until when the approval holds.")


# The data-sharing register ----------------------------------------------------------------------------


class PartyOut(Schema):
    partner: UUID
    organisation: OrganisationRef
    role: str
    role_label: str
    part: str

    @staticmethod
    def resolve_partner(obj):
        return obj.partner.code

    @staticmethod
    def resolve_organisation(obj):
        return obj.partner.organisation

    @staticmethod
    def resolve_role_label(obj) -> str:
        return str(obj.get_role_display())


class FlowOut(Schema):
    code: UUID
    title: str
    purpose: str
    legal_basis: str
    national_provision: str
    data_subjects: str
    data_categories: list[str]
    retention: str
    security_measures: str
    assessment: UUID | None = Field(description="The Five Safes assessment of the flow.")
    agreement: UUID | None = Field(description="The data-sharing agreement (agreements), by its code.")
    review_on: date
    status: str
    parties: list[PartyOut]
    created_by: PersonRef
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_assessment(obj):
        return obj.assessment.code if obj.assessment_id else None

    @staticmethod
    def resolve_agreement(obj):
        return obj.agreement_code

    @staticmethod
    def resolve_parties(obj) -> list:
        return list(obj.parties.all())


class PartyIn(InputSchema):
    partner: UUID = Field(description="Partner code of an active partner.")
    role: PartyRoleValue  # type: ignore[valid-type]
    part: text(200) = Field("", description='What it does in the flow ("provides", "receives").')  # type: ignore[valid-type]


class FlowIn(InputSchema):
    title: text(200, min_length=1)  # type: ignore[valid-type]
    purpose: text(10_000, min_length=1)  # type: ignore[valid-type]
    legal_basis: LegalBasisValue  # type: ignore[valid-type]
    national_provision: text(300) = ""  # type: ignore[valid-type]
    data_subjects: text(10_000, min_length=1)  # type: ignore[valid-type]
    data_categories: list[DataCategoryValue] = Field(min_length=1, max_length=len(DataCategory.values))  # type: ignore[valid-type]
    retention: text(300, min_length=1)  # type: ignore[valid-type]
    security_measures: text(10_000, min_length=1)  # type: ignore[valid-type]
    review_on: date
    parties: list[PartyIn] = Field(min_length=1, max_length=RECIPIENTS_MAX)
    assessment: UUID | None = Field(None, description="Code of a Five Safes assessment of the partnership.")
    agreement: UUID | None = Field(None, description="Code of a data-sharing agreement of the partnership.")


class FlowPatch(InputSchema):
    title: text(200, min_length=1) | None = None  # type: ignore[valid-type]
    purpose: text(10_000, min_length=1) | None = None  # type: ignore[valid-type]
    legal_basis: LegalBasisValue | None = None  # type: ignore[valid-type]
    national_provision: text(300) | None = None  # type: ignore[valid-type]
    data_subjects: text(10_000, min_length=1) | None = None  # type: ignore[valid-type]
    data_categories: list[DataCategoryValue] | None = Field(  # type: ignore[valid-type]
        None, min_length=1, max_length=len(DataCategory.values)
    )
    retention: text(300, min_length=1) | None = None  # type: ignore[valid-type]
    security_measures: text(10_000, min_length=1) | None = None  # type: ignore[valid-type]
    review_on: date | None = None
    parties: list[PartyIn] | None = Field(None, min_length=1, max_length=RECIPIENTS_MAX)
    status: FlowStatusValue | None = Field(  # type: ignore[valid-type]
        None, description="`ended` ends the flow (it stays in the register); it cannot be reopened."
    )


class Art30PartyOut(Schema):
    organisation: str
    organisation_code: UUID
    role: str
    role_label: str
    part: str


class Art30RecordOut(Schema):
    """One active data flow as a record of processing of the organisation: Art. 30(1) when it controls the
    processing (alone or jointly), Art. 30(2) when it processes on behalf of the controllers."""

    article: str = Field(description="30(1) or 30(2).")
    code: UUID = Field(description="The data flow's code.")
    title: str
    organisation: str
    role: str
    role_label: str
    part: str
    controllers: list[str]
    other_parties: list[Art30PartyOut]
    purpose: str
    legal_basis: str
    legal_basis_label: str
    national_provision: str
    data_subjects: str
    data_categories: list[str]
    data_category_labels: list[str]
    recipients: list[str]
    retention: str
    security_measures: str
    review_on: date
    assessment_code: UUID | None
    assessment_title: str
    assessment_decision: str
    assessment_valid_until: date | None
    assessment_valid: bool
    agreement_code: UUID | None
    agreement_title: str


class Art30Out(Schema):
    organisation: OrganisationRef
    records: list[Art30RecordOut]


# Search and settings ----------------------------------------------------------------------------------


class SearchHitOut(Schema):
    kind: str
    code: UUID
    partnership: UUID
    title: str
    snippet: str = Field(description="Plain text around the match.")
    tlp: str
    created_at: datetime
    url: str = Field(description="The item's page.")


class SearchOut(Schema):
    items: list[SearchHitOut]
    has_more: bool = Field(description="More results follow: ask again with offset + limit.")


class SettingsOut(Schema):
    max_upload_mb: int = Field(description="The largest file, in MB.")
    allowed_types: list[str] = Field(description="File types allowed (pdf, image, office, text); [] all.")
    red_downloads: bool = Field(description="Whether files of TLP:RED items may be downloaded.")
    post_retention_days: int
    document_retention_days: int
    request_retention_days: int
    reminder_days: int = Field(description="Addressed organisations are reminded this many days before.")
    updated_at: datetime | None = Field(description="None while the defaults apply.")

    @staticmethod
    def resolve_updated_at(obj):
        return obj.updated_at if obj.pk else None


class SettingsIn(InputSchema):
    """Fields left out keep their value."""

    max_upload_mb: int | None = Field(None, ge=1)
    allowed_types: list[str] | None = Field(None, max_length=20)
    red_downloads: bool | None = None
    post_retention_days: int | None = Field(None, ge=0)
    document_retention_days: int | None = Field(None, ge=0)
    request_retention_days: int | None = Field(None, ge=0)
    reminder_days: int | None = Field(None, ge=0, le=365)
