"""Pages of the candidate pipeline: suggestions, the pipeline, one candidate, inviting, impartiality.

Members read the pipeline; coordinators get the suggestions and the impartiality warnings, and act.
Outsiders get 404 and members without the role 403 (raised by the access helpers).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from safepact.formation.forms.pipeline import (
    CandidateAddForm,
    CandidateInviteForm,
    CandidateMoveForm,
    DismissForm,
)
from safepact.formation.models import CandidateStage
from safepact.formation.selectors import diligence as diligence_selectors
from safepact.formation.selectors.pipeline import (
    IMPARTIALITY_RATIONALE,
    allowed_moves,
    candidate_list,
    candidate_moves,
    candidate_reasons,
    get_candidate_for_user,
    impartiality_split,
    impartiality_warnings,
    partnership_organisation,
    pipeline_columns,
    reason_texts,
    suggestion_list,
)
from safepact.formation.services import pipeline as services
from safepact.partnerships.forms import apply_service_errors, error_summary
from safepact.partnerships.permissions import can_manage
from safepact.partnerships.selectors import get_partnership_for_user, organisations_visible_to


def _candidates_url(code, anchor: str = "") -> str:
    url = reverse("formation:candidates", kwargs={"code": code})
    return f"{url}#{anchor}" if anchor else url


def _candidate_url(code, candidate_code) -> str:
    return reverse("formation:candidate", kwargs={"code": code, "candidate_code": candidate_code})


def _warnings_context(user, partnership, organisation=None) -> dict:
    warnings, dismissed = impartiality_split(
        impartiality_warnings(user=user, partnership=partnership, organisation=organisation)
    )
    return {"warnings": warnings, "dismissed": dismissed, "rationale": IMPARTIALITY_RATIONALE}


@login_required
@require_safe
def candidates(request, code):
    partnership = get_partnership_for_user(request.user, code)
    is_coordinator = can_manage(partnership.membership)
    context = {
        "partnership": partnership,
        "is_coordinator": is_coordinator,
        "columns": pipeline_columns(candidate_list(user=request.user, partnership=partnership)),
    }
    if is_coordinator:
        context["suggestions"] = suggestion_list(user=request.user, partnership=partnership)
        context.update(_warnings_context(request.user, partnership))
    return render(request, "formation/pipeline/candidates.html", context)


@login_required
@require_POST
def candidate_add(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    form = CandidateAddForm(request.POST)
    organisation = None
    if form.is_valid():
        organisation = (
            organisations_visible_to(request.user).filter(code=form.cleaned_data["organisation"]).first()
        )
        if organisation is None:
            form.add_error("organisation", _("Organisation not found."))
    if organisation is not None:
        try:
            candidate = services.candidate_add(
                actor=request.user,
                partnership=partnership,
                organisation=organisation,
                suggested=form.cleaned_data["suggested"],
                reasons=candidate_reasons(
                    user=request.user, partnership=partnership, organisation=organisation
                ),
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s is now a candidate partner.") % {"name": organisation.name})
            return redirect(_candidate_url(partnership.code, candidate.code))
    messages.error(request, error_summary(form))
    return redirect(_candidates_url(partnership.code))


def _render_candidate(request, candidate, *, move_form=None, status=200):
    partnership = candidate.partnership
    is_coordinator = can_manage(partnership.membership)
    moves = [s for s in allowed_moves(candidate.stage) if s != CandidateStage.INVITED]
    context = {
        "partnership": partnership,
        "candidate": candidate,
        "is_coordinator": is_coordinator,
        "moves": candidate_moves(user=request.user, candidate=candidate),
        "reason_texts": reason_texts(candidate.reasons),
    }
    if is_coordinator:
        context["move_form"] = move_form or CandidateMoveForm(allowed=moves)
        context["can_move"] = bool(moves)
        context["may_invite"] = CandidateStage.INVITED in allowed_moves(candidate.stage)
        if context["may_invite"]:
            context["admission"] = diligence_selectors.candidate_admission(candidate)
        context.update(_warnings_context(request.user, partnership, candidate.organisation))
    return render(request, "formation/pipeline/candidate.html", context, status=status)


@login_required
@require_safe
def candidate(request, code, candidate_code):
    return _render_candidate(request, get_candidate_for_user(request.user, code, candidate_code))


@login_required
@require_POST
def candidate_move(request, code, candidate_code):
    candidate = get_candidate_for_user(request.user, code, candidate_code, manage=True)
    moves = [s for s in allowed_moves(candidate.stage) if s != CandidateStage.INVITED]
    form = CandidateMoveForm(request.POST, allowed=moves)
    if form.is_valid():
        try:
            candidate = services.candidate_move(
                actor=request.user,
                candidate=candidate,
                to_stage=form.cleaned_data["to_stage"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s moved to %(stage)s.")
                % {"name": candidate.organisation.name, "stage": candidate.get_stage_display()},
            )
            return redirect(_candidate_url(code, candidate.code))
    return _render_candidate(request, candidate, move_form=form, status=422)


@login_required
def candidate_invite(request, code, candidate_code):
    candidate = get_candidate_for_user(request.user, code, candidate_code, manage=True)
    form = CandidateInviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            candidate, invitation = services.candidate_invite(
                actor=request.user, candidate=candidate, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, rename={"to_stage": None, "organisation": None})
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect(_candidate_url(code, candidate.code))
    context = {
        "partnership": candidate.partnership,
        "candidate": candidate,
        "form": form,
        "admission": diligence_selectors.candidate_admission(candidate),
        "may_invite": CandidateStage.INVITED in allowed_moves(candidate.stage),
    }
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "formation/pipeline/invite.html", context, status=status)


@login_required
@require_POST
def impartiality_dismiss(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    form = DismissForm(request.POST)
    if form.is_valid():
        organisation = partnership_organisation(
            partnership=partnership, code=form.cleaned_data["organisation"]
        )
        if organisation is None:
            form.add_error("organisation", _("Organisation not found."))
        else:
            try:
                services.impartiality_dismiss(
                    actor=request.user,
                    partnership=partnership,
                    organisation=organisation,
                    rule=form.cleaned_data["rule"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
    if form.errors:
        messages.error(request, error_summary(form))
    else:
        messages.success(request, _("The warning is dismissed; it stays in the list of dismissed warnings."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith(
        reverse("formation:candidates", kwargs={"code": partnership.code})
    ):
        back = _candidates_url(partnership.code, "impartiality")
    return redirect(back)


PREFIX = "p/<uuid:code>/formation/"
urlpatterns: list = [
    path(f"{PREFIX}candidates/", candidates, name="candidates"),
    path(f"{PREFIX}candidates/add/", candidate_add, name="candidate_add"),
    path(f"{PREFIX}candidates/<uuid:candidate_code>/", candidate, name="candidate"),
    path(f"{PREFIX}candidates/<uuid:candidate_code>/move/", candidate_move, name="candidate_move"),
    path(f"{PREFIX}candidates/<uuid:candidate_code>/invite/", candidate_invite, name="candidate_invite"),
    path(f"{PREFIX}impartiality/dismiss/", impartiality_dismiss, name="impartiality_dismiss"),
]
