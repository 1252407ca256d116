"""Writes for meetings: scheduling (single or recurring), invitations and answers, attendance, minutes
with a TLP label, decisions, action items, settings and calendar addresses.

Every service is keyword-only and atomic, re-checks the actor's scope inside the transaction (404/403),
refuses bad input with a ``ValidationError`` naming the field, and writes an audit event in the same
transaction. Minutes text never goes into the audit trail or a notification title (the trail is read by
every coordinator, not every coordinator may read AMBER or RED minutes).
"""

import secrets
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepact.accounts.models import hash_token
from safepact.audit.selectors import register_action_labels
from safepact.audit.services import audit_record, audit_record_changes
from safepact.lib import clock
from safepact.lib.tlp import TLP
from safepact.meetings import permissions
from safepact.meetings.ical import meeting_path
from safepact.meetings.models import (
    ActionItem,
    ActionStatus,
    Attendance,
    CalendarFeed,
    Decision,
    Frequency,
    Kind,
    Meeting,
    MeetingsSettings,
    Minutes,
    Participant,
    Response,
    Series,
    Status,
)
from safepact.notifications.services import notify
from safepact.partnerships.models import Membership, MembershipStatus, Partnership, PartnerStatus
from safepact.partnerships.selectors import ACTIVE_MEMBERSHIP, get_partnership_for_user
from safepact.partnerships.tlp import may_see

MAX_COUNT = 52
TITLE_MAX = 200
TEXT_MAX = 50_000
DECISION_MAX = 5_000
STEPS = {
    Frequency.WEEKLY: relativedelta(weeks=1),
    Frequency.FORTNIGHTLY: relativedelta(weeks=2),
    Frequency.MONTHLY: relativedelta(months=1),
    Frequency.QUARTERLY: relativedelta(months=3),
}
#: Dates outside these years are refused: near the ends of the calendar, shifting a date (local time, the
#: next meeting of a series, a month's bounds) overflows into a server error on every page that shows it.
FIRST_YEAR, LAST_YEAR = 2000, 2100
MEETING_FIELDS = ("kind", "title", "starts_at", "ends_at", "location", "online_url", "agenda")
#: Changes participants are told about.
NOTIFIED_FIELDS = ("starts_at", "ends_at", "location", "online_url")


def register() -> None:
    from safepact.partnerships import hooks

    register_action_labels(
        {
            "meetings.meeting.created": gettext_lazy("Meeting scheduled"),
            "meetings.series.created": gettext_lazy("Recurring meetings scheduled"),
            "meetings.meeting.updated": gettext_lazy("Meeting changed"),
            "meetings.meeting.cancelled": gettext_lazy("Meeting cancelled"),
            "meetings.participant.invited": gettext_lazy("People invited to a meeting"),
            "meetings.participant.responded": gettext_lazy("Invitation answered"),
            "meetings.attendance.recorded": gettext_lazy("Attendance recorded"),
            "meetings.minutes.saved": gettext_lazy("Minutes saved"),
            "meetings.decision.added": gettext_lazy("Decision recorded"),
            "meetings.decision.deleted": gettext_lazy("Decision removed"),
            "meetings.action.created": gettext_lazy("Action item added"),
            "meetings.action.status_changed": gettext_lazy("Action item status changed"),
            "meetings.settings.changed": gettext_lazy("Meeting settings changed"),
            "meetings.calendar_feed.reset": gettext_lazy("Calendar address reset"),
        },
        {
            "meetings": gettext_lazy("Meetings"),
            "meetings.meeting": gettext_lazy("Meetings"),
            "meetings.series": gettext_lazy("Meetings"),
            "meetings.participant": gettext_lazy("Invitations"),
            "meetings.attendance": gettext_lazy("Attendance"),
            "meetings.minutes": gettext_lazy("Minutes"),
            "meetings.decision": gettext_lazy("Decisions"),
            "meetings.action": gettext_lazy("Action items"),
            "meetings.settings": gettext_lazy("Meeting settings"),
            "meetings.calendar_feed": gettext_lazy("Calendar addresses"),
        },
    )
    hooks.register_section(gettext_lazy("Meetings"), "meetings:list")
    from safepact.meetings.demo import meetings_demo

    hooks.register_demo(meetings_demo)


# Helpers -------------------------------------------------------------------------------------------


def _scope(actor, partnership: Partnership, *, write: bool = False, manage: bool = False) -> Partnership:
    return get_partnership_for_user(actor, partnership.code, write=write, manage=manage)


def _lock_meeting(actor, meeting: Meeting, *, write: bool = False, manage: bool = False) -> Meeting:
    """Re-check the actor's scope, then lock and re-read the meeting (it may have moved meanwhile)."""
    partnership = get_partnership_for_user(actor, meeting.partnership.code, write=write, manage=manage)
    locked = Meeting.objects.select_for_update().filter(pk=meeting.pk, partnership=partnership).first()
    if locked is None:
        from django.http import Http404

        raise Http404(_("Meeting not found."))
    locked.partnership = partnership
    return locked


def _aware(value, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError({name: _("Enter a date and time.")})
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError({name: _out_of_range()})
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    return value


def _out_of_range() -> str:
    return _("Enter a date between %(first)s and %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR}


def _snapshot(meeting: Meeting) -> dict:
    return {
        "kind": meeting.kind,
        "title": meeting.title,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "location": meeting.location,
        "online_url": meeting.online_url,
        "agenda_characters": len(meeting.agenda),
        "status": meeting.status,
    }


def _clean_meeting(values: dict) -> dict:
    """Validate and normalise the fields of a meeting (all of ``MEETING_FIELDS`` present)."""
    errors = {}
    cleaned = dict(values)
    if values["kind"] not in Kind.values:
        errors["kind"] = _("Choose one of the kinds of meeting.")
    title = (values["title"] or "").strip()
    if not title:
        errors["title"] = _("Give the meeting a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("The title can be at most %(max)s characters.") % {"max": TITLE_MAX}
    cleaned["title"] = title
    for name in ("starts_at", "ends_at"):
        try:
            cleaned[name] = _aware(values[name], name)
        except ValidationError as error:
            errors.update(error.message_dict)
    if "starts_at" not in errors and "ends_at" not in errors and cleaned["ends_at"] <= cleaned["starts_at"]:
        errors["ends_at"] = _("The meeting must end after it starts.")
    location = (values["location"] or "").strip()
    if len(location) > 300:
        errors["location"] = _("The place can be at most 300 characters.")
    cleaned["location"] = location
    online_url = (values["online_url"] or "").strip()
    if online_url:
        try:
            URLValidator(schemes=["https", "http"])(online_url)
        except ValidationError:
            errors["online_url"] = _("Enter a web address starting with https://.")
        if len(online_url) > 500:
            errors["online_url"] = _("The link can be at most 500 characters.")
    elif values["kind"] == Kind.ONLINE:
        errors["online_url"] = _("An online meeting needs a link to join.")
    cleaned["online_url"] = online_url
    agenda = values["agenda"] or ""
    if len(agenda) > TEXT_MAX:
        errors["agenda"] = _("The agenda can be at most %(max)s characters.") % {"max": TEXT_MAX}
    cleaned["agenda"] = agenda.strip()
    if errors:
        raise ValidationError(errors)
    return cleaned


def _active_memberships(partnership: Partnership):
    return Membership.objects.filter(
        ACTIVE_MEMBERSHIP, partner__partnership=partnership, user__is_active=True
    )


def _clean_invitees(partnership: Partnership, invitees) -> list[Membership]:
    """Active memberships of this partnership, one per person (the first given wins)."""
    if invitees is None:
        memberships = list(_active_memberships(partnership).select_related("user").order_by("id"))
    else:
        given = list(invitees)
        if any(not isinstance(m, Membership) for m in given):
            raise ValidationError({"invitees": _("Invite members of this partnership.")})
        allowed = set(_active_memberships(partnership).values_list("pk", flat=True))
        if any(m.pk not in allowed for m in given):
            raise ValidationError({"invitees": _("Invite only active members of this partnership.")})
        memberships = given
    unique, seen = [], set()
    for membership in memberships:
        if membership.user_id not in seen:
            seen.add(membership.user_id)
            unique.append(membership)
    return unique


def _people(participants) -> list:
    return [p.user for p in participants]


def _notify(*, recipients, kind: str, title: str, meeting: Meeting, body: str = "", tlp: str = TLP.GREEN):
    recipients = [r for r in recipients if r is not None]
    if recipients:
        notify(
            recipients=recipients,
            kind=kind,
            title=title,
            url=meeting_path(meeting),
            body=body,
            tlp=tlp,
            partnership=meeting.partnership,
        )


def _participants(meeting: Meeting, *, exclude=None) -> list:
    """The invited people who are still active members of the partnership (who left is not told)."""
    members = _active_memberships(meeting.partnership).values("user_id")
    invited = meeting.participants.filter(user_id__in=members).select_related("user").order_by("id")
    users = [p.user for p in invited]
    return [u for u in users if exclude is None or u.pk != exclude.pk]


# Meetings ------------------------------------------------------------------------------------------


@transaction.atomic
def meeting_create(
    *,
    actor,
    partnership: Partnership,
    kind: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    location: str = "",
    online_url: str = "",
    agenda: str = "",
    invitees=None,
    frequency: str | None = None,
    count: int = 1,
) -> Meeting:
    """Schedule a meeting (coordinators), or ``count`` meetings repeating with ``frequency`` (a series).

    ``invitees``: active memberships of this partnership (None: every active member). Each invited person
    takes part through the partner of their membership. Returns the first meeting; the invitees are told.
    """
    partnership = _scope(actor, partnership, manage=True)
    values = _clean_meeting(
        {
            "kind": kind,
            "title": title,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "location": location,
            "online_url": online_url,
            "agenda": agenda,
        }
    )
    try:
        count = int(count)
    except (TypeError, ValueError):
        raise ValidationError({"count": _("Enter a whole number of meetings.")}) from None
    if not 1 <= count <= MAX_COUNT:
        raise ValidationError({"count": _("Schedule between 1 and %(max)s meetings.") % {"max": MAX_COUNT}})
    frequency = frequency or None
    if frequency is not None and frequency not in Frequency.values:
        raise ValidationError({"frequency": _("Choose how often the meeting repeats.")})
    if count > 1 and frequency is None:
        raise ValidationError({"frequency": _("Choose how often the meeting repeats.")})
    memberships = _clean_invitees(partnership, invitees)

    series = None
    if count > 1:
        series = Series.objects.create(
            partnership=partnership, frequency=frequency, count=count, created_by=actor
        )
    local_start = timezone.localtime(values["starts_at"])
    duration = values["ends_at"] - values["starts_at"]
    tz = timezone.get_current_timezone()
    now = clock.now()
    meetings = []
    for index in range(count):
        if index == 0:
            start = values["starts_at"]
        else:
            naive = local_start.replace(tzinfo=None) + STEPS[frequency] * index
            start = timezone.make_aware(naive, tz)
        meeting = Meeting(
            partnership=partnership,
            series=series,
            kind=values["kind"],
            title=values["title"],
            starts_at=start,
            ends_at=start + duration,
            location=values["location"],
            online_url=values["online_url"],
            agenda=values["agenda"],
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        meeting.full_clean(exclude=["partnership", "series", "created_by", "code"])
        meeting.save()
        meetings.append(meeting)
    Participant.objects.bulk_create(
        [
            Participant(meeting=meeting, user_id=m.user_id, partner_id=m.partner_id, invited_at=now)
            for meeting in meetings
            for m in memberships
        ]
    )
    first = meetings[0]
    invited = [m.user.email for m in memberships]
    if series is None:
        audit_record(
            actor=actor,
            action="meetings.meeting.created",
            target=first,
            partnership=partnership,
            after={**_snapshot(first), "invitees": invited},
        )
    else:
        audit_record(
            actor=actor,
            action="meetings.series.created",
            target=series,
            partnership=partnership,
            after={
                **_snapshot(first),
                "frequency": frequency,
                "count": count,
                "meetings": [str(m.code) for m in meetings],
                "invitees": invited,
            },
        )
    recipients = [m.user for m in memberships if m.user_id != actor.pk]
    if series is None:
        notice = _("Invitation: %(title)s") % {"title": first.title}
    else:
        notice = _("Invitation: %(title)s (%(count)s meetings)") % {"title": first.title, "count": count}
    _notify(recipients=recipients, kind="meetings.invited", title=notice, meeting=first)
    return first


@transaction.atomic
def meeting_update(*, actor, meeting: Meeting, **changes) -> Meeting:
    """Change a meeting (coordinators). Bumps ``sequence`` (calendars replace their copy) and tells the
    participants when its time or place changed."""
    unknown = sorted(set(changes) - set(MEETING_FIELDS))
    if unknown:
        raise ValidationError({unknown[0]: _("This field cannot be changed.")})
    meeting = _lock_meeting(actor, meeting, manage=True)
    if meeting.status == Status.CANCELLED:
        raise ValidationError({"status": _("A cancelled meeting cannot be changed.")})
    before = _snapshot(meeting)
    values = _clean_meeting({name: changes.get(name, getattr(meeting, name)) for name in MEETING_FIELDS})
    changed = [name for name in MEETING_FIELDS if values[name] != getattr(meeting, name)]
    if not changed:
        return meeting
    for name in changed:
        setattr(meeting, name, values[name])
    meeting.sequence += 1
    meeting.updated_at = clock.now()
    meeting.save()
    audit_record_changes(
        actor=actor,
        action="meetings.meeting.updated",
        target=meeting,
        partnership=meeting.partnership,
        before=before,
        after=_snapshot(meeting),
    )
    if set(changed) & set(NOTIFIED_FIELDS):
        _notify(
            recipients=_participants(meeting, exclude=actor),
            kind="meetings.changed",
            title=_("Meeting changed: %(title)s") % {"title": meeting.title},
            meeting=meeting,
        )
    return meeting


@transaction.atomic
def meeting_cancel(*, actor, meeting: Meeting, reason: str = "") -> Meeting:
    meeting = _lock_meeting(actor, meeting, manage=True)
    if meeting.status == Status.CANCELLED:
        raise ValidationError({"status": _("This meeting is already cancelled.")})
    if meeting.status == Status.HELD:
        raise ValidationError({"status": _("This meeting has been held; it can no longer be cancelled.")})
    reason = (reason or "").strip()
    if len(reason) > 1000:
        raise ValidationError({"reason": _("The reason can be at most 1000 characters.")})
    meeting.status = Status.CANCELLED
    meeting.sequence += 1
    meeting.updated_at = clock.now()
    meeting.save(update_fields=["status", "sequence", "updated_at"])
    audit_record(
        actor=actor,
        action="meetings.meeting.cancelled",
        target=meeting,
        partnership=meeting.partnership,
        before={"status": Status.SCHEDULED},
        after={"status": Status.CANCELLED},
        reason=reason,
    )
    _notify(
        recipients=_participants(meeting, exclude=actor),
        kind="meetings.cancelled",
        title=_("Meeting cancelled: %(title)s") % {"title": meeting.title},
        body=reason,
        meeting=meeting,
    )
    return meeting


# Invitations ---------------------------------------------------------------------------------------


@transaction.atomic
def participant_respond(*, actor, participant: Participant, response: str) -> Participant:
    """Answer my own invitation (every active member, viewers included) before the meeting ends."""
    meeting = _lock_meeting(actor, participant.meeting)
    permissions.ensure_can_respond(meeting.partnership.membership, participant)
    participant = Participant.objects.select_for_update().get(pk=participant.pk, meeting=meeting)
    if response not in (Response.ACCEPTED, Response.DECLINED):
        raise ValidationError({"response": _("Answer that you will come or that you cannot come.")})
    if meeting.status == Status.CANCELLED:
        raise ValidationError({"response": _("This meeting is cancelled.")})
    if meeting.ends_at <= clock.now():
        raise ValidationError({"response": _("This meeting is over.")})
    before = participant.response
    if before == response:
        participant.meeting = meeting
        return participant
    participant.response = response
    participant.save(update_fields=["response"])
    audit_record(
        actor=actor,
        action="meetings.participant.responded",
        target=meeting,
        partnership=meeting.partnership,
        before={"response": before},
        after={"response": response},
    )
    participant.meeting = meeting
    return participant


@transaction.atomic
def invitees_add(*, actor, meeting: Meeting, memberships) -> list[Participant]:
    """Invite more members (coordinators); people already invited are skipped. The new ones are told."""
    meeting = _lock_meeting(actor, meeting, manage=True)
    if meeting.status == Status.CANCELLED:
        raise ValidationError({"invitees": _("This meeting is cancelled.")})
    wanted = _clean_invitees(meeting.partnership, memberships or [])
    invited = set(meeting.participants.values_list("user_id", flat=True))
    new = [m for m in wanted if m.user_id not in invited]
    if not new:
        return []
    now = clock.now()
    created = Participant.objects.bulk_create(
        [
            Participant(meeting=meeting, user_id=m.user_id, partner_id=m.partner_id, invited_at=now)
            for m in new
        ]
    )
    meeting.sequence += 1
    meeting.updated_at = now
    meeting.save(update_fields=["sequence", "updated_at"])
    audit_record(
        actor=actor,
        action="meetings.participant.invited",
        target=meeting,
        partnership=meeting.partnership,
        after={"invitees": [m.user.email for m in new]},
    )
    _notify(
        recipients=[m.user for m in new if m.user_id != actor.pk],
        kind="meetings.invited",
        title=_("Invitation: %(title)s") % {"title": meeting.title},
        meeting=meeting,
    )
    return created


# Attendance ----------------------------------------------------------------------------------------


@transaction.atomic
def attendance_record(*, actor, meeting: Meeting, attendance: dict) -> Meeting:
    """Record who came (coordinators), once the meeting has started. ``attendance`` maps participant codes
    to ``Attendance`` values; participants not named keep what they had. Marks the meeting held."""
    meeting = _lock_meeting(actor, meeting, manage=True)
    if meeting.status == Status.CANCELLED:
        raise ValidationError({"attendance": _("This meeting is cancelled.")})
    if meeting.starts_at > clock.now():
        raise ValidationError({"attendance": _("The meeting has not started yet.")})
    participants = {str(p.code): p for p in meeting.participants.select_related("user")}
    wanted = {}
    for code, value in (attendance or {}).items():
        key = str(code)
        if key not in participants:
            raise ValidationError({"attendance": _("Record attendance only for the people invited.")})
        if value not in Attendance.values:
            raise ValidationError({"attendance": _("Choose in person, online or absent.")})
        wanted[key] = value
    before, after, changed = {}, {}, []
    for key, value in wanted.items():
        participant = participants[key]
        if participant.attendance != value:
            before[participant.user.email] = participant.attendance
            after[participant.user.email] = value
            participant.attendance = value
            changed.append(participant)
    if changed:
        Participant.objects.bulk_update(changed, ["attendance"])
    old_status = meeting.status
    if meeting.status == Status.SCHEDULED:
        meeting.status = Status.HELD
        meeting.updated_at = clock.now()
        meeting.save(update_fields=["status", "updated_at"])
    if changed or old_status != meeting.status:
        audit_record(
            actor=actor,
            action="meetings.attendance.recorded",
            target=meeting,
            partnership=meeting.partnership,
            before={"status": old_status, "attendance": before},
            after={"status": meeting.status, "attendance": after},
        )
    return meeting


# Minutes and decisions -----------------------------------------------------------------------------


def _minutes_snapshot(minutes: Minutes) -> dict:
    return {
        "tlp": minutes.tlp,
        "recipient_organisations": sorted(o.name for o in minutes.recipient_organisations.all()),
        "recipient_people": sorted(p.email for p in minutes.recipient_people.all()),
        "characters": len(minutes.text),
    }


def _clean_label(actor, partnership, minutes, tlp, organisations, people) -> dict:
    """TLP label rules for minutes: AMBER/AMBER+STRICT need recipient organisations among the active
    partners, RED recipient people among the active members; a writer cannot lock themselves out."""
    errors = {}
    if tlp not in TLP.values:
        errors["tlp"] = _("Choose a TLP label: clear, green, amber, amber+strict or red.")
        raise ValidationError(errors)
    label = TLP(tlp)
    mine = _active_memberships(partnership).filter(user=actor)
    if label in (TLP.AMBER, TLP.AMBER_STRICT):
        allowed = set(
            partnership.partners.filter(status=PartnerStatus.ACTIVE).values_list("organisation_id", flat=True)
        )
        own = set(mine.values_list("partner__organisation_id", flat=True))
        if not organisations:
            errors["recipient_organisations"] = _(
                "Name at least one recipient organisation for %(label)s."
            ) % {"label": label.label}
        elif any(o.pk not in allowed for o in organisations):
            errors["recipient_organisations"] = _(
                "Recipient organisations must be active partners of this partnership."
            )
        elif minutes.created_by_id not in (None, actor.pk) and not own & {o.pk for o in organisations}:
            errors["recipient_organisations"] = _(
                "Include your own organisation, or you could no longer read the minutes."
            )
    if label == TLP.RED:
        allowed = set(_active_memberships(partnership).values_list("user_id", flat=True))
        if not people:
            errors["recipient_people"] = _("Name at least one recipient person for TLP:RED.")
        elif any(p.pk not in allowed for p in people):
            errors["recipient_people"] = _("Recipient people must be active members of this partnership.")
        elif minutes.created_by_id not in (None, actor.pk) and all(p.pk != actor.pk for p in people):
            errors["recipient_people"] = _("Include yourself, or you could no longer read the minutes.")
    if errors:
        raise ValidationError(errors)
    return label


@transaction.atomic
def minutes_save(
    *,
    actor,
    meeting: Meeting,
    text: str,
    tlp: str,
    recipient_organisations=(),
    recipient_people=(),
) -> Minutes:
    """Write the minutes of a meeting that has started (coordinators), with their TLP label.

    The first save tells the participants who may read them ("Minutes: <meeting title>" and a link; never
    the text, which only the minutes' own label governs).
    """
    meeting = _lock_meeting(actor, meeting, manage=True)
    if meeting.status == Status.CANCELLED:
        raise ValidationError({"text": _("This meeting is cancelled.")})
    if meeting.starts_at > clock.now():
        raise ValidationError({"text": _("Minutes can be written once the meeting has started.")})
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("The minutes are empty.")})
    if len(text) > TEXT_MAX:
        raise ValidationError(
            {"text": _("The minutes can be at most %(max)s characters.") % {"max": TEXT_MAX}}
        )
    existing = Minutes.objects.select_for_update().filter(meeting=meeting).first()
    if existing is not None and not may_see(actor, existing):
        raise PermissionDenied(_("You cannot read these minutes, so you cannot change them."))
    minutes = existing or Minutes(meeting=meeting, partnership=meeting.partnership, created_by=actor)
    before = _minutes_snapshot(minutes) if existing is not None else None
    organisations, people = list(recipient_organisations or []), list(recipient_people or [])
    label = _clean_label(actor, meeting.partnership, minutes, tlp, organisations, people)
    minutes.text, minutes.tlp, minutes.updated_at = text, label.value, clock.now()
    minutes.save()
    minutes.recipient_organisations.set(organisations if label in (TLP.AMBER, TLP.AMBER_STRICT) else [])
    minutes.recipient_people.set(people if label == TLP.RED else [])
    after = _minutes_snapshot(minutes)
    if before != after:
        audit_record(
            actor=actor,
            action="meetings.minutes.saved",
            target=minutes,
            partnership=meeting.partnership,
            before=before,
            after=after,
        )
    if not may_see(actor, minutes):  # re-check: the writer stays within scope
        raise ValidationError({"tlp": _("With this label you could no longer read the minutes.")})
    if existing is None:
        readers = [user for user in _participants(meeting, exclude=actor) if may_see(user, minutes)]
        _notify(
            recipients=readers,
            kind="meetings.minutes",
            title=_("Minutes: %(title)s") % {"title": meeting.title},
            # No copy of the text: the label can be raised later, and a copy would not follow it.
            body="",
            tlp=label.value,
            meeting=meeting,
        )
    minutes.meeting = meeting
    return minutes


@transaction.atomic
def decision_add(*, actor, meeting: Meeting, text: str) -> Decision:
    meeting = _lock_meeting(actor, meeting, manage=True)
    if meeting.status == Status.CANCELLED:
        raise ValidationError({"text": _("This meeting is cancelled.")})
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the decision.")})
    if len(text) > DECISION_MAX:
        raise ValidationError(
            {"text": _("A decision can be at most %(max)s characters.") % {"max": DECISION_MAX}}
        )
    decision = Decision.objects.create(meeting=meeting, text=text, created_by=actor, created_at=clock.now())
    audit_record(
        actor=actor,
        action="meetings.decision.added",
        target=decision,
        partnership=meeting.partnership,
        after={"meeting": str(meeting.code), "text": text},
    )
    decision.meeting = meeting
    return decision


@transaction.atomic
def decision_delete(*, actor, decision: Decision) -> None:
    meeting = _lock_meeting(actor, decision.meeting, manage=True)
    decision = Decision.objects.filter(pk=decision.pk, meeting=meeting).first()
    if decision is None:
        from django.http import Http404

        raise Http404(_("Decision not found."))
    audit_record(
        actor=actor,
        action="meetings.decision.deleted",
        target=decision,
        partnership=meeting.partnership,
        before={"meeting": str(meeting.code), "text": decision.text},
    )
    decision.delete()


# Action items --------------------------------------------------------------------------------------


@transaction.atomic
def action_item_create(
    *,
    actor,
    meeting: Meeting,
    title: str,
    owner_partner,
    due_date: date,
    owner_person=None,
) -> ActionItem:
    """Add an action agreed in a meeting (coordinators and members). The owner partner must be an active
    partner; the owner person (optional) an active member through that partner, who is told."""
    meeting = _lock_meeting(actor, meeting, write=True)
    partnership = meeting.partnership
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("Describe the action.")
    elif len(title) > 300:
        errors["title"] = _("The action can be at most 300 characters.")
    if (
        owner_partner is None
        or owner_partner.partnership_id != partnership.pk
        or owner_partner.status != PartnerStatus.ACTIVE
    ):
        errors["owner_partner"] = _("Choose an active partner of this partnership.")
    if not isinstance(due_date, date) or isinstance(due_date, datetime):
        errors["due_date"] = _("Enter the date the action is due.")
    elif not FIRST_YEAR <= due_date.year <= LAST_YEAR:
        errors["due_date"] = _out_of_range()
    if owner_person is not None and "owner_partner" not in errors:
        through = Membership.objects.filter(
            partner=owner_partner, user=owner_person, status=MembershipStatus.ACTIVE, user__is_active=True
        )
        if not through.exists():
            errors["owner_person"] = _("The owner must be an active member through the owner partner.")
    if meeting.status == Status.CANCELLED:
        errors["meeting"] = _("This meeting is cancelled.")
    if errors:
        raise ValidationError(errors)
    item = ActionItem.objects.create(
        partnership=partnership,
        meeting=meeting,
        title=title,
        owner_partner=owner_partner,
        owner_person=owner_person,
        due_date=due_date,
        created_by=actor,
        created_at=clock.now(),
    )
    audit_record(
        actor=actor,
        action="meetings.action.created",
        target=item,
        partnership=partnership,
        after={
            "meeting": str(meeting.code),
            "title": title,
            "owner_partner": owner_partner.organisation.name,
            "owner_person": owner_person.email if owner_person is not None else None,
            "due_date": due_date.isoformat(),
        },
    )
    if owner_person is not None and owner_person.pk != actor.pk:
        _notify(
            recipients=[owner_person],
            kind="meetings.action",
            title=_("Action for you: %(title)s") % {"title": title},
            meeting=meeting,
        )
    item.meeting = meeting
    return item


@transaction.atomic
def action_item_set_status(*, actor, item: ActionItem, status: str) -> ActionItem:
    """Open, done or cancelled: coordinators, and members of the owner partner."""
    partnership = get_partnership_for_user(actor, item.partnership.code, write=True)
    locked = ActionItem.objects.select_for_update().filter(pk=item.pk, partnership=partnership).first()
    if locked is None:
        from django.http import Http404

        raise Http404(_("Action not found."))
    permissions.ensure_can_set_action_status(partnership.membership, locked)
    if status not in ActionStatus.values:
        raise ValidationError({"status": _("Choose open, done or cancelled.")})
    before = locked.status
    if before == status:
        locked.partnership = partnership
        return locked
    locked.status = status
    locked.done_at = clock.now() if status == ActionStatus.DONE else None
    locked.save(update_fields=["status", "done_at"])
    audit_record(
        actor=actor,
        action="meetings.action.status_changed",
        target=locked,
        partnership=partnership,
        before={"status": before},
        after={"status": status},
    )
    locked.partnership = partnership
    return locked


# Settings and calendar addresses -------------------------------------------------------------------


@transaction.atomic
def settings_update(*, actor, partnership: Partnership, monthly_hours_limit) -> MeetingsSettings:
    partnership = _scope(actor, partnership, manage=True)
    try:
        limit = Decimal(str(monthly_hours_limit).strip().replace(",", "."))
        if not limit.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({"monthly_hours_limit": _("Enter a number of hours, e.g. 8 or 7.5.")}) from None
    if not Decimal("0.5") <= limit <= Decimal("744"):
        raise ValidationError({"monthly_hours_limit": _("Enter between 0.5 and 744 hours a month.")})
    limit = limit.quantize(Decimal("0.1"))
    # Lock the partnership: with no settings row yet, two first saves at once would both insert.
    Partnership.objects.select_for_update().filter(pk=partnership.pk).first()
    found = MeetingsSettings.objects.select_for_update().filter(partnership=partnership).first()
    current = found or MeetingsSettings(partnership=partnership)
    before = {"monthly_hours_limit": str(current.monthly_hours_limit)}
    current.monthly_hours_limit = limit
    current.updated_at = clock.now()
    current.save()
    audit_record_changes(
        actor=actor,
        action="meetings.settings.changed",
        target=partnership,
        partnership=partnership,
        before=before,
        after={"monthly_hours_limit": str(limit)},
    )
    return current


@transaction.atomic
def calendar_feed_reset(*, actor, partnership: Partnership | None = None) -> str:
    """Make (or remake) my secret calendar address: personal, or for one partnership I am a member of.
    Returns the new token (shown once); only its SHA-256 is stored and the old address stops working."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Log in first."))
    if partnership is not None:
        partnership = _scope(actor, partnership)
    token = secrets.token_urlsafe(32)
    # Lock the person's row: with no address yet, two first requests at once would both insert.
    get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
    old = CalendarFeed.objects.select_for_update().filter(user=actor, partnership=partnership).first()
    if old is not None:
        old.token_hash = hash_token(token)
        old.created_at, old.last_used_at = clock.now(), None
        old.save(update_fields=["token_hash", "created_at", "last_used_at"])
        feed = old
    else:
        feed = CalendarFeed.objects.create(user=actor, partnership=partnership, token_hash=hash_token(token))
    audit_record(
        actor=actor,
        action="meetings.calendar_feed.reset",
        target=feed,
        partnership=partnership,
        after={
            "scope": str(partnership.code) if partnership is not None else "personal",
            "renewed": old is not None,
        },
    )
    return token
