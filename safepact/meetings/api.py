"""API for meetings: scheduling (single or recurring), invitations and answers, attendance, minutes with a
TLP label, decisions, action items, and the partnership's calendar (iCalendar).

Same access rules as the pages: every active member reads; coordinators schedule, change and cancel
meetings, record attendance, write minutes and decisions; members (and coordinators) add action items and
change the status of the ones their own partner owns; everyone answers their own invitation. Minutes obey
their TLP label: who may not read them gets 404, as if there were none.

Paths nest under ``/partnerships/{code}/meetings`` (action items of all meetings under
``/partnerships/{code}/action-items``, the settings at ``/partnerships/{code}/meetings-settings``); objects
are named by their ``code``. ``personal_router`` (mounted at ``/meetings``) holds what is the caller's own,
across partnerships: my meetings and my secret calendar addresses.
"""

from typing import Literal
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from safepact.accounts.schemas import with_errors
from safepact.lib.pagination import LimitOffsetPagination
from safepact.meetings import selectors, services
from safepact.meetings.schemas import (
    ActionItemIn,
    ActionItemOut,
    ActionItemPatch,
    ActionStatusValue,
    AttendanceIn,
    CalendarFeedIn,
    CalendarFeedNew,
    CalendarFeedOut,
    CancelIn,
    DecisionIn,
    DecisionOut,
    InviteesIn,
    MeetingDetail,
    MeetingIn,
    MeetingOut,
    MeetingPatch,
    MeetingsSettingsIn,
    MeetingsSettingsOut,
    MinutesIn,
    MinutesOut,
    MyMeetingOut,
    ParticipantOut,
    ResponseIn,
)
from safepact.partnerships.models import MembershipStatus, PartnerStatus
from safepact.partnerships.selectors import get_partnership_for_user, member_list, partner_list

router = Router(tags=["meetings"])
#: The caller's own meetings and calendar addresses, across partnerships (mounted at ``/meetings``).
personal_router = Router(tags=["meetings"])

READ = with_errors()
WRITE = with_errors(403, 422)
BASE = "/{code}/meetings"
ONE = BASE + "/{meeting_code}"
ITEMS = "/{code}/action-items"
SETTINGS = "/{code}/meetings-settings"
WhenValue = Literal["upcoming", "past"]


def _pick(queryset, codes, field: str, lookup: str = "code") -> list:
    """Objects of ``queryset`` by code, or a 422 naming ``field`` (one answer for missing and not allowed)."""
    codes = list(dict.fromkeys(codes))
    found = list(queryset.filter(**{f"{lookup}__in": codes}))
    if len(found) != len(codes):
        raise ValidationError({field: _("Unknown code, or not allowed here.")})
    return found


def _active_members(user, partnership):
    return member_list(user=user, partnership=partnership).filter(
        status=MembershipStatus.ACTIVE, partner__status=PartnerStatus.ACTIVE
    )


class _MeetingView:
    """A meeting with what the detail answer adds (participants, counts) beside its own attributes."""

    def __init__(self, meeting, **extra):
        self._meeting = meeting
        self.__dict__.update(extra)

    def __getattr__(self, name):
        return getattr(self._meeting, name)


def _detail(user, meeting):
    participants = list(selectors.participant_list(meeting=meeting))
    mine = next((p for p in participants if p.user_id == user.pk), None)
    return _MeetingView(
        meeting,
        participants=participants,
        me=(
            {"participant": mine.code, "response": mine.response, "attendance": mine.attendance}
            if mine is not None
            else None
        ),
        has_minutes=selectors.minutes_for(user=user, meeting=meeting) is not None,
        minutes_withheld=selectors.minutes_withheld(user=user, meeting=meeting),
        decisions=meeting.decisions.count(),
        action_items=meeting.action_items.count(),
    )


def _fresh(user, code, meeting_code):
    return _detail(user, selectors.get_meeting_for_user(user, code, meeting_code))


# Meetings -------------------------------------------------------------------------------------------


@router.get(BASE, response=list[MeetingOut], summary="The partnership's meetings, in order of their start")
@paginate(LimitOffsetPagination)
def meeting_index(request, code: UUID, when: WhenValue | None = None):  # type: ignore[valid-type]
    """``when``: ``upcoming`` (not ended yet, soonest first) or ``past`` (latest first); default all."""
    partnership = get_partnership_for_user(request.auth, code)
    return selectors.meeting_list(user=request.auth, partnership=partnership, when=when).select_related(
        "created_by", "series"
    )


@router.post(
    BASE,
    response={201: MeetingDetail, **WRITE},
    summary="Schedule a meeting, or a series of recurring meetings, and invite people (coordinator)",
    description=(
        "With `frequency` and `count` > 1 a series of `count` meetings (at most 52) is created; the answer "
        "is the first of them. `invitees`: member codes (default every active member)."
    ),
)
def meeting_new(request, code: UUID, payload: MeetingIn):
    user = request.auth
    partnership = get_partnership_for_user(user, code, manage=True)
    data = payload.dict()
    invitees = data.pop("invitees")
    if invitees is not None:
        invitees = _pick(_active_members(user, partnership), invitees, "invitees")
    meeting = services.meeting_create(actor=user, partnership=partnership, invitees=invitees, **data)
    return Status(201, _fresh(user, code, meeting.code))


# Registered before ``{meeting_code}`` so that "meetings.ics" is never taken for a meeting's code.
@router.get(
    "/{code}/meetings.ics",
    response={200: None, **READ},
    summary="The partnership's meetings as an iCalendar file (for a calendar program)",
    openapi_extra={"responses": {200: {"content": {"text/calendar": {}}, "description": "iCalendar"}}},
)
def meeting_calendar(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    meetings = selectors.meeting_list(user=request.auth, partnership=partnership)
    data = selectors.ical_for(meetings=meetings, name=partnership.name)
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="meetings.ics"'
    response["Cache-Control"] = "no-store"
    return response


@router.get(
    ONE,
    response={200: MeetingDetail, **READ},
    summary="One meeting, with its participants and your own invitation",
)
def meeting_detail(request, code: UUID, meeting_code: UUID):
    return _fresh(request.auth, code, meeting_code)


@router.patch(
    ONE,
    response={200: MeetingDetail, **WRITE},
    summary="Change a meeting (coordinator); participants are told when the time or place changes",
)
def meeting_edit(request, code: UUID, meeting_code: UUID, payload: MeetingPatch):
    user = request.auth
    meeting = selectors.get_meeting_for_user(user, code, meeting_code, manage=True)
    changes = payload.dict(exclude_unset=True)
    for name in ("kind", "title", "starts_at", "ends_at"):
        if name in changes and changes[name] is None:
            raise ValidationError({name: _("This field cannot be empty.")})
    for name in ("location", "online_url", "agenda"):
        if name in changes and changes[name] is None:
            changes[name] = ""
    services.meeting_update(actor=user, meeting=meeting, **changes)
    return _fresh(user, code, meeting_code)


@router.post(
    f"{ONE}/cancel",
    response={200: MeetingDetail, **WRITE},
    summary="Cancel a meeting (coordinator); calendars show it as cancelled",
)
def meeting_cancel(request, code: UUID, meeting_code: UUID, payload: CancelIn):
    user = request.auth
    meeting = selectors.get_meeting_for_user(user, code, meeting_code, manage=True)
    services.meeting_cancel(actor=user, meeting=meeting, reason=payload.reason)
    return _fresh(user, code, meeting_code)


@router.post(
    f"{ONE}/response",
    response={200: MeetingDetail, **WRITE},
    summary="Answer your own invitation: accepted or declined (any invited member)",
)
def meeting_respond(request, code: UUID, meeting_code: UUID, payload: ResponseIn):
    user = request.auth
    meeting = selectors.get_meeting_for_user(user, code, meeting_code)
    participant = selectors.my_participation(user, meeting)
    if participant is None:
        raise ValidationError({"response": _("You are not invited to this meeting.")})
    services.participant_respond(actor=user, participant=participant, response=payload.response)
    return _fresh(user, code, meeting_code)


@router.put(
    f"{ONE}/attendance",
    response={200: list[ParticipantOut], **WRITE},
    summary="Record who attended, in person or online, and who was absent (coordinator, once it started)",
)
def meeting_attendance(request, code: UUID, meeting_code: UUID, payload: AttendanceIn):
    user = request.auth
    meeting = selectors.get_meeting_for_user(user, code, meeting_code, manage=True)
    attendance = {item.participant: item.attendance for item in payload.attendance}
    services.attendance_record(actor=user, meeting=meeting, attendance=attendance)
    return list(selectors.participant_list(meeting=meeting))


@router.post(
    f"{ONE}/invitees",
    response={200: MeetingDetail, **WRITE},
    summary="Invite more members to a meeting (coordinator); people already invited are skipped",
    description="`invitees`: member codes of active members. The newly invited are told.",
)
def meeting_invitees_add(request, code: UUID, meeting_code: UUID, payload: InviteesIn):
    user = request.auth
    meeting = selectors.get_meeting_for_user(user, code, meeting_code, manage=True)
    memberships = _pick(_active_members(user, meeting.partnership), payload.invitees, "invitees")
    services.invitees_add(actor=user, meeting=meeting, memberships=memberships)
    return _fresh(user, code, meeting_code)


# Minutes --------------------------------------------------------------------------------------------


def _minutes_or_404(user, meeting):
    minutes = selectors.minutes_for(user=user, meeting=meeting)
    if minutes is None:
        raise Http404(_("No minutes, or their TLP label does not include you."))
    return minutes


@router.get(
    f"{ONE}/minutes",
    response={200: MinutesOut, **READ},
    summary="The minutes, if their TLP label includes you",
    description=(
        "404 when the meeting has no minutes and equally when their TLP label does not include you "
        "(the meeting's `minutes_withheld` tells the second case apart, without the text)."
    ),
)
def minutes_detail(request, code: UUID, meeting_code: UUID):
    meeting = selectors.get_meeting_for_user(request.auth, code, meeting_code)
    return _minutes_or_404(request.auth, meeting)


@router.put(
    f"{ONE}/minutes",
    response={200: MinutesOut, **WRITE},
    summary="Write the minutes and their TLP label (coordinator); participants who may read them are told",
    description=(
        "TLP:AMBER and AMBER+STRICT need `recipient_organisations` (partner organisation codes); TLP:RED "
        "needs `recipient_people` (person codes of active members)."
    ),
)
def minutes_put(request, code: UUID, meeting_code: UUID, payload: MinutesIn):
    user = request.auth
    meeting = selectors.get_meeting_for_user(user, code, meeting_code, manage=True)
    partnership = meeting.partnership
    organisations = [
        partner.organisation
        for partner in _pick(
            partner_list(user=user, partnership=partnership),
            payload.recipient_organisations,
            "recipient_organisations",
            lookup="organisation__code",
        )
    ]
    people = [
        membership.user
        for membership in _pick(
            _active_members(user, partnership),
            payload.recipient_people,
            "recipient_people",
            lookup="user__code",
        )
    ]
    minutes = services.minutes_save(
        actor=user,
        meeting=meeting,
        text=payload.text,
        tlp=payload.tlp,
        recipient_organisations=organisations,
        recipient_people=people,
    )
    return minutes


# Decisions ------------------------------------------------------------------------------------------


@router.get(f"{ONE}/decisions", response=list[DecisionOut], summary="The meeting's decisions, oldest first")
@paginate(LimitOffsetPagination)
def decision_index(request, code: UUID, meeting_code: UUID):
    meeting = selectors.get_meeting_for_user(request.auth, code, meeting_code)
    return selectors.decision_list(meeting=meeting).select_related("created_by")


@router.post(
    f"{ONE}/decisions",
    response={201: DecisionOut, **WRITE},
    summary="Record a decision taken in the meeting (coordinator)",
)
def decision_new(request, code: UUID, meeting_code: UUID, payload: DecisionIn):
    meeting = selectors.get_meeting_for_user(request.auth, code, meeting_code, manage=True)
    return Status(201, services.decision_add(actor=request.auth, meeting=meeting, text=payload.text))


@router.delete(
    f"{ONE}/decisions/{{decision_code}}",
    response={204: None, **WRITE},
    summary="Remove a decision recorded by mistake (coordinator); the audit trail keeps its text",
)
def decision_remove(request, code: UUID, meeting_code: UUID, decision_code: UUID):
    decision = selectors.get_decision_for_user(request.auth, code, meeting_code, decision_code, manage=True)
    services.decision_delete(actor=request.auth, decision=decision)
    return Status(204, None)


# Action items ---------------------------------------------------------------------------------------


def _items(user, partnership):
    return selectors.action_item_list(user=user, partnership=partnership).select_related(
        "meeting", "owner_partner__organisation", "owner_person"
    )


@router.get(
    f"{ONE}/action-items",
    response=list[ActionItemOut],
    summary="The action items agreed in this meeting, by due date",
)
@paginate(LimitOffsetPagination)
def meeting_action_index(request, code: UUID, meeting_code: UUID):
    meeting = selectors.get_meeting_for_user(request.auth, code, meeting_code)
    return _items(request.auth, meeting.partnership).filter(meeting=meeting)


@router.post(
    f"{ONE}/action-items",
    response={201: ActionItemOut, **WRITE},
    summary="Add an action item with an owner partner (and person) and a due date (members, coordinators)",
)
def meeting_action_new(request, code: UUID, meeting_code: UUID, payload: ActionItemIn):
    user = request.auth
    meeting = selectors.get_meeting_for_user(user, code, meeting_code, write=True)
    partnership = meeting.partnership
    owner_partner = (
        partner_list(user=user, partnership=partnership).filter(code=payload.owner_partner).first()
    )
    if owner_partner is None:
        raise ValidationError({"owner_partner": _("This partnership has no partner with this code.")})
    owner_person = None
    if payload.owner_person is not None:
        membership = (
            _active_members(user, partnership)
            .filter(user__code=payload.owner_person, partner=owner_partner)
            .first()
        )
        if membership is None:
            raise ValidationError(
                {"owner_person": _("This person is no active member through the owner partner.")}
            )
        owner_person = membership.user
    item = services.action_item_create(
        actor=user,
        meeting=meeting,
        title=payload.title,
        owner_partner=owner_partner,
        owner_person=owner_person,
        due_date=payload.due_date,
    )
    return Status(201, _items(user, partnership).get(pk=item.pk))


@router.get(
    ITEMS,
    response=list[ActionItemOut],
    summary="Every action item of the partnership's meetings, by due date",
)
@paginate(LimitOffsetPagination)
def action_index(request, code: UUID, status: ActionStatusValue | None = None):  # type: ignore[valid-type]
    partnership = get_partnership_for_user(request.auth, code)
    items = _items(request.auth, partnership)
    return items.filter(status=status) if status else items


@router.patch(
    f"{ITEMS}/{{item_code}}",
    response={200: ActionItemOut, **WRITE},
    summary="Change an action item's status (coordinators; members for items their own partner owns)",
)
def action_edit(request, code: UUID, item_code: UUID, payload: ActionItemPatch):
    user = request.auth
    item = selectors.get_action_item_for_user(user, code, item_code, write=True)
    services.action_item_set_status(actor=user, item=item, status=payload.status)
    return _items(user, item.partnership).get(pk=item.pk)


# Settings -------------------------------------------------------------------------------------------


@router.get(
    SETTINGS,
    response={200: MeetingsSettingsOut, **READ},
    summary="The meeting settings: how many meeting hours a month one person can give",
)
def settings_detail(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    return selectors.settings_for(partnership=partnership)


@router.put(
    SETTINGS,
    response={200: MeetingsSettingsOut, **WRITE},
    summary="Change the meeting settings (coordinator): the monthly meeting hours limit per person",
)
def settings_put(request, code: UUID, payload: MeetingsSettingsIn):
    partnership = get_partnership_for_user(request.auth, code, manage=True)
    return services.settings_update(
        actor=request.auth, partnership=partnership, monthly_hours_limit=payload.monthly_hours_limit
    )


# My meetings and calendar addresses (personal_router, at /meetings) ----------------------------------


@personal_router.get(
    "/mine",
    response=list[MyMeetingOut],
    summary="My meetings across all my partnerships: the ones I am invited to, soonest first",
    description="Meetings not yet ended that start within `days_ahead` days (default 60); cancelled ones "
    "are left out.",
)
@paginate(LimitOffsetPagination)
def my_meeting_index(request, days_ahead: int = Query(60, ge=1, le=366)):
    return selectors.my_meetings(user=request.auth, days_ahead=days_ahead).select_related(
        "created_by", "series"
    )


@personal_router.get(
    "/calendar-feeds",
    response=list[CalendarFeedOut],
    summary="My secret calendar addresses (never the addresses themselves: they are shown once)",
)
@paginate(LimitOffsetPagination)
def feed_index(request):
    return selectors.feed_list(user=request.auth)


@personal_router.post(
    "/calendar-feeds",
    response={201: CalendarFeedNew, **WRITE},
    summary="Make or remake my secret calendar address, personal or for one partnership (shown once)",
    description=(
        "Answers the new address in `url`, this once (only a hash is kept); the old address of the same "
        "scope stops working. Any active member may make their own, viewers too."
    ),
)
def feed_reset(request, response: HttpResponse, payload: CalendarFeedIn):
    user = request.auth
    partnership = None
    if payload.partnership is not None:
        partnership = get_partnership_for_user(user, payload.partnership)
    token = services.calendar_feed_reset(actor=user, partnership=partnership)
    scope = partnership.pk if partnership is not None else None
    feed = next((f for f in selectors.feed_list(user=user) if f.partnership_id == scope), None)
    if feed is None:  # only if the membership ended in between: the new address already does not work
        raise Http404(_("Partnership not found."))
    feed.url = settings.SITE_URL + reverse("meetings:feed", kwargs={"token": token})
    response["Cache-Control"] = "no-store"
    return Status(201, feed)
