"""Pages for the claimed area of formation: the CLAIMED journey of a partnership.

Every member sees the journey; coordinators mark a step not applicable (with a reason) or reopen it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safepact.formation.forms.claimed import NOT_APPLICABLE, StepDecisionForm
from safepact.formation.models import ClaimedStep
from safepact.formation.selectors.claimed import STEP_NAMES, StepState, StepStatus, claimed_journey
from safepact.formation.services.claimed import claimed_step_reopen, claimed_step_set_not_applicable
from safepact.lib.svg import COLOURS, Svg
from safepact.partnerships.forms import apply_service_errors
from safepact.partnerships.permissions import can_manage
from safepact.partnerships.selectors import get_partnership_for_user

NODE_GAP = 120
NODE_Y = 48
RADIUS = 26


def journey_picture(steps: list[StepState]) -> str:
    """The seven steps in a row. The state shows by shape AND text: a filled circle (done), a thick ring
    (in progress), a thin dashed ring (open), a dashed square struck through (not applicable)."""
    done = sum(1 for s in steps if s.state == StepStatus.DONE)
    picture = Svg(
        width=NODE_GAP * len(steps),
        height=128,
        title=_("CLAIMED journey: %(done)s of %(total)s steps done") % {"done": done, "total": len(steps)},
        desc=_(
            "The seven CLAIMED steps from left to right, each with its state: %(states)s. "
            "The list below the picture gives the same information."
        )
        % {"states": "; ".join(f"{s.name}: {s.state_label}" for s in steps)},
        css_class="picture journey-picture",
    )
    for i in range(len(steps) - 1):
        x = NODE_GAP * i + NODE_GAP / 2
        picture.line(
            x + RADIUS, NODE_Y, x + NODE_GAP - RADIUS, NODE_Y, stroke=COLOURS["line"], stroke_width=2
        )
    for i, step in enumerate(steps):
        cx = NODE_GAP * i + NODE_GAP / 2
        picture.group_start(
            css_class=f"journey-node journey-{step.state}",
            **{"data-step": step.step, "data-state": step.state},
        )
        picture.titled(f"{step.letter} · {step.name}: {step.state_label}")
        letter_colour = COLOURS["text"]
        if step.state == StepStatus.DONE:
            picture.circle(cx, NODE_Y, RADIUS, fill=COLOURS["ok"], stroke=COLOURS["ok"], stroke_width=2)
            letter_colour = "#ffffff"
        elif step.state == StepStatus.IN_PROGRESS:
            picture.circle(cx, NODE_Y, RADIUS - 3, fill="#ffffff", stroke=COLOURS["warn"], stroke_width=6)
            letter_colour = COLOURS["warn"]
        elif step.state == StepStatus.OPEN:
            picture.circle(
                cx,
                NODE_Y,
                RADIUS,
                fill="#ffffff",
                stroke=COLOURS["muted"],
                stroke_width=2,
                stroke_dasharray="4 3",
            )
        else:
            left, top = cx - RADIUS + 2, NODE_Y - RADIUS + 2
            side = 2 * RADIUS - 4
            picture.rect(
                left, top, side, side, fill=COLOURS["surface"], stroke=COLOURS["muted"], stroke_width=2,
                stroke_dasharray="4 3",
            )  # fmt: skip
            picture.line(left, top + side, left + side, top, stroke=COLOURS["muted"], stroke_width=2)
            letter_colour = COLOURS["muted"]
        picture.text(
            cx,
            NODE_Y + 6,
            step.letter,
            text_anchor="middle",
            font_size=18,
            font_weight="700",
            fill=letter_colour,
        )
        picture.text(
            cx, NODE_Y + RADIUS + 22, step.name, text_anchor="middle", font_weight="600", fill=COLOURS["text"]
        )
        picture.text(cx, NODE_Y + RADIUS + 40, step.state_label, text_anchor="middle", fill=COLOURS["muted"])
        picture.group_end()
    return picture.render()


def _render_journey(request, partnership, *, error_step: str = "", error_form=None, status: int = 200):
    steps = claimed_journey(user=request.user, partnership=partnership)
    context = {
        "partnership": partnership,
        "membership": partnership.membership,
        "is_coordinator": can_manage(partnership.membership),
        "steps": steps,
        "picture": journey_picture(steps),
        "done": sum(1 for s in steps if s.state == StepStatus.DONE),
        "not_applicable": sum(1 for s in steps if s.state == StepStatus.NOT_APPLICABLE),
        "error_step": error_step,
        "error_form": error_form,
    }
    return render(request, "formation/claimed/journey.html", context, status=status)


@login_required
def journey(request, code):
    return _render_journey(request, get_partnership_for_user(request.user, code))


@login_required
@require_POST
def journey_step(request, code, step):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    if step not in ClaimedStep.values:
        raise Http404(_("Unknown CLAIMED step."))
    form = StepDecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["action"] == NOT_APPLICABLE:
                claimed_step_set_not_applicable(
                    actor=request.user, partnership=partnership, step=step, reason=data["reason"]
                )
                success = _("%(step)s is marked not applicable.") % {"step": STEP_NAMES[step]}
            else:
                claimed_step_reopen(
                    actor=request.user, partnership=partnership, step=step, reason=data["reason"]
                )
                success = _("%(step)s applies again.") % {"step": STEP_NAMES[step]}
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(reverse("formation:journey", args=[partnership.code]) + f"#step-{step}")
    return _render_journey(request, partnership, error_step=step, error_form=form, status=422)


urlpatterns: list = [
    path("p/<uuid:code>/formation/", journey, name="journey"),
    path("p/<uuid:code>/formation/steps/<str:step>/", journey_step, name="journey_step"),
]
