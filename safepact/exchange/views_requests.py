"""Pages of information requests, Five Safes assessments, the data-sharing register (with the GDPR Art. 30
export), subject-access searches and legal holds.

Thin: fetch through an access helper (404 outsider or an item the label keeps from me, 403 without the
role), parse with a form, call a service, render. Restricted items are read only through the selectors
(``visible_to``/``may_see``); every view of a TLP:AMBER, AMBER+STRICT or RED request or answer is recorded
with ``access_record``.

The contract names URL parameters after their object (``request``, ``assessment``, ``flow``, ``item``);
``request`` would clash with the view's own first argument, so ``_codes`` hands them over as
``<name>_code``.
"""

import functools
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safepact.accounts.sudo import sudo_active
from safepact.exchange import documents, selectors, services
from safepact.exchange import permissions as perms
from safepact.exchange.forms_posts import upload_help
from safepact.exchange.forms_requests import (
    AnswerForm,
    Art30Form,
    AssessmentNewForm,
    DecisionForm,
    DeclineForm,
    EndFlowForm,
    FiveSafesForm,
    FlowForm,
    LegalHoldForm,
    PartyFormSet,
    RequestFilterForm,
    RequestForm,
    RequestLabelForm,
    SubjectAccessForm,
    party_initial,
)
from safepact.exchange.models import (
    OPEN_STATES,
    AssessmentStatus,
    DataCategory,
    FlowStatus,
    InformationRequest,
    RecipientStatus,
    RequestStatus,
    Safe,
)
from safepact.lib import clock
from safepact.lib.markdown import render as render_markdown
from safepact.lib.tlp import RESTRICTED, TLP
from safepact.partnerships.forms import apply_service_errors
from safepact.partnerships.models import MembershipStatus, PartnerStatus
from safepact.partnerships.permissions import can_manage, can_write
from safepact.partnerships.selectors import (
    get_partnership_for_user,
    member_list,
    membership_in,
    partner_list,
)

PER_PAGE = 25
#: The register highlights a flow whose review date is this close (or past); the reminders use the same.
REVIEW_SOON_DAYS = 30
#: States from which the requester or a coordinator may close a request; in which the requester may change it.
CLOSABLE = services.CLOSABLE_STATES
EDITABLE = services.EDITABLE_STATES
HOLD_KINDS = ("post", "document", "request", "answer")


# Helpers ------------------------------------------------------------------------------------------


def _codes(view):
    """Hand the contract's URL parameters (``request``, ``assessment``, ``flow``, ``item``) to the view as
    ``request_code`` etc.: the first argument of a view (and of Django's decorators) is the HTTP request."""

    @functools.wraps(view)
    def wrapper(http_request, /, *args, **kwargs):
        for name in ("request", "assessment", "flow", "item"):
            if name in kwargs:
                kwargs[f"{name}_code"] = kwargs.pop(name)
        return view(http_request, *args, **kwargs)

    return wrapper


def _html(text: str) -> str:
    return mark_safe(render_markdown(text, heading_offset=2))  # noqa: S308 - sanitised by nh3 in lib.markdown


def _membership(user, partnership):
    return getattr(partnership, "membership", None) or membership_in(user, partnership)


def _report_errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _safe_next(request) -> str | None:
    target = request.POST.get("next", "") or request.GET.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _request_url(item, anchor: str = "") -> str:
    url = reverse("exchange:request", kwargs={"code": item.partnership.code, "request": item.code})
    return f"{url}#{anchor}" if anchor else url


def _assessment_url(assessment) -> str:
    return reverse(
        "exchange:assessment", kwargs={"code": assessment.partnership.code, "assessment": assessment.code}
    )


def _flow_url(flow) -> str:
    return reverse("exchange:flow", kwargs={"code": flow.partnership.code, "flow": flow.code})


def _category_labels(codes) -> list[str]:
    labels = dict(DataCategory.choices)
    return [labels.get(code, code) for code in codes or ()]


def _active_partners(user, partnership):
    return partner_list(user=user, partnership=partnership).filter(status=PartnerStatus.ACTIVE)


def _addressable_partners(user, partnership, membership):
    """Partners a request may go to: the active ones except the requester's own."""
    partners = _active_partners(user, partnership)
    if membership is not None:
        partners = partners.exclude(pk=membership.partner_id)
    return partners


def _active_people(user, partnership):
    """Active members (through active partners) to name for TLP:RED, by organisation and name."""
    return (
        member_list(user=user, partnership=partnership)
        .filter(status=MembershipStatus.ACTIVE, partner__status=PartnerStatus.ACTIVE)
        .exclude(user=user)
        .order_by("partner__organisation__name", "user__full_name")
    )


def _upload_help(partnership) -> str:
    return upload_help(selectors.settings_for(partnership))


# Information requests: list ---------------------------------------------------------------------------


def _is_overdue(item, today) -> bool:
    """Overdue (the daily job marks it the day after the deadline), or sent and past its deadline today."""
    return item.status == RequestStatus.OVERDUE or (
        item.status == RequestStatus.SENT and item.deadline < today
    )


@login_required
def request_list(request, code):
    partnership = get_partnership_for_user(request.user, code)
    membership = partnership.membership
    form = RequestFilterForm(request.GET or None)
    box, status = "all", ""
    if form.is_valid():
        box = form.cleaned_data["box"] or "all"
        status = form.cleaned_data["status"]
    found = selectors.request_list(user=request.user, partnership=partnership, box=box)
    if status:
        found = found.filter(status=status)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    today = clock.today()
    for item in page.object_list:
        item.is_overdue = _is_overdue(item, today)
    context = {
        "partnership": partnership,
        "membership": membership,
        "form": form,
        "box": box,
        "status": status,
        "page": page,
        "may_request": perms.can_request(membership),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "exchange/request_list_results.html", context)
    return render(request, "exchange/request_list.html", context)


# Information requests: create and change ----------------------------------------------------------------


def _request_form(request, partnership, membership, data=None, files=None, **kwargs) -> RequestForm:
    return RequestForm(
        data,
        files,
        partners=_addressable_partners(request.user, partnership, membership),
        people=_active_people(request.user, partnership),
        **kwargs,
    )


#: Field names of the services' errors that the request form calls differently.
RENAME = {
    "recipients": "recipient_partners",
    "partners": "recipient_partners",
    "people": "recipient_people",
    "files": "attachments",
    "file": "attachments",
}
FILE_ERRORS = {"files": "attachments", "file": "attachments"}


@login_required
def request_new(request, code):
    partnership = get_partnership_for_user(request.user, code, write=True)
    membership = partnership.membership
    posted = request.method == "POST"
    form = _request_form(
        request,
        partnership,
        membership,
        request.POST if posted else None,
        request.FILES if posted else None,
        upload_help=_upload_help(partnership),
        initial={"deadline": clock.today() + timedelta(days=14)},
    )
    status = 200
    if posted:
        if form.is_valid():
            try:
                item = services.request_create(
                    actor=request.user,
                    partnership=partnership,
                    files=form.cleaned_data["attachments"],
                    **form.service_values(),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc, rename=RENAME)
            else:
                item.partnership = partnership
                messages.success(
                    request,
                    _("The draft “%(title)s” was saved. Check it, then submit it to send it.")
                    % {"title": item.title},
                )
                return redirect(_request_url(item))
        status = 422
    context = {"partnership": partnership, "form": form, "item": None}
    return render(request, "exchange/request_form.html", context, status=status)


@_codes
@login_required
def request_edit(request, code, request_code):
    get_partnership_for_user(request.user, code, write=True)  # 404 outsider, 403 viewer
    item = selectors.get_request_for_user(request.user, code, request_code)
    partnership = item.partnership
    membership = _membership(request.user, partnership)
    if not perms.is_author(membership, item):
        raise PermissionDenied(_("Only the person who asked can change the request."))
    if item.status not in EDITABLE:
        messages.error(request, _("A request that was sent cannot change any more."))
        return redirect(_request_url(item))
    recipients = list(item.recipients.all())
    named = [person.pk for person in item.recipient_people.all() if person.pk != item.created_by_id]
    people_codes = [str(m.code) for m in _active_people(request.user, partnership).filter(user__in=named)]
    form = _request_form(
        request,
        partnership,
        membership,
        request.POST if request.method == "POST" else None,
        creating=False,
        initial=RequestForm.initial_for(item, recipients=recipients, people_codes=people_codes),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                # The service changes (and audits) only what differs.
                item = services.request_update(actor=request.user, request=item, **form.service_values())
            except ValidationError as exc:
                apply_service_errors(form, exc, rename=RENAME)
            else:
                item.partnership = partnership
                messages.success(request, _("“%(title)s” was saved.") % {"title": item.title})
                return redirect(_request_url(item))
        status = 422
    context = {"partnership": partnership, "form": form, "item": item}
    return render(request, "exchange/request_form.html", context, status=status)


# Information requests: the request page -----------------------------------------------------------------


def _request_context(request, item, *, answer_form=None, decline_form=None) -> dict:
    user = request.user
    partnership = item.partnership
    membership = _membership(user, partnership)
    services.access_record(user=user, item=item)
    answers = list(selectors.answers_for(user=user, request=item))
    for answer in answers:
        services.access_record(user=user, item=answer)
        answer.html = _html(answer.text)
        answer.files = list(answer.attachments.all())
        answer.may_download = selectors.may_download(user, answer)
    recipients = list(item.recipients.all())  # prefetched by the selector, by organisation name
    mine = None
    if membership is not None:
        mine = next((r for r in recipients if r.partner_id == membership.partner_id), None)
    # Whether (and when) an addressed organisation answered or declined is for the asking side and the
    # coordinators; another addressed organisation, which may not read that answer, does not learn of it.
    sees_every_status = can_manage(membership) or (
        membership is not None and membership.partner_id == item.requester_partner_id
    )
    for recipient in recipients:
        recipient.status_shown = sees_every_status or recipient is mine
    may_respond = (
        mine is not None
        and mine.status == RecipientStatus.PENDING
        and item.status in OPEN_STATES
        and perms.can_answer(membership, mine)
    )
    is_requester = perms.is_author(membership, item)
    assessment = item.assessment
    may_open_assessment = assessment is not None and (
        assessment.requested_by_id == user.pk or can_manage(membership)
    )
    limits_help = _upload_help(partnership) if may_respond else ""
    return {
        "partnership": partnership,
        "membership": membership,
        "item": item,
        "question_html": _html(item.question),
        "categories": _category_labels(item.data_categories),
        "recipients": recipients,
        "named_people": list(item.recipient_people.all()) if item.tlp == TLP.RED else [],
        "requester_organisation": item.requester_partner.organisation,
        "attachments": list(item.attachments.all()),
        "may_download": selectors.may_download(user, item),
        "answers": answers,
        "assessment": assessment,
        "may_open_assessment": may_open_assessment,
        "rejected_note": assessment.decision_note
        if assessment is not None and assessment.status == AssessmentStatus.REJECTED and is_requester
        else "",
        "is_requester": is_requester,
        "is_overdue": _is_overdue(item, clock.today()),
        "may_submit": is_requester and item.status == RequestStatus.DRAFT,
        "may_edit": is_requester and item.status in EDITABLE,
        "may_respond": may_respond,
        "my_recipient": mine,
        "answer_form": answer_form or (AnswerForm(upload_help=limits_help) if may_respond else None),
        "decline_form": decline_form or (DeclineForm() if may_respond else None),
        "may_close": perms.can_close_request(membership, item) and item.status in CLOSABLE,
        "may_relabel": perms.can_edit_item(membership, item),
        "may_see_access_log": perms.can_edit_item(membership, item) and item.tlp in RESTRICTED,
        "may_hold": perms.can_hold(membership),
        # Its own ids: the decline form on the same page has a "reason" too.
        "hold_form": LegalHoldForm(auto_id="hold-%s", initial={"hold": "0" if item.legal_hold else "1"}),
    }


@_codes
@login_required
def request_detail(request, code, request_code):
    item = selectors.get_request_for_user(request.user, code, request_code)
    return render(request, "exchange/request_detail.html", _request_context(request, item))


@_codes
@login_required
@require_POST
def request_submit(request, code, request_code):
    get_partnership_for_user(request.user, code, write=True)
    item = selectors.get_request_for_user(request.user, code, request_code)
    partnership = item.partnership
    try:
        item = services.request_submit(actor=request.user, request=item)
    except ValidationError as exc:
        _report_errors(request, exc)
        return redirect(_request_url(item))
    item.partnership = partnership
    if item.status == RequestStatus.AWAITING_ASSESSMENT:
        messages.warning(
            request,
            _(
                "The request asks for personal data, so it waits for a Five Safes assessment. Answer the five "
                "questions and submit the assessment: a coordinator other than you decides on it, and the "
                "request is sent when it is approved."
            ),
        )
        assessment = item.assessment
        if assessment is not None:
            assessment.partnership = partnership
            return redirect(_assessment_url(assessment))
    else:
        messages.success(request, _("The request was sent to the addressed organisations."))
    return redirect(_request_url(item))


def _respond_page(request, item, template: str, form, status: int = 200):
    context = {"partnership": item.partnership, "item": item, "form": form}
    return render(request, template, context, status=status)


def _my_pending_recipient(request, item):
    membership = _membership(request.user, item.partnership)
    if membership is None:
        return None
    return item.recipients.filter(partner_id=membership.partner_id, status=RecipientStatus.PENDING).first()


@_codes
@login_required
def request_answer(request, code, request_code):
    get_partnership_for_user(request.user, code, write=True)
    item = selectors.get_request_for_user(request.user, code, request_code)
    partnership = item.partnership
    if request.method != "POST":
        if item.status not in OPEN_STATES or _my_pending_recipient(request, item) is None:
            messages.error(request, _("Your organisation has no open question in this request to answer."))
            return redirect(_request_url(item))
        services.access_record(user=request.user, item=item)
        form = AnswerForm(upload_help=_upload_help(partnership))
        return _respond_page(request, item, "exchange/request_answer.html", form)
    form = AnswerForm(request.POST, request.FILES, upload_help=_upload_help(partnership))
    if form.is_valid():
        try:
            services.request_answer(
                actor=request.user,
                request=item,
                text=form.cleaned_data["text"],
                files=form.cleaned_data["attachments"],
                tlp=form.cleaned_data["tlp"] or None,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, rename=FILE_ERRORS)
        else:
            messages.success(request, _("Your answer was sent to the person who asked."))
            return redirect(_request_url(item, "answers"))
    return _respond_page(request, item, "exchange/request_answer.html", form, status=422)


@_codes
@login_required
def request_decline(request, code, request_code):
    get_partnership_for_user(request.user, code, write=True)
    item = selectors.get_request_for_user(request.user, code, request_code)
    if request.method != "POST":
        if item.status not in OPEN_STATES or _my_pending_recipient(request, item) is None:
            messages.error(request, _("Your organisation has no open question in this request to decline."))
            return redirect(_request_url(item))
        return _respond_page(request, item, "exchange/request_decline.html", DeclineForm())
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.request_decline(actor=request.user, request=item, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_service_errors(form, exc, rename={"text": "reason"})
        else:
            messages.success(request, _("You declined the request; the person who asked reads your reason."))
            return redirect(_request_url(item, "answers"))
    return _respond_page(request, item, "exchange/request_decline.html", form, status=422)


@_codes
@login_required
@require_POST
def request_close(request, code, request_code):
    get_partnership_for_user(request.user, code, write=True)
    item = selectors.get_request_for_user(request.user, code, request_code)
    try:
        services.request_close(actor=request.user, request=item)
    except ValidationError as exc:
        _report_errors(request, exc)
    else:
        messages.success(request, _("The request was closed."))
    return redirect(_request_url(item))


@_codes
@login_required
def request_label(request, code, request_code):
    get_partnership_for_user(request.user, code, write=True)
    item = selectors.get_request_for_user(request.user, code, request_code)
    partnership = item.partnership
    membership = _membership(request.user, partnership)
    perms.ensure(
        perms.can_edit_item(membership, item),
        _("Only the person who asked or a coordinator can change the label."),
    )
    people = _active_people(request.user, partnership)
    current = [person.pk for person in item.recipient_people.all()]
    form = RequestLabelForm(
        request.POST if request.method == "POST" else None,
        people=people,
        initial={"tlp": item.tlp, "recipient_people": [str(m.code) for m in people.filter(user__in=current)]},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            # A request's label names the requesting and the addressed organisations (TLP:AMBER,
            # AMBER+STRICT), or the people named plus the person who asked (TLP:RED).
            organisations = [item.requester_partner.organisation] + [
                recipient.partner.organisation for recipient in item.recipients.all()
            ]
            people = [*data["recipient_people"], item.created_by] if data["tlp"] == TLP.RED else None
            try:
                services.label_change(
                    actor=request.user,
                    item=item,
                    tlp=data["tlp"],
                    recipient_organisations=organisations,
                    recipient_people=people,
                    reason=data["reason"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request, _("The label is now %(label)s.") % {"label": TLP(data["tlp"]).label}
                )
                return redirect(_request_url(item))
        status = 422
    context = {"partnership": partnership, "item": item, "form": form}
    return render(request, "exchange/request_label.html", context, status=status)


# Five Safes assessments -------------------------------------------------------------------------------


def _questions(version: str) -> list[dict]:
    """The five questions of the assessment's question set, in the active language."""
    from safepact.exchange import five_safes

    return [
        {"safe": safe.id, "title": safe.title, "question": safe.question, "guidance": safe.guidance}
        for safe in five_safes.question_set(version).localised()
    ]


@login_required
def assessment_list(request, code):
    partnership = get_partnership_for_user(request.user, code)
    membership = partnership.membership
    context = {
        "partnership": partnership,
        "membership": membership,
        "assessments": list(selectors.assessment_list(user=request.user, partnership=partnership)),
        "is_coordinator": can_manage(membership),
        "may_create": can_write(membership),
    }
    return render(request, "exchange/assessment_list.html", context)


@login_required
def assessment_new(request, code):
    partnership = get_partnership_for_user(request.user, code, write=True)
    form = AssessmentNewForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                assessment = services.assessment_create(
                    actor=request.user, partnership=partnership, title=form.cleaned_data["title"]
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                assessment.partnership = partnership
                messages.success(
                    request, _("The assessment “%(title)s” was created.") % {"title": assessment.title}
                )
                return redirect(_assessment_url(assessment))
        status = 422
    context = {"partnership": partnership, "form": form}
    return render(request, "exchange/assessment_new.html", context, status=status)


def _five_safes_form(assessment, data=None) -> FiveSafesForm:
    current = {answer.safe: answer for answer in assessment.answers.all()}
    initial = {}
    for safe, answer in current.items():
        initial[f"answer_{safe}"] = answer.answer
        initial[f"risk_{safe}"] = answer.risk
        initial[f"mitigations_{safe}"] = answer.mitigations
    return FiveSafesForm(data, safes=Safe.values, initial=initial)


def _assessment_context(request, assessment, *, form=None, decision_form=None) -> dict:
    user = request.user
    partnership = assessment.partnership
    membership = _membership(user, partnership)
    is_requester = assessment.requested_by_id == user.pk
    editable = assessment.status == AssessmentStatus.DRAFT and (is_requester or can_manage(membership))
    answers = {answer.safe: answer for answer in assessment.answers.all()}
    form = form or (_five_safes_form(assessment) if editable else None)
    questions = _questions(assessment.question_set)
    rows = []
    for question in questions:
        safe = question["safe"]
        rows.append(
            {**question, "answer": answers.get(safe), "fields": form.rows().get(safe) if form else None}
        )
    try:
        linked = assessment.request
    except InformationRequest.DoesNotExist:  # an assessment of a data flow
        linked = None
    linked_visible = False
    if linked is not None:
        try:
            linked_visible = selectors.get_request_for_user(user, partnership.code, linked.code) is not None
        except Http404:
            linked_visible = False
    may_decide = perms.can_decide(membership, assessment) and assessment.status == AssessmentStatus.SUBMITTED
    return {
        "partnership": partnership,
        "membership": membership,
        "assessment": assessment,
        "rows": rows,
        "form": form,
        "editable": editable,
        "complete": len(answers) == len(Safe.values),
        "is_requester": is_requester,
        "linked": linked,
        "linked_visible": linked_visible,
        "may_decide": may_decide,
        "decision_form": decision_form or (DecisionForm() if may_decide else None),
        "approved": assessment.status
        in (AssessmentStatus.APPROVED, AssessmentStatus.APPROVED_WITH_CONDITIONS),
    }


@_codes
@login_required
def assessment_detail(request, code, assessment_code):
    assessment = selectors.get_assessment_for_user(request.user, code, assessment_code)
    if request.method != "POST":
        return render(request, "exchange/assessment_detail.html", _assessment_context(request, assessment))
    context = _assessment_context(request, assessment)
    if not context["editable"]:
        raise PermissionDenied(
            _(
                "Only the person who asked for the assessment (or a coordinator) fills it in, while it is a draft."
            )
        )
    form = _five_safes_form(assessment, request.POST)
    if form.is_valid():
        current = {answer.safe: answer for answer in assessment.answers.all()}
        try:
            for safe, values in form.answers().items():
                before = current.get(safe)
                if before is not None and (before.answer, before.risk, before.mitigations) == (
                    values["answer"],
                    values["risk"],
                    values["mitigations"],
                ):
                    continue
                services.assessment_answer_set(actor=request.user, assessment=assessment, safe=safe, **values)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.error_dict.items():
                    field = f"{name}_{safe}"
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            if request.POST.get("then") == "submit":
                return _submit_assessment(request, assessment)
            messages.success(request, _("The answers were saved."))
            return redirect(_assessment_url(assessment))
    context = _assessment_context(request, assessment, form=form)
    return render(request, "exchange/assessment_detail.html", context, status=422)


def _submit_assessment(request, assessment):
    partnership = assessment.partnership
    try:
        assessment = services.assessment_submit(actor=request.user, assessment=assessment)
    except ValidationError as exc:
        _report_errors(request, exc)
    else:
        assessment.partnership = partnership
        messages.success(
            request,
            _(
                "The assessment was submitted. The coordinators were asked to decide; you cannot decide it yourself."
            ),
        )
    return redirect(_assessment_url(assessment))


@_codes
@login_required
@require_POST
def assessment_submit(request, code, assessment_code):
    get_partnership_for_user(request.user, code, write=True)
    assessment = selectors.get_assessment_for_user(request.user, code, assessment_code)
    return _submit_assessment(request, assessment)


@_codes
@login_required
@require_POST
def assessment_decide(request, code, assessment_code):
    get_partnership_for_user(request.user, code, manage=True)
    assessment = selectors.get_assessment_for_user(request.user, code, assessment_code)
    partnership = assessment.partnership
    membership = _membership(request.user, partnership)
    if not perms.can_decide(membership, assessment):
        # Four eyes: refused on the page itself, with the reason (403, nothing changes).
        messages.error(
            request,
            _(
                "You asked for this assessment, so you cannot decide on it: another coordinator of the "
                "partnership must (four eyes)."
            ),
        )
        context = _assessment_context(request, assessment)
        return render(request, "exchange/assessment_detail.html", context, status=403)
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            assessment = services.assessment_decide(
                actor=request.user,
                assessment=assessment,
                decision=data["decision"],
                conditions=data["conditions"],
                note=data["note"],
                valid_until=data["valid_until"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, rename={"decision_note": "note", "status": "decision"})
        else:
            assessment.partnership = partnership
            messages.success(
                request,
                _("Your decision was recorded: %(decision)s.")
                % {"decision": AssessmentStatus(assessment.status).label.lower()},
            )
            return redirect(_assessment_url(assessment))
    context = _assessment_context(request, assessment, decision_form=form)
    return render(request, "exchange/assessment_detail.html", context, status=422)


# The data-sharing register ------------------------------------------------------------------------------


def _decorate_flow(flow, today) -> None:
    active = flow.status == FlowStatus.ACTIVE
    flow.review_overdue = active and flow.review_on < today
    flow.review_soon = (
        active and not flow.review_overdue and flow.review_on <= today + timedelta(days=REVIEW_SOON_DAYS)
    )


@login_required
def register(request, code):
    partnership = get_partnership_for_user(request.user, code)
    membership = partnership.membership
    flows = list(selectors.flow_list(user=request.user, partnership=partnership))
    today = clock.today()
    for flow in flows:
        _decorate_flow(flow, today)
    context = {
        "partnership": partnership,
        "membership": membership,
        "flows": flows,
        "is_coordinator": perms.can_manage_register(membership),
        "soon_days": REVIEW_SOON_DAYS,
    }
    return render(request, "exchange/register_list.html", context)


def _agreement_choices(user, partnership) -> list:
    from safepact.agreements.selectors import agreement_list

    return list(agreement_list(user=user, partnership=partnership))


def _flow_forms(request, partnership, *, flow=None):
    posted = request.method == "POST"
    partners = list(_active_partners(request.user, partnership).order_by("organisation__name"))
    parties = list(flow.parties.select_related("partner__organisation")) if flow is not None else []
    # A party that is no longer an active partner keeps its row, so the flow can still be edited.
    known = {partner.pk for partner in partners}
    partners += [party.partner for party in parties if party.partner_id not in known]
    form = FlowForm(
        request.POST if posted else None,
        assessments=selectors.assessment_list(user=request.user, partnership=partnership),
        agreements=_agreement_choices(request.user, partnership),
        initial=FlowForm.initial_for(flow)
        if flow is not None
        else {"review_on": clock.today() + timedelta(days=365)},
    )
    formset = PartyFormSet(
        request.POST if posted else None,
        prefix="parties",
        partners=partners,
        initial=party_initial(partners, parties),
    )
    return form, formset


def _apply_flow_errors(form, formset, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict") and "parties" in exc.error_dict:
        formset._non_form_errors = formset.error_class(
            [message for error in exc.error_dict["parties"] for message in error.messages]
        )
        rest = {name: errors for name, errors in exc.error_dict.items() if name != "parties"}
        if not rest:
            return
        exc = ValidationError(rest)
    apply_service_errors(form, exc, rename={"agreement_code": "agreement"})


@login_required
def flow_new(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    form, formset = _flow_forms(request, partnership)
    status = 200
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            try:
                flow = services.flow_create(
                    actor=request.user,
                    partnership=partnership,
                    parties=formset.parties(),
                    **form.service_values(),
                )
            except ValidationError as exc:
                _apply_flow_errors(form, formset, exc)
            else:
                flow.partnership = partnership
                messages.success(request, _("“%(title)s” was added to the register.") % {"title": flow.title})
                return redirect(_flow_url(flow))
        status = 422
    context = {"partnership": partnership, "form": form, "formset": formset, "flow": None}
    return render(request, "exchange/flow_form.html", context, status=status)


@_codes
@login_required
def flow_detail(request, code, flow_code):
    flow = selectors.get_flow_for_user(request.user, code, flow_code)
    partnership = flow.partnership
    membership = _membership(request.user, partnership)
    _decorate_flow(flow, clock.today())
    agreement, agreement_hidden = None, False
    if flow.agreement_code:
        from safepact.agreements.selectors import get_agreement_for_user

        try:
            agreement = get_agreement_for_user(request.user, partnership.code, flow.agreement_code)
        except Http404:
            agreement_hidden = True
    assessment = flow.assessment
    context = {
        "partnership": partnership,
        "membership": membership,
        "flow": flow,
        "parties": list(
            flow.parties.select_related("partner__organisation").order_by("partner__organisation__name")
        ),
        "categories": _category_labels(flow.data_categories),
        "assessment": assessment,
        "may_open_assessment": assessment is not None
        and (assessment.requested_by_id == request.user.pk or can_manage(membership)),
        "agreement": agreement,
        "agreement_hidden": agreement_hidden,
        "is_coordinator": perms.can_manage_register(membership),
        "end_form": EndFlowForm(),
    }
    return render(request, "exchange/flow_detail.html", context)


@_codes
@login_required
def flow_edit(request, code, flow_code):
    get_partnership_for_user(request.user, code, manage=True)
    flow = selectors.get_flow_for_user(request.user, code, flow_code)
    partnership = flow.partnership
    if flow.status != FlowStatus.ACTIVE:
        messages.error(request, _("An ended data flow cannot change."))
        return redirect(_flow_url(flow))
    form, formset = _flow_forms(request, partnership, flow=flow)
    status = 200
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            try:
                # The service changes (and audits) only what differs.
                flow = services.flow_update(
                    actor=request.user, flow=flow, parties=formset.parties(), **form.service_values()
                )
            except ValidationError as exc:
                _apply_flow_errors(form, formset, exc)
            else:
                flow.partnership = partnership
                messages.success(request, _("“%(title)s” was saved.") % {"title": flow.title})
                return redirect(_flow_url(flow))
        status = 422
    context = {"partnership": partnership, "form": form, "formset": formset, "flow": flow}
    return render(request, "exchange/flow_form.html", context, status=status)


@_codes
@login_required
@require_POST
def flow_end(request, code, flow_code):
    get_partnership_for_user(request.user, code, manage=True)
    flow = selectors.get_flow_for_user(request.user, code, flow_code)
    form = EndFlowForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the box to confirm that the data flow ends."))
        return redirect(_flow_url(flow))
    try:
        services.flow_end(actor=request.user, flow=flow)
    except ValidationError as exc:
        _report_errors(request, exc)
    else:
        messages.success(
            request, _("“%(title)s” has ended; it stays in the register.") % {"title": flow.title}
        )
    return redirect(_flow_url(flow))


# GDPR Art. 30 export ------------------------------------------------------------------------------------


def _art30_organisations(user, partnership, membership):
    """Coordinators export for any partner organisation; other members for their own."""
    from safepact.accounts.models import Organisation

    partners = _active_partners(user, partnership)
    if not can_manage(membership):
        partners = partners.filter(pk=membership.partner_id)
    return Organisation.objects.filter(pk__in=partners.values("organisation_id")).order_by("name")


@login_required
def art30(request, code):
    partnership = get_partnership_for_user(request.user, code)
    membership = partnership.membership
    organisations = _art30_organisations(request.user, partnership, membership)
    asked = "organisation" in request.GET or "format" in request.GET
    form = Art30Form(request.GET if asked else None, organisations=organisations)
    if not asked or not form.is_valid():
        context = {"partnership": partnership, "form": form}
        return render(request, "exchange/register_art30.html", context, status=400 if asked else 200)
    organisation, fmt = form.cleaned_data["organisation"], form.cleaned_data["format"]
    records = list(
        selectors.art30_records(user=request.user, partnership=partnership, organisation=organisation)
    )
    if fmt == "pdf":
        data = documents.art30_pdf(records, organisation, partnership=partnership)
        content_type = documents.PDF_CONTENT_TYPE
    else:
        data, content_type = documents.art30_csv(records, organisation), documents.CSV_CONTENT_TYPE
    services.art30_export_record(
        actor=request.user, partnership=partnership, organisation=organisation, fmt=fmt, count=len(records)
    )
    filename = documents.art30_filename(organisation, fmt)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# Subject access ---------------------------------------------------------------------------------------


@login_required
def subject_access(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    perms.ensure(perms.can_subject_access(partnership.membership))
    if request.method == "POST":
        form = SubjectAccessForm(request.POST)
        if form.is_valid():
            term = form.cleaned_data["term"]
            if not sudo_active(request):
                # Exporting what the platform holds about a person is sensitive: confirm the password first.
                back = reverse("exchange:subject_access", kwargs={"code": partnership.code})
                back += "?" + urlencode({"term": term})
                return redirect(reverse("accounts:sudo") + "?" + urlencode({"next": back}))
            try:
                data = services.subject_access_export(actor=request.user, partnership=partnership, term=term)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                filename = documents.subject_access_filename(partnership)
                response = HttpResponse(data, content_type=documents.JSON_CONTENT_TYPE)
                response["Content-Disposition"] = content_disposition_header(
                    as_attachment=True, filename=filename
                )
                response["X-Content-Type-Options"] = "nosniff"
                response["Cache-Control"] = "private, no-store"
                return response
        context = {"partnership": partnership, "form": form, "hits": None}
        return render(request, "exchange/subject_access.html", context, status=422)
    form = SubjectAccessForm(request.GET if "term" in request.GET else None)
    hits = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            try:
                hits = list(
                    selectors.subject_access_search(
                        user=request.user, partnership=partnership, term=form.cleaned_data["term"]
                    )
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
                status = 400
        else:
            status = 400
    context = {"partnership": partnership, "form": form, "hits": hits}
    return render(request, "exchange/subject_access.html", context, status=status)


# Legal holds ----------------------------------------------------------------------------------------------


def _held_item(user, code, kind: str, item_code):
    """The item to hold, read like on its own page (404 when the label keeps it from the coordinator)."""
    if kind == "request":
        return selectors.get_request_for_user(user, code, item_code)
    return selectors.get_item_for_user(user, code, kind, item_code)


def _item_url(kind: str, item) -> str:
    """The item's page; an answer is shown on its request's page."""
    if kind == "answer":
        url = reverse(
            "exchange:request", kwargs={"code": item.partnership.code, "request": item.request.code}
        )
        return f"{url}#answer-{item.code}"
    return reverse(f"exchange:{kind}", kwargs={"code": item.partnership.code, kind: item.code})


def _item_title(kind: str, item) -> str:
    if kind == "answer":
        return _("Answer of %(organisation)s") % {"organisation": item.recipient.partner.organisation.name}
    return item.title


@_codes
@login_required
def legal_hold(request, code, kind, item_code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    perms.ensure(perms.can_hold(partnership.membership))
    if kind not in HOLD_KINDS:
        raise Http404(_("Item not found."))
    item = _held_item(request.user, code, kind, item_code)
    item.partnership = partnership
    form = LegalHoldForm(
        request.POST if request.method == "POST" else None,
        initial={"hold": "0" if item.legal_hold else "1", "reason": item.legal_hold_reason},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            hold = form.cleaned_data["hold"]
            try:
                services.legal_hold_set(
                    actor=request.user, item=item, hold=hold, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                if hold:
                    messages.success(
                        request, _("The legal hold is set: the item is kept past its retention period.")
                    )
                else:
                    messages.success(request, _("The legal hold was lifted."))
                return redirect(_safe_next(request) or _item_url(kind, item))
        status = 422
    kinds = {
        "post": _("post"),
        "document": _("document"),
        "request": _("information request"),
        "answer": _("answer"),
    }
    context = {
        "partnership": partnership,
        "item": item,
        "item_title": _item_title(kind, item),
        "kind": kind,
        "kind_label": kinds[kind],
        "item_url": _item_url(kind, item),
        "form": form,
        "next": _safe_next(request) or "",
    }
    return render(request, "exchange/legal_hold.html", context, status=status)
