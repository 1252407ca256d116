"""Pages of meetings: the list (with a meeting-fatigue hint), scheduling (recurring too), the meeting page
(agenda, answers, participants, minutes with their TLP label, decisions, action items), attendance, minutes,
settings, "my meetings" across partnerships and the iCalendar feeds.

Thin: fetch through an access helper (404 outsider, 403 role), parse with a form, call a service, render.
"""

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from safepact.lib import clock
from safepact.lib.markdown import render as render_markdown
from safepact.meetings import selectors, services
from safepact.meetings.forms import (
    ActionItemForm,
    ActionStatusForm,
    AttendanceForm,
    CancelForm,
    DecisionForm,
    FeedResetForm,
    MeetingForm,
    MinutesForm,
    RespondForm,
    SettingsForm,
)
from safepact.meetings.models import ATTENDED, LIGHTER_KINDS, ActionStatus, Meeting, Status
from safepact.meetings.permissions import (
    can_add_action,
    can_record,
    can_schedule,
    can_set_action_status,
    ensure_can_set_action_status,
)
from safepact.partnerships.forms import apply_service_errors, error_summary
from safepact.partnerships.selectors import (
    get_partnership_for_user,
    partnerships_for,
)

ICS_TYPE = "text/calendar; charset=utf-8"


# Helpers ------------------------------------------------------------------------------------------


def _detail_url(meeting: Meeting, anchor: str = "") -> str:
    url = reverse("meetings:detail", kwargs={"code": meeting.partnership.code, "meeting_code": meeting.code})
    return f"{url}#{anchor}" if anchor else url


def _html(text: str) -> str:
    return mark_safe(render_markdown(text, heading_offset=2))  # noqa: S308 - sanitised by nh3 in lib.markdown


def _report_errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _overloaded(partnership, *, on: date) -> tuple[list, float]:
    """People whose meeting hours this month pass the partnership's limit, and the limit."""
    limit = float(selectors.settings_for(partnership=partnership).monthly_hours_limit)
    loads = selectors.meeting_load([partnership.pk], month_start=on.replace(day=1)).get(partnership.pk, [])
    return [load for load in loads if load.hours > limit], limit


# List, create, update, cancel -------------------------------------------------------------------------


@login_required
def meeting_list_view(request, code):
    partnership = get_partnership_for_user(request.user, code)
    membership = partnership.membership
    today = clock.today()
    overloaded, limit = _overloaded(partnership, on=today)
    context = {
        "partnership": partnership,
        "membership": membership,
        "is_coordinator": can_schedule(membership),
        "upcoming": selectors.meeting_list(user=request.user, partnership=partnership, when="upcoming"),
        "past": selectors.meeting_list(user=request.user, partnership=partnership, when="past"),
        "overloaded": overloaded,
        "limit": limit,
        "lighter_kinds": [kind.label for kind in LIGHTER_KINDS],
    }
    return render(request, "meetings/list.html", context)


@login_required
def meeting_create(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    members = list(selectors.invitee_choices(user=request.user, partnership=partnership))
    form = MeetingForm(request.POST if request.method == "POST" else None, memberships=members)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                meeting = services.meeting_create(
                    actor=request.user, partnership=partnership, **form.service_values()
                )
            except ValidationError as exc:
                apply_service_errors(
                    form, exc, rename={"starts_at": "date", "ends_at": "end_time", "invitees": "invitees"}
                )
            else:
                meeting.partnership = partnership
                count = form.service_values()["count"]
                if count > 1:
                    messages.success(
                        request,
                        _("%(count)s meetings “%(title)s” were scheduled and the invitations sent.")
                        % {"count": count, "title": meeting.title},
                    )
                else:
                    messages.success(
                        request,
                        _("“%(title)s” was scheduled and the invitations sent.") % {"title": meeting.title},
                    )
                return redirect(_detail_url(meeting))
        status = 422
    context = {"partnership": partnership, "form": form, "meeting": None}
    return render(request, "meetings/form.html", context, status=status)


@login_required
def meeting_update(request, code, meeting_code):
    meeting = selectors.get_meeting_for_user(request.user, code, meeting_code, manage=True)
    partnership = meeting.partnership
    if meeting.status == Status.CANCELLED:
        messages.error(request, _("A cancelled meeting cannot change."))
        return redirect(_detail_url(meeting))
    invited = {p.user_id for p in selectors.participant_list(meeting=meeting)}
    candidates = [
        m
        for m in selectors.invitee_choices(user=request.user, partnership=partnership)
        if m.user_id not in invited
    ]
    form = MeetingForm(
        request.POST if request.method == "POST" else None,
        initial=MeetingForm.initial_for(meeting),
        memberships=candidates,
        creating=False,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            values = form.service_values()
            changes = {key: value for key, value in values.items() if getattr(meeting, key) != value}
            try:
                if changes:
                    meeting = services.meeting_update(actor=request.user, meeting=meeting, **changes)
                if form.cleaned_data["invitees"]:
                    services.invitees_add(
                        actor=request.user, meeting=meeting, memberships=form.cleaned_data["invitees"]
                    )
            except ValidationError as exc:
                apply_service_errors(
                    form, exc, rename={"starts_at": "date", "ends_at": "end_time", "memberships": "invitees"}
                )
            else:
                meeting.partnership = partnership
                messages.success(request, _("“%(title)s” was saved.") % {"title": meeting.title})
                return redirect(_detail_url(meeting))
        status = 422
    context = {"partnership": partnership, "form": form, "meeting": meeting}
    return render(request, "meetings/form.html", context, status=status)


@login_required
@require_POST
def meeting_cancel(request, code, meeting_code):
    meeting = selectors.get_meeting_for_user(request.user, code, meeting_code, manage=True)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.meeting_cancel(actor=request.user, meeting=meeting, reason=reason)
    except ValidationError as exc:
        _report_errors(request, exc)
    else:
        messages.success(request, _("“%(title)s” was cancelled.") % {"title": meeting.title})
    return redirect(_detail_url(meeting))


# The meeting page ---------------------------------------------------------------------------------------


def _action_form(request, partnership, data=None) -> ActionItemForm:
    return ActionItemForm(
        data,
        partners=selectors.owner_partner_choices(user=request.user, partnership=partnership),
        memberships=selectors.invitee_choices(user=request.user, partnership=partnership),
    )


def _detail_context(request, meeting: Meeting, *, decision_form=None, action_form=None) -> dict:
    partnership = meeting.partnership
    membership = partnership.membership
    user = request.user
    now = clock.now()
    today = clock.today()
    coordinator = can_schedule(membership)
    items = list(selectors.action_item_list(user=user, partnership=partnership, meeting=meeting))
    for item in items:
        item.overdue = item.status == ActionStatus.OPEN and item.due_date < today
        item.may_change = can_set_action_status(membership, item)
    minutes = selectors.minutes_for(user=user, meeting=meeting)
    withheld = minutes is None and selectors.minutes_withheld(user=user, meeting=meeting)
    participants = list(selectors.participant_list(meeting=meeting))
    started = meeting.starts_at <= now
    return {
        "partnership": partnership,
        "meeting": meeting,
        "membership": membership,
        "is_coordinator": coordinator,
        "started": started,
        "cancelled": meeting.status == Status.CANCELLED,
        "agenda": _html(meeting.agenda) if meeting.agenda else "",
        "mine": selectors.my_participation(user, meeting),
        "participants": participants,
        "attended_count": sum(1 for p in participants if p.attendance in ATTENDED),
        "may_record": can_record(membership) and started and meeting.status != Status.CANCELLED,
        "minutes": minutes,
        "minutes_html": _html(minutes.text) if minutes else "",
        "minutes_withheld": withheld,
        "minutes_withheld_reason": selectors.minutes_withheld_reason(user=user, meeting=meeting)
        if withheld
        else "",
        "decisions": list(selectors.decision_list(meeting=meeting)),
        "decision_form": decision_form or (DecisionForm() if can_record(membership) else None),
        "items": items,
        "may_add_action": can_add_action(membership),
        "action_form": action_form
        or (_action_form(request, partnership) if can_add_action(membership) else None),
        "statuses": ActionStatus.choices,
    }


@login_required
def meeting_detail(request, code, meeting_code):
    meeting = selectors.get_meeting_for_user(request.user, code, meeting_code)
    return render(request, "meetings/detail.html", _detail_context(request, meeting))


@login_required
@require_POST
def meeting_respond(request, code, meeting_code):
    meeting = selectors.get_meeting_for_user(request.user, code, meeting_code)
    participant = selectors.my_participation(request.user, meeting)
    form = RespondForm(request.POST)
    if participant is None:
        messages.error(request, _("You are not invited to this meeting."))
    elif not form.is_valid():
        messages.error(request, error_summary(form))
    else:
        try:
            services.participant_respond(
                actor=request.user, participant=participant, response=form.cleaned_data["response"]
            )
        except ValidationError as exc:
            _report_errors(request, exc)
        else:
            if form.cleaned_data["response"] == "accepted":
                messages.success(request, _("Your answer was saved: you will come."))
            else:
                messages.success(request, _("Your answer was saved: you cannot come."))
    return redirect(_detail_url(meeting, "my-answer"))


@login_required
def attendance(request, code, meeting_code):
    meeting = selectors.get_meeting_for_user(request.user, code, meeting_code, manage=True)
    participants = selectors.participant_list(meeting=meeting)
    form = AttendanceForm(request.POST if request.method == "POST" else None, participants=participants)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.attendance_record(actor=request.user, meeting=meeting, attendance=form.attendance())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The attendance was saved."))
                return redirect(_detail_url(meeting, "participants"))
        status = 422
    context = {
        "partnership": meeting.partnership,
        "meeting": meeting,
        "form": form,
        "started": meeting.starts_at <= clock.now(),
    }
    return render(request, "meetings/attendance.html", context, status=status)


@login_required
def minutes_edit(request, code, meeting_code):
    meeting = selectors.get_meeting_for_user(request.user, code, meeting_code, manage=True)
    partnership = meeting.partnership
    current = selectors.minutes_for(user=request.user, meeting=meeting)
    if current is None and selectors.minutes_withheld(user=request.user, meeting=meeting):
        messages.error(
            request,
            _(
                "The minutes are labelled for other recipients: you cannot read them, so you cannot edit them."
            ),
        )
        return redirect(_detail_url(meeting, "minutes"))
    initial = {"tlp": "green"}
    if current is not None:
        initial = {
            "text": current.text,
            "tlp": current.tlp,
            "recipient_organisations": list(current.recipient_organisations.all()),
            "recipient_people": list(current.recipient_people.all()),
        }
    form = MinutesForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        organisations=selectors.recipient_organisation_choices(user=request.user, partnership=partnership),
        people=selectors.recipient_people_choices(user=request.user, partnership=partnership),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.minutes_save(
                    actor=request.user,
                    meeting=meeting,
                    text=data["text"],
                    tlp=data["tlp"],
                    recipient_organisations=list(data["recipient_organisations"]),
                    recipient_people=list(data["recipient_people"]),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The minutes were saved."))
                return redirect(_detail_url(meeting, "minutes"))
        status = 422
    context = {"partnership": partnership, "meeting": meeting, "form": form, "minutes": current}
    return render(request, "meetings/minutes.html", context, status=status)


@login_required
@require_POST
def decision_add(request, code, meeting_code):
    meeting = selectors.get_meeting_for_user(request.user, code, meeting_code, manage=True)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.decision_add(actor=request.user, meeting=meeting, text=form.cleaned_data["text"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The decision was added."))
            return redirect(_detail_url(meeting, "decisions"))
    context = _detail_context(request, meeting, decision_form=form)
    return render(request, "meetings/detail.html", context, status=422)


@login_required
@require_POST
def decision_delete(request, code, meeting_code, decision_code):
    decision = selectors.get_decision_for_user(request.user, code, meeting_code, decision_code, manage=True)
    try:
        services.decision_delete(actor=request.user, decision=decision)
    except ValidationError as exc:
        _report_errors(request, exc)
    else:
        messages.success(request, _("The decision was removed."))
    return redirect(_detail_url(decision.meeting, "decisions"))


@login_required
@require_POST
def action_add(request, code, meeting_code):
    meeting = selectors.get_meeting_for_user(request.user, code, meeting_code, write=True)
    form = _action_form(request, meeting.partnership, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        person = data["owner_person"]
        try:
            item = services.action_item_create(
                actor=request.user,
                meeting=meeting,
                title=data["title"],
                owner_partner=data["owner_partner"],
                due_date=data["due_date"],
                owner_person=person.user if person else None,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The action “%(title)s” was added.") % {"title": item.title})
            return redirect(_detail_url(meeting, "actions"))
    context = _detail_context(request, meeting, action_form=form)
    return render(request, "meetings/detail.html", context, status=422)


@login_required
@require_POST
def action_status(request, code, item_code):
    membership = get_partnership_for_user(request.user, code, write=True).membership  # 404, 403 viewer
    item = selectors.get_action_item_for_user(request.user, code, item_code, write=True)
    ensure_can_set_action_status(membership, item)
    form = ActionStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_summary(form))
    else:
        try:
            services.action_item_set_status(actor=request.user, item=item, status=form.cleaned_data["status"])
        except ValidationError as exc:
            _report_errors(request, exc)
        else:
            messages.success(
                request,
                _("“%(title)s” is now %(status)s.")
                % {"title": item.title, "status": ActionStatus(form.cleaned_data["status"]).label.lower()},
            )
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(
        reverse("meetings:detail", kwargs={"code": code, "meeting_code": item.meeting.code}) + "#actions"
    )


# Settings -----------------------------------------------------------------------------------------------


@login_required
def meetings_settings(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    current = selectors.settings_for(partnership=partnership)
    form = SettingsForm(
        request.POST if request.method == "POST" else None,
        initial={"monthly_hours_limit": current.monthly_hours_limit},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.settings_update(
                    actor=request.user,
                    partnership=partnership,
                    monthly_hours_limit=form.cleaned_data["monthly_hours_limit"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The meeting settings were saved."))
                return redirect("meetings:list", code=partnership.code)
        status = 422
    return render(
        request, "meetings/settings.html", {"partnership": partnership, "form": form}, status=status
    )


# My meetings and calendars ----------------------------------------------------------------------------


def _feed_url(token: str) -> str:
    return settings.SITE_URL + reverse("meetings:feed", kwargs={"token": token})


def _mine_context(request, *, new_feed=None) -> dict:
    user = request.user
    partnerships = list(partnerships_for(user).order_by("name"))
    feeds = {feed.partnership_id: feed for feed in selectors.feed_list(user=user)}
    hours = selectors.my_meeting_hours(user=user, months=3)
    return {
        "meetings": selectors.my_meetings(user=user, days_ahead=60),
        "hours": hours,
        "any_over": any(row["over"] for row in hours),
        "calendars": [{"partnership": None, "feed": feeds.get(None)}]
        + [{"partnership": p, "feed": feeds.get(p.pk)} for p in partnerships],
        "new_feed": new_feed,
    }


@login_required
def my_meetings_view(request):
    return render(request, "meetings/mine.html", _mine_context(request))


@never_cache
@login_required
@require_POST
def feed_reset(request):
    form = FeedResetForm(request.POST)
    if not form.is_valid():
        raise Http404(_("Partnership not found."))
    partnership = None
    if form.cleaned_data["partnership"]:
        partnership = get_partnership_for_user(request.user, form.cleaned_data["partnership"])
    token = services.calendar_feed_reset(actor=request.user, partnership=partnership)
    new_feed = {"partnership": partnership, "url": _feed_url(token)}
    response = render(request, "meetings/mine.html", _mine_context(request, new_feed=new_feed))
    response["Cache-Control"] = "no-store"
    return response


def _ics(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=ICS_TYPE)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def partnership_calendar(request, code):
    partnership = get_partnership_for_user(request.user, code)
    meetings = selectors.feed_meetings(request.user, partnership)
    return _ics(selectors.ical_for(meetings=meetings, name=partnership.name), "meetings.ics")


def feed(request, token):
    """A calendar application's request: the secret token is the only credential (no login)."""
    found = selectors.feed_lookup(token)
    if found is None:
        raise Http404(_("Calendar not found."))
    user, partnership = found
    selectors.feed_touch(token)
    name = partnership.name if partnership is not None else _("My SafePact meetings")
    meetings = selectors.feed_meetings(user, partnership)
    return _ics(selectors.ical_for(meetings=meetings, name=name), "meetings.ics")


M = "p/<uuid:code>/meetings/"
MC = M + "<uuid:meeting_code>/"
urlpatterns = [
    path(M, meeting_list_view, name="list"),
    path(f"{M}new/", meeting_create, name="create"),
    path(f"{M}settings/", meetings_settings, name="settings"),
    path(f"{M}calendar.ics", partnership_calendar, name="calendar"),
    path(f"{M}actions/<uuid:item_code>/status/", action_status, name="action_status"),
    path(MC, meeting_detail, name="detail"),
    path(f"{MC}edit/", meeting_update, name="update"),
    path(f"{MC}cancel/", meeting_cancel, name="cancel"),
    path(f"{MC}respond/", meeting_respond, name="respond"),
    path(f"{MC}attendance/", attendance, name="attendance"),
    path(f"{MC}minutes/", minutes_edit, name="minutes"),
    path(f"{MC}decisions/new/", decision_add, name="decision_add"),
    path(f"{MC}decisions/<uuid:decision_code>/delete/", decision_delete, name="decision_delete"),
    path(f"{MC}actions/new/", action_add, name="action_add"),
    path("meetings/", my_meetings_view, name="mine"),
    path("meetings/feed/reset/", feed_reset, name="feed_reset"),
    path("calendar/<str:token>.ics", feed, name="feed"),
]
