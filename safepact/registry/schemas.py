"""API schemas for the registry of stolen and wanted objects: checks (single, many, batches, the own log),
alerts and their identifiers, hits, overlaps, close-identifier search, import, export and settings.

Objects are named by their UUID ``code``; times are ISO 8601 with a time zone, dates ISO 8601. Bodies refuse
unknown fields (422 naming them).

What a checking partner is told is deliberately small (``CheckOut``, ``CheckerHitOut``): hit or no hit, and
on a hit the partnership's reference, the action to take, the unit's note for the checker and the outcome.
Never the alert's description, case reference, legal basis, owning unit or other identifiers: those are in
``AlertOut``, which only law-enforcement members of the partnership receive.
"""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from ninja import Field, Schema

from safepact.accounts.schemas import ErrorOut, InputSchema, OrganisationRef, choice_of, text
from safepact.registry.models import (
    AlertStatus,
    BatchStatus,
    Category,
    CheckContext,
    HitAction,
    HitKind,
    HitStatus,
    IdentifierKind,
    OverlapStatus,
)

KindValue = choice_of(IdentifierKind)
ContextValue = choice_of(CheckContext)
CategoryValue = choice_of(Category)
AlertStatusValue = choice_of(AlertStatus)
ActionValue = choice_of(HitAction)
HitStatusValue = choice_of(HitStatus)
OverlapStatusValue = choice_of(OverlapStatus)
BatchStatusValue = choice_of(BatchStatus)
HitDecisionValue = Literal[HitStatus.CONFIRMED.value, HitStatus.REJECTED.value]  # type: ignore[valid-type]
SettableStatusValue = Literal[  # type: ignore[valid-type]
    AlertStatus.ACTIVE.value, AlertStatus.LOCATED.value, AlertStatus.WITHDRAWN.value
]
OverlapResolutionValue = Literal[  # type: ignore[valid-type]
    OverlapStatus.SAME_OBJECT.value,
    OverlapStatus.DIFFERENT_OBJECTS.value,
    OverlapStatus.DISMISSED.value,
]

#: At most this many identifiers in one ``POST /checks``.
CHECKS_MAX = 1000
#: A bound for small counters (hours, days) that the database stores as a small integer.
SMALL_MAX = 32767


def _name(user) -> str:
    return (user.full_name or user.email) if user is not None else ""


class PersonRef(Schema):
    code: UUID
    full_name: str

    @staticmethod
    def resolve_full_name(obj) -> str:
        return _name(obj)


class PartnerRef(Schema):
    """A partner of the partnership (for an alert: its owning unit)."""

    code: UUID
    organisation: OrganisationRef


class LineProblem(Schema):
    line: int = Field(description="The line of the file (the header is line 1).")
    message: str


# Checks -----------------------------------------------------------------------------------------------


class IdentifierParts(InputSchema):
    """One identifier as typed: ``kind``, ``value`` and, where the kind needs them, ``manufacturer``
    (engine, firearm, serial), ``country`` (plate, document) and ``document_type`` (document)."""

    manufacturer: text(100) = ""  # type: ignore[valid-type]
    country: text(20) = ""  # type: ignore[valid-type]
    document_type: text(32) = ""  # type: ignore[valid-type]


class CheckIn(IdentifierParts):
    kind: KindValue  # type: ignore[valid-type]
    value: text(200, min_length=1)  # type: ignore[valid-type]
    context: ContextValue = Field(  # type: ignore[valid-type]
        description="Why you check: offered_for_sale, purchase, repair, storage, insurance, registration, "
        "found, routine or other."
    )


class CheckOut(Schema):
    """The answer to a check: no hit, or a hit with the partnership's reference and the action to take. The
    fields after ``value`` are present only on a hit."""

    hit: bool
    kind: str
    value: str = Field(description="The identifier, normalised.")
    reference: str | None = Field(
        None, description="Hit: the partnership's reference, to quote to the police."
    )
    action: str | None = Field(None, description="Hit: hold, contact or report.")
    action_text: str | None = Field(None, description="Hit: what to do, in words.")
    action_note: str | None = Field(None, description="Hit: the police unit's note for you (may be empty).")
    hit_code: UUID | None = Field(None, description="Hit: the code of the hit.")
    outcome: str | None = Field(None, description="Hit: what happens next.")
    warnings: list[str] = Field(description="Validator warnings (e.g. a VIN whose check digit is off).")


class CheckItemIn(IdentifierParts):
    """One identifier of ``POST /checks``: a bad one is reported in ``errors`` by its index; the others are
    checked."""

    kind: text(16, min_length=1)  # type: ignore[valid-type]
    value: text(200)  # type: ignore[valid-type]


class ChecksIn(InputSchema):
    items: list[CheckItemIn] = Field(min_length=1, max_length=CHECKS_MAX)
    context: ContextValue  # type: ignore[valid-type]


class CheckItemOut(CheckOut):
    index: int = Field(description="The position of the identifier in ``items`` (from 0).")


class CheckItemError(Schema):
    index: int = Field(description="The position of the identifier in ``items`` (from 0).")
    field: str = Field(description="The field that is wrong: kind, value, manufacturer, country, ...")
    message: str


class ChecksOut(Schema):
    results: list[CheckItemOut]
    errors: list[CheckItemError]


class CheckLogOut(Schema):
    """One check of yours, as logged (the identifier in its normalised, kind-prefixed form)."""

    kind: str
    key: str = Field(description="The identifier as looked up: kind-prefixed and normalised.")
    context: str
    checked_at: datetime
    hit: bool
    reference: str | None = Field(
        None, description="For a check that produced a hit: the reference you were given."
    )
    hit_code: UUID | None = Field(None, description="For a check that produced a hit: the code of the hit.")
    outcome: str | None = Field(None, description="For a check that produced a hit: what happens next.")
    batch: UUID | None = Field(None, description="The batch the check came from, if any.")


# Batches ----------------------------------------------------------------------------------------------


class BatchIn(Schema):
    context: ContextValue  # type: ignore[valid-type]


class BatchOut(Schema):
    code: UUID
    file_name: str
    context: str
    status: BatchStatusValue  # type: ignore[valid-type]
    status_label: str
    total: int = Field(description="Rows in the file.")
    processed: int = Field(description="Rows checked so far.")
    hits: int
    rejected: int = Field(description="Rows that could not be checked (see ``problems``).")
    progress: int = Field(description="Per cent done.")
    uploaded_by: PersonRef | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_progress(obj) -> int:
        if obj.status == BatchStatus.DONE:
            return 100
        if not obj.total:
            return 0
        return min(100, obj.processed * 100 // obj.total)

    @staticmethod
    def resolve_uploaded_by(obj):
        return obj.user


class BatchDetail(BatchOut):
    problems: list[LineProblem] = Field(description="Rows that could not be checked (the first 1,000).")
    error: str = Field(description="Why the batch failed, if it did.")


class CheckerHitOut(Schema):
    """A hit of one of your checks, as the checking partner sees it: never the alert's details."""

    code: UUID
    batch_line: int | None = Field(description="The line of the batch file.")
    checked_value: str = Field(description="The identifier as you gave it.")
    reference: str
    action: str
    action_text: str
    action_note: str
    outcome: str
    checked_at: datetime


# Alerts and identifiers -------------------------------------------------------------------------------


class IdentifierIn(IdentifierParts):
    kind: KindValue  # type: ignore[valid-type]
    value: text(200, min_length=1)  # type: ignore[valid-type]


class IdentifierOut(Schema):
    code: UUID
    kind: str
    kind_label: str
    value: str
    manufacturer: str
    country: str
    document_type: str
    key: str = Field(description="Kind-prefixed normal form: what checks are matched against.")
    warnings: list[str]
    added_at: datetime

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())


class AlertRef(Schema):
    """An alert named inside another object."""

    code: UUID
    reference: str
    category: str
    status: str
    owner: PartnerRef


class AlertOut(Schema):
    code: UUID
    reference: str = Field(description="The partnership's reference, shown to a partner on a hit.")
    category: str
    category_label: str
    description: str
    owner: PartnerRef = Field(description="The owning unit.")
    case_reference: str
    legal_basis: str
    jurisdiction: str
    status: str
    status_label: str
    expires_on: date
    action: str
    action_text: str
    action_note: str = Field(description="Shown to a checking partner on a hit.")
    identifiers: list[IdentifierOut]
    created_by: PersonRef | None
    created_at: datetime
    updated_at: datetime
    status_changed_at: datetime
    status_note: str = Field(description="Why the status last changed (law enforcement only).")

    @staticmethod
    def resolve_category_label(obj) -> str:
        return str(obj.get_category_display())

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_action_text(obj) -> str:
        return str(obj.get_action_display())

    @staticmethod
    def resolve_identifiers(obj) -> list:
        return list(obj.identifiers.all())


class AlertIn(InputSchema):
    category: CategoryValue  # type: ignore[valid-type]
    description: text(2000, min_length=1)  # type: ignore[valid-type]
    case_reference: text(64, min_length=1)  # type: ignore[valid-type]
    legal_basis: text(300, min_length=1)  # type: ignore[valid-type]
    jurisdiction: text(2, min_length=2) = Field(  # type: ignore[valid-type]
        description="Country code (ISO 3166-1 alpha-2)."
    )
    identifiers: list[IdentifierIn] = Field(min_length=1, max_length=100)
    action: ActionValue = "hold"  # type: ignore[valid-type]
    action_note: text(300) = ""  # type: ignore[valid-type]
    expires_on: date | None = Field(None, description="Default: the partnership's alert lifetime.")


class AlertPatch(InputSchema):
    """Fields left out keep their value."""

    category: CategoryValue | None = None  # type: ignore[valid-type]
    description: text(2000, min_length=1) | None = None  # type: ignore[valid-type]
    case_reference: text(64, min_length=1) | None = None  # type: ignore[valid-type]
    legal_basis: text(300, min_length=1) | None = None  # type: ignore[valid-type]
    jurisdiction: text(2, min_length=2) | None = None  # type: ignore[valid-type]
    action: ActionValue | None = None  # type: ignore[valid-type]
    action_note: text(300) | None = None  # type: ignore[valid-type]
    expires_on: date | None = None


class AlertStatusIn(InputSchema):
    status: SettableStatusValue = Field(  # type: ignore[valid-type]
        description="located or withdrawn; active again (before the expiry date). Alerts expire by themselves."
    )
    reason: text(500) = Field(  # type: ignore[valid-type]
        "",
        description="Why (kept on the alert as status_note, which only law enforcement reads; the audit "
        "trail, read by every coordinator, records the change with the reference and the statuses only).",
    )


# Hits and overlaps ------------------------------------------------------------------------------------


class HitIdentifierRef(Schema):
    code: UUID
    kind: str
    value: str


class HitOut(Schema):
    """A hit, as the owning unit (and the partnership's law enforcement) sees it."""

    code: UUID
    kind: choice_of(HitKind) = Field(description="live (a check) or late (an earlier check, found later).")  # type: ignore[valid-type]
    status: HitStatusValue  # type: ignore[valid-type]
    status_label: str
    alert: AlertRef
    identifier: HitIdentifierRef | None
    checked_value: str
    checked_by: PersonRef | None
    checked_by_organisation: OrganisationRef | None
    context: str
    batch_line: int | None
    checked_at: datetime
    created_at: datetime
    escalated_at: datetime | None
    decided_by: PersonRef | None
    decided_at: datetime | None
    note: str = Field(description="The owning unit's note (never shown to the checking partner).")

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())


class HitDecisionIn(InputSchema):
    status: HitDecisionValue  # type: ignore[valid-type]
    note: text(2000) = ""  # type: ignore[valid-type]


class OverlapOut(Schema):
    code: UUID
    key: str = Field(description="The identifier both alerts hold.")
    status: OverlapStatusValue  # type: ignore[valid-type]
    status_label: str
    first: AlertRef
    second: AlertRef
    created_at: datetime
    resolved_by: PersonRef | None
    resolved_at: datetime | None

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())


class OverlapResolutionIn(InputSchema):
    status: OverlapResolutionValue  # type: ignore[valid-type]


# Search, import, export, settings ---------------------------------------------------------------------


class CloseMatchOut(Schema):
    distance: int = Field(description="Characters apart (after folding look-alike characters).")
    identifier: IdentifierOut
    alert: AlertRef


class SearchOut(Schema):
    items: list[CloseMatchOut]


class ImportIn(Schema):
    mapping: text(100) = Field(  # type: ignore[valid-type]
        "", description="A built-in mapping by name (e.g. `safepact`); or send a `mapping_file`."
    )
    dry_run: bool = Field(False, description="Report what would happen; store nothing.")


class ImportCounts(Schema):
    rows: int = Field(description="Data rows read.")
    created: int = Field(description="Alerts created (or that would be).")
    merged: int = Field(description="Objects made of several rows, or merged into an existing alert.")
    rejected: int = Field(description="Lines rejected.")
    identifiers: int = Field(description="Identifiers stored (or that would be).")
    overlaps: int
    late_hits: int


class ImportedObjectOut(Schema):
    line: int = Field(description="The object's first line.")
    lines: list[int]
    case_reference: str
    identifiers: int
    reference: str = Field(description="The alert's reference (empty in a dry run for a new alert).")
    into: str = Field(description="The reference of the existing alert it is merged into, if any.")
    differs: list[str] = Field(description="Fields whose values differed between the lines (first kept).")


class ImportOut(Schema):
    """What an import did (or, in a dry run, would do), by line. Lists hold at most the first 1,000."""

    file_name: str
    mapping: str
    dry_run: bool
    counts: ImportCounts
    created: list[ImportedObjectOut]
    merged: list[ImportedObjectOut]
    rejected: list[LineProblem]


class ImportRejectedOut(ErrorOut):
    """An import with a rejected line stores nothing: the report says which lines and why."""

    report: ImportOut


class SettingsOut(Schema):
    escalation_hours: int = Field(description="An unhandled hit escalates after this many hours.")
    retention_days: int = Field(description="The check log is kept this many days (late hits look back).")
    default_alert_days: int = Field(description="An alert without expiry date expires after this many days.")
    updated_at: datetime | None = Field(description="None while the defaults apply.")

    @staticmethod
    def resolve_updated_at(obj):
        return obj.updated_at if obj.pk else None


class SettingsIn(InputSchema):
    """Fields left out keep their value."""

    escalation_hours: int | None = Field(None, ge=1, le=SMALL_MAX)
    retention_days: int | None = Field(None, ge=0, le=SMALL_MAX)
    default_alert_days: int | None = Field(None, ge=1, le=SMALL_MAX)
