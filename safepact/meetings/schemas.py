"""API schemas for meetings: meetings, participants and attendance, minutes, decisions and action items,
the partnership's meeting settings, and my own meetings and calendar addresses.

Objects are named by their UUID ``code`` (people by their person code, partners by their partner code);
times are ISO 8601 with a time zone, dates ISO 8601. Bodies refuse unknown fields (422 naming them).
"""

from datetime import date, datetime
from uuid import UUID

from ninja import Field, Schema

from safepact.accounts.schemas import InputSchema, OrganisationRef, choice_of, text
from safepact.lib import clock
from safepact.lib.tlp import TLP
from safepact.meetings.models import ActionStatus, Attendance, Frequency, Kind, Response, Status

KindValue = choice_of(Kind)
StatusValue = choice_of(Status)
FrequencyValue = choice_of(Frequency)
ResponseValue = choice_of(Response)
AttendanceValue = choice_of(Attendance)
ActionStatusValue = choice_of(ActionStatus)
TLPValue = choice_of(TLP)


def _name(user) -> str:
    return (user.full_name or user.email) if user is not None else ""


class PersonRef(Schema):
    code: UUID
    full_name: str


# Meetings ---------------------------------------------------------------------------------------------


class MeetingOut(Schema):
    code: UUID
    kind: str
    kind_label: str
    title: str
    starts_at: datetime
    ends_at: datetime
    hours: float
    location: str
    online_url: str
    agenda: str = Field(description="Markdown.")
    status: str
    status_label: str
    sequence: int = Field(description="Bumped on every change (the iCalendar SEQUENCE).")
    series: UUID | None = Field(description="Code of the series of a recurring meeting.")
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
    def resolve_series(obj):
        return obj.series.code if obj.series_id else None

    @staticmethod
    def resolve_created_by(obj) -> str:
        return _name(obj.created_by)


class ParticipantOut(Schema):
    code: UUID
    person: PersonRef
    partner: UUID
    organisation: str
    response: str
    attendance: str

    @staticmethod
    def resolve_person(obj):
        return obj.user

    @staticmethod
    def resolve_partner(obj):
        return obj.partner.code

    @staticmethod
    def resolve_organisation(obj) -> str:
        return obj.partner.organisation.name


class MyParticipationOut(Schema):
    participant: UUID
    response: str
    attendance: str


class PartnershipRef(Schema):
    code: UUID
    name: str


class MyMeetingOut(MeetingOut):
    """A meeting I am invited to, in one of my partnerships."""

    partnership: PartnershipRef
    my_response: str = Field(description="Your answer to the invitation.")
    my_attendance: str = Field(description="Your attendance, once recorded.")


class MeetingDetail(MeetingOut):
    participants: list[ParticipantOut]
    me: MyParticipationOut | None = Field(description="Your invitation, if you are invited.")
    has_minutes: bool = Field(description="Minutes exist and you may read them.")
    minutes_withheld: bool = Field(description="Minutes exist, but their TLP label keeps them from you.")
    decisions: int
    action_items: int


class MeetingIn(InputSchema):
    kind: KindValue = Kind.PLENARY  # type: ignore[valid-type]
    title: text(200, min_length=1)  # type: ignore[valid-type]
    starts_at: datetime
    ends_at: datetime
    location: text(300) = ""  # type: ignore[valid-type]
    online_url: text(500) = Field("", description="Required for online meetings.")  # type: ignore[valid-type]
    agenda: text(20000) = Field("", description="Markdown: one item per line.")  # type: ignore[valid-type]
    invitees: list[UUID] | None = Field(
        None, max_length=1000, description="Member codes; default: every active member."
    )
    frequency: FrequencyValue | None = Field(  # type: ignore[valid-type]
        None, description="For a recurring meeting (with count > 1)."
    )
    count: int = Field(1, ge=1, le=52, description="How many meetings the series holds (1: a single one).")


class MeetingPatch(InputSchema):
    kind: KindValue | None = None  # type: ignore[valid-type]
    title: text(200, min_length=1) | None = None  # type: ignore[valid-type]
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    location: text(300) | None = None  # type: ignore[valid-type]
    online_url: text(500) | None = None  # type: ignore[valid-type]
    agenda: text(20000) | None = None  # type: ignore[valid-type]


class InviteesIn(InputSchema):
    invitees: list[UUID] = Field(
        min_length=1,
        max_length=1000,
        description="Member codes of active members; people already invited are skipped.",
    )


class CancelIn(InputSchema):
    reason: text(2000) = ""  # type: ignore[valid-type]


class ResponseIn(InputSchema):
    response: ResponseValue  # type: ignore[valid-type]


class AttendanceItem(InputSchema):
    participant: UUID = Field(description="Code of a participant of this meeting.")
    attendance: AttendanceValue  # type: ignore[valid-type]


class AttendanceIn(InputSchema):
    attendance: list[AttendanceItem] = Field(max_length=1000)


# Minutes ----------------------------------------------------------------------------------------------


class MinutesOut(Schema):
    code: UUID
    tlp: str
    text: str = Field(description="Markdown.")
    recipient_organisations: list[OrganisationRef]
    recipient_people: list[PersonRef]
    created_by: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_recipient_organisations(obj) -> list:
        return list(obj.recipient_organisations.all())

    @staticmethod
    def resolve_recipient_people(obj) -> list:
        return list(obj.recipient_people.all())

    @staticmethod
    def resolve_created_by(obj) -> str:
        return _name(obj.created_by)


class MinutesIn(InputSchema):
    text: text(200_000, min_length=1)  # type: ignore[valid-type]
    tlp: TLPValue = TLP.GREEN  # type: ignore[valid-type]
    recipient_organisations: list[UUID] = Field(
        default_factory=list,
        max_length=500,
        description="Codes of partner organisations (TLP:AMBER, AMBER+STRICT).",
    )
    recipient_people: list[UUID] = Field(
        default_factory=list, max_length=500, description="Person codes of active members (TLP:RED)."
    )


# Decisions and action items ---------------------------------------------------------------------------


class DecisionOut(Schema):
    code: UUID
    text: str
    created_by: str
    created_at: datetime

    @staticmethod
    def resolve_created_by(obj) -> str:
        return _name(obj.created_by)


class DecisionIn(InputSchema):
    text: text(5000, min_length=1)  # type: ignore[valid-type]


class ActionItemOut(Schema):
    code: UUID
    title: str
    meeting: UUID
    meeting_title: str
    owner_partner: UUID
    owner_organisation: str
    owner_person: PersonRef | None
    due_date: date
    status: str
    status_label: str
    overdue: bool = Field(description="Open and past its due date.")
    done_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_meeting(obj):
        return obj.meeting.code

    @staticmethod
    def resolve_meeting_title(obj) -> str:
        return obj.meeting.title

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
        return obj.status == ActionStatus.OPEN and obj.due_date < clock.today()


class ActionItemIn(InputSchema):
    title: text(300, min_length=1)  # type: ignore[valid-type]
    owner_partner: UUID = Field(description="Code of an active partner of the partnership.")
    owner_person: UUID | None = Field(
        None, description="Person code of an active member through that partner."
    )
    due_date: date


class ActionItemPatch(InputSchema):
    status: ActionStatusValue  # type: ignore[valid-type]


# Settings and calendar addresses ----------------------------------------------------------------------


class MeetingsSettingsOut(Schema):
    monthly_hours_limit: float = Field(
        description="Meeting hours a month one person can give; above it the meeting-load warning shows."
    )
    updated_at: datetime | None = Field(description="None while the defaults apply.")

    @staticmethod
    def resolve_monthly_hours_limit(obj) -> float:
        return float(obj.monthly_hours_limit)

    @staticmethod
    def resolve_updated_at(obj):
        return obj.updated_at if obj.pk else None


class MeetingsSettingsIn(InputSchema):
    monthly_hours_limit: float = Field(
        ge=0.5, le=744, description="Hours a month, between 0.5 and 744 (rounded to one decimal)."
    )


class CalendarFeedOut(Schema):
    """One of my secret calendar addresses, without the address itself (it is shown once, when made)."""

    code: UUID
    partnership: PartnershipRef | None = Field(
        description="The partnership whose meetings it carries; None: every meeting you are invited to."
    )
    created_at: datetime
    last_used_at: datetime | None = Field(description="When a calendar program last fetched it.")


class CalendarFeedNew(CalendarFeedOut):
    url: str = Field(
        description="The secret calendar address (iCalendar) to give your calendar program. Shown this "
        "once: SafePact keeps only a hash of it. Making a new one turns the old address off."
    )


class CalendarFeedIn(InputSchema):
    partnership: UUID | None = Field(
        None,
        description="Code of one of your partnerships for an address with all its meetings; none for your "
        "personal address (every meeting you are invited to).",
    )
