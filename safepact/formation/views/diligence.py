"""Pages for the due diligence of a candidate (coordinators only; members and viewers get 403).

One page per candidate shows the open (or latest) assessment: the questionnaire by topic while in
progress, the result with its tier and per-topic breakdown once completed, the decision and approval
forms, and the history. The forms post to small views that call one service each and come back here.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safepact.formation.forms.diligence import AnswersForm, ApproveForm, DecisionForm
from safepact.formation.selectors.diligence import (
    bank_of,
    diligence_page,
    get_assessment_for_user,
    get_diligence_candidate_for_user,
)
from safepact.formation.services import diligence as services
from safepact.partnerships.forms import apply_service_errors

PREFIX = "p/<uuid:code>/formation/candidates/<uuid:candidate_code>/due-diligence/"


def _page_url(candidate, assessment=None, anchor: str = "") -> str:
    kwargs = {"code": candidate.partnership.code, "candidate_code": candidate.code}
    if assessment is None:
        url = reverse("formation:diligence", kwargs=kwargs)
    else:
        url = reverse("formation:diligence_assessment", kwargs={**kwargs, "assessment_code": assessment.code})
    return f"{url}#{anchor}" if anchor else url


def _render(request, candidate, assessment=None, *, answers_form=None, decision_form=None, approve_form=None):
    context = diligence_page(user=request.user, candidate=candidate, assessment=assessment)
    current = context["assessment"]
    if current is not None and context["editable"]:
        form = answers_form or AnswersForm(bank=bank_of(current), answers=current.answers)
        context["answers_form"] = form
        for topic in context["topics"]:
            for question in topic.questions:
                question.option_field = form.option_field(question.id)
                question.evidence_field = form.evidence_field(question.id)
    context["decision_form"] = decision_form or DecisionForm()
    context["approve_form"] = approve_form or ApproveForm()
    context["form_with_errors"] = next(
        (form for form in (answers_form, decision_form, approve_form) if form is not None and form.errors),
        None,
    )
    context["candidate_url"] = reverse(
        "formation:candidate", kwargs={"code": candidate.partnership.code, "candidate_code": candidate.code}
    )
    return render(request, "formation/diligence/page.html", context)


@login_required
def page(request, code, candidate_code):
    candidate = get_diligence_candidate_for_user(request.user, code, candidate_code)
    return _render(request, candidate)


@login_required
def assessment_page(request, code, candidate_code, assessment_code):
    assessment = get_assessment_for_user(request.user, code, candidate_code, assessment_code)
    return _render(request, assessment.candidate, assessment)


@login_required
@require_POST
def start(request, code, candidate_code):
    """Start an assessment: empty, or (``prefill=1``) a reassessment pre-filled from the last one."""
    candidate = get_diligence_candidate_for_user(request.user, code, candidate_code)
    service = (
        services.assessment_reassess if request.POST.get("prefill") == "1" else services.assessment_start
    )
    try:
        service(actor=request.user, candidate=candidate)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The assessment has started."))
    return redirect(_page_url(candidate, anchor="questionnaire"))


@login_required
@require_POST
def answer(request, code, candidate_code, assessment_code):
    """Save the answers; with ``action=complete`` also complete the assessment (refused while incomplete)."""
    assessment = get_assessment_for_user(request.user, code, candidate_code, assessment_code)
    candidate = assessment.candidate
    form = AnswersForm(request.POST, bank=bank_of(assessment), answers=assessment.answers)
    if form.is_valid():
        try:
            assessment = services.assessment_answer(
                actor=request.user, assessment=assessment, answers=form.answers()
            )
            assessment.candidate = candidate
            if request.POST.get("action") == "complete":
                services.assessment_complete(actor=request.user, assessment=assessment)
        except ValidationError as exc:
            _apply(form, exc)
        else:
            if request.POST.get("action") == "complete":
                messages.success(request, _("The assessment is completed."))
                return redirect(_page_url(candidate, assessment, "result"))
            messages.success(request, _("Your answers are saved."))
            return redirect(_page_url(candidate, assessment, "questionnaire"))
    assessment = get_assessment_for_user(request.user, code, candidate_code, assessment_code)
    return _render(request, assessment.candidate, assessment, answers_form=form)


def _apply(form: AnswersForm, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        form.add_error(form.service_field(name), errors)


@login_required
@require_POST
def decide(request, code, candidate_code, assessment_code):
    assessment = get_assessment_for_user(request.user, code, candidate_code, assessment_code)
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.assessment_decide(
                actor=request.user,
                assessment=assessment,
                decision=data["decision"],
                reason=data["reason"],
                reassess_on=data["reassess_on"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The decision is recorded."))
            return redirect(_page_url(assessment.candidate, assessment, "decision"))
    return _render(request, assessment.candidate, assessment, decision_form=form)


@login_required
@require_POST
def approve(request, code, candidate_code, assessment_code):
    """A second coordinator approves a high-risk admission; the decider gets 403 from the service."""
    assessment = get_assessment_for_user(request.user, code, candidate_code, assessment_code)
    form = ApproveForm(request.POST)
    if form.is_valid():
        try:
            services.assessment_approve(
                actor=request.user, assessment=assessment, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The admission is approved."))
            return redirect(_page_url(assessment.candidate, assessment, "decision"))
    return _render(request, assessment.candidate, assessment, approve_form=form)


urlpatterns = [
    path(PREFIX, page, name="diligence"),
    path(f"{PREFIX}start/", start, name="diligence_start"),
    path(f"{PREFIX}<uuid:assessment_code>/", assessment_page, name="diligence_assessment"),
    path(f"{PREFIX}<uuid:assessment_code>/answers/", answer, name="diligence_answer"),
    path(f"{PREFIX}<uuid:assessment_code>/decide/", decide, name="diligence_decide"),
    path(f"{PREFIX}<uuid:assessment_code>/approve/", approve, name="diligence_approve"),
]
