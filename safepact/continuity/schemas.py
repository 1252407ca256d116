"""API schemas for continuity: the signals, the action plan's activities, progress reports and their
sections, the report schedule, resource commitments and their actual use, and the warning thresholds.

Objects are named by their UUID ``code`` (partners by their partner code, objectives by theirs); dates are
ISO 8601; amounts are decimals. Bodies refuse unknown fields (422 naming them).
"""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from ninja import Field, Schema

from safepact.accounts.schemas import InputSchema, choice_of, text
from safepact.continuity.models import (
    CLOSED_ACTIVITY,
    ActivityStatus,
    Frequency,
    ReportStatus,
    ResourceKind,
)
from safepact.lib import clock

ActivityStatusValue = choice_of(ActivityStatus)
FrequencyValue = choice_of(Frequency)
ReportStatusValue = choice_of(ReportStatus)
ResourceKindValue = choice_of(ResourceKind)


def _name(user) -> str:
    return (user.full_name or user.email) if user is not None else ""


# Signals ----------------------------------------------------------------------------------------------


class EvidenceOut(Schema):
    text: str
    url: str = ""


class SignalOut(Schema):
    key: str = Field(
        description="engagement, meeting_load, meeting_rhythm, overdue_actions, overdue_reports, "
        "funding_runway, underspend or agreements"
    )
    level: str = Field(description="ok, warning or danger")
    title: str
    summary: str
    evidence: list[EvidenceOut]
    trend: str = Field(description="better, worse or same than 30 days ago")
    now_value: float | None = None
    before_value: float | None = Field(None, description="The same measure 30 days ago.")
    suggestion: str = ""


class PartnerEngagementOut(Schema):
    partner: UUID
    organisation: str
    last_attended: date | None = None
    attendance_rate: float | None = Field(None, description="Share of invitations attended (0 to 1).")
    reports_delivered: int = 0
    reports_due: int = 0
    actions_done: int = 0
    actions_open: int = 0
    last_participation: date | None = Field(
        None, description="Latest of: attended a meeting, submitted a section, finished an action."
    )
    drifting: bool = Field(False, description="Has not taken part for longer than the warning threshold.")


class PersonLoadOut(Schema):
    name: str
    hours: float
    meetings: int


class RhythmOut(Schema):
    last_held: date | None = None
    next_planned: date | None = None
    held_90: int = Field(0, description="Meetings held in the last 90 days.")
    planned_90: int = Field(0, description="Meetings planned in the next 90 days.")
    kinds_90: dict[str, int] = Field(default_factory=dict)


class ContinuityOut(Schema):
    on: date
    signals: list[SignalOut]
    partners: list[PartnerEngagementOut]
    load: list[PersonLoadOut] = Field(description="Meeting hours per person this month.")
    monthly_hours_limit: float | None = Field(None, description="Meeting hours a month one person can give.")
    rhythm: RhythmOut | None = None


# Activities -------------------------------------------------------------------------------------------


class ActivityOut(Schema):
    code: UUID
    title: str
    description: str
    objective: UUID | None = Field(description="Code of the formation objective it serves.")
    objective_title: str
    owner_partner: UUID
    owner_organisation: str
    start_date: date
    due_date: date
    status: str
    status_label: str
    overdue: bool = Field(description="Not done or cancelled, and past its due date.")
    done_at: datetime | None
    depends_on: list[UUID] = Field(description="Codes of the activities this one waits for.")
    created_by: str
    created_at: datetime

    @staticmethod
    def resolve_objective(obj):
        return obj.objective.code if obj.objective_id else None

    @staticmethod
    def resolve_objective_title(obj) -> str:
        return obj.objective.title if obj.objective_id else ""

    @staticmethod
    def resolve_owner_partner(obj):
        return obj.owner_partner.code

    @staticmethod
    def resolve_owner_organisation(obj) -> str:
        return obj.owner_partner.organisation.name

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return obj.status not in CLOSED_ACTIVITY and obj.due_date < clock.today()

    @staticmethod
    def resolve_depends_on(obj) -> list:
        return [other.code for other in obj.depends_on.all()]

    @staticmethod
    def resolve_created_by(obj) -> str:
        return _name(obj.created_by)


class ActivityIn(InputSchema):
    title: text(200, min_length=1)  # type: ignore[valid-type]
    description: text(20000) = ""  # type: ignore[valid-type]
    objective: UUID | None = Field(None, description="Code of one of the partnership's objectives.")
    owner_partner: UUID = Field(description="Code of an active partner of the partnership.")
    start_date: date
    due_date: date
    depends_on: list[UUID] = Field(
        default_factory=list, max_length=200, description="Codes of other activities of the plan."
    )


class ActivityPatch(InputSchema):
    """Coordinators change anything; members of the owner partner only the ``status``."""

    title: text(200, min_length=1) | None = None  # type: ignore[valid-type]
    description: text(20000) | None = None  # type: ignore[valid-type]
    objective: UUID | None = None
    owner_partner: UUID | None = None
    start_date: date | None = None
    due_date: date | None = None
    depends_on: list[UUID] | None = Field(None, max_length=200)
    status: ActivityStatusValue | None = None  # type: ignore[valid-type]


# Reports ----------------------------------------------------------------------------------------------


class ReportOut(Schema):
    code: UUID
    period_start: date
    period_end: date
    due_date: date = Field(description="Deadline for the partners' sections.")
    status: str
    status_label: str
    sections_submitted: int
    sections_total: int
    signed_off_by: str
    signed_off_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_sections_submitted(obj) -> int:
        return getattr(obj, "section_submitted", 0)

    @staticmethod
    def resolve_sections_total(obj) -> int:
        return getattr(obj, "section_total", 0)

    @staticmethod
    def resolve_signed_off_by(obj) -> str:
        return _name(obj.signed_off_by)


class SectionOut(Schema):
    code: UUID
    partner: UUID
    organisation: str
    activities_done: str
    outputs: str
    problems: str
    next_steps: str
    hours_used: Decimal
    money_used: Decimal
    submitted: bool
    submitted_at: datetime | None
    submitted_by: str
    updated_at: datetime

    @staticmethod
    def resolve_partner(obj):
        return obj.partner.code

    @staticmethod
    def resolve_organisation(obj) -> str:
        return obj.partner.organisation.name

    @staticmethod
    def resolve_submitted(obj) -> bool:
        return obj.submitted_at is not None

    @staticmethod
    def resolve_submitted_by(obj) -> str:
        return _name(obj.submitted_by)


class ReportDetail(ReportOut):
    summary: str = Field(description="The coordinator's summary (Markdown).")
    sections: list[SectionOut]
    missing: list[str] = Field(description="Organisations whose section is not submitted yet.")

    @staticmethod
    def resolve_sections(obj) -> list:
        return obj.sections_out

    @staticmethod
    def resolve_missing(obj) -> list:
        return obj.missing_out


class SectionPatch(InputSchema):
    activities_done: text(20000) | None = None  # type: ignore[valid-type]
    outputs: text(20000) | None = None  # type: ignore[valid-type]
    problems: text(20000) | None = None  # type: ignore[valid-type]
    next_steps: text(20000) | None = None  # type: ignore[valid-type]
    hours_used: Decimal | None = Field(None, ge=0, max_digits=8, decimal_places=1)
    money_used: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    submit: bool = Field(False, description="Submit the section (it stays editable until sign-off).")


class SignOffIn(InputSchema):
    summary: text(20000, min_length=1)  # type: ignore[valid-type]


class ScheduleOut(Schema):
    exists: bool = Field(description="false until a coordinator sets the schedule.")
    frequency: str | None = None
    starts_on: date | None = None
    days_to_contribute: int | None = None
    remind_days_before: int | None = None
    active: bool = False


class ScheduleIn(InputSchema):
    frequency: FrequencyValue  # type: ignore[valid-type]
    starts_on: date = Field(description="The first day of the first period.")
    days_to_contribute: int = Field(14, ge=1, le=365)
    remind_days_before: int = Field(3, ge=0, le=365)
    active: bool = True


# Resources --------------------------------------------------------------------------------------------


class CommitmentOut(Schema):
    code: UUID
    partner: UUID
    organisation: str
    kind: str
    kind_label: str
    amount: Decimal = Field(description="Hours a month, people, or euros in total (funding).")
    source: str
    starts_on: date
    ends_on: date | None
    note: str
    used: Decimal = Field(description="Everything recorded as actually used so far.")
    created_by: str
    created_at: datetime

    @staticmethod
    def resolve_partner(obj):
        return obj.partner.code

    @staticmethod
    def resolve_organisation(obj) -> str:
        return obj.partner.organisation.name

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_used(obj):
        return getattr(obj, "used_total", None) or Decimal(0)

    @staticmethod
    def resolve_created_by(obj) -> str:
        return _name(obj.created_by)


class CommitmentIn(InputSchema):
    partner: UUID = Field(description="Code of the partner that commits (members: their own).")
    kind: ResourceKindValue  # type: ignore[valid-type]
    amount: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    starts_on: date
    ends_on: date | None = None
    source: text(200) = Field("", description="For funding: who pays.")  # type: ignore[valid-type]
    note: text(300) = ""  # type: ignore[valid-type]


class CommitmentPatch(InputSchema):
    """The partner and the kind stay: add a new commitment instead."""

    amount: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    starts_on: date | None = None
    ends_on: date | None = None
    source: text(200) | None = None  # type: ignore[valid-type]
    note: text(300) | None = None  # type: ignore[valid-type]


class ActualOut(Schema):
    code: UUID
    month: date = Field(description="The first day of the month.")
    amount: Decimal
    note: str
    reported_by: str
    reported_at: datetime

    @staticmethod
    def resolve_reported_by(obj) -> str:
        return _name(obj.reported_by)


class ActualIn(InputSchema):
    month: date = Field(description="Any day of the month (stored as its first day).")
    amount: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    note: text(300) = ""  # type: ignore[valid-type]


class SettingsOut(Schema):
    disengagement_days: int
    runway_warning_days: int
    underspend_percent: int
    meeting_gap_days: int


class SettingsIn(InputSchema):
    disengagement_days: int = Field(ge=1, le=3650)
    runway_warning_days: int = Field(ge=1, le=3650)
    underspend_percent: int = Field(ge=0, le=100)
    meeting_gap_days: int = Field(ge=1, le=3650)
