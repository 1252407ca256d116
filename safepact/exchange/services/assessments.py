"""Writes for Five Safes assessments: asking for one, answering the five safes, submitting, deciding.

An assessment weighs a request for personal data (or a recurring data flow) against the five safes (people,
projects, settings, data, outputs), each with an answer, a risk rating and mitigations. The person who asked
for it (or a coordinator) fills it in while it is a draft and submits it; a coordinator *other than the person
who asked* decides (four eyes; the model has the same rule as a constraint): approved, approved with
conditions (the conditions are required) or rejected (the reasoning is required). An approval is valid until
``valid_until`` (a year unless the decider chooses); an expired assessment no longer lets a request be sent.

Deciding moves the linked request on: approved sends it (or, when its deadline passed meanwhile, returns it to
draft for a new deadline); rejected returns it to draft with the reasoning shown to the requester.

The texts of an assessment are not put in the audit trail: it records states, safes, risks and dates.
"""

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepact.audit.services import audit_record
from safepact.exchange import permissions
from safepact.exchange.models import (
    APPROVED_STATES,
    Assessment,
    AssessmentAnswer,
    AssessmentStatus,
    InformationRequest,
    RequestStatus,
    Risk,
    Safe,
)
from safepact.exchange.services import requests as request_services
from safepact.lib import clock
from safepact.lib.tlp import RESTRICTED, TLP
from safepact.notifications.services import notify
from safepact.partnerships.models import Partnership
from safepact.partnerships.permissions import can_manage, can_write
from safepact.partnerships.selectors import get_partnership_for_user

__all__ = [
    "DEFAULT_VALIDITY_DAYS",
    "assessment_answer_set",
    "assessment_create",
    "assessment_decide",
    "assessment_submit",
]

TITLE_MAX = 200
TEXT_MAX = 20_000
#: How long an approval stays valid when the decider does not choose a date.
DEFAULT_VALIDITY_DAYS = 365


def register() -> None:
    """Audit action labels of this part (called once from exchange.hooks)."""
    from safepact.audit.selectors import register_action_labels

    register_action_labels(
        {
            "exchange.assessment.created": gettext_lazy("Five Safes assessment started"),
            "exchange.assessment.answered": gettext_lazy("Five Safes assessment answered"),
            "exchange.assessment.submitted": gettext_lazy("Five Safes assessment submitted for a decision"),
            "exchange.assessment.decided": gettext_lazy("Five Safes assessment decided"),
        },
        {"exchange.assessment": gettext_lazy("Five Safes assessments")},
    )


# Helpers -------------------------------------------------------------------------------------------


def _lock(actor, assessment: Assessment, *, manage: bool = False) -> Assessment:
    """Re-check the actor's scope (404 outsider, 403 without the role), then lock and re-read."""
    partnership = get_partnership_for_user(actor, assessment.partnership.code, manage=manage)
    locked = Assessment.objects.select_for_update().filter(pk=assessment.pk, partnership=partnership).first()
    if locked is None:
        raise Http404(_("Assessment not found."))
    locked.partnership = partnership
    return locked


def _ensure_may_fill(assessment: Assessment) -> None:
    """The person who asked for it (still with the write role) or a coordinator."""
    membership = assessment.partnership.membership
    if can_manage(membership):
        return
    if assessment.requested_by_id != membership.user_id:
        raise PermissionDenied(
            _("Only the person who asked for this assessment or a coordinator can do this.")
        )
    if not can_write(membership):
        raise permissions.read_only_denied()


def _linked_request(assessment: Assessment, *, lock: bool = False) -> InformationRequest | None:
    queryset = InformationRequest.objects.filter(assessment=assessment)
    if lock:
        queryset = queryset.select_for_update()
    request = queryset.first()
    if request is not None:
        request.partnership = assessment.partnership
    return request


def _label_of(assessment: Assessment, request: InformationRequest | None = None) -> TLP:
    """The label a notification about the assessment carries: its request's, else GREEN (an assessment of
    a data flow is read by the partnership's coordinators)."""
    request = request if request is not None else _linked_request(assessment)
    return TLP(request.tlp) if request is not None else TLP.GREEN


def _tell(
    *,
    assessment: Assessment,
    recipients,
    kind: str,
    restricted_title: str,
    open_title: str,
    request: InformationRequest | None = None,
    body: str = "",
) -> None:
    label = _label_of(assessment, request)
    restricted = label in RESTRICTED
    notify(
        recipients=recipients,
        kind=kind,
        title=restricted_title if restricted else open_title,
        body="" if restricted else body,
        url=request_services.assessment_url(assessment),
        tlp=label.value,
        partnership=assessment.partnership,
    )


# Services ------------------------------------------------------------------------------------------


@transaction.atomic
def assessment_create(
    *, actor, partnership: Partnership, title: str, request: InformationRequest | None = None
) -> Assessment:
    """Ask for a Five Safes assessment (members with the write role): of a data flow, or of the actor's own
    request that has not been sent (it replaces a rejected or expired assessment of that request)."""
    from safepact.exchange import five_safes

    partnership = get_partnership_for_user(actor, partnership.code, write=True)
    title = str(title or "").strip()
    errors = {}
    if not title:
        errors["title"] = _("Give the assessment a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("This can be at most %(max)s characters.") % {"max": TITLE_MAX}
    if request is not None:
        if request.partnership_id != partnership.pk:
            raise Http404(_("Information request not found."))
        request = request_services._lock_request(actor, request, write=True)
        if not permissions.is_author(partnership.membership, request):
            raise PermissionDenied(_("Only the person who asked can ask for an assessment of this request."))
        if request.status not in request_services.EDITABLE_STATES:
            errors["request"] = _("This request has already been sent.")
        elif request.assessment_id and (
            request.assessment.status not in (AssessmentStatus.REJECTED, *APPROVED_STATES)
            or request_services.assessment_is_valid(request.assessment)
        ):
            errors["request"] = _("This request already has a Five Safes assessment.")
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    assessment = Assessment.objects.create(
        partnership=partnership,
        title=title,
        question_set=five_safes.latest_version(),
        requested_by=actor,
        created_at=now,
        updated_at=now,
    )
    if request is not None:
        request.assessment = assessment
        request.updated_at = now
        request.save(update_fields=["assessment", "updated_at"])
    audit_record(
        actor=actor,
        action="exchange.assessment.created",
        target=assessment,
        partnership=partnership,
        after={
            "status": assessment.status,
            "question_set": assessment.question_set,
            "request": str(request.code) if request is not None else None,
        },
    )
    assessment.partnership = partnership
    return assessment


@transaction.atomic
def assessment_answer_set(
    *, actor, assessment: Assessment, safe: str, answer: str, risk: str, mitigations: str = ""
) -> AssessmentAnswer:
    """Answer one safe (the person who asked for the assessment, or a coordinator, while it is a draft)."""
    assessment = _lock(actor, assessment)
    _ensure_may_fill(assessment)
    if assessment.status != AssessmentStatus.DRAFT:
        raise ValidationError(
            {"status": _("This assessment has been submitted and can no longer be changed.")}
        )
    errors = {}
    safe = str(safe or "")
    if safe not in Safe.values:
        errors["safe"] = _("Choose one of the five safes.")
    answer = str(answer or "").strip()
    if not answer:
        errors["answer"] = _("Answer the question of this safe.")
    elif len(answer) > TEXT_MAX:
        errors["answer"] = _("This can be at most %(max)s characters.") % {"max": TEXT_MAX}
    risk = str(risk or "")
    if risk not in Risk.values:
        errors["risk"] = _("Rate the risk: low, medium or high.")
    mitigations = str(mitigations or "").strip()
    if len(mitigations) > TEXT_MAX:
        errors["mitigations"] = _("This can be at most %(max)s characters.") % {"max": TEXT_MAX}
    if errors:
        raise ValidationError(errors)
    row = AssessmentAnswer.objects.filter(assessment=assessment, safe=safe).first()
    before = {"risk": row.risk, "mitigations": bool(row.mitigations)} if row is not None else None
    if row is None:
        row = AssessmentAnswer(assessment=assessment, safe=safe)
    row.answer, row.risk, row.mitigations = answer, risk, mitigations
    row.save()
    assessment.updated_at = clock.now()
    assessment.save(update_fields=["updated_at"])
    audit_record(
        actor=actor,
        action="exchange.assessment.answered",
        target=assessment,
        partnership=assessment.partnership,
        before={"safe": safe, **before} if before is not None else None,
        after={"safe": safe, "risk": risk, "mitigations": bool(mitigations)},
    )
    row.assessment = assessment
    return row


@transaction.atomic
def assessment_submit(*, actor, assessment: Assessment) -> Assessment:
    """Submit a complete assessment for a decision (the person who asked, or a coordinator). The
    coordinators other than the person who asked are told; without one, nobody could decide it (four eyes),
    so it is refused."""
    assessment = _lock(actor, assessment)
    _ensure_may_fill(assessment)
    if assessment.status != AssessmentStatus.DRAFT:
        raise ValidationError({"status": _("This assessment has already been submitted.")})
    answered = set(assessment.answers.values_list("safe", flat=True))
    missing = [str(label) for value, label in Safe.choices if value not in answered]
    if missing:
        raise ValidationError(
            {
                "answers": _("Answer all five safes first (missing: %(safes)s).")
                % {"safes": ", ".join(missing)}
            }
        )
    deciders = request_services.coordinators_of(assessment.partnership, exclude=[assessment.requested_by_id])
    if not deciders:
        raise ValidationError(
            {
                "assessment": _(
                    "Nobody can decide this assessment: it needs a coordinator other than the person who asked "
                    "for it (four eyes). Ask the partnership to appoint a second coordinator."
                )
            }
        )
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.updated_at = clock.now()
    assessment.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="exchange.assessment.submitted",
        target=assessment,
        partnership=assessment.partnership,
        before={"status": AssessmentStatus.DRAFT},
        after={
            "status": assessment.status,
            "risks": dict(assessment.answers.order_by("safe").values_list("safe", "risk")),
        },
    )
    _tell(
        assessment=assessment,
        recipients=deciders,
        kind="exchange.assessment.submitted",
        restricted_title=_("A Five Safes assessment in %(partnership)s waits for your decision")
        % {"partnership": assessment.partnership.name},
        open_title=_("Five Safes assessment to decide: %(title)s") % {"title": assessment.title},
    )
    return assessment


def _clean_decision(decision, conditions, note, valid_until) -> tuple[str, str, str, date | None]:
    errors = {}
    decision = str(decision or "")
    if decision not in (*APPROVED_STATES, AssessmentStatus.REJECTED):
        errors["decision"] = _("Choose approved, approved with conditions or rejected.")
    conditions = str(conditions or "").strip()
    note = str(note or "").strip()
    if decision == AssessmentStatus.APPROVED_WITH_CONDITIONS and not conditions:
        errors["conditions"] = _("Write the conditions of the approval.")
    if decision == AssessmentStatus.REJECTED and not note:
        errors["note"] = _("Explain why the assessment is rejected; the person who asked reads it.")
    for name, text in (("conditions", conditions), ("note", note)):
        if len(text) > TEXT_MAX:
            errors[name] = _("This can be at most %(max)s characters.") % {"max": TEXT_MAX}
    until = None
    if decision in APPROVED_STATES:
        today = clock.today()
        if valid_until in (None, ""):
            until = today + timedelta(days=DEFAULT_VALIDITY_DAYS)
        else:
            until, error = request_services._clean_date(valid_until, "valid_until")
            if error:
                errors.update(error)
            elif until < today:
                errors["valid_until"] = _("The approval cannot end in the past.")
    if errors:
        raise ValidationError(errors)
    if decision != AssessmentStatus.APPROVED_WITH_CONDITIONS:
        conditions = ""
    return decision, conditions, note, until


@transaction.atomic
def assessment_decide(
    *, actor, assessment: Assessment, decision: str, conditions: str = "", note: str = "", valid_until=None
) -> Assessment:
    """Decide a submitted assessment: a coordinator who did not ask for it (four eyes). Approved sends the
    request waiting for it; rejected returns that request to draft with the reasoning."""
    assessment = _lock(actor, assessment, manage=True)
    if not permissions.can_decide(assessment.partnership.membership, assessment):
        raise PermissionDenied(
            _("You asked for this assessment: another coordinator must decide it (four eyes).")
        )
    if assessment.status != AssessmentStatus.SUBMITTED:
        raise ValidationError({"status": _("Only a submitted assessment can be decided.")})
    decision, conditions, note, until = _clean_decision(decision, conditions, note, valid_until)
    now = clock.now()
    assessment.status = decision
    assessment.decided_by = actor
    assessment.decided_at = now
    assessment.conditions = conditions
    assessment.decision_note = note
    assessment.valid_until = until
    assessment.updated_at = now
    assessment.save()
    audit_record(
        actor=actor,
        action="exchange.assessment.decided",
        target=assessment,
        partnership=assessment.partnership,
        before={"status": AssessmentStatus.SUBMITTED},
        after={
            "status": decision,
            "valid_until": until.isoformat() if until else None,
            "with_conditions": bool(conditions),
        },
    )
    request = _linked_request(assessment, lock=True)
    outcome = "decided"
    if request is not None and request.status == RequestStatus.AWAITING_ASSESSMENT:
        request.assessment = assessment
        if decision == AssessmentStatus.REJECTED:
            request_services.return_to_draft(actor=actor, request=request, because="rejected")
            outcome = "rejected"
        else:
            try:
                request_services._check_sendable(request)
            except ValidationError as error:
                because = "deadline" if "deadline" in error.message_dict else "recipients"
                request_services.return_to_draft(actor=actor, request=request, because=because)
                outcome = "not_sent"
            else:
                request_services.send(actor=actor, request=request)
                outcome = "sent"
    _tell_decision(assessment=assessment, request=request, outcome=outcome)
    return assessment


def _tell_decision(*, assessment: Assessment, request: InformationRequest | None, outcome: str) -> None:
    values = {
        "partnership": assessment.partnership.name,
        "title": assessment.title,
        "decision": AssessmentStatus(assessment.status).label,
    }
    if outcome == "sent":
        restricted = _("Five Safes assessment approved in %(partnership)s: your information request was sent")
        open_title = _("Approved and sent: %(title)s")
    elif outcome == "not_sent":
        restricted = _(
            "Five Safes assessment approved in %(partnership)s: check the deadline and the addressed "
            "organisations of your information request and send it again"
        )
        open_title = _(
            "Approved, but not sent (check the deadline and the addressed organisations): %(title)s"
        )
    elif outcome == "rejected":
        restricted = _(
            "Five Safes assessment rejected in %(partnership)s: your information request is a draft again"
        )
        open_title = _("Rejected: %(title)s")
    else:
        restricted = _("A Five Safes assessment in %(partnership)s was decided: %(decision)s")
        open_title = _("%(decision)s: %(title)s")
    _tell(
        assessment=assessment,
        request=request,
        recipients=[assessment.requested_by],
        kind="exchange.assessment.decided",
        restricted_title=restricted % values,
        open_title=open_title % values,
        body=assessment.decision_note,
    )
