"""Reads for meetings: access helpers, lists, minutes per TLP, calendar feeds, and the bulk facts the
continuity app turns into signals (attendance per partner, meeting load per person, rhythm, actions).

Every read that serves a person starts from what they may see (``partnerships_for`` / the access helpers
of partnerships): outsiders get 404, members without the role 403. The bulk selectors take partnership ids
the caller has already checked, and use a fixed number of queries for any number of partnerships.

Dates ("since", "until", "on", "month_start") are calendar dates in the deployment's time zone.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from uuid import UUID

from dateutil.relativedelta import relativedelta
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from safepact.accounts.models import hash_token
from safepact.lib import clock
from safepact.meetings.ical import ical_for, meeting_path
from safepact.meetings.models import (
    ATTENDED,
    ActionItem,
    ActionStatus,
    CalendarFeed,
    Decision,
    Meeting,
    MeetingsSettings,
    Minutes,
    Participant,
    Response,
    Status,
)
from safepact.partnerships.models import Membership, Partner, Partnership, PartnerStatus
from safepact.partnerships.selectors import (
    ACTIVE_MEMBERSHIP,
    active_memberships,
    get_partnership_for_user,
    partnerships_for,
)
from safepact.partnerships.tlp import visible_to, withheld_reason

__all__ = [
    "ical_for",
    "meeting_path",
]


def _parse(code) -> UUID | None:
    if isinstance(code, UUID):
        return code
    try:
        return UUID(str(code))
    except (TypeError, ValueError):
        return None


def day_start(on: date) -> datetime:
    """Local midnight of ``on`` as an aware datetime."""
    return timezone.make_aware(datetime.combine(on, time.min), timezone.get_current_timezone())


def month_bounds(month_start: date) -> tuple[datetime, datetime]:
    first = month_start.replace(day=1)
    return day_start(first), day_start(first + relativedelta(months=1))


# Settings ------------------------------------------------------------------------------------------


def settings_for(*, partnership: Partnership) -> MeetingsSettings:
    """The partnership's meeting settings (an unsaved default when none were saved)."""
    found = MeetingsSettings.objects.filter(partnership=partnership).first()
    return found or MeetingsSettings(partnership=partnership)


def settings_by_partnership(partnership_ids) -> dict[int, MeetingsSettings]:
    """Bulk: the settings of each partnership (defaults for those without). One query."""
    ids = list(partnership_ids)
    found = {s.partnership_id: s for s in MeetingsSettings.objects.filter(partnership_id__in=ids)}
    return {pid: found.get(pid) or MeetingsSettings(partnership_id=pid) for pid in ids}


# Access helpers ------------------------------------------------------------------------------------


def get_meeting_for_user(user, code, meeting_code, *, write: bool = False, manage: bool = False) -> Meeting:
    """404 outsider (and another partnership's meeting), 403 without the role.

    ``meeting.partnership`` carries ``membership`` (the caller's).
    """
    partnership = get_partnership_for_user(user, code, write=write, manage=manage)
    parsed = _parse(meeting_code)
    meeting = (
        Meeting.objects.filter(partnership=partnership, code=parsed)
        .select_related("series", "created_by")
        .first()
        if parsed
        else None
    )
    if meeting is None:
        raise Http404(_("Meeting not found."))
    meeting.partnership = partnership
    return meeting


def get_action_item_for_user(user, code, item_code, *, write: bool = False) -> ActionItem:
    partnership = get_partnership_for_user(user, code, write=write)
    parsed = _parse(item_code)
    item = (
        ActionItem.objects.filter(partnership=partnership, code=parsed)
        .select_related("owner_partner__organisation", "owner_person", "meeting")
        .first()
        if parsed
        else None
    )
    if item is None:
        raise Http404(_("Action not found."))
    item.partnership = partnership
    item.meeting.partnership = partnership
    return item


def get_decision_for_user(user, code, meeting_code, decision_code, *, manage: bool = False) -> Decision:
    meeting = get_meeting_for_user(user, code, meeting_code, manage=manage)
    parsed = _parse(decision_code)
    decision = meeting.decisions.filter(code=parsed).first() if parsed else None
    if decision is None:
        raise Http404(_("Decision not found."))
    decision.meeting = meeting
    return decision


# Lists ---------------------------------------------------------------------------------------------


def _with_counts(queryset: QuerySet[Meeting], user) -> QuerySet[Meeting]:
    mine = Participant.objects.filter(meeting=OuterRef("pk"), user_id=getattr(user, "pk", None))
    return queryset.annotate(
        invited_count=Count("participants", distinct=True),
        attended_count=Count("participants", filter=Q(participants__attendance__in=ATTENDED), distinct=True),
        accepted_count=Count(
            "participants", filter=Q(participants__response=Response.ACCEPTED), distinct=True
        ),
        my_response=Subquery(mine.values("response")[:1]),
        my_attendance=Subquery(mine.values("attendance")[:1]),
    )


def meeting_list(*, user, partnership: Partnership, when: str | None = None) -> QuerySet[Meeting]:
    """The partnership's meetings with ``invited_count``, ``attended_count``, ``accepted_count``,
    ``my_response`` and ``my_attendance``. ``when``: "upcoming" (not yet ended, soonest first), "past"
    (ended, latest first) or None (all, in time order). One query."""
    queryset = Meeting.objects.filter(partnership=partnership, partnership__in=partnerships_for(user))
    now = clock.now()
    if when == "upcoming":
        queryset = queryset.filter(ends_at__gte=now).order_by("starts_at", "id")
    elif when == "past":
        queryset = queryset.filter(ends_at__lt=now).order_by("-starts_at", "-id")
    return _with_counts(queryset.select_related("partnership", "series"), user)


def my_meetings(*, user, days_ahead: int = 60, include_cancelled: bool = False) -> QuerySet[Meeting]:
    """Meetings I am invited to, across my partnerships, not yet ended and starting within ``days_ahead``
    days. One query."""
    now = clock.now()
    # The invitation is a subquery, not a join: a join on participants would narrow the counts that
    # ``_with_counts`` makes over the same relation to my own row ("1 invited").
    queryset = Meeting.objects.filter(
        partnership__in=partnerships_for(user),
        pk__in=Participant.objects.filter(user=user).values("meeting_id"),
        ends_at__gte=now,
        starts_at__lt=now + timedelta(days=days_ahead),
    )
    if not include_cancelled:
        queryset = queryset.exclude(status=Status.CANCELLED)
    return _with_counts(queryset.select_related("partnership").order_by("starts_at", "id"), user)


def my_meeting_hours(*, user, months: int = 3, start: date | None = None) -> list[dict]:
    """My meeting hours per month, per partnership, for ``months`` months from ``start``'s month (this
    month by default): ``[{"month": date, "partnership": Partnership, "hours": float, "meetings": int,
    "limit": Decimal, "over": bool}]``. Meetings I declined and cancelled ones do not count. Three queries.
    """
    first = (start or clock.today()).replace(day=1)
    begin, end = day_start(first), day_start(first + relativedelta(months=months))
    rows = (
        Participant.objects.filter(
            user=user,
            meeting__partnership__in=partnerships_for(user),
            meeting__starts_at__gte=begin,
            meeting__starts_at__lt=end,
        )
        .exclude(meeting__status=Status.CANCELLED)
        .exclude(response=Response.DECLINED)
        .values_list("meeting__partnership_id", "meeting__starts_at", "meeting__ends_at")
    )
    totals: dict[tuple[date, int], list] = {}
    for partnership_id, starts_at, ends_at in rows:
        local = timezone.localtime(starts_at).date().replace(day=1)
        entry = totals.setdefault((local, partnership_id), [0.0, 0])
        entry[0] += (ends_at - starts_at).total_seconds() / 3600
        entry[1] += 1
    partnerships = {p.pk: p for p in Partnership.objects.filter(pk__in={pid for _m, pid in totals})}
    limits = settings_by_partnership(partnerships)
    result = []
    for (month, pid), (hours, count) in sorted(totals.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        limit = limits[pid].monthly_hours_limit
        result.append(
            {
                "month": month,
                "partnership": partnerships[pid],
                "hours": round(hours, 2),
                "meetings": count,
                "limit": limit,
                "over": hours > float(limit),
            }
        )
    return result


def participant_list(*, meeting: Meeting) -> QuerySet[Participant]:
    return (
        Participant.objects.filter(meeting=meeting)
        .select_related("user", "partner__organisation")
        .order_by("partner__organisation__name", "user__full_name", "id")
    )


def my_participation(user, meeting: Meeting) -> Participant | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Participant.objects.filter(meeting=meeting, user=user).select_related("partner").first()


def minutes_for(*, user, meeting: Meeting) -> Minutes | None:
    """The meeting's minutes if there are any and ``user`` may read them (TLP and gates)."""
    found = (
        visible_to(user, Minutes.objects.filter(meeting=meeting))
        .select_related("created_by")
        .prefetch_related("recipient_organisations", "recipient_people")
        .first()
    )
    if found is not None:
        found.meeting = meeting
    return found


def minutes_withheld(*, user, meeting: Meeting) -> bool:
    """Whether the meeting has minutes ``user`` may not read."""
    minutes = Minutes.objects.filter(meeting=meeting)
    return minutes.exists() and not visible_to(user, minutes).exists()


def minutes_withheld_reason(*, user, meeting: Meeting) -> str:
    """What a recipient by label still lacks (e.g. a signed confidentiality agreement), or ""."""
    minutes = Minutes.objects.filter(meeting=meeting).first()
    return withheld_reason(user, minutes) if minutes is not None else ""


def decision_list(*, meeting: Meeting) -> QuerySet[Decision]:
    return Decision.objects.filter(meeting=meeting).select_related("created_by").order_by("created_at", "id")


def action_item_list(
    *, user, partnership: Partnership, status: str | None = None, meeting: Meeting | None = None
) -> QuerySet[ActionItem]:
    queryset = ActionItem.objects.filter(partnership=partnership, partnership__in=partnerships_for(user))
    if status:
        queryset = queryset.filter(status=status)
    if meeting is not None:
        queryset = queryset.filter(meeting=meeting)
    return queryset.select_related("owner_partner__organisation", "owner_person", "meeting").order_by(
        "due_date", "id"
    )


# Choices for forms ---------------------------------------------------------------------------------


def invitee_choices(*, user, partnership: Partnership) -> QuerySet[Membership]:
    """Active members of the partnership (through active partners), by organisation and name."""
    return (
        Membership.objects.filter(
            ACTIVE_MEMBERSHIP,
            partner__partnership=partnership,
            partner__partnership__in=partnerships_for(user),
        )
        .filter(user__is_active=True)
        .select_related("user", "partner__organisation")
        .order_by("partner__organisation__name", "user__full_name", "id")
    )


def owner_partner_choices(*, user, partnership: Partnership) -> QuerySet[Partner]:
    return (
        Partner.objects.filter(
            partnership=partnership, status=PartnerStatus.ACTIVE, partnership__in=partnerships_for(user)
        )
        .select_related("organisation")
        .order_by("organisation__name")
    )


def recipient_organisation_choices(*, user, partnership: Partnership):
    """AMBER recipients of minutes: the organisations of the partnership's active partners."""
    from safepact.accounts.models import Organisation

    partners = owner_partner_choices(user=user, partnership=partnership).values("organisation_id")
    return Organisation.objects.filter(pk__in=partners).order_by("name")


def recipient_people_choices(*, user, partnership: Partnership):
    """RED recipients of minutes: the partnership's active members."""
    from safepact.accounts.models import User

    members = invitee_choices(user=user, partnership=partnership).values("user_id")
    return User.objects.filter(pk__in=members).order_by("full_name", "email")


# Calendar feeds ------------------------------------------------------------------------------------


def feed_list(*, user) -> list[CalendarFeed]:
    """My calendar addresses (tokens are never shown again after they are made)."""
    return list(
        CalendarFeed.objects.filter(user=user)
        .filter(Q(partnership__isnull=True) | Q(partnership__in=partnerships_for(user)))
        .select_related("partnership")
        .order_by("partnership__name", "id")
    )


def feed_lookup(token: str) -> tuple | None:
    """``(user, partnership or None)`` of a calendar token, or None for an unknown, reset or inactive one.

    The feed of a partnership the person is no longer an active member of is None too.
    """
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    feed = (
        CalendarFeed.objects.filter(token_hash=hash_token(token))
        .select_related("user", "partnership")
        .first()
    )
    if feed is None or not feed.user.is_active:
        return None
    if (
        feed.partnership_id is not None
        and not partnerships_for(feed.user).filter(pk=feed.partnership_id).exists()
    ):
        return None
    return feed.user, feed.partnership


FEED_PAST_DAYS = 365


def feed_meetings(user, partnership: Partnership | None = None) -> QuerySet[Meeting]:
    """The meetings of a calendar feed, from a year ago on (cancelled ones included, so calendars drop
    them). Personal feed: the meetings ``user`` is invited to in partnerships where they are an active
    member. Partnership feed: all of that partnership's meetings, if ``user`` is an active member."""
    queryset = Meeting.objects.filter(
        partnership__in=partnerships_for(user), starts_at__gte=clock.now() - timedelta(days=FEED_PAST_DAYS)
    )
    if partnership is None:
        queryset = queryset.filter(participants__user=user)
    else:
        queryset = queryset.filter(partnership=partnership)
    return queryset.select_related("partnership").order_by("starts_at", "id").distinct()


def feed_touch(token: str) -> None:
    """Record that a feed was fetched (``last_used_at``); a plain update, no audit."""
    CalendarFeed.objects.filter(token_hash=hash_token(token)).update(last_used_at=clock.now())


# Bulk facts for continuity -------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerAttendance:
    invited: int = 0
    attended: int = 0
    last_attended: date | None = None

    @property
    def rate(self) -> float | None:
        return self.attended / self.invited if self.invited else None


@dataclass(frozen=True)
class PersonLoad:
    user_id: int
    name: str
    hours: float
    meetings: int


@dataclass(frozen=True)
class Rhythm:
    last_held: date | None = None
    next_planned: date | None = None
    held_90: int = 0
    planned_90: int = 0
    kinds_90: dict = field(default_factory=dict)


def attendance_by_partner(partnership_ids, *, since: date, until: date) -> dict[int, PartnerAttendance]:
    """Per partner: invitations to and attendance of meetings (not cancelled) starting in [since, until],
    and the date of the partner's last attended meeting up to ``until``. One query.

    Partners without any invitation up to ``until`` are absent from the result."""
    return attendance_by_partner_windows(partnership_ids, windows=[(since, until)])[0]


def attendance_by_partner_windows(partnership_ids, *, windows) -> list[dict[int, PartnerAttendance]]:
    """``attendance_by_partner`` for several ``(since, until)`` windows at once (e.g. now and 30 days ago,
    for a trend), in one query with a conditional count per window."""
    bounds = [(day_start(since), day_start(until + timedelta(days=1))) for since, until in windows]
    attended = Q(attendance__in=ATTENDED)
    sums = {}
    for index, (begin, end) in enumerate(bounds):
        in_range = Q(meeting__starts_at__gte=begin, meeting__starts_at__lt=end)
        sums[f"i{index}"] = Count("id", filter=in_range)
        sums[f"a{index}"] = Count("id", filter=in_range & attended)
        sums[f"l{index}"] = Max("meeting__starts_at", filter=attended & Q(meeting__starts_at__lt=end))
        sums[f"any{index}"] = Count("id", filter=Q(meeting__starts_at__lt=end))
    rows = (
        Participant.objects.filter(
            meeting__partnership_id__in=list(partnership_ids),
            meeting__starts_at__lt=max(end for _begin, end in bounds),
        )
        .exclude(meeting__status=Status.CANCELLED)
        .order_by()
        .values("partner_id")
        .annotate(**sums)
    )
    found: list[dict[int, PartnerAttendance]] = [{} for _ in bounds]
    local_dates: dict = {}

    def local(moment):
        if moment not in local_dates:
            local_dates[moment] = timezone.localtime(moment).date()
        return local_dates[moment]

    for row in rows:
        for index in range(len(bounds)):
            if not row[f"any{index}"]:
                continue  # no invitation up to this window's end
            last = row[f"l{index}"]
            found[index][row["partner_id"]] = PartnerAttendance(
                invited=row[f"i{index}"],
                attended=row[f"a{index}"],
                last_attended=local(last) if last else None,
            )
    return found


def meeting_load(partnership_ids, *, month_start: date) -> dict[int, list[PersonLoad]]:
    """Per partnership: each person's meeting hours in the calendar month of ``month_start`` (meetings not
    cancelled, that they are invited to and have not declined), most hours first. One query."""
    first = month_start.replace(day=1)
    return meeting_load_by_month(partnership_ids, months=[first])[first]


def meeting_load_by_month(partnership_ids, *, months) -> dict[date, dict[int, list[PersonLoad]]]:
    """``meeting_load`` of several months at once (their first days; calendar months in the deployment's
    time zone): ``{month: {partnership_id: [PersonLoad]}}``. One query, summed in SQL per month."""
    firsts = sorted({month.replace(day=1) for month in months})
    if not firsts:
        return {}
    bounds = [month_bounds(first) for first in firsts]
    length = ExpressionWrapper(F("meeting__ends_at") - F("meeting__starts_at"), output_field=DurationField())
    # One row per person and partnership with a conditional sum per month: no per-row month truncation
    # (on SQLite a Python function for every invitation, the slowest part of the dashboard at 50
    # partnerships: bench/continuity.py).
    sums = {}
    for index, (month_begin, month_end) in enumerate(bounds):
        in_month = Q(meeting__starts_at__gte=month_begin, meeting__starts_at__lt=month_end)
        sums[f"h{index}"] = Sum(length, filter=in_month)
        sums[f"n{index}"] = Count("id", filter=in_month)
    rows = (
        Participant.objects.filter(
            meeting__partnership_id__in=list(partnership_ids),
            meeting__starts_at__gte=bounds[0][0],
            meeting__starts_at__lt=bounds[-1][1],
        )
        .exclude(meeting__status=Status.CANCELLED)
        .exclude(response=Response.DECLINED)
        .order_by()
        .values("meeting__partnership_id", "user_id", "user__full_name", "user__email")
        .annotate(**sums)
    )
    totals: dict[date, dict[int, list[PersonLoad]]] = {month: {} for month in firsts}
    for row in rows:
        for index, month in enumerate(firsts):
            count = row[f"n{index}"]
            if not count:
                continue
            totals[month].setdefault(row["meeting__partnership_id"], []).append(
                PersonLoad(
                    user_id=row["user_id"],
                    name=row["user__full_name"] or row["user__email"],
                    hours=round(row[f"h{index}"].total_seconds() / 3600, 2),
                    meetings=count,
                )
            )
    for per_partnership in totals.values():
        for people in per_partnership.values():
            people.sort(key=lambda load: (-load.hours, load.name, load.user_id))
    return totals


def rhythm(partnership_ids, *, on: date) -> dict[int, Rhythm]:
    """Per partnership: the last meeting held (started on or before ``on``, not cancelled), the next one
    planned (after ``on``), and how many were held in the 90 days up to ``on`` (by kind) and are planned
    in the 90 days after. Two queries. Partnerships without any meeting get an empty ``Rhythm``."""
    ids = list(partnership_ids)
    day_after = day_start(on + timedelta(days=1))
    window_start, window_end = day_start(on - timedelta(days=89)), day_start(on + timedelta(days=91))
    meetings = Meeting.objects.filter(partnership_id__in=ids).exclude(status=Status.CANCELLED).order_by()
    bounds = {
        row["partnership_id"]: row
        for row in meetings.values("partnership_id").annotate(
            last=Max("starts_at", filter=Q(starts_at__lt=day_after)),
            next=Min("starts_at", filter=Q(starts_at__gte=day_after)),
        )
    }
    held: dict[int, int] = {}
    planned: dict[int, int] = {}
    kinds: dict[int, dict[str, int]] = {}
    for partnership_id, kind, starts_at in meetings.filter(
        starts_at__gte=window_start, starts_at__lt=window_end
    ).values_list("partnership_id", "kind", "starts_at"):
        if starts_at < day_after:
            held[partnership_id] = held.get(partnership_id, 0) + 1
            per_kind = kinds.setdefault(partnership_id, {})
            per_kind[kind] = per_kind.get(kind, 0) + 1
        else:
            planned[partnership_id] = planned.get(partnership_id, 0) + 1

    def local(value):
        return timezone.localtime(value).date() if value else None

    return {
        pid: Rhythm(
            last_held=local(bounds.get(pid, {}).get("last")),
            next_planned=local(bounds.get(pid, {}).get("next")),
            held_90=held.get(pid, 0),
            planned_90=planned.get(pid, 0),
            kinds_90=kinds.get(pid, {}),
        )
        for pid in ids
    }


def open_action_items(partnership_ids) -> list[ActionItem]:
    """Open action items of these partnerships, earliest due first. One query."""
    return list(
        ActionItem.objects.filter(partnership_id__in=list(partnership_ids), status=ActionStatus.OPEN)
        .select_related("owner_partner__organisation", "owner_person", "meeting__partnership")
        .order_by("due_date", "id")
    )


def action_items_done_by_partner(partnership_ids, *, since: date) -> dict[int, int]:
    """Per owner partner: action items done on or after ``since``. One query."""
    rows = (
        ActionItem.objects.filter(
            partnership_id__in=list(partnership_ids), status=ActionStatus.DONE, done_at__gte=day_start(since)
        )
        .order_by()
        .values("owner_partner_id")
        .annotate(n=Count("id"))
    )
    return {row["owner_partner_id"]: row["n"] for row in rows}


def member_of(user, partnership: Partnership) -> bool:
    return active_memberships(user).filter(partner__partnership=partnership).exists()


def action_item_facts(partnership_ids, *, before: date, before_end) -> dict[int, dict]:
    """For continuity's signals, one query: per owner partner (whatever its status now; with its
    ``partnership_id``), the last action done (``last_done``, and as of ``before_end``:
    ``last_done_before``), the number done, and the actions that were open and overdue on ``before``
    (``overdue_before``, the oldest due date ``oldest_due_before``)."""
    done = Q(status=ActionStatus.DONE, done_at__isnull=False)
    open_before = Q(due_date__lt=before, created_at__lt=before_end) & (
        Q(status=ActionStatus.OPEN) | Q(status=ActionStatus.DONE, done_at__gte=before_end)
    )
    rows = (
        ActionItem.objects.filter(partnership_id__in=partnership_ids)
        .order_by()
        .values("owner_partner_id", "partnership_id")
        .annotate(
            last_done=Max("done_at", filter=done),
            last_done_before=Max("done_at", filter=done & Q(done_at__lt=before_end)),
            done=Count("id", filter=done),
            overdue_before=Count("id", filter=open_before),
            oldest_due_before=Min("due_date", filter=open_before),
        )
    )
    return {row["owner_partner_id"]: row for row in rows}


def open_action_item_rows(partnership_ids) -> list[dict]:
    """Open action items as plain rows (one query), due first: for signals over many partnerships."""
    return list(
        ActionItem.objects.filter(partnership_id__in=partnership_ids, status=ActionStatus.OPEN)
        .values(
            "partnership_id", "owner_partner_id", "owner_partner__organisation__name", "title", "due_date"
        )
        .order_by("due_date", "id")
    )


def overdue_action_counts(partnership_ids, *, on: date) -> dict[int, int]:
    """Per partnership: open action items past their due date on ``on``. One query (the dashboard)."""
    rows = (
        ActionItem.objects.filter(
            partnership_id__in=list(partnership_ids), status=ActionStatus.OPEN, due_date__lt=on
        )
        .order_by()
        .values("partnership_id")
        .annotate(n=Count("id"))
    )
    return {row["partnership_id"]: row["n"] for row in rows}
