"""Writes for the claimed area of formation: a coordinator marks a CLAIMED step not applicable, or reopens it.

The states themselves are derived (``selectors/claimed.py``); only these decisions are stored.
``register()`` adds the journey to every partnership's overview and the dashboard attention item.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepact.audit.services import audit_record
from safepact.formation.models import ClaimedStep, ClaimedStepDecision
from safepact.lib import clock
from safepact.partnerships.models import Partnership, Role
from safepact.partnerships.selectors import get_partnership_for_user

REASON_MAX = 2000


def _clean_step(step: str) -> str:
    if step not in ClaimedStep.values:
        raise ValidationError({"step": _("Unknown CLAIMED step: %(step)s.") % {"step": step}})
    return step


@transaction.atomic
def claimed_step_set_not_applicable(
    *, actor, partnership: Partnership, step: str, reason: str
) -> ClaimedStepDecision:
    """Mark ``step`` not applicable for ``partnership`` (coordinators), with a reason; overrides the derived state."""
    partnership = get_partnership_for_user(actor, partnership.code, manage=True)
    step = _clean_step(step)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason why this step does not apply.")})
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": _("Keep the reason under %(max)s characters.") % {"max": REASON_MAX}}
        )
    decision = (
        ClaimedStepDecision.objects.select_for_update().filter(partnership=partnership, step=step).first()
    )
    before = {"not_applicable": True, "reason": decision.reason} if decision else {"not_applicable": False}
    if decision is None:
        decision = ClaimedStepDecision(partnership=partnership, step=step)
    decision.not_applicable = True
    decision.reason = reason
    decision.decided_by = actor
    decision.decided_at = clock.now()
    decision.full_clean()
    decision.save()
    audit_record(
        actor=actor,
        action="formation.claimed_step.not_applicable",
        target=decision,
        partnership=partnership,
        before=before,
        after={"step": step, "not_applicable": True, "reason": reason},
        reason=reason,
    )
    return decision


@transaction.atomic
def claimed_step_reopen(*, actor, partnership: Partnership, step: str, reason: str = "") -> None:
    """The step applies again (coordinators): its state is derived from the data once more."""
    partnership = get_partnership_for_user(actor, partnership.code, manage=True)
    step = _clean_step(step)
    reason = (reason or "").strip()[:REASON_MAX]
    decision = (
        ClaimedStepDecision.objects.select_for_update().filter(partnership=partnership, step=step).first()
    )
    if decision is None or not decision.not_applicable:
        raise ValidationError({"step": _("This step is not marked as not applicable.")})
    audit_record(
        actor=actor,
        action="formation.claimed_step.reopened",
        target=decision,
        partnership=partnership,
        before={"step": step, "not_applicable": True, "reason": decision.reason},
        after={"step": step, "not_applicable": False},
        reason=reason,
    )
    decision.delete()


# Extension points ----------------------------------------------------------------------------------


def claimed_attention(*, user, memberships) -> dict:
    """Dashboard: coordinators see "CLAIMED: n of m steps done" until every step is done or not applicable.

    One query for all the user's partnerships (none when the user coordinates nothing).
    """
    from safepact.formation.selectors.claimed import claimed_journeys
    from safepact.partnerships.hooks import AttentionItem

    partnerships = [m.partner.partnership for m in memberships if m.role == Role.COORDINATOR]
    if not partnerships:
        return {}
    items = {}
    for pk, steps in claimed_journeys(user=user, partnerships=partnerships).items():
        if all(s.settled for s in steps):
            continue
        applicable = [s for s in steps if s.state != "not_applicable"]
        done = sum(1 for s in applicable if s.state == "done")
        code = next(p.code for p in partnerships if p.pk == pk)
        text = _("CLAIMED: %(done)s of %(total)s steps done") % {"done": done, "total": len(applicable)}
        items[pk] = [AttentionItem(text, reverse("formation:journey", args=[code]))]
    return items


def register() -> None:
    from safepact.audit.selectors import register_action_labels
    from safepact.partnerships import hooks

    hooks.register_section(gettext_lazy("Formation journey"), "formation:journey")
    hooks.register_attention(claimed_attention)
    register_action_labels(
        actions={
            "formation.claimed_step.not_applicable": gettext_lazy("CLAIMED step marked not applicable"),
            "formation.claimed_step.reopened": gettext_lazy("CLAIMED step reopened"),
        },
        prefixes={
            "formation": gettext_lazy("Forming the partnership"),
            "formation.claimed_step": gettext_lazy("CLAIMED journey"),
        },
    )
