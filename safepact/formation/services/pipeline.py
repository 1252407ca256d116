"""Writes for the pipeline area of formation: candidates, their moves, invitations, impartiality dismissals.

identified → assessing → invited → joined, with declined and rejected possible from every open stage.
Every move writes a ``CandidateMove`` row and an audit event. Inviting needs the due-diligence admission
and uses the partnerships invitation (which adds the organisation as an invited partner); the candidate
joins when that partner becomes active (``on_partner_activated``).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepact.accounts.models import Organisation
from safepact.audit.services import audit_record
from safepact.formation.models import (
    Candidate,
    CandidateMove,
    CandidateStage,
    ImpartialityDismissal,
    ImpartialityRule,
)
from safepact.formation.selectors import diligence as diligence_selectors
from safepact.formation.selectors.pipeline import (
    REASON_CODES,
    TRANSITIONS,
    impartiality_warnings,
)
from safepact.lib import clock
from safepact.partnerships import services as partnership_services
from safepact.partnerships.models import Invitation, Partner, Partnership, PartnerStatus, Role
from safepact.partnerships.selectors import get_partnership_for_user, organisations_visible_to

NOTE_LIMIT = 2000
REASON_LIMIT = 2000
ADMISSION_MESSAGES = {
    "pending_approval": gettext_lazy(
        "The due diligence of this candidate admits it, but awaits a second coordinator's approval."
    ),
    "rejected": gettext_lazy("The due diligence of this candidate ended in a rejection."),
    "none": gettext_lazy("Complete the due diligence of this candidate and admit it before inviting."),
}


def register() -> None:
    from safepact.audit.selectors import register_action_labels
    from safepact.partnerships import hooks

    register_action_labels(
        {
            "formation.candidate.added": gettext_lazy("Candidate added"),
            "formation.candidate.moved": gettext_lazy("Candidate moved in the pipeline"),
            "formation.impartiality.dismissed": gettext_lazy("Impartiality warning dismissed"),
        },
        {
            "formation": gettext_lazy("Forming the partnership"),
            "formation.candidate": gettext_lazy("Candidates"),
            "formation.impartiality": gettext_lazy("Impartiality warnings"),
        },
    )
    hooks.on_partner_activated(candidate_joined_on_activation)


def _stage_label(stage: str) -> str:
    return str(dict(CandidateStage.choices).get(stage, stage))


def _clean_reasons(reasons) -> list[dict]:
    cleaned = []
    for reason in reasons or []:
        if (
            not isinstance(reason, dict)
            or reason.get("code") not in REASON_CODES
            or not isinstance(reason.get("params", {}), dict)
        ):
            raise ValidationError({"reasons": _("Each reason needs a known code and a set of parameters.")})
        cleaned.append({"code": reason["code"], "params": dict(reason.get("params") or {})})
    return cleaned


@transaction.atomic
def candidate_add(
    *,
    actor,
    partnership: Partnership,
    organisation: Organisation,
    suggested: bool = False,
    reasons: list[dict] | None = None,
    note: str = "",
) -> Candidate:
    """Put an organisation in the pipeline of ``partnership`` (coordinators), at stage "identified"."""
    partnership = get_partnership_for_user(actor, partnership.code, manage=True)
    note = (note or "").strip()
    errors = {}
    if not organisations_visible_to(actor).filter(pk=organisation.pk).exists():
        errors["organisation"] = _("Organisation not found.")
    elif Partner.objects.filter(partnership=partnership, organisation=organisation).exists():
        errors["organisation"] = _("This organisation is already a partner.")
    elif Candidate.objects.filter(partnership=partnership, organisation=organisation).exists():
        errors["organisation"] = _("This organisation is already a candidate.")
    if len(note) > NOTE_LIMIT:
        errors["note"] = _("At most %(limit)s characters.") % {"limit": NOTE_LIMIT}
    if errors:
        raise ValidationError(errors)
    reasons = _clean_reasons(reasons)
    now = clock.now()
    candidate = Candidate.objects.create(
        partnership=partnership,
        organisation=organisation,
        suggested=bool(suggested),
        reasons=reasons,
        note=note,
        added_by=actor,
        created_at=now,
        updated_at=now,
    )
    CandidateMove.objects.create(
        candidate=candidate, from_stage="", to_stage=CandidateStage.IDENTIFIED, moved_by=actor, moved_at=now
    )
    audit_record(
        actor=actor,
        action="formation.candidate.added",
        target=candidate,
        partnership=partnership,
        after={
            "organisation": organisation.name,
            "stage": candidate.stage,
            "suggested": candidate.suggested,
            "reasons": [r["code"] for r in reasons],
        },
    )
    get_partnership_for_user(actor, partnership.code, manage=True)
    return candidate


def _record_move(*, actor, candidate: Candidate, to_stage: str, reason: str = "") -> Candidate:
    """Write the move, its history row and its audit event (callers check access and the transition)."""
    from_stage = candidate.stage
    now = clock.now()
    candidate.stage = to_stage
    candidate.updated_at = now
    candidate.save(update_fields=["stage", "updated_at"])
    CandidateMove.objects.create(
        candidate=candidate,
        from_stage=from_stage,
        to_stage=to_stage,
        reason=reason,
        moved_by=actor if getattr(actor, "is_authenticated", False) else None,
        moved_at=now,
    )
    audit_record(
        actor=actor,
        action="formation.candidate.moved",
        target=candidate,
        partnership=candidate.partnership,
        before={"stage": from_stage},
        after={"stage": to_stage},
        reason=reason,
    )
    return candidate


def _locked(candidate: Candidate) -> Candidate:
    return (
        Candidate.objects.select_for_update(of=("self",))
        .select_related("organisation", "partnership")
        .get(pk=candidate.pk)
    )


def _check_transition(candidate: Candidate, to_stage: str, reason: str) -> None:
    if to_stage not in CandidateStage.values:
        raise ValidationError({"to_stage": _("Unknown stage.")})
    allowed = TRANSITIONS.get(candidate.stage, ())
    if to_stage not in allowed:
        current = _stage_label(candidate.stage)
        if to_stage == CandidateStage.JOINED and candidate.stage == CandidateStage.INVITED:
            message = _(
                "A candidate joins when its organisation becomes an active partner (the invitation is "
                "accepted). From %(stage)s it can move to: %(allowed)s."
            )
        elif allowed:
            message = _("A candidate at stage %(stage)s can only move to: %(allowed)s.")
        else:
            message = _("A candidate at stage %(stage)s cannot move any more (%(allowed)s).")
        names = ", ".join(_stage_label(s) for s in allowed) or _("no further stage")
        raise ValidationError({"to_stage": message % {"stage": current, "allowed": names}})
    if to_stage == CandidateStage.REJECTED and not reason:
        raise ValidationError({"reason": _("Give a reason for rejecting a candidate.")})
    if len(reason) > REASON_LIMIT:
        raise ValidationError({"reason": _("At most %(limit)s characters.") % {"limit": REASON_LIMIT}})
    if to_stage == CandidateStage.INVITED:
        admission = diligence_selectors.candidate_admission(candidate)
        if admission != "admitted":
            raise ValidationError({"to_stage": ADMISSION_MESSAGES.get(admission, ADMISSION_MESSAGES["none"])})


def _withdraw_invited_partner(*, actor, candidate: Candidate, reason: str) -> None:
    """A candidate leaving the pipeline after an invitation: revoke its open invitations and withdraw
    the invited partner, so a rejected organisation cannot still accept and join."""
    partner = Partner.objects.filter(
        partnership=candidate.partnership,
        organisation=candidate.organisation,
        status__in=(PartnerStatus.INVITED, PartnerStatus.CANDIDATE),
    ).first()
    if partner is None:
        return
    for invitation in Invitation.objects.filter(
        partner=partner, accepted_at__isnull=True, revoked_at__isnull=True
    ):
        partnership_services.invitation_revoke(actor=actor, invitation=invitation)
    partnership_services.partner_set_status(
        actor=actor,
        partner=partner,
        status=PartnerStatus.WITHDRAWN,
        reason=reason
        or _("The candidate left the pipeline: %(stage)s.") % {"stage": _stage_label(candidate.stage)},
    )


@transaction.atomic
def candidate_move(*, actor, candidate: Candidate, to_stage: str, reason: str = "") -> Candidate:
    """Move a candidate one step (coordinators). The message of a refused move names the allowed moves."""
    get_partnership_for_user(actor, candidate.partnership.code, manage=True)
    candidate = _locked(candidate)
    reason = (reason or "").strip()
    _check_transition(candidate, to_stage, reason)
    from_stage = candidate.stage
    _record_move(actor=actor, candidate=candidate, to_stage=to_stage, reason=reason)
    if from_stage == CandidateStage.INVITED and to_stage in (
        CandidateStage.DECLINED,
        CandidateStage.REJECTED,
    ):
        _withdraw_invited_partner(actor=actor, candidate=candidate, reason=reason)
    get_partnership_for_user(actor, candidate.partnership.code, manage=True)
    return candidate


@transaction.atomic
def candidate_invite(
    *, actor, candidate: Candidate, email: str, role: str = Role.MEMBER, message: str = ""
) -> tuple[Candidate, Invitation]:
    """Invite a person of the candidate organisation (coordinators; needs the due-diligence admission).

    The invitation adds the organisation as an invited partner; the candidate moves to "invited".
    """
    get_partnership_for_user(actor, candidate.partnership.code, manage=True)
    candidate = _locked(candidate)
    _check_transition(candidate, CandidateStage.INVITED, "")
    invitation, _token = partnership_services.invitation_create(
        actor=actor,
        partnership=candidate.partnership,
        email=email,
        role=role,
        organisation=candidate.organisation,
        message=message,
    )
    _record_move(
        actor=actor,
        candidate=candidate,
        to_stage=CandidateStage.INVITED,
        reason=_("Invitation sent to %(email)s.") % {"email": invitation.email},
    )
    return candidate, invitation


def candidate_joined_on_activation(*, partner, actor) -> None:
    """Hook (``on_partner_activated``): the candidate of this partnership and organisation has joined.

    Runs inside the activation's transaction; the actor is who activated (a coordinator, or the
    invitee accepting the invitation), so no coordinator check here.
    """
    candidate = (
        Candidate.objects.select_for_update(of=("self",))
        .select_related("organisation", "partnership")
        .filter(partnership_id=partner.partnership_id, organisation_id=partner.organisation_id)
        .exclude(stage=CandidateStage.JOINED)
        .first()
    )
    if candidate is not None:
        _record_move(
            actor=actor, candidate=candidate, to_stage=CandidateStage.JOINED, reason="partner activated"
        )


@transaction.atomic
def impartiality_dismiss(
    *, actor, partnership: Partnership, organisation: Organisation, rule: str, reason: str
) -> ImpartialityDismissal:
    """Dismiss one impartiality warning (coordinators), with a reason; kept in the "dismissed" list."""
    partnership = get_partnership_for_user(actor, partnership.code, manage=True)
    reason = (reason or "").strip()
    if rule not in ImpartialityRule.values:
        raise ValidationError({"rule": _("Unknown warning.")})
    if not reason:
        raise ValidationError({"reason": _("Give a reason for dismissing the warning.")})
    if len(reason) > REASON_LIMIT:
        raise ValidationError({"reason": _("At most %(limit)s characters.") % {"limit": REASON_LIMIT}})
    warning = next(
        (
            w
            for w in impartiality_warnings(user=actor, partnership=partnership, organisation=organisation)
            if w.rule == rule
        ),
        None,
    )
    if warning is None:
        raise ValidationError({"organisation": _("There is no such warning about this organisation.")})
    if warning.dismissal is not None:
        raise ValidationError({"rule": _("This warning has already been dismissed.")})
    dismissal = ImpartialityDismissal.objects.create(
        partnership=partnership,
        organisation=organisation,
        rule=rule,
        reason=reason,
        dismissed_by=actor,
        dismissed_at=clock.now(),
    )
    audit_record(
        actor=actor,
        action="formation.impartiality.dismissed",
        target=dismissal,
        partnership=partnership,
        after={"organisation": organisation.name, "rule": rule},
        reason=reason,
    )
    return dismissal
